-- nl.probe: gradient noise against the authors' method in PyTorch (float64, committed by
-- tests/reference/probe_gradient_noise_ref.py) and against the flattened-matrix computation;
-- sharpness against closed forms of a linear least-squares model.
local nl = require "noiselab"
local errors_with = require("tests.helpers").errors_with
local T = nl.tensor

-- The error message contains `frag` (plain text).
local nn = nl.nn
local ref = dofile("tests/reference/probe_gradient_noise.lua")
local REF = "tests/reference/probe/"

local function close(a, b, tol) return math.abs(a - b) <= tol * math.max(1, math.abs(b)) end

-- The reference net: 20-16-16-3, no biases, ReLU, weights from the .npy files.
local function ref_net(dtype)
  local net = nn.Sequential{
    nn.Linear(ref.D, ref.H, {bias = false, dtype = dtype}), nn.ReLU(),
    nn.Linear(ref.H, ref.H, {bias = false, dtype = dtype}), nn.ReLU(),
    nn.Linear(ref.H, ref.C, {bias = false, dtype = dtype})}
  local list = net:parameter_list()
  for i, name in ipairs{"W1", "W2", "W3"} do list[i].param:copy(T.load(REF .. name .. ".npy")) end
  return net
end

local function ref_data(dtype)
  local x = T.load(REF .. "X.npy")
  if dtype == "f64" then x = x:double() end
  return {x = x, y = T.load(REF .. "y.npy"), n = ref.N, classes = ref.C}
end

