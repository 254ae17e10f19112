--- noiselab.data: data sets and minibatch iterators.
--
-- Fashion-MNIST (Xiao, Rasul & Vollgraf 2017) read from the IDX files of Debian's
-- dataset-fashion-mnist package through zlib (src/core/data.c); synthetic sets for the papers
-- of PAPERS.md (linear regression with Gaussian inputs, Ziyin et al. 2022; sinusoids, Camuto
-- et al. 2021; Gaussian mixtures); minibatch iterators in fixed order (as the Simsekli et al.
-- code), shuffled per epoch, and with-replacement sampling of S indices (as Ziyin et al.).
--
-- Conventions: a data set is a table {x = tensor (rows are samples), y = tensor (labels or
-- targets, first dim = samples), n = number of samples, classes = K or nil}.  Class labels are
-- f64 tensors holding 1..K (Lua's 1-based convention; Fashion-MNIST's raw label c is c + 1).
-- Indices given by or to the user are 1-based.
--
-- Verified (tests/data_spec.lua): Fashion-MNIST labels and pixel checksums equal an independent
-- gzip + NumPy reader exactly; damaged files give the documented messages; iterators visit each
-- index once per epoch; sampling frequencies and relabelled classes pass χ² tests; synthetic
-- sets match their formulas (sinusoids to 1e−12) and moments (5 standard errors).
local core = require "noiselab.data_core"
local T = require "noiselab.tensor"

local M = {}

local INSTALL_HINT = "install it with: apt-get install dataset-fashion-mnist"
local DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"
M.FASHION_MNIST_MEAN = 0.2860
M.FASHION_MNIST_STD = 0.3530
M.fashion_mnist_classes = {
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
  "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
}

local FILES = {
  train = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60000},
  test = {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10000},
}

local function file_exists(p)
  local f = io.open(p, "rb")
  if f then f:close() return true end
  return false
end

