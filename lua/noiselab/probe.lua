--- noiselab.probe: measurements on a network during training.
--
-- * gradient_noise: minibatch gradient noise U_k = g_{B_k} − g, g = (1/P) Σ_k g_{B_k}, over a fixed
--   partition of the data (Simsekli, Sagun & Gürbüzbalaban, ICML 2019, and their code
--   umutsimsekli/sgd_tail_index), streamed into the Mohammadi et al. (2015) estimator of
--   nl.estim: the P × M noise matrix (minibatch-major, parameters in parameter order) is never
--   held unless return_matrix = true.  Two passes over the data: one for g, one for the U_k.
--   U_k is formed in f64 from the f32 gradients (g accumulated in f64), so the estimate does not
--   depend on summation order.  Verified (tests/probe_spec.lua): α̂ equals the authors' method
--   run in PyTorch float64 (tests/reference/probe_gradient_noise_ref.py) to 2.8e−7 relative (our
--   gradients are f32), and nl.estim.tail_index on the flattened returned matrix exactly
--   (asserted ≤ 1e−12); g equals the mean of the minibatch gradients to 1e−15.
-- * gni_noise: the implicit-effect noise of Gaussian noise injections,
--   ∇_w(L̃(w, ε) − L̃_M(w)) (Camuto et al., ICML 2021), L̃_M the loss averaged over M noise draws
--   (the batch tiled M times, nn.noisy_loss_average), per weight matrix.  Verified against the
--   closed form (2/n) Σ_i (ε_i − ε̄_i) x_i of additive output noise on a linear model (1e−14).
-- * top_hessian_eigenvalue: power iteration (von Mises) on Hessian-vector products obtained by
--   central differences of gradients, Hv ≈ (∇L(w + εv) − ∇L(w − εv)) / (2ε) (error O(ε²), exact
--   for quadratic losses up to rounding; cf. Pearlmutter 1994 for the exact R-operator, which
--   needs second-order code in every layer).  Verified against the closed form 2·λ_max(XᵀX/N)
--   of linear least squares: 2.5e−13 relative in f64, 2e−6 in f32.
-- * perturbation_sharpness: mean |L(w + ν) − L(w)|, ν ~ N(0, σ²I) (Wang, Oh & Rhee 2022,
--   following Zhu et al. 2019).  Verified against σ² tr(XᵀX/N) at the minimum of least squares
--   (within the 4-standard-error band of 400 draws).
-- * evaluate: loss and accuracy in evaluate mode.
local T = require "noiselab.tensor"
local data = require "noiselab.data"

local M = {}

local function lazy(name)
  return setmetatable({}, {__index = function(_, k) return require(name)[k] end})
end
local estim = lazy "noiselab.estim"

-- options tables are checked as in nl.data (the options are not always argument 1 here); a
-- tail call, so the error level still blames the caller of the public function
local function check_opts(opts, fname, allowed)
  return data._check_opts(opts, fname, allowed, "")
end

local function check_net(net, loss, fname)
  if type(net) ~= "table" or type(net.forward) ~= "function" or type(net.parameters) ~= "function" then
    error(("bad argument #1 to '%s' (nn module expected, got %s)"):format(fname, type(net)), 3)
  end
  if loss ~= nil and (type(loss) ~= "table" or type(loss.forward) ~= "function") then
    error(("bad argument #2 to '%s' (loss module expected, got %s)"):format(fname, type(loss)), 3)
  end
end

local function check_data(ds, fname, argn)
  if type(ds) ~= "table" or ds.x == nil or ds.y == nil then
    error(("bad argument #%d to '%s' (data set {x=, y=} expected, got %s)")
      :format(argn or 3, fname, type(ds)), 3)
  end
end

-- Mode handling: remember whether the net was training, switch, and restore afterwards.
local function is_training(net)
  if type(net.is_training) == "function" then return net:is_training() end
  if net.training ~= nil then return net.training and true or false end
  return true
end

local function set_mode(net, training)
  if training then net:train() else net:evaluate() end
end

local function with_mode(net, training, f)
  local was = is_training(net)
  set_mode(net, training)
  local ok, a, b, c = pcall(f)
  set_mode(net, was)
  if not ok then error(a, 0) end
  return a, b, c