-- Mohammadi et al. (2015) written out from the formula (not through nl.estim): block sums of
-- k1 consecutive values, eps = 2^-52 inside the logs.
local function mohammadi_direct(v, k1)
  local eps = 2.220446049250313e-16
  local n = (#v // k1) * k1
  local lx, ly = 0, 0
  for b = 0, n // k1 - 1 do
    local s = 0
    for j = 1, k1 do
      local x = v[b * k1 + j]
      s = s + x
      lx = lx + math.log(math.abs(x) + eps)
    end
    ly = ly + math.log(math.abs(s) + eps)
  end
  return 1 / ((ly / (n // k1) - lx / n) / math.log(k1))
end

describe("nl.probe.gradient_noise", function()
  local net, loss, ds
  setup(function()
    net, loss, ds = ref_net("f32"), nn.CrossEntropy(), ref_data("f32")
  end)

  it("equals the authors' method (PyTorch, all minibatch gradients stored)", function()
    local r = nl.probe.gradient_noise(net, loss, ds, {batch = ref.batch})
    assert.are.equal(ref.P, r.batches)
    assert.are.equal(ref.M, r.params)
    assert.are.equal(ref.P * ref.M, r.n)
    assert.are.equal(ref.k1, r.k1)
    -- f32 gradients vs float64 reference: 1e-5 relative
    assert.is_true(close(r.alpha, ref.alpha, 1e-5), ("alpha %.10g vs %.10g"):format(r.alpha, ref.alpha))
    assert.is_true(close(r.alpha_nonzero, ref.alpha_nonzero, 1e-5),
      ("alpha_nonzero %.10g vs %.10g"):format(r.alpha_nonzero, ref.alpha_nonzero))
    assert.are.equal(ref.zero_fraction, r.zero_fraction)
    assert.is_true(close(math.sqrt((r.full_gradient ^ 2):sum()), ref.full_grad_norm, 1e-5))
    for i, v in ipairs(ref.full_grad_first) do
      assert.is_true(math.abs(r.full_gradient:get(i) - v) < 1e-8, "g[" .. i .. "]")
    end
    assert.are.equal(3, #r.layers)
    for i, L in ipairs(ref.layers) do
      assert.are.equal(({"1.weight", "3.weight", "5.weight"})[i], r.layers[i].name)
      assert.is_true(close(r.layers[i].alpha, L.alpha, 1e-5), "layer " .. i)
      assert.are.equal(L.zero_fraction, r.layers[i].zero_fraction)
    end
  end)

  it("the streamed alpha equals the flattened-matrix computation to 1e-12", function()
    local r = nl.probe.gradient_noise(net, loss, ds, {batch = ref.batch, return_matrix = true})
    assert.are.same({ref.P, ref.M}, r.matrix:shape())
    local flat = r.matrix:reshape{-1}
    local a = nl.estim.tail_index(flat, {method = "mohammadi"})
    assert.is_true(math.abs(r.alpha - a) <= 1e-12, ("%.17g vs %.17g"):format(r.alpha, a))
    -- and the formula written out here
    local b = mohammadi_direct(flat:totable(), ref.k1)
    assert.is_true(math.abs(r.alpha - b) <= 1e-10, ("%.17g vs %.17g"):format(r.alpha, b))
    local nz = nl.estim.tail_index(flat, {method = "mohammadi", drop_zeros = true})
    assert.is_true(math.abs(r.alpha_nonzero - nz) <= 1e-12)
    -- per layer: the columns of the layer, minibatch-major
    local off = 1
    for i, p in ipairs(net:parameter_list()) do
      local cols = r.matrix:narrow(2, off, p.numel):contiguous():reshape{-1}
      local la = nl.estim.tail_index(cols, {method = "mohammadi"})
      assert.is_true(math.abs(r.layers[i].alpha - la) <= 1e-12, "layer " .. i)
      off = off + p.numel
    end
    -- zero fraction counted on the matrix
    local zeros = (flat:eq(0)):sum()
    assert.are.equal(zeros / #flat, r.zero_fraction)
  end)

  it("the full gradient is the mean of the minibatch gradients; rows are g_B - g", function()
    local r = nl.probe.gradient_noise(net, loss, ds, {batch = ref.batch, return_matrix = true,
      per_layer = false})
    local params, grads = net:parameters()
    local sum = T.zeros{#params}
    local k = 0
    for xb, yb in nl.data.batches(ds, ref.batch) do
      k = k + 1
      net:zero_grad()
      local out = net:forward(xb)
      loss:forward(out, yb)
      net:backward(xb, loss:backward(out, yb))
      local gb = grads:double()
      sum = sum + gb
      local row = r.matrix:select(1, k) + r.full_gradient
      assert.is_true((row - gb):abs():max() < 1e-15, "row " .. k)
    end
    assert.is_true((sum / k - r.full_gradient):abs():max() < 1e-15)
    assert.are.same({}, r.layers)
  end)

  it("standardized: the matrix with every column divided by its RMS, zeros dropped", function()
    local r = nl.probe.gradient_noise(net, loss, ds, {batch = ref.batch, return_matrix = true,
      standardized = true, per_layer = false})
    local m = r.matrix:totable()
    local P, Mp = ref.P, ref.M
    local flat, const = {}, 0
    local rms = {}
    for j = 1, Mp do
      local s = 0
      for k = 1, P do s = s + m[k][j] ^ 2 end
      rms[j] = math.sqrt(s / P)
      if rms[j] == 0 then const = const + 1 end
    end
    for k = 1, P do
      for j = 1, Mp do flat[#flat + 1] = rms[j] > 0 and m[k][j] / rms[j] or 0 end
    end
    local want = nl.estim.tail_index(T.from(flat), {method = "mohammadi", drop_zeros = true})
    assert.is_true(math.abs(r.alpha_standardized - want) <= 1e-9,
      ("%.17g vs %.17g"):format(r.alpha_standardized, want))
    assert.are.equal(const, r.constant_coordinates)
    -- standardising removes the scale mixing that lowers the pooled estimate
    assert.is_true(r.alpha_standardized > r.alpha)
  end)

  it("restores the training mode and leaves the weights alone", function()
    local p0 = net:parameters():clone()
    net:train()
    nl.probe.gradient_noise(net, loss, ds, {batch = 50, per_layer = false, drop_zeros = false})
    assert.is_true(net.training)
    net:evaluate()
    nl.probe.gradient_noise(net, loss, ds, {batch = 50, per_layer = false, mode = "train"})
    assert.is_false(net.training)
    net:train()
    assert.are.equal(0, (net:parameters() - p0):abs():max())
  end)

  it("rejects bad arguments", function()
    errors_with(function() nl.probe.gradient_noise(net, loss, ds, {batch = 0}) end,
      "batch must be an integer in 1..200, got 0")
    errors_with(function() nl.probe.gradient_noise(net, loss, ds, {mode = "test"}) end,
      'mode must be "eval" or "train", got "test"')
    errors_with(function() nl.probe.gradient_noise(net, loss, ds, {bach = 10}) end,
      "unknown option 'bach'")
    errors_with(function() nl.probe.gradient_noise(net, loss, {x = ds.x}) end,
      "data set {x=, y=} expected")
    errors_with(function() nl.probe.gradient_noise({}, loss, ds) end, "nn module expected")
  end)
end)

-- Linear least squares L(w) = (1/N) Σ (w·x_i − y_i)² (nn.MSE "mean" with one output): the
-- Hessian is (2/N) XᵀX.  X is built so that XᵀX/N = Q diag(lam) Qᵀ exactly, Q a Householder
-- reflection: rows ±sqrt(N lam_j / 2) q_j.
local function quadratic_problem(lam, dtype)
  local d = #lam
  local N = 2 * d
  local v = {}
  for j = 1, d do v[j] = j % 3 - 1 + 0.5 * j end
  local vv = 0
  for j = 1, d do vv = vv + v[j] * v[j] end
  local Q = {}
  for i = 1, d do
    Q[i] = {}
    for j = 1, d do Q[i][j] = (i == j and 1 or 0) - 2 * v[i] * v[j] / vv end
  end
  local rows = {}
  for j = 1, d do
    local s = math.sqrt(N * lam[j] / 2)
    local a, b = {}, {}
    for i = 1, d do a[i] = s * Q[i][j]; b[i] = -s * Q[i][j] end
    rows[#rows + 1] = a
    rows[#rows + 1] = b
  end
  local X = T.from(rows)
  local wstar = {}
  for j = 1, d do wstar[j] = 0.1 * j end
  local y = X:matmul(T.from(wstar):reshape{d, 1})
  if dtype == "f32" then X, y = X:float(), y:float() end
  local net = nn.Linear(d, 1, {bias = false, dtype = dtype})
  net:parameters():copy(T.from(wstar))
  return net, {x = X, y = y, n = N}, N
end

describe("nl.probe.top_hessian_eigenvalue", function()
  it("equals 2·lambda_max(XᵀX/N) for least squares (f64: 1e-8, f32: 1e-3)", function()
    local lam = {3.0, 1.5, 0.7, 0.2, 0.05}
    for _, dt in ipairs{"f64", "f32"} do
      local net, ds = quadratic_problem(lam, dt)
      local w0 = net:parameters():clone()
      local e, info = nl.probe.top_hessian_eigenvalue(net, nn.MSE(), ds,
        {rng = nl.rng.new(1), tol = 1e-12, iters = 500})
      assert.is_truthy(e, info)
      local tol = dt == "f64" and 1e-8 or 1e-3
      assert.is_true(close(e, 2 * 3.0, tol), ("%s: %.12g vs 6"):format(dt, e))
      assert.is_true(info.converged)
      assert.are.equal(0, (net:parameters() - w0):abs():max())
    end
  end)

  it("reports non-convergence as nil, message", function()
    -- two top eigenvalues 1 and 0.999: 2 iterations cannot reach 1e-14
    local net, ds = quadratic_problem({1.0, 0.999, 0.1}, "f64")
    local e, msg = nl.probe.top_hessian_eigenvalue(net, nn.MSE(), ds,
      {rng = nl.rng.new(2), iters = 2, tol = 1e-14})
    assert.is_nil(e)
    assert.matches("did not converge in 2 iterations", msg, 1, true)
  end)
end)

describe("nl.probe.perturbation_sharpness", function()
  it("at the minimum of least squares: E|L(w+nu) - L(w)| = sigma² tr(XᵀX/N)", function()
    -- L(w*+ν) − L(w*) = νᵀ(XᵀX/N)ν ≥ 0, mean σ² Σ lam_j, variance 2σ⁴ Σ lam_j².
    local lam = {}
    for j = 1, 40 do lam[j] = 1 / j end
    local net, ds = quadratic_problem(lam, "f64")
    local sigma, n = 0.01, 400
    local s, info = nl.probe.perturbation_sharpness(net, nn.MSE(), ds,
      {sigma = sigma, n = n, rng = nl.rng.new(11)})
    local tr, tr2 = 0, 0
    for _, l in ipairs(lam) do tr = tr + l; tr2 = tr2 + l * l end
    local mean, se = sigma ^ 2 * tr, sigma ^ 2 * math.sqrt(2 * tr2 / n)
    assert.is_true(math.abs(s - mean) < 4 * se, ("%.6g vs %.6g ± %.2g"):format(s, mean, se))
    assert.is_true(math.abs(info.base) < 1e-25)
    for _, v in ipairs(info.values) do assert.is_true(v >= 0) end
    assert.are.equal(n, #info.values)
    -- sigma = 0: exactly 0
    assert.are.equal(0, (nl.probe.perturbation_sharpness(net, nn.MSE(), ds, {sigma = 0, n = 2})))
  end)
end)

describe("nl.probe.evaluate", function()
  it("loss and accuracy in evaluate mode, mode restored", function()
    local net = ref_net("f64")
    local ds = ref_data("f64")
    net:train()
    local r = nl.probe.evaluate(net, ds, {batch = 64})
    assert.is_true(net.training)
    local out = net:forward(ds.x)
    local pred = out:argmax(2)
    local correct = 0
    for i = 1, ds.n do if pred:get(i) == ds.y:get(i) then correct = correct + 1 end end
    assert.are.equal(correct / ds.n, r.accuracy)
    assert.is_true(close(r.loss, nn.CrossEntropy():forward(out, ds.y), 1e-12))
    assert.are.equal(ds.n, r.n)
  end)
end)

describe("nl.probe.gni_noise", function()
  it("equals the closed form for additive output noise on a linear model", function()
    -- ŷ_i = wᵀx_i + ε_i, L̃ = (1/n) Σ (ŷ_i − y_i)²: the noise is (2/n) Σ_i (ε_i − ε̄_i) x_i with
    -- ε̄_i the mean of sample i's M draws.  The ε are regenerated from a clone of the layer's
    -- generator: one normal per entry, the single pass first, then the M tiled copies.
    local n, d, M, sigma = 6, 3, 4, 0.3
    local x = T.randn({n, d}, nl.rng.new(1))
    local y = T.randn({n, 1}, nl.rng.new(2))
    local g = nl.rng.new(7)
    local net = nn.Sequential{nn.Linear(d, 1, {bias = false, dtype = "f64"}),
      nn.GaussianNoise{sigma = sigma, rng = g}}
    net:parameters():copy(T.from{0.5, -0.25, 1.0})
    local g2 = g:clone()
    local r = nl.probe.gni_noise(net, nn.MSE{reduction = "batchmean"}, x, y, {M = M})
    local e1 = g2:normal(n) * sigma
    local eM = g2:normal(M * n) * sigma
    for j = 1, d do
      local want = 0
      for i = 1, n do
        local eb = 0
        for m = 1, M do eb = eb + eM:get((m - 1) * n + i) end
        want = want + 2 / n * (e1:get(i) - eb / M) * x:get(i, j)
      end
      assert.is_true(math.abs(r.layers[1].noise:get(1, j) - want) < 1e-14, "coordinate " .. j)
    end
  end)

  it("is the gradient of one noisy loss minus that of the M-draw average, weights only", function()
    local g = nl.rng.new(4)
    local net = nn.Sequential{nn.Linear(1, 8, {dtype = "f64", rng = g}), nn.Tanh(),
      nn.GaussianNoise{sigma = 0.1, rng = g}, nn.Linear(8, 1, {dtype = "f64", rng = g})}
    local ds = nl.data.sinusoids{n = 40, rng = g}
    local loss = nn.MSE{reduction = "batchmean"}
    local r = nl.probe.gni_noise(net, loss, ds.x, ds.y, {M = 50, repeats = 30})
    assert.are.equal(2, #r.layers) -- the two weight matrices, no biases
    assert.are.same({30, 8}, r.layers[1].noise:shape())
    assert.are.same({30, 8}, r.layers[2].noise:shape())
    -- with sigma = 0 the noisy loss is the clean loss: the noise vanishes
    local net0 = nn.Sequential{nn.Linear(1, 8, {dtype = "f64", rng = g}), nn.Tanh(),
      nn.GaussianNoise{sigma = 0, rng = g}, nn.Linear(8, 1, {dtype = "f64", rng = g})}
    local r0 = nl.probe.gni_noise(net0, loss, ds.x, ds.y, {M = 5})
    for _, L in ipairs(r0.layers) do assert.is_true(L.noise:abs():max() < 1e-14) end
    -- the noise has mean ~0 over repeats (it is a difference of two unbiased estimates of ∇E L̃)
    -- and is nonzero
    local w = r.layers[2].noise
    assert.is_true(w:abs():max() > 0)
    local m = w:mean(1):abs():max()
    assert.is_true(m < 5 * w:std(1):max() / math.sqrt(30) + 1e-12)
    assert.is_true(net.training)
  end)
end)
