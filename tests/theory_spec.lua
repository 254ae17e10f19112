-- nl.theory: closed forms against independent references (tests/reference/theory_ref.py:
-- mpmath, numpy, scipy) and against noiselab's own Monte Carlo of minibatch SGD.
--
-- Monte Carlo tolerances.  simulate_sgd returns the standard error `se` of its estimate from
-- the spread of per-chain averages (32 independent chains).  Each comparison asserts
--   |sim − theory| ≤ 0.03·theory      (the claim of the issue: within 3 %)
-- and, so that the 3 % test means something, se ≤ 0.0075·theory (3 % ≥ 4 standard errors).
-- The λ grid stops where the stationary law still has a finite fourth moment (tail index
-- > 4, computed with nl.theory.tail_index), since beyond it the sample variance has infinite
-- variance and no run length gives a 3 % estimate.
local nl = require "noiselab"
local th = nl.theory

local here = (debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./")
local ref = dofile(here .. "reference/theory_ref.lua")

local function rel(a, b) return math.abs(a - b) / math.abs(b) end

local function near(a, b, tol, what)
  assert(rel(a, b) <= tol, string.format("%s: got %.17g, reference %.17g (rel. error %.3g > %.3g)",
    what or "value", a, b, rel(a, b), tol))
end

-- error raised whose message contains `fragment` (plain text)
local function errs(fn, fragment)
  local ok, msg = pcall(fn)
  assert(not ok, "expected an error containing: " .. fragment)
  assert(tostring(msg):find(fragment, 1, true), "error '" .. tostring(msg) .. "' lacks: " .. fragment)
end

local function mc_check(sim, se, theory, what)
  assert(se <= 0.0075 * theory, string.format("%s: Monte Carlo error %.3g%% too large for a 3%% test",
    what, 100 * se / theory))
  assert(math.abs(sim - theory) <= 0.03 * theory, string.format(
    "%s: simulated %.6g vs theory %.6g (%.2f%%, se %.2f%%)", what, sim, theory,
    100 * (sim / theory - 1), 100 * se / theory))
end

describe("theory.tail_index (Kesten root of E|1 - (a lr/S) chi2_S|^beta = 1)", function()
  it("matches mpmath to 1e-8 over S in {1,2,10,50}, lr in {0.1..1.5}", function()
    for _, r in ipairs(ref.tail_index) do
      local b, approx = th.tail_index{a = 1, lr = r.lr, S = r.S}
      near(b, r.beta, 1e-8, string.format("S=%d lr=%g", r.S, r.lr))
      assert.are.equal(2 * r.S / r.lr - r.S, approx)
    end
  end)
  it("is exactly 2 for S = 2, a lr = 1 (1 - Exp(1) has E(1-E)^2 = 1)", function()
    near(th.tail_index{a = 1, lr = 1, S = 2}, 2, 1e-10, "S=2")
  end)
  it("scales with a lr only", function()
    near(th.tail_index{a = 2, lr = 0.25, S = 10}, th.tail_index{a = 1, lr = 0.5, S = 10}, 1e-10, "a lr")
  end)
  it("returns nil, reason when there is no stationary law", function()
    local b, msg = th.tail_index{a = 1, lr = 3, S = 1}
    assert.is_nil(b)
    assert.matches("no stationary law", msg)
  end)
  it("rejects bad input", function()
    errs(function() th.tail_index{a = -1, lr = 1, S = 1} end, "tail_index: curvature a must be > 0, got -1")
    assert.has_error(function() th.tail_index{a = 1, lr = 0, S = 1} end)
    errs(function() th.tail_index{a = 1, lr = 1} end, "tail_index: option 'S' is required")
  end)
end)

describe("theory.c_alpha and exit-time laws", function()
  it("c_alpha = 1/(2 int (1-cos y) y^(-1-alpha) dy) (mpmath) to 1e-9", function()
    for _, r in ipairs(ref.c_alpha) do near(th.c_alpha(r.alpha), r.c, 1e-9, "alpha=" .. r.alpha) end
  end)
  it("exit_time_stable is alpha/(c eps^alpha (r-^-alpha + r+^-alpha))", function()
    for _, r in ipairs(ref.c_alpha) do
      if r.alpha < 2 then
        local e = th.exit_time_stable{alpha = r.alpha, eps = 0.05, r_minus = 1, r_plus = 2}
        near(e, r.alpha / (r.c * 0.05 ^ r.alpha * (1 + 2 ^ -r.alpha)), 1e-9, "exit law")
      end
    end
    -- symmetric r
    near(th.exit_time_stable{alpha = 1.5, eps = 0.1, r = 1},
         th.exit_time_stable{alpha = 1.5, eps = 0.1, r_minus = 1, r_plus = 1}, 0, "r")
  end)
  it("truncated_exit_order: l* = ceil(r/b), exponent 1 + l*(alpha-1)", function()
    local e, l = th.truncated_exit_order{alpha = 1.5, r = 1, b = 0.4}
    assert.are.equal(3, l); near(e, 2.5, 1e-15, "exponent")
    e, l = th.truncated_exit_order{alpha = 1.2, r = 1, b = 2}
    assert.are.equal(1, l); near(e, 1.2, 1e-15, "exponent")
  end)
  it("rejects alpha outside (0, 2]", function()
    errs(function() th.c_alpha(2.5) end, "c_alpha: alpha must be in (0, 2], got 2.5")
    assert.has_error(function() th.c_alpha(0) end)
    errs(function() th.exit_time_stable{alpha = 1.5, eps = 0, r = 1} end, "eps must be > 0")
    errs(function() th.truncated_exit_order{alpha = 0.9, r = 1, b = 1} end, "alpha must be in (1, 2]")
    errs(function() th.truncated_exit_order{alpha = 1.5, r = 1, b = 0} end, "b must be > 0")
  end)
end)

describe("theory.stationary (Ziyin et al. Thm 2)", function()
  it("matches an independent numpy evaluation to 1e-12, and says when it diverges", function()
    for _, r in ipairs(ref.thm2) do
      local Sg, info = th.stationary{A = ref.thm2_A, sigma2 = r.sigma2, S = r.S, lr = r.lr, momentum = r.mu}
      if r.diverges then
        assert.is_nil(Sg); assert.matches("diverges", info)
      else
        for i = 1, 2 do for j = 1, 2 do
          near(Sg:get(i, j), r.Sigma[i][j], 1e-12, string.format("mu=%g lr=%g [%d,%d]", r.mu, r.lr, i, j))
        end end
        local tl = 0
        for i = 1, 2 do for j = 1, 2 do tl = tl + ref.thm2_A[i][j] * r.Sigma[j][i] end end
        near(info.test_loss, tl / 2, 1e-12, "test loss")
        near(info.train_loss, tl / 2 + r.sigma2 / 2, 1e-12, "train loss")
      end
    end
  end)
  it("agrees with the exact Kronecker solve (independent method) to 1e-10, d = 1 and 2", function()
    for _, A in ipairs{1.7, ref.thm2_A, nl.tensor.from{{2, 0}, {0, 0.3}}} do
      for _, mu in ipairs{0, 0.5, 0.9} do
        local lmax = th.stability_limit{A = A, S = 5, momentum = mu}
        for _, f in ipairs{0.1, 0.5, 0.9, 0.99} do
          local a = th.stationary{A = A, sigma2 = 0.3, S = 5, lr = f * lmax, momentum = mu}
          local b = th.stationary_exact{A = A, sigma2 = 0.3, S = 5, lr = f * lmax, momentum = mu}
          if type(a) == "number" then near(b, a, 1e-10, "d=1")
          else for i = 1, 2 do for j = 1, 2 do
            local scale = math.sqrt(a:get(1, 1) * a:get(2, 2))
            assert(math.abs(b:get(i, j) - a:get(i, j)) <= 1e-10 * scale,
              string.format("d=2 mu=%g f=%g [%d,%d]: exact %.17g vs Thm 2 %.17g", mu, f, i, j, b:get(i, j), a:get(i, j)))
          end end end
        end
      end
    end
  end)
  it("stability_limit is where both methods stop having a solution", function()
    for _, mu in ipairs{0, 0.5, 0.9} do
      local l = th.stability_limit{A = ref.thm2_A, S = 8, momentum = mu}
      assert.is_not_nil(th.stationary{A = ref.thm2_A, S = 8, lr = l * (1 - 1e-9), momentum = mu})
      assert.is_nil(th.stationary{A = ref.thm2_A, S = 8, lr = l * (1 + 1e-9), momentum = mu})
      assert.is_nil(th.stationary_exact{A = ref.thm2_A, S = 8, lr = l * (1 + 1e-3), momentum = mu})
    end
    -- 1-d closed form without momentum: 2 - lr a (1 + 2/S) = 0
    near(th.stability_limit{A = 2, S = 10}, 2 * 10 / (2 * 12), 1e-12, "1-d limit")
  end)
  it("rejects bad input", function()
    errs(function() th.stationary{A = {{1, 2}, {0, 1}}, S = 1, lr = 0.1} end, "A must be symmetric")
    errs(function() th.stationary{A = {{1, 2, 3}, {0, 1}}, S = 1, lr = 0.1} end, "square")
    errs(function() th.stationary{A = 1, S = 0, lr = 0.1} end, "batch size S must be > 0")
    errs(function() th.stationary{A = 1, S = 1, lr = 0.1, momentum = 1} end, "momentum must be in [0, 1)")
    errs(function() th.stationary{A = -1, S = 1, lr = 0.1} end, "positive semi-definite")
  end)
end)

describe("theory.stationary_exact on a finite data set", function()
  local X = nl.tensor.from(ref.data_X)
  local y = nl.tensor.from(ref.data_y)
  it("matches a numpy Kronecker solve to 1e-9 (with replacement, momentum, weight decay)", function()
    for _, r in ipairs(ref.exact_data) do
      local Sg, info = th.stationary_exact{X = X, y = y, S = r.S, lr = r.lr, momentum = r.mu, weight_decay = r.gamma}
      if r.diverges then
        assert.is_nil(Sg); assert.matches("diverges", info)
      else for i = 1, 2 do
        near(info.wstar:get(i), r.wstar[i], 1e-10, "w*")
        for j = 1, 2 do near(Sg:get(i, j), r.Sigma[i][j], 1e-9, string.format("S=%d lr=%g [%d,%d]", r.S, r.lr, i, j)) end
      end end
    end
  end)
  it("matches noiselab's Monte Carlo of SGD on the data within 3%", function()
    local r = ref.exact_data[1]
    local Sg = th.stationary_exact{X = X, y = y, S = r.S, lr = r.lr}
    local c, se = th.simulate_sgd{X = X, y = y, S = r.S, lr = r.lr, chains = 32, burn = 200, steps = 20000, seed = 7}
    for i = 1, 2 do mc_check(c:get(i, i), se:get(i, i), Sg:get(i, i), "data Var(w_" .. i .. ")") end
  end)
  it("noise_cov of the data matches numpy", function()
    local C = th.noise_cov{X = X, y = y, w = ref.noise_cov_data.w, S = ref.noise_cov_data.S}
    for i = 1, 2 do for j = 1, 2 do near(C:get(i, j), ref.noise_cov_data.C[i][j], 1e-12, "C") end end
  end)
end)

describe("theory.noise_cov (label noise form)", function()
  it("is (A S A + Tr[A S] A + s2 A)/S (1-d by hand)", function()
    near(th.noise_cov{A = 2, Sigma = 0.3, sigma2 = 0.5, S = 4}, (1.2 + 1.2 + 1.0) / 4, 1e-15, "C")
  end)
  it("matches the empirical minibatch-noise covariance of a large Gaussian sample", function()
    -- w = u + delta: the empirical C(w) of N Gaussian samples estimates the closed form with
    -- Sigma = delta delta^T; relative Monte Carlo error ~ sqrt(kurtosis/N) ~ 1% at N = 2e5
    local g = nl.rng.new(11)
    local N = 200000
    local Lc = nl.tensor.from{{1, 0}, {0.5, 0.8}}
    local A = Lc:matmul(Lc:t())
    local X = g:normal{N, 2}:matmul(Lc:t())
    local u = nl.tensor.from{{1}, {-2}}
    local y = (X:matmul(u) + g:normal{N, 1} * 0.7):reshape{N}
    local delta = {0.3, -0.2}
    local Cd = th.noise_cov{X = X, y = y, w = {1 + delta[1], -2 + delta[2]}, S = 3}
    local Sg = {{delta[1] * delta[1], delta[1] * delta[2]}, {delta[2] * delta[1], delta[2] * delta[2]}}
    local Cl = th.noise_cov{A = A, Sigma = Sg, sigma2 = 0.49, S = 3}
    for i = 1, 2 do near(Cd:get(i, i), Cl:get(i, i), 0.03, "C[" .. i .. "," .. i .. "]") end
    assert(math.abs(Cd:get(1, 2) - Cl:get(1, 2)) < 0.03 * math.sqrt(Cl:get(1, 1) * Cl:get(2, 2)))
  end)
end)

describe("Ziyin et al.: simulated Var(w) of minibatch SGD vs Thm 2 (within 3%)", function()
  it("d = 1, S = 10, lr up to 75% of the divergence, without momentum", function()
    local lmax = th.stability_limit{A = 1, S = 10}
    for _, lr in ipairs{0.1, 0.5, 1.0, 1.25} do
      assert(th.tail_index{a = 1, lr = lr, S = 10} > 4)
      local Sg = th.stationary{A = 1, sigma2 = 1, S = 10, lr = lr}
      local c, se = th.simulate_sgd{A = 1, sigma2 = 1, S = 10, lr = lr, chains = 32, burn = 200, steps = 25000, seed = 1}
      mc_check(c, se, Sg, string.format("d=1 lr=%g (%.0f%% of %.3f)", lr, 100 * lr / lmax, lmax))
      -- the continuous-time prediction lr s2/(2S) is off by far more than 3% near divergence
      if lr >= 1 then assert(math.abs(c / (lr / 20) - 1) > 0.5) end
    end
  end)
  it("d = 1 with momentum 0.5", function()
    local lmax = th.stability_limit{A = 1, S = 10, momentum = 0.5}
    for _, f in ipairs{0.1, 0.4, 0.7} do
      local lr = f * lmax
      local Sg = th.stationary{A = 1, sigma2 = 1, S = 10, lr = lr, momentum = 0.5}
      local c, se = th.simulate_sgd{A = 1, sigma2 = 1, S = 10, lr = lr, momentum = 0.5, chains = 32, burn = 300, steps = 25000, seed = 2}
      mc_check(c, se, Sg, string.format("d=1 mu=0.5 lr=%g", lr))
    end
  end)
  it("d = 2, Hessian eigenvalues (1, 0.5), with and without momentum", function()
    local A = nl.tensor.from{{0.75, 0.25}, {0.25, 0.75}} -- eigenvalues 1 and 0.5
    for _, mu in ipairs{0, 0.5} do
      local lmax = th.stability_limit{A = A, S = 10, momentum = mu}
      for _, f in ipairs{0.2, 0.7} do
        local lr = f * lmax
        local Sg = th.stationary{A = A, sigma2 = 1, S = 10, lr = lr, momentum = mu}
        local c, se = th.simulate_sgd{A = A, sigma2 = 1, S = 10, lr = lr, momentum = mu, chains = 32, burn = 300, steps = f > 0.5 and 20000 or 8000, seed = 3}
        for i = 1, 2 do mc_check(c:get(i, i), se:get(i, i), Sg:get(i, i), string.format("d=2 mu=%g lr=%g Var(w_%d)", mu, lr, i)) end
      end
    end
  end)
end)

describe("theory L2 (1-d, weight decay gamma)", function()
  it("optimal_weight_decay matches scipy's bounded minimiser; negative when lr a > 1", function()
    for _, r in ipairs(ref.l2) do
      local g, loss = th.optimal_weight_decay{a = r.a, u = r.u, lr = r.lr, S = r.S, sigma2 = r.sigma2}
      assert(math.abs(g - r.gamma) < 1e-6, string.format("lr=%g: gamma %.10g vs scipy %.10g", r.lr, g, r.gamma))
      assert(loss <= r.loss * (1 + 1e-12), "loss above scipy's minimum")
      near(loss, r.loss, 1e-9, "loss")
      if r.lr * r.a > 1 then assert(g < 0, "expected a negative optimal weight decay at lr = " .. r.lr) end
      if r.lr * r.a < 1 then assert(g > 0) end
    end
  end)
  it("l2_test_loss Sigma matches the simulation of SGD with weight decay within 3%", function()
    for _, gam in ipairs{0.3, -0.2} do
      local loss, Sg = th.l2_test_loss{a = 1, u = 1, gamma = gam, lr = 0.8, S = 10, sigma2 = 1}
      local c, se = th.simulate_sgd{A = 1, u = 1, sigma2 = 1, S = 10, lr = 0.8, weight_decay = gam, chains = 32, burn = 200, steps = 20000, seed = 5}
      mc_check(c, se, Sg, "L2 gamma=" .. gam)
      local K = 1 + gam
      near(loss, 0.5 * (Sg + gam * gam / (K * K)), 1e-14, "test loss")
    end
  end)
  it("returns nil, reason when no weight decay is stable; rejects bad input", function()
    local g, msg = th.optimal_weight_decay{a = 1, u = 1, lr = 3, S = 10}
    assert.is_nil(g); assert.matches("stable", msg)
    errs(function() th.l2_test_loss{a = 0, u = 1, gamma = 0, lr = 1, S = 1} end, "curvature a must be > 0")
    assert.are.equal(math.huge, (th.l2_test_loss{a = 1, u = 1, gamma = 0, lr = 1.9, S = 10, sigma2 = 1}))
  end)
end)