end

-- One minibatch gradient into the net's flat gradient vector; returns the loss value.
local function minibatch_grad(net, loss, xb, yb)
  net:zero_grad()
  local out = net:forward(xb)
  local l = loss:forward(out, yb)
  net:backward(xb, loss:backward(out, yb))
  return l
end

-- dst (a tensor) <- src (a tensor of the same shape, any dtype), in place.
local function assign(dst, src)
  dst:copy(src)
end

local function nbatches(n, b) return (n + b - 1) // b end

-- A new f64 tensor with t's values (t:double() returns t itself when it is already f64).
local function f64copy(t)
  if t:dtype() == "f64" then return t:clone() end
  return t:double()
end

--- nl.probe.full_gradient(net, loss, data, {batch=100, weighted=false}) -> f64 tensor g, P
-- g = (1/P) Σ_k g_{B_k} over the fixed partition into P minibatches (Simsekli et al.); with
-- weighted = true, g = Σ_k (|B_k|/N) g_{B_k}, the gradient of the mean loss over all samples
-- (the two agree when the batch size divides N).
function M.full_gradient(net, loss, ds, opts)
  check_net(net, loss, "full_gradient")
  check_data(ds, "full_gradient")
  opts = opts or {}
  local batch = opts.batch or 100
  local n = ds.x:shape()[1]
  local _, grads = net:parameters()
  local g, U = T.zeros{#grads}, T.zeros{#grads}
  local P = 0
  for xb, yb in data.batches(ds, batch) do
    minibatch_grad(net, loss, xb, yb)
    U:copy(grads) -- f32 -> f64 into a buffer kept across batches
    if opts.weighted then U:mul_(xb:shape()[1] / n) end
    g:add_(U)
    P = P + 1
  end
  if not opts.weighted then g:div_(P) end
  return g, P
end

--- nl.probe.gradient_noise(net, loss, data, {batch=100, per_layer=true, drop_zeros=true,
--    return_matrix=false, mode="eval", k1=, standardized=false})
-- -> {alpha=, zero_fraction=, n=, k1=, alpha_nonzero=, k1_nonzero=, batches=P, params=M,
--     alpha_standardized= (standardized=true: a third pass, each coordinate divided by its RMS
--     across minibatches, exact zeros dropped), constant_coordinates=,
--     layers = {{name=, alpha=, alpha_nonzero=, zero_fraction=, numel=}...}, full_gradient=g,
--     matrix = P x M f64 (only with return_matrix)}
-- alpha is the faithful Simsekli et al. estimate (all P·M scalars pooled, K1 = largest divisor
-- of P·M not above √(P·M)); alpha = nil and `error` set if the estimator is undefined.
function M.gradient_noise(net, loss, ds, opts)
  check_net(net, loss, "gradient_noise")
  check_data(ds, "gradient_noise")
  opts = check_opts(opts, "gradient_noise", {batch = true, per_layer = true, drop_zeros = true,
    return_matrix = true, mode = true, k1 = true, standardized = true})
  local batch = opts.batch or 100
  local mode = opts.mode or "eval"
  if mode ~= "eval" and mode ~= "train" then
    error(("bad argument #4 to 'gradient_noise' (mode must be \"eval\" or \"train\", got %q)")
      :format(tostring(mode)), 2)
  end
  local n = ds.x:shape()[1]
  if math.type(batch) ~= "integer" or batch < 1 or batch > n then
    error(("bad argument #4 to 'gradient_noise' (batch must be an integer in 1..%d, got %s)")
      :format(n, tostring(batch)), 2)
  end
  return with_mode(net, mode == "train", function()
    local _, grads = net:parameters()
    local Mp = #grads
    local P = nbatches(n, batch)
    local g = M.full_gradient(net, loss, ds, {batch = batch})
    local N = P * Mp
    -- Accumulators that cannot be made (e.g. N prime: no K1 >= 2 divides it) or whose result
    -- is undefined are reported as an error string instead of an alpha.
    local function new_acc(o)
      local ok, a = pcall(estim.mohammadi_accumulator, o)
      if ok then return a end
      return {err = a}
    end
    local function result(a)
      if a.err then return nil, a.err end
      local ok, v, info = pcall(a.result, a)
      if ok then return v, info end
      return nil, v
    end
    local function push(a, t) if not a.err then a:push(t) end end
    local acc = new_acc{n = N, k1 = opts.k1}
    local acc_nz = opts.drop_zeros ~= false and new_acc{n = N, drop_zeros = true} or nil
    local layers = {}
    if opts.per_layer ~= false then
      for _, p in ipairs(net:parameter_list()) do
        local L = {name = p.name, offset = p.offset + 1, numel = p.numel, is_weight = p.is_weight}
        L.acc = new_acc{n = P * p.numel}
        if opts.drop_zeros ~= false then L.acc_nz = new_acc{n = P * p.numel, drop_zeros = true} end
        layers[#layers + 1] = L
      end
    end
    local matrix = opts.return_matrix and T.zeros{P, Mp} or nil
    local U = T.zeros{Mp}
    local S2 = opts.standardized and T.zeros{Mp} or nil
    local k = 0
    for xb, yb in data.batches(ds, batch) do
      minibatch_grad(net, loss, xb, yb)
      k = k + 1
      U:copy(grads):sub_(g) -- U_k = g_B - g in f64
      if S2 then S2:add_(U * U) end
      push(acc, U)
      if acc_nz then push(acc_nz, U) end
      for _, L in ipairs(layers) do
        local u = U:narrow(1, L.offset, L.numel)
        push(L.acc, u)
        if L.acc_nz then push(L.acc_nz, u) end
      end
      if matrix then matrix:select(1, k):copy(U) end
    end
    local r = {batches = P, params = Mp, full_gradient = g, matrix = matrix, n = N}
    if S2 then
      -- Pass 3: every coordinate divided by its RMS across the minibatches (the columns of U
      -- have mean 0 by construction), so coordinates of different scales pool fairly; columns
      -- that are identically 0 stay 0 and, like every exact zero, are dropped.
      local rms = (S2 / P):sqrt()
      local inv = T.where(rms:gt(0), rms:reciprocal(), T.zeros{Mp})
      local acc_std = new_acc{n = N, drop_zeros = true}
      for xb, yb in data.batches(ds, batch) do
        minibatch_grad(net, loss, xb, yb)
        U:copy(grads):sub_(g):mul_(inv)
        push(acc_std, U)
      end
      local c, inf3 = result(acc_std)
      if c then r.alpha_standardized = c else r.error_standardized = inf3 end
      r.constant_coordinates = (rms:eq(0)):sum()
    end
    local a, info = result(acc)
    if a then
      r.alpha, r.k1, r.zero_fraction = a, info.k1, info.zero_fraction
    else
      r.error = info
    end
    if acc_nz then
      local b, inf2 = result(acc_nz)
      if b then
        r.alpha_nonzero, r.k1_nonzero = b, inf2.k1
        r.zero_fraction = r.zero_fraction or inf2.zero_fraction
      else
        r.error_nonzero = inf2
      end
    end
    r.layers = {}
    for _, L in ipairs(layers) do
      local row = {name = L.name, numel = L.numel, is_weight = L.is_weight}
      local la, li = result(L.acc)
      if la then row.alpha, row.zero_fraction, row.k1 = la, li.zero_fraction, li.k1
      else row.error = li end
      if L.acc_nz then
        local lb, lj = result(L.acc_nz)
        if lb then
          row.alpha_nonzero = lb
          row.zero_fraction = row.zero_fraction or lj.zero_fraction
        else
          row.error_nonzero = lj
        end
      end
      r.layers[#r.layers + 1] = row
    end
    return r
  end)
end

--- nl.probe.gni_noise(net, loss, x, y, {M=100, layers="weights"|list of names, repeats=1})
-- Camuto et al. (2021): with the net in training mode (noise layers active),
--   noise = ∇_w L̃(w, ε) − ∇_w L̃_M(w),
-- L̃ the loss of one noisy forward pass of the batch, L̃_M the loss of the batch tiled M times
-- (M independent noise draws; a mean-reduced loss then averages over the draws).
-- -> {layers = {{name=, noise = f64 tensor (repeats x numel), shape=}...}, M=}
function M.gni_noise(net, loss, x, y, opts)
  check_net(net, loss, "gni_noise")
  opts = check_opts(opts, "gni_noise", {M = true, layers = true, repeats = true})
  local Mt = opts.M or 100
  local R = opts.repeats or 1
  if math.type(Mt) ~= "integer" or Mt < 1 then
    error("bad argument #5 to 'gni_noise' (M must be an integer >= 1)", 2)
  end
  local sel = {}
  local plist = net:parameter_list()
  if type(opts.layers) == "table" then
    local want = {}
    for _, nm in ipairs(opts.layers) do want[nm] = true end
    for _, p in ipairs(plist) do if want[p.name] then sel[#sel + 1] = p end end
  else
    for _, p in ipairs(plist) do if p.is_weight then sel[#sel + 1] = p end end
  end
  if #sel == 0 then error("gni_noise: no parameter matches the layers option", 2) end
  local nn = require "noiselab.nn"
  return with_mode(net, true, function()
    local _, grads = net:parameters()
    local out = {}
    for i, p in ipairs(sel) do
      out[i] = {name = p.name, numel = p.numel, shape = p.param:shape(), noise = T.zeros{R, p.numel}}
    end
    local d, gM = T.zeros{#grads}, T.zeros{#grads}
    for r = 1, R do
      minibatch_grad(net, loss, x, y)
      d:copy(grads)
      net:zero_grad()
      nn.noisy_loss_average(net, loss, x, y, Mt)
      d:sub_(gM:copy(grads))
      for i, p in ipairs(sel) do
        out[i].noise:select(1, r):copy(d:narrow(1, p.offset + 1, p.numel))
      end
    end
    return {layers = out, M = Mt}
  end)
end

-- Full-data loss (mean over all samples; batches weighted by their size).
local function data_loss(net, loss, ds, batch)
  local n = ds.x:shape()[1]
  local s = 0
  for xb, yb in data.batches(ds, batch) do
    local out = net:forward(xb)
    s = s + loss:forward(out, yb) * xb:shape()[1]
  end
  return s / n
end

local function randn_like(Mp, rng)
  if rng then return rng:normal(Mp) end
  return T.randn{Mp}
end

local function norm(v) return math.sqrt((v * v):sum()) end

--- nl.probe.top_hessian_eigenvalue(net, loss, data, {iters=100, tol=1e-6, rng=, eps=,
--    batch=1000, mode="eval"}) -> lambda, info {iters=, converged=, vector=, eps=}
-- Largest-magnitude eigenvalue of the Hessian of the mean loss over the whole data set, by
-- power iteration with Rayleigh quotients; Hv by central differences of the gradient with
-- step eps·v (‖v‖ = 1; default eps = 1e-3·max(1, ‖w‖) for f32 parameters, 1e-5·max(1, ‖w‖)
-- for f64).  Not converged within iters: nil, message, info.
function M.top_hessian_eigenvalue(net, loss, ds, opts)
  check_net(net, loss, "top_hessian_eigenvalue")
  check_data(ds, "top_hessian_eigenvalue")
  opts = check_opts(opts, "top_hessian_eigenvalue", {iters = true, tol = true, rng = true,
    eps = true, batch = true, mode = true})
  local iters = opts.iters or 100
  local tol = opts.tol or 1e-6
  local batch = opts.batch or 1000
  local params = net:parameters()
  local Mp = #params
  local w0 = f64copy(params)
  local wnorm = norm(w0)
  local eps = opts.eps or ((params:dtype() == "f32" and 1e-3 or 1e-5) * math.max(1, wnorm))
  return with_mode(net, (opts.mode or "eval") == "train", function()
    local function grad_at(w)
      assign(params, w)
      return M.full_gradient(net, loss, ds, {batch = batch, weighted = true})
    end
    local function hvp(v)
      local gp = grad_at(w0 + v * eps)
      local gm = grad_at(w0 - v * eps)
      return (gp - gm) / (2 * eps)
    end
    local v = randn_like(Mp, opts.rng):double()
    v = v / norm(v)
    local lambda, prev = nil, nil
    local converged, it = false, 0
    local ok, err = pcall(function()
      for i = 1, iters do
        it = i
        local hv = hvp(v)
        lambda = (hv * v):sum()
        local hn = norm(hv)
        if hn == 0 then converged = true; break end
        v = hv / hn
        if prev and math.abs(lambda - prev) <= tol * math.abs(lambda) then
          converged = true
          break
        end
        prev = lambda
      end
    end)
    assign(params, w0)
    if not ok then error(err, 0) end
    local info = {iters = it, converged = converged, vector = v, eps = eps}
    if not converged then
      return nil, ("power iteration did not converge in %d iterations (last estimate %g)")
        :format(it, lambda), info
    end
    return lambda, info
  end)
end

--- nl.probe.perturbation_sharpness(net, loss, data, {sigma=0.01, n=10, rng=, batch=1000})
-- -> mean over n draws of |L(w + ν) − L(w)|, ν ~ N(0, σ² I) over all parameters; info
-- {values = list of L(w+ν) − L(w), base = L(w), stderr=}.  Evaluate mode; w restored.
function M.perturbation_sharpness(net, loss, ds, opts)
  check_net(net, loss, "perturbation_sharpness")
  check_data(ds, "perturbation_sharpness")
  opts = check_opts(opts, "perturbation_sharpness", {sigma = true, n = true, rng = true, batch = true})
  local sigma = opts.sigma or 0.01
  local ndraw = opts.n or 10
  if not (sigma >= 0) then error("bad argument #4 to 'perturbation_sharpness' (sigma must be >= 0)", 2) end
  if math.type(ndraw) ~= "integer" or ndraw < 1 then
    error("bad argument #4 to 'perturbation_sharpness' (n must be an integer >= 1)", 2)
  end
  local batch = opts.batch or 1000
  local params = net:parameters()
  local Mp = #params
  local w0 = params:clone()
  return with_mode(net, false, function()
    local base = data_loss(net, loss, ds, batch)
    local vals, s, s2 = {}, 0, 0
    local ok, err = pcall(function()
      for i = 1, ndraw do
        local nu = randn_like(Mp, opts.rng) * sigma
        assign(params, f64copy(w0) + nu)
        local d = data_loss(net, loss, ds, batch) - base
        vals[i] = d
        s = s + math.abs(d)
        s2 = s2 + d * d
      end
    end)
    assign(params, w0)
    if not ok then error(err, 0) end
    local mean = s / ndraw
    local var = ndraw > 1 and (s2 / ndraw - mean * mean) * ndraw / (ndraw - 1) or 0
    return mean, {values = vals, base = base, stderr = math.sqrt(math.max(var, 0) / ndraw)}
  end)
end

--- nl.probe.evaluate(net, data, {batch=1000, loss=}) -> {loss=, accuracy=, n=}
-- Evaluate mode (the previous mode is restored).  loss: a loss module (default
-- nl.nn.CrossEntropy()); accuracy = fraction of rows whose arg-max output equals the label
-- (labels 1..K).  For regression targets (y with 2 dims) accuracy is nil.
function M.evaluate(net, ds, opts)
  check_net(net, nil, "evaluate")
  check_data(ds, "evaluate", 2)
  opts = check_opts(opts, "evaluate", {batch = true, loss = true})
  local batch = opts.batch or 1000
  local classify = ds.y:dim() == 1
  local loss = opts.loss
  if not loss and classify then loss = require("noiselab.nn").CrossEntropy() end
  local n = ds.x:shape()[1]
  return with_mode(net, false, function()
    local ls, correct = 0, 0
    for xb, yb in data.batches(ds, batch) do
      local out = net:forward(xb)
      local nb = xb:shape()[1]
      if loss then ls = ls + loss:forward(out, yb) * nb end
      if classify then
        local pred = out:argmax(2)
        correct = correct + (pred:reshape{nb}:double():eq(yb:double())):sum()
      end
    end
    return {loss = loss and ls / n or nil, accuracy = classify and correct / n or nil, n = n}
  end)
end

return M