-- Options table of public function `fname`: nil -> {}, anything not a table or a key not in
-- `allowed` is an error blamed on fname's caller ("bad argument #1 to ..."; `arg` replaces
-- "#1 " when given, e.g. "" for functions whose options are not always argument 1).  Call it
-- directly from the public function (the error level counts on that).  Shared with
-- noiselab.probe as M._check_opts.
local function check_opts(opts, fname, allowed, arg)
  local what = "bad argument " .. (arg or "#1 ") .. "to '%s' "
  if opts == nil then return {} end
  if type(opts) ~= "table" then
    error((what .. "(options table expected, got %s)"):format(fname, type(opts)), 3)
  end
  for k in pairs(opts) do
    if not allowed[k] then
      local names = {}
      for a in pairs(allowed) do names[#names + 1] = a end
      table.sort(names)
      error((what .. "(unknown option '%s'; known: %s)")
        :format(fname, tostring(k), table.concat(names, ", ")), 3)
    end
  end
  return opts
end

local function check_count(v, name, fname, min, level)
  if v == nil then return nil end
  if math.type(v) ~= "integer" then
    if type(v) == "number" and v == math.floor(v) and v == v then v = math.tointeger(v) end
  end
  if math.type(v) ~= "integer" or v < (min or 0) then
    error(("bad argument #1 to '%s' (%s must be an integer >= %d, got %s)")
      :format(fname, name, min or 0, tostring(v)), level or 3)
  end
  return v
end

--- Directory holding the Fashion-MNIST files: opts.path, else $NOISELAB_DATA/fashion-mnist or
-- $NOISELAB_DATA (whichever holds the files), else /usr/share/datasets/fashion-mnist.
local function fashion_dir(path, file)
  if path then return path end
  local env = os.getenv("NOISELAB_DATA")
  if env and env ~= "" then
    if file_exists(env .. "/fashion-mnist/" .. file) then return env .. "/fashion-mnist" end
    return env
  end
  return DEFAULT_DIR
end

--- nl.data.fashion_mnist{split="train"|"test", n=, path=, normalize=true, flatten=true, dtype="f32"}
-- -> {x = N x 784 (or N x 1 x 28 x 28) tensor, y = N labels 1..10 (f64), n = N, classes = 10}
function M.fashion_mnist(opts)
  opts = check_opts(opts, "fashion_mnist", {split = true, n = true, path = true, normalize = true,
    flatten = true, dtype = true, mean = true, std = true})
  local split = opts.split or "train"
  local files = FILES[split]
  if not files then
    error(("bad argument #1 to 'fashion_mnist' (split must be \"train\" or \"test\", got %q)")
      :format(tostring(split)), 2)
  end
  local n = check_count(opts.n, "n", "fashion_mnist", 0)
  if n and n > files[3] then
    error(("bad argument #1 to 'fashion_mnist' (n = %d exceeds the %d images of the %s split)")
      :format(n, files[3], split), 2)
  end
  local dtype = opts.dtype or "f32"
  if dtype ~= "f32" and dtype ~= "f64" then
    error(("bad argument #1 to 'fashion_mnist' (dtype must be \"f32\" or \"f64\", got %q)")
      :format(tostring(dtype)), 2)
  end
  local mean, std = 0, 1
  if opts.normalize ~= false then
    mean, std = opts.mean or M.FASHION_MNIST_MEAN, opts.std or M.FASHION_MNIST_STD
  end
  local dir = fashion_dir(opts.path, files[1])
  local ipath, lpath = dir .. "/" .. files[1], dir .. "/" .. files[2]
  local function fail(msg)
    error(("Fashion-MNIST %s split: %s\n(the data set comes from Debian's dataset-fashion-mnist "
      .. "package; %s, or point path= / NOISELAB_DATA at a directory holding %s and %s)")
      :format(split, msg, INSTALL_HINT, files[1], files[2]), 3)
  end
  -- Headers first: the counts must agree before anything large is read.
  local hi, err = core.idx_header(ipath, 3)
  if not hi then fail(err) end
  local hl; hl, err = core.idx_header(lpath, 1)
  if not hl then fail(err) end
  if hi.dims[2] ~= 28 or hi.dims[3] ~= 28 then
    fail(("%s: images are %dx%d, expected 28x28"):format(ipath, hi.dims[2], hi.dims[3]))
  end
  if hi.dims[1] ~= hl.dims[1] then
    fail(("%s holds %d images but %s holds %d labels"):format(ipath, hi.dims[1], lpath, hl.dims[1]))
  end
  if hi.dims[1] ~= files[3] and not opts.path and not os.getenv("NOISELAB_DATA") then
    fail(("%s holds %d images, the %s split has %d"):format(ipath, hi.dims[1], split, files[3]))
  end
  if n and n > hi.dims[1] then
    fail(("asked for n = %d images, %s holds %d"):format(n, ipath, hi.dims[1]))
  end
  local x; x, err = core.read_images(ipath, n, {dtype = dtype, mean = mean, std = std,
    flatten = opts.flatten ~= false})
  if not x then fail(err) end
  local y; y, err = core.read_labels(lpath, n, {base = 1, classes = 10})
  if not y then fail(err) end
  return {x = x, y = y, n = x:shape()[1], classes = 10, split = split,
    class_names = M.fashion_mnist_classes, normalized = opts.normalize ~= false}
end

--- nl.data.relabel(ds, {from=, to=, rng=}): replaces the labels of samples from..to (1-based,
-- inclusive) by a different class drawn uniformly among the other classes-1 (in place, as
-- the "randomly relabelled" images of Zhu et al. 2019 / Wang et al. 2022).  Returns ds; records
-- ds.relabelled = {from, to} and the original labels in ds.y_clean (a copy, first call only).
function M.relabel(ds, opts)
  if type(ds) ~= "table" or ds.y == nil then
    error("bad argument #1 to 'relabel' (data set {x=, y=, classes=} expected)", 2)
  end
  opts = check_opts(opts, "relabel", {from = true, to = true, rng = true, classes = true})
  local K = opts.classes or ds.classes
  if not K then error("bad argument #2 to 'relabel' (the data set has no 'classes'; give classes=)", 2) end
  local n = #ds.y
  local from = check_count(opts.from or 1, "from", "relabel", 1)
  local to = check_count(opts.to or n, "to", "relabel", 0)
  if to > n or from > to + 1 then
    error(("bad argument #2 to 'relabel' (range %d..%d outside 1..%d)"):format(from, to, n), 2)
  end
  if not ds.y_clean then ds.y_clean = ds.y:clone() end
  core.relabel(ds.y, from - 1, to, K, 1, opts.rng)
  ds.relabelled = {from, to}
  return ds
end

--- nl.data.subset(ds, from, to) -> data set of samples from..to (1-based, inclusive), views.
function M.subset(ds, from, to)
  local len = to - from + 1
  local r = {}
  for k, v in pairs(ds) do r[k] = v end
  r.x = ds.x:narrow(1, from, len)
  r.y = ds.y:narrow(1, from, len)
  r.n = len
  r.y_clean, r.relabelled = nil, nil
  return r
end

--- nl.data.concat(a, b) -> data set with the samples of a then b (copies).
function M.concat(a, b)
  local r = {}
  for k, v in pairs(a) do r[k] = v end
  r.x = T.cat({a.x, b.x}, 1)
  r.y = T.cat({a.y, b.y}, 1)
  r.n = a.n + b.n
  r.y_clean, r.relabelled = nil, nil
  return r
end

-- ---------------------------------------------------------------------------------------------
-- Synthetic sets

local function as_tensor(v, what, fname)
  if type(v) == "table" then return T.from(v) end
  if type(v) == "userdata" then return v:double() end
  error(("bad argument #1 to '%s' (%s must be a tensor or a table, got %s)")
    :format(fname, what, type(v)), 3)
end

--- nl.data.linear_regression{n=, d=, cov= | eigs=, u=, noise=0, rng=, dtype="f64"}
-- x_i ~ N(0, A) (A = cov, or diag(eigs), or I), y_i = u^T x_i + noise * e_i, e_i ~ N(0, 1).
-- Returns {x = n x d, y = n (targets), n=, d=, A = d x d f64, u = d f64, noise=}.
function M.linear_regression(opts)
  opts = check_opts(opts, "linear_regression", {n = true, d = true, cov = true, eigs = true,
    u = true, noise = true, rng = true, dtype = true})
  local n = check_count(opts.n, "n", "linear_regression", 1)
  if not n then error("bad argument #1 to 'linear_regression' (n is required)", 2) end
  if opts.cov and opts.eigs then
    error("bad argument #1 to 'linear_regression' (give cov= or eigs=, not both)", 2)
  end
  local A
  if opts.cov then
    A = as_tensor(opts.cov, "cov", "linear_regression")
  elseif opts.eigs then
    local e = as_tensor(opts.eigs, "eigs", "linear_regression")
    local d = #e
    A = T.zeros{d, d}
    for i = 1, d do A:set(i, i, e:get(i)) end
  else
    local d = check_count(opts.d, "d", "linear_regression", 1)
    if not d then error("bad argument #1 to 'linear_regression' (give d=, cov= or eigs=)", 2) end
    A = T.zeros{d, d}
    for i = 1, d do A:set(i, i, 1) end
  end
  local d = A:shape()[1]
  if opts.d and opts.d ~= d then
    error(("bad argument #1 to 'linear_regression' (d = %d but the covariance is %dx%d)")
      :format(opts.d, d, d), 2)
  end
  local u
  if opts.u == nil then u = T.ones{d}
  elseif type(opts.u) == "number" then u = T.full({d}, opts.u)
  else u = as_tensor(opts.u, "u", "linear_regression"):reshape{-1} end
  local noise = opts.noise or 0
  local x, y = core.linear_regression(n, A:contiguous(), u, noise, opts.dtype or "f64", opts.rng)
  return {x = x, y = y, n = n, d = d, A = A, u = u, noise = noise}
end

--- nl.data.sinusoids{n=200, ks={5,10,...,50}, rng=, dtype="f64"}
-- Camuto et al. (2021): t_i = (i-1)/n, y(t) = sum_k sin(2 pi k t + 2 pi phi_k), phi_k ~ U(0,1).
-- Returns {x = n x 1 (t), y = n x 1, t = n, phases = #ks, ks=, n=}.
function M.sinusoids(opts)
  opts = check_opts(opts, "sinusoids", {n = true, ks = true, rng = true, dtype = true})
  local n = check_count(opts.n or 200, "n", "sinusoids", 1)
  local ks = opts.ks
  if ks == nil then
    ks = {}
    for k = 5, 50, 5 do ks[#ks + 1] = k end
  end
  if type(ks) ~= "table" or #ks == 0 then
    error("bad argument #1 to 'sinusoids' (ks must be a non-empty list of frequencies)", 2)
  end
  local t, y, phases = core.sinusoids(n, ks, opts.dtype or "f64", opts.rng)
  return {x = t:reshape{n, 1}, y = y:reshape{n, 1}, t = t, phases = phases, ks = ks, n = n}
end

--- nl.data.gaussian_mixture{n=, means= (K x d) | k=, d=, sep=3, sigma=1, weights=, rng=, dtype=}
-- Component c ~ weights (uniform by default), x = mean_c + sigma z.  Without means=, the K means
-- are drawn as sep * N(0, I_d) from the same generator.
-- Returns {x = n x d, y = n labels 1..K (f64), means = K x d, n=, classes = K}.
function M.gaussian_mixture(opts)
  opts = check_opts(opts, "gaussian_mixture", {n = true, means = true, k = true, d = true,
    sep = true, sigma = true, weights = true, rng = true, dtype = true})
  local n = check_count(opts.n, "n", "gaussian_mixture", 1)
  if not n then error("bad argument #1 to 'gaussian_mixture' (n is required)", 2) end
  local means
  if opts.means then
    means = as_tensor(opts.means, "means", "gaussian_mixture")
    if means:dim() ~= 2 then
      error("bad argument #1 to 'gaussian_mixture' (means must be K x d)", 2)
    end
  else
    local k = check_count(opts.k or 2, "k", "gaussian_mixture", 1)
    local d = check_count(opts.d or 2, "d", "gaussian_mixture", 1)
    -- K draws of N(0, sep^2 I): a one-component mixture centred at 0.
    means = core.gaussian_mixture(k, T.zeros{1, d}, T.ones{1}, opts.sep or 3, "f64", opts.rng)
  end
  local K = means:shape()[1]
  local w = opts.weights and as_tensor(opts.weights, "weights", "gaussian_mixture") or T.ones{K}
  if #w ~= K then
    error(("bad argument #1 to 'gaussian_mixture' (%d weights for %d components)"):format(#w, K), 2)
  end
  local x, y = core.gaussian_mixture(n, means:contiguous(), w, opts.sigma or 1,
    opts.dtype or "f64", opts.rng)
  return {x = x, y = y, means = means, n = n, classes = K}
end

-- ---------------------------------------------------------------------------------------------
-- Iterators

local function check_ds(ds, fname)
  if type(ds) ~= "table" or ds.x == nil then
    error(("bad argument #1 to '%s' (data set {x=, y=} expected, got %s)"):format(fname, type(ds)), 3)
  end
  local n = ds.x:shape()[1]
  if ds.y ~= nil and ds.y:shape()[1] ~= n then
    error(("bad argument #1 to '%s' (x has %d rows but y has %d)")
      :format(fname, n, ds.y:shape()[1]), 3)
  end
  return n
end

-- Argument #2 of batches/sample_batches: a whole number >= 1 (3.0 is taken as 3), returned as
-- an integer; anything else is an error blamed on the caller of `fname`.
local function check_batch_size(size, fname)
  if math.type(size) ~= "integer" and type(size) == "number" and size == math.floor(size) then
    size = math.tointeger(size) or size
  end
  if math.type(size) ~= "integer" or size < 1 then
    error(("bad argument #2 to '%s' (batch size must be an integer >= 1, got %s)")
      :format(fname, tostring(size)), 3)
  end
  return size
end

--- for xb, yb, i in nl.data.batches(ds, size [, {shuffle=false, rng=, drop_last=false}])
-- One epoch.  Fixed order (default): batch i is samples (i-1)*size+1 .. i*size, as views of
-- ds.x / ds.y (no copy).  shuffle=true: a fresh random permutation per call (i.e. per epoch),
-- batches are copies (row gather).  The last batch is smaller unless drop_last=true.
function M.batches(ds, size, opts)
  local n = check_ds(ds, "batches")
  size = check_batch_size(size, "batches")
  opts = check_opts(opts, "batches", {shuffle = true, rng = true, drop_last = true})
  local nb = opts.drop_last and n // size or (n + size - 1) // size
  local i = 0
  if not opts.shuffle then
    return function()
      i = i + 1
      if i > nb then return nil end
      local start = (i - 1) * size + 1
      local len = math.min(size, n - start + 1)
      return ds.x:narrow(1, start, len), ds.y and ds.y:narrow(1, start, len), i
    end
  end
  local perm = core.permutation(n, opts.rng)
  return function()
    i = i + 1
    if i > nb then return nil end
    local start = (i - 1) * size
    local len = math.min(size, n - start)
    return core.gather(ds.x, perm, start, len), ds.y and core.gather(ds.y, perm, start, len), i
  end
end

--- nl.data.num_batches(ds, size [, {drop_last=}]) -> number of batches of one epoch
function M.num_batches(ds, size, opts)
  local n = check_ds(ds, "num_batches")
  return (opts and opts.drop_last) and n // size or (n + size - 1) // size
end

--- for xb, yb, i, idx in nl.data.sample_batches(ds, S, {replace=true, steps=, rng=})
-- Ziyin et al. (2022): each step draws S indices uniformly with replacement (replace=false:
-- S distinct indices), for `steps` steps (infinite if steps is nil).  Batches are copies;
-- idx is the f64 tensor of the 1-based indices drawn.
function M.sample_batches(ds, S, opts)
  local n = check_ds(ds, "sample_batches")
  S = check_batch_size(S, "sample_batches")
  opts = check_opts(opts, "sample_batches", {replace = true, steps = true, rng = true})
  local steps = check_count(opts.steps, "steps", "sample_batches", 0)
  local replace = opts.replace ~= false
  if not replace and S > n then
    error(("bad argument #2 to 'sample_batches' (S = %d > n = %d without replacement)"):format(S, n), 2)
  end
  local i = 0
  return function()
    i = i + 1
    if steps and i > steps then return nil end
    local idx
    if replace then
      idx = core.sample_indices(n, S, opts.rng)
    else
      idx = core.permutation(n, opts.rng):narrow(1, 1, S)
    end
    return core.gather(ds.x, idx, 0, S), ds.y and core.gather(ds.y, idx, 0, S), i, idx + 1
  end
end

--- Random permutation of 1..n as an f64 tensor (Fisher-Yates).
function M.permutation(n, rng)
  return core.permutation(n, rng) + 1
end

M._check_opts = check_opts -- internal: used by noiselab.probe

return M
