-- nl.sde.simulate: Euler-Maruyama for Brownian / alpha-stable / Pareto driven SDEs and the
-- truncated SGD map, validated against exact laws.  Monte Carlo tolerances are stated next to
-- each assertion (k standard errors of the estimator, with the standard error computed from the
-- sample or from the binomial law of an empirical quantile).
local nl = require "noiselab"
local T = nl.tensor
local th = nl.theory

local here = (debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./")
local qref = dofile(here .. "reference/theory_sde_ref.lua")

local errs = require("tests.helpers").errors_with

local function slope(xs, ys)
  local n, mx, my = #xs, 0, 0
  for i = 1, n do mx = mx + xs[i] / n; my = my + ys[i] / n end
  local sxy, sxx = 0, 0
  for i = 1, n do sxy = sxy + (xs[i] - mx) * (ys[i] - my); sxx = sxx + (xs[i] - mx) ^ 2 end
  return sxy / sxx
end

-- Empirical quantiles of x (divided by scale) against a reference stable law: each within 4
-- binomial standard errors, se = sqrt(q(1-q)/n) / f(x_q).
local function quantile(sorted, q) -- type 7 (linear between order statistics)
  local n = #sorted
  local h = (n - 1) * q + 1
  local lo = math.floor(h)
  local a = sorted:get(lo)
  return lo < n and a + (h - lo) * (sorted:get(lo + 1) - a) or a
end

local function check_quantiles(x, scale, ref, what)
  local n = #x
  local sorted = x:contiguous():sort()
  for _, r in ipairs(ref) do
    local emp = quantile(sorted, r.q) / scale
    local se = math.sqrt(r.q * (1 - r.q) / n) / r.pdf
    assert(math.abs(emp - r.x) <= 4 * se, string.format("%s: quantile %.3f is %.5f, law %.5f (%.1f se)",
      what, r.q, emp, r.x, (emp - r.x) / se))
  end
end

describe("sde.simulate: Ornstein-Uhlenbeck with Brownian noise", function()
  it("mean and variance match the exact law of the Euler chain and the SDE", function()
    local theta, sigma, dt, N, P = 2, 0.5, 2e-3, 500, 40000
    local r = nl.sde.simulate{dt = dt, steps = N, paths = P, x0 = 1, drift = "quadratic", H = theta,
      noise = {kind = "brownian", sigma = sigma}, seed = 1}
    local m, v = r.final:mean(), r.final:var()
    -- Euler chain: X_N = a^N x0 + sigma sqrt(dt) sum a^k Z_k, a = 1 - theta dt (exact)
    local a = 1 - theta * dt
    local mE, vE = a ^ N, sigma ^ 2 * dt * (1 - a ^ (2 * N)) / (1 - a ^ 2)
    -- mean: 4 standard errors sqrt(v/P); variance: 4 se, se = v sqrt(2/(P-1)) (Gaussian)
    assert(math.abs(m - mE) < 4 * math.sqrt(vE / P), string.format("mean %.6f vs %.6f", m, mE))
    assert(math.abs(v - vE) < 4 * vE * math.sqrt(2 / (P - 1)), string.format("var %.6f vs %.6f", v, vE))
    -- the SDE itself (T = 1): exp(-theta T), sigma^2/(2 theta)(1 - exp(-2 theta T)); the Euler
    -- bias O(theta dt) = 0.4% is below the 2% tolerance
    assert(math.abs(m / math.exp(-theta * N * dt) - 1) < 0.02)
    assert(math.abs(v / (sigma ^ 2 / (2 * theta) * (1 - math.exp(-2 * theta * N * dt))) - 1) < 0.02)
  end)
  it("a mix of two Brownian components adds their variances", function()
    local r = nl.sde.simulate{dt = 1e-2, steps = 100, paths = 40000, drift = "zero",
      noise = {{kind = "brownian", sigma = 0.3}, {kind = "brownian", sigma = 0.4}}, seed = 2}
    local v = r.final:var()       -- 0.25 * T with T = 1
    assert(math.abs(v - 0.25) < 4 * 0.25 * math.sqrt(2 / 40000), "var " .. v)
  end)
  it("a Lua drift gives bit-identical paths to the native drift (same seed)", function()
    local opts = function(drift) return {dt = 1e-3, steps = 300, paths = 500, x0 = 0.1, drift = drift, H = 2,
      noise = {kind = "stable", alpha = 1.5, scale = 0.2}, exit = {-0.5, 0.5}, seed = 9} end
    local a = nl.sde.simulate(opts("quadratic"))
    local calls = 0
    local b = nl.sde.simulate(opts(function(x) calls = calls + 1; return x * -2 end))
    assert.are.equal(300, calls)                     -- once per step, all live paths at once
    assert(a.n_exited > 20 and a.n_exited < 480)     -- some paths stop early, the rest go on
    assert.are.equal(a.n_exited, b.n_exited)
    for i = 1, 500 do
      assert.are.equal(a.final:get(i), b.final:get(i))
      local ta, tb = a.exit_time:get(i), b.exit_time:get(i)
      assert(ta == tb or (ta ~= ta and tb ~= tb))
    end
  end)
  it("a path's noise depends on (seed, path, step) only: paths, threads and stream", function()
    local base = {dt = 1e-2, steps = 200, x0 = 0, drift = "double_well", K = 3,
      noise = {kind = "stable", alpha = 1.3, scale = 0.3}, exit = {-1, 1}, seed = 4}
    local function run(extra)
      local o = {}
      for k, v in pairs(base) do o[k] = v end
      for k, v in pairs(extra) do o[k] = v end
      return nl.sde.simulate(o)
    end
    local big = run{paths = 64}
    local small = run{paths = 10}
    local thr = run{paths = 64, threads = 2}
    local shifted = run{paths = 54, stream = 10}
    for i = 1, 10 do assert.are.equal(big.final:get(i), small.final:get(i)) end
    for i = 1, 64 do assert.are.equal(big.final:get(i), thr.final:get(i)) end
    for i = 1, 54 do assert.are.equal(big.final:get(i + 10), shifted.final:get(i)) end
    local other = run{paths = 10, seed = 5}
    local same = 0
    for i = 1, 10 do if other.final:get(i) == small.final:get(i) then same = same + 1 end end
    assert(same < 10)
  end)
end)

describe("sde.simulate: alpha-stable Ornstein-Uhlenbeck", function()
  -- dX = -theta X dt + eps dL^alpha has the stationary law SaS with scale eps (alpha theta)^(-1/alpha)
  -- (X = eps int e^(-theta s) dL_s; the scale^alpha of a stable integral is int |f|^alpha ds).  The
  -- Euler chain X' = a X + eps dt^(1/alpha) S, a = 1 - theta dt, is exactly stable with scale
  -- eps dt^(1/alpha) (1 - a^alpha)^(-1/alpha) once a^N is negligible; that is what we test, and
  -- it is within 0.2% of the SDE's scale at theta dt = 5e-3.
  local theta, eps, dt, N = 5, 0.4, 1e-3, 2000
  local function disc_scale(alpha) return eps * dt ^ (1 / alpha) * (1 - (1 - theta * dt) ^ alpha) ^ (-1 / alpha) end
  it("1-d, alpha = 1.5: stationary quantiles are those of SaS with the predicted scale", function()
    local r = nl.sde.simulate{dt = dt, steps = N, paths = 20000, drift = "quadratic", H = theta,
      noise = {kind = "stable", alpha = 1.5, scale = eps}, seed = 11}
    local s = disc_scale(1.5)
    assert(math.abs(s / (eps * (1.5 * theta) ^ (-1 / 1.5)) - 1) < 0.002)
    check_quantiles(r.final, s, qref["1.5,0.0"], "alpha=1.5")
    -- a 10% wrong scale is detected by the same test
    assert.has_error(function() check_quantiles(r.final, 1.1 * s, qref["1.5,0.0"], "wrong") end)
  end)
  it("1-d, alpha = 1.5: a maximum-likelihood stable fit (nl.estim) recovers (alpha, 0, scale)", function()
    local ok, estim = pcall(function() return nl.estim end)
    if not (ok and estim and estim.fit_stable) then return pending("nl.estim.fit_stable is not available") end
    local r = nl.sde.simulate{dt = dt, steps = N, paths = 2000, drift = "quadratic", H = theta,
      noise = {kind = "stable", alpha = 1.5, scale = eps}, seed = 14}
    local f = estim.fit_stable(r.final, {method = "mle"})
    local s = disc_scale(1.5)
    -- 4 of the fit's own (asymptotic) standard errors
    assert(math.abs(f.alpha - 1.5) < 4 * f.se.alpha, ("alpha %.4f (se %.4f)"):format(f.alpha, f.se.alpha))
    assert(math.abs(f.beta) < 4 * f.se.beta, ("beta %.4f (se %.4f)"):format(f.beta, f.se.beta))
    assert(math.abs(f.scale - s) < 4 * f.se.scale, ("scale %.5f vs %.5f (se %.5f)"):format(f.scale, s, f.se.scale))
  end)
  it("skewed noise (beta = 0.5) keeps beta: stationary law S1(1.5, 0.5, scale)", function()
    local r = nl.sde.simulate{dt = dt, steps = N, paths = 20000, drift = "quadratic", H = theta,
      noise = {kind = "stable", alpha = 1.5, beta = 0.5, scale = eps}, seed = 12}
    check_quantiles(r.final, disc_scale(1.5), qref["1.5,0.5"], "beta=0.5")
  end)
  it("alpha = 1, beta = 0.5 (not strictly stable): L_1 ~ S1(1, 0.5, 1, 0) whatever dt", function()
    -- the Euler increment must be dt S + (2/pi) beta dt log dt; without the log term the law
    -- of L_1 would be shifted by (2/pi) beta log dt (-1.47 at dt = 0.01)
    for _, dt1 in ipairs{0.01, 0.05} do
      local r = nl.sde.simulate{dt = dt1, steps = math.floor(1 / dt1 + 0.5), paths = 20000,
        noise = {kind = "stable", alpha = 1, beta = 0.5, scale = 1}, seed = 15}
      check_quantiles(r.final, 1, qref["1.0,0.5"], "alpha=1 dt=" .. dt1)
    end
  end)
  it("isotropic 2-d noise (alpha = 1.2): every projection is SaS with the same scale", function()
    local P = 10000
    local r = nl.sde.simulate{dt = dt, steps = N, paths = P, x0 = {0, 0}, drift = "quadratic", H = theta,
      noise = {kind = "stable", alpha = 1.2, scale = eps, isotropic = true}, seed = 13}
    assert.are.same({P, 2}, r.final:shape())
    local s = disc_scale(1.2)
    check_quantiles(r.final:select(2, 1):contiguous(), s, qref["1.2,0.0"], "iso x1")
    check_quantiles(r.final:select(2, 2):contiguous(), s, qref["1.2,0.0"], "iso x2")
    local diag = (r.final:select(2, 1) + r.final:select(2, 2)) / math.sqrt(2)
    check_quantiles(diag, s, qref["1.2,0.0"], "iso (x1+x2)/sqrt2")
    -- independent components would give (x1+x2)/sqrt2 a scale 2^(1/1.2 - 1/2) = 1.26 times
    -- larger: the test tells the two constructions apart
    local ind = nl.sde.simulate{dt = dt, steps = N, paths = P, x0 = {0, 0}, drift = "quadratic", H = theta,
      noise = {kind = "stable", alpha = 1.2, scale = eps}, seed = 13}
    local d2 = (ind.final:select(2, 1) + ind.final:select(2, 2)) / math.sqrt(2)
    assert.has_error(function() check_quantiles(d2, s, qref["1.2,0.0"], "indep") end)
  end)
end)

describe("sde.simulate: exit times of SaS-driven gradient flow (Imkeller-Pavlyukevich law)", function()
  it("mean exit from (-1, 1) within 20% of alpha/(c eps^alpha (1 + 1)) and slope vs eps within 0.1 of -alpha", function()
    -- f'(x) = K(x - x^3), K = 10, dt = 5e-3 (K dt = 0.05); 1000 paths: se of each mean ~3%
    local alpha, xs, ys = 1.5, {}, {}
    for _, eps in ipairs{0.05, 0.07, 0.1, 0.14} do
      local r = nl.sde.simulate{dt = 5e-3, steps = 4e6, paths = 1000, x0 = 0, drift = "double_well", K = 10,
        noise = {kind = "stable", alpha = alpha, scale = eps}, exit = {-1, 1}, seed = 3, threads = 2}
      assert.are.equal(1000, r.n_exited)
      local m = r.exit_time:mean()
      local law = th.exit_time_stable{alpha = alpha, eps = eps, r = 1}
      assert(math.abs(m / law - 1) < 0.2, string.format("eps=%g: mean exit %.4g vs law %.4g", eps, m, law))
      xs[#xs + 1] = math.log(eps); ys[#ys + 1] = math.log(m)
      -- every exit overshoots the boundary it crossed
      local pos, ov = r.exit_position, r.overshoot
      for i = 1, 50 do
        local x = pos:get(i)
        assert(math.abs(x) >= 1 and math.abs(ov:get(i) - (math.abs(x) - 1)) < 1e-12)
      end
    end
    local s = slope(xs, ys)
    assert(math.abs(s + alpha) < 0.1, "log-log slope " .. s)
  end)
end)

describe("sde.simulate: truncated heavy-tailed SGD (Wang, Oh, Rhee)", function()
  it("mean exit time ~ eta^-(1 + l*(alpha-1)): slopes within 0.2 for l* = 1, 2, 3", function()
    -- X <- X + phi_b(eta(-K X + Z)), K = 4, Z symmetric Pareto(alpha = 1.3, scale 0.3), exit from
    -- (-1, 1), clip b = 1.5, 0.7, 0.45 -> l* = 1, 2, 3.  The eta ranges keep the exit times
    -- between ~1e3 and ~6e4 steps, where the local slopes have reached their limits (checked
    -- on finer grids, docs/sde.md).  Exit times are roughly exponential, so the se of a mean of
    -- n paths is ~1/sqrt(n): 400 paths (800 for l* = 3, whose eta range is shortest) give a
    -- slope se of ~0.07, and the 0.2 tolerance is ~3 se.
    local alpha = 1.3
    local got = {}
    for _, c in ipairs{{b = 1.5, etas = {0.02, 0.01, 0.005}, n = 400}, {b = 0.7, etas = {0.05, 0.025, 0.0125}, n = 400},
                       {b = 0.45, etas = {0.1, 0.07, 0.05}, n = 800}} do
      local xs, ys = {}, {}
      for _, eta in ipairs(c.etas) do
        local r = nl.sde.simulate{eta = eta, steps = 1e7, paths = c.n, x0 = 0, drift = "quadratic", H = 4,
          noise = {kind = "pareto", alpha = alpha, scale = 0.3}, clip = c.b, exit = {-1, 1}, seed = 21, threads = 2}
        assert.are.equal(c.n, r.n_exited)
        xs[#xs + 1] = math.log(1 / eta); ys[#ys + 1] = math.log(r.exit_time:mean())
      end
      local e, l = th.truncated_exit_order{alpha = alpha, r = 1, b = c.b}
      local s = slope(xs, ys)
      got[l] = s
      assert(math.abs(s - e) < 0.2, string.format("l*=%d: slope %.3f, expected %.3f", l, s, e))
    end
    assert(got[3] > got[2] and got[2] > got[1])
  end)
  it("the SGD map without noise is gradient descent; clipping caps each step", function()
    local r = nl.sde.simulate{eta = 0.1, steps = 10, paths = 1, x0 = 1, drift = "quadratic", H = 2, record = 1}
    for k = 0, 10 do assert(math.abs(r.trajectory:get(1, k + 1) - 0.8 ^ k) < 1e-14) end
    local c = nl.sde.simulate{eta = 0.5, steps = 3, paths = 1, x0 = 10, drift = "quadratic", H = 1, clip = 0.25, record = 1}
    for k = 0, 3 do assert(math.abs(c.trajectory:get(1, k + 1) - (10 - 0.25 * k)) < 1e-14) end
    -- norm clipping in 2-d keeps the direction; per-coordinate clipping does not
    local n = nl.sde.simulate{eta = 1, steps = 1, paths = 1, x0 = {3, 4}, drift = "quadratic", H = 1, clip = {b = 1, kind = "norm"}}
    assert(math.abs(n.final:get(1, 1) - 2.4) < 1e-14 and math.abs(n.final:get(1, 2) - 3.2) < 1e-14)
    local k = nl.sde.simulate{eta = 1, steps = 1, paths = 1, x0 = {3, 4}, drift = "quadratic", H = 1, clip = {b = 1, kind = "coord"}}
    assert(k.final:get(1, 1) == 2 and k.final:get(1, 2) == 3)
  end)
end)

describe("sde.simulate: events, occupancy, recording", function()
  it("ball exit in 2-d: position outside, overshoot = |x| - r, stopped paths keep their exit state", function()
    local r = nl.sde.simulate{dt = 1e-2, steps = 2000, paths = 200, x0 = {0, 0}, drift = "quadratic", H = 1,
      noise = {kind = "stable", alpha = 1.5, scale = 0.3, isotropic = true}, exit = {ball = 1}, seed = 6, record = 100}
    assert(r.n_exited > 10)
    for i = 1, 200 do
      if r.exited:get(i) == 1 then
        local x, y = r.exit_position:get(i, 1), r.exit_position:get(i, 2)
        local n = math.sqrt(x * x + y * y)
        assert(n >= 1 and math.abs(r.overshoot:get(i) - (n - 1)) < 1e-12)
        assert.are.equal(x, r.final:get(i, 1))
        local t = r.exit_time:get(i)
        assert(t > 0 and t <= 20 + 1e-9)
        -- the trajectory is NaN after the stop
        local last = 21
        assert(r.trajectory:get(i, last, 1) ~= r.trajectory:get(i, last, 1) or t >= 20 - 1e-9)
      else
        assert(r.exit_time:get(i) ~= r.exit_time:get(i)) -- NaN
      end
    end
    assert.are.same({200, 21, 2}, r.trajectory:shape())
  end)
  it("sde.drift evaluates the native drifts (values by hand)", function()
    local b = nl.sde.drift(T.from{-0.5, 0.1, 1.1, 1.3, 3}, {drift = "multi_well", minima = {-1, 0.5, 2},
      edges = {0, 1.2}, curvature = {1, 4, 2}})
    -- b = -k_i (x - m_i) in the basin of x, written exactly as the kernel rounds it
    assert.are.same({-1 * (-0.5 - -1), -4 * (0.1 - 0.5), -4 * (1.1 - 0.5), -2 * (1.3 - 2), -2 * (3 - 2)}, b:totable())
    local q = nl.sde.drift(T.from{{1, 2}}, {drift = "quadratic", H = {{2, 1}, {1, 3}}, center = {0, 1}})
    assert.are.same({{-3, -4}}, q:totable())
    local w = nl.sde.drift(T.from{0.5, 2}, {drift = "double_well", K = 3})
    assert.are.same({-3 * (0.5 - 0.125), -3 * (2 - 8)}, w:totable())
    errs(function() nl.sde.drift(T.from{1}, {drift = "bowl"}) end, "drift: unknown drift \"bowl\"")
  end)
  it("multi_well drift and basin occupancy", function()
    -- minima -1, 0.5, 2 with edges 0 and 1.2: without noise every path goes to its basin's minimum
    local x0 = T.from{{-0.5}, {0.1}, {1.1}, {1.3}, {3}}
    local r = nl.sde.simulate{dt = 0.05, steps = 400, paths = 5, x0 = x0, drift = "multi_well",
      minima = {-1, 0.5, 2}, edges = {0, 1.2}, curvature = {1, 4, 2}, basins = {{-10, 0}, {0, 1.2}, {1.2, 10}}}
    local want = {-1, 0.5, 0.5, 2, 2}
    for i = 1, 5 do assert(math.abs(r.final:get(i) - want[i]) < 1e-6, "path " .. i) end
    local occ = r.occupancy
    assert.are.same({5, 3}, occ:shape())
    local home = {1, 2, 2, 3, 3}
    for i = 1, 5 do assert.are.equal(1, occ:get(i, home[i])) end
    -- with noise the fractions of disjoint covering basins sum to 1
    local n = nl.sde.simulate{dt = 0.01, steps = 3000, paths = 50, x0 = 0.5, drift = "multi_well",
      minima = {-1, 0.5, 2}, edges = {0, 1.2}, curvature = 3, basins = {{-math.huge, 0}, {0, 1.2}, {1.2, math.huge}},
      noise = {kind = "stable", alpha = 1.2, scale = 0.4}, seed = 8}
    for i = 1, 50 do
      local s = n.occupancy:get(i, 1) + n.occupancy:get(i, 2) + n.occupancy:get(i, 3)
      assert(math.abs(s - 1) < 1e-12)
    end
    assert(n.occupancy_mean[1] > 0 and n.occupancy_mean[3] > 0)
  end)
  it("takes a non-contiguous paths x d tensor as x0 and an f32 drift", function()
    local x0 = T.from{{1, 2, 3}, {4, 5, 6}}:t()          -- 3 paths x 2, strides (1, 3)
    assert.is_false(x0:is_contiguous())
    local r = nl.sde.simulate{dt = 0.5, steps = 1, paths = 3, x0 = x0, drift = function(x) return (x * -1):float() end}
    for p = 1, 3 do for j = 1, 2 do assert.are.equal(x0:get(p, j) * 0.5, r.final:get(p, j)) end end
  end)
  it("checks the memory a recording needs before allocating", function()
    errs(function() nl.sde.simulate{dt = 1, steps = 1e6, paths = 1e6, record = 1, max_memory = 1e9} end,
      "trajectory 8000008000000 = paths 1000000 x records 1000001 x d 1 x 8")
    errs(function() nl.sde.simulate{dt = 1, steps = 1e6, paths = 1e6, record = 1, max_memory = 1e9} end,
      "more than max_memory = 1000000000 bytes")
  end)
end)

describe("sde.simulate: bad input", function()
  it("rejects dt <= 0, alpha outside (0, 2], b <= 0, overlapping basins", function()
    errs(function() nl.sde.simulate{dt = 0, steps = 1} end, "dt must be a finite number > 0, got 0")
    errs(function() nl.sde.simulate{dt = -1, steps = 1} end, "dt must be a finite number > 0")
    errs(function() nl.sde.simulate{eta = 0, steps = 1} end, "eta must be a finite number > 0")
    errs(function() nl.sde.simulate{dt = 1, steps = 1, noise = {kind = "stable", alpha = 2.5}} end, "alpha must be in (0, 2], got 2.5")
    errs(function() nl.sde.simulate{dt = 1, steps = 1, noise = {kind = "stable", alpha = 0}} end, "alpha must be in (0, 2]")
    errs(function() nl.sde.simulate{dt = 1, steps = 1, noise = {kind = "stable", alpha = 1.5, beta = 2}} end, "beta must be in [-1, 1]")
    errs(function() nl.sde.simulate{eta = 1, steps = 1, clip = 0} end, "clip level b must be > 0")
    errs(function() nl.sde.simulate{eta = 1, steps = 1, clip = {b = -1}} end, "clip level b must be > 0")
    errs(function() nl.sde.simulate{dt = 1, steps = 1, basins = {{0, 1}, {0.5, 2}}} end, "basins 1 {0, 1} and 2 {0.5, 2} overlap")
    errs(function() nl.sde.simulate{dt = 1, steps = 1, exit = {1, -1}} end, "exit interval must have lo < hi")
    errs(function() nl.sde.simulate{dt = 1, steps = 1, x0 = {0, 0}, exit = {-1, 1}} end, "an interval exit needs d = 1")
    errs(function() nl.sde.simulate{dt = 1, steps = 1, drift = "quadratic"} end, "needs H")
    errs(function() nl.sde.simulate{dt = 1, steps = 1, drift = "bowl"} end, "unknown drift \"bowl\"")
    errs(function() nl.sde.simulate{dt = 1, steps = 1, noise = {kind = "levy"}} end, "noise kind must be")
    errs(function() nl.sde.simulate{dt = 1} end, "option 'steps' (>= 0) is required")
    errs(function() nl.sde.simulate{dt = 1, steps = 1, drift = "multi_well", minima = {0, 1}, edges = {2}} end,
      "edge 1 (2) must lie between minima")
  end)
  it("a Lua drift of the wrong shape or with non-finite values: says which step and how many paths", function()
    errs(function() nl.sde.simulate{dt = 1, steps = 5, paths = 4, drift = function(x) return T.zeros{3} end} end,
      "drift returned shape [3] at step 1, expected [4]")
    errs(function() nl.sde.simulate{dt = 1, steps = 5, paths = 4, x0 = {0, 0}, drift = function(x) return T.zeros{4} end} end,
      "expected [4,2]")
    errs(function() nl.sde.simulate{dt = 1, steps = 5, paths = 4, drift = function(x) return 1 end} end,
      "drift must return a tensor, got number at step 1")
    errs(function()
      nl.sde.simulate{dt = 1, steps = 5, paths = 4, drift = function(x, step)
        local b = T.zeros{4}
        if step == 3 then b:set(2, 0 / 0); b:set(4, math.huge) end
        return b
      end}
    end, "drift returned non-finite values at step 3 for 2 of 4 live paths")
  end)
end)
