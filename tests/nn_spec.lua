-- Specs for noiselab.nn: finite-difference gradients (f64) of every layer and loss, parity
-- with PyTorch (tests/reference/torch_parity.py, run at test time when python3-torch is
-- installed), noise layers, containers, parameters, save/load and bad input.
local nl = require "noiselab"
-- (fragment, f) order, as these specs were written
local function fails_with(fragment, f) return require("tests.helpers").errors_with(f, fragment) end
local T, nn = nl.tensor, nl.nn
local core = require "noiselab.nn_core"

-- max |a − b| / max |b|: relative to the size of the reference
local function relerr(a, b)
  local d = (a:double() - b:double()):abs():max()
  local s = b:double():abs():max()
  return d / math.max(s, 1e-30)
end

local H = require "tests.helpers"
local PY = H.PYTHON
local has_torch
local function torch_available()
  if has_torch == nil then has_torch = H.has_python("torch", "numpy") end
  return has_torch
end

-- the case configurations go to tests/reference/torch_parity.py as JSON (one value: the text)
local function json(v) return (require("noiselab.json").encode(v)) end

local tmpdir, rmdir = H.tmpdir, H.rmtree

-- The PyTorch reference runs once for all cases (one python start): every case writes its
-- inputs into its own directory when the first parity test runs.
local parity_cases, parity_root = {}, nil
local function write_case(dir, cfg, inputs)
  local f = assert(io.open(dir .. "/cfg.json", "w"))
  f:write(json(cfg))
  f:close()
  for name, t in pairs(inputs) do T.save(t, dir .. "/" .. name .. ".npy") end
end
local function run_parity()
  if parity_root then return end
  parity_root = tmpdir()
  local dirs = {}
  for i, c in ipairs(parity_cases) do
    c.dir = parity_root .. "/" .. i
    assert(core.mkdir(c.dir))
    local cfg, inputs = c.prepare()
    write_case(c.dir, cfg, inputs)
    dirs[#dirs + 1] = c.dir
  end
  local ok = os.execute(("OMP_NUM_THREADS=1 %s tests/reference/torch_parity.py %s 2>%s/err.txt")
    :format(PY, table.concat(dirs, " "), parity_root))
  if not ok then error("torch_parity.py failed: " .. io.open(parity_root .. "/err.txt"):read("a")) end
end
-- register a case now; returns a function that, inside an it(), checks it
local function parity_case(prepare, check)
  local c = {prepare = prepare}
  parity_cases[#parity_cases + 1] = c
  return function()
    run_parity()
    local function get(name) return T.load(c.dir .. "/" .. name .. ".npy") end
    check(get)
    rmdir(c.dir)
  end
end

-- PyTorch names Sequential children from 0, noiselab from 1.
local function torch_name(name)
  local i, rest = name:match("^(%d+)%.(.*)$")
  if i then return (tonumber(i) - 1) .. "." .. rest end
  return name
end

local TOL = 1e-5

-- the call must fail with a message containing fragment (plain text)

describe("nn gradients (finite differences, f64)", function()
  local rng = nl.rng.new(7)
  local function check(m, x, tol)
    local r = nn.gradcheck(m, x, {rng = rng})
    assert.is_true(r.input < (tol or 1e-6), ("input gradient rel. error %g"):format(r.input))
    assert.is_true(r.params < (tol or 1e-6), ("parameter gradient rel. error %g"):format(r.params))
  end
  it("Linear with and without bias", function()
    check(nn.Linear(5, 4, {dtype = "f64"}), T.randn({3, 5}, rng))
    check(nn.Linear(5, 4, {dtype = "f64", bias = false}), T.randn({3, 5}, rng))
  end)
  it("activations", function()
    for _, a in ipairs({"ReLU", "Tanh", "Sigmoid"}) do check(nn[a](), T.randn({4, 6}, rng)) end
    check(nn.ELU({alpha = 0.7}), T.randn({4, 6}, rng))
  end)
  it("Conv2d with stride, padding, rectangular kernels", function()
    check(nn.Conv2d(2, 3, 3, {dtype = "f64", stride = 2, padding = 1}), T.randn({2, 2, 7, 6}, rng))
    check(nn.Conv2d(2, 3, {3, 2}, {dtype = "f64", bias = false}), T.randn({2, 2, 5, 6}, rng))
  end)
  it("MaxPool2d and Flatten", function()
    check(nn.MaxPool2d(2), T.randn({2, 3, 6, 5}, rng))
    check(nn.MaxPool2d(3, {stride = 1, padding = 1}), T.randn({2, 3, 6, 5}, rng))
    check(nn.Flatten(), T.randn({2, 3, 4}, rng))
  end)
  it("Dropout and GaussianNoise with their noise held fixed", function()
    for _, m in ipairs({nn.Dropout(0.3, {rng = rng}),
                        nn.GaussianNoise{sigma = 0.3, mode = "mul", rng = rng},
                        nn.GaussianNoise{sigma = 0.3, mode = "add", rng = rng}}) do
      m:forward(T.randn({4, 5}, rng))
      m.frozen = true
      check(m, T.randn({4, 5}, rng))
    end
  end)
  it("a Sequential conv net", function()
    local net = nn.Sequential{nn.Conv2d(1, 2, 3), nn.MaxPool2d(2), nn.ReLU(), nn.Flatten(),
                              nn.Linear(8, 3), nn.Tanh()}:double()
    check(net, T.randn({2, 1, 6, 6}, rng))
  end)
  it("CrossEntropy and MSE, every reduction", function()
    local z = T.randn({5, 4}, rng)
    local y = T.from({1, 4, 2, 3, 4})
    local t = T.randn({5, 4}, rng)
    local cases = {{nn.CrossEntropy(), y}, {nn.CrossEntropy({reduction = "sum"}), y},
                   {nn.MSE(), t}, {nn.MSE({reduction = "sum"}), t},
                   {nn.MSE({reduction = "batchmean"}), t}}
    for _, c in ipairs(cases) do
      local loss, target = c[1], c[2]
      loss:forward(z, target)
      local g = loss:backward(z, target):clone()
      local zf = z:reshape({20})
      local gf = g:reshape({20})
      local worst = 0
      for i = 1, 20 do
        local v = zf:get(i)
        zf:set(i, v + 1e-6); local lp = loss:forward(z, target)
        zf:set(i, v - 1e-6); local lm = loss:forward(z, target)
        zf:set(i, v)
        local fd = (lp - lm) / 2e-6
        worst = math.max(worst, math.abs(fd - gf:get(i)) / math.max(1e-3, math.abs(fd)))
      end
      assert.is_true(worst < 1e-6, tostring(loss) .. " gradient error " .. worst)
    end
  end)
end)

describe("nn parity with PyTorch (f32, 1e-5 relative)", function()
  local rng = nl.rng.new(11)
  local function layer_case(spec, m, x)
    local out, gx
    return parity_case(function()
      out = m:forward(x):clone()
      local r = T.randn(out:shape(), rng):float()
      m:zero_grad()
      gx = m:backward(x, r):clone()
      local inputs = {x = x, r = r}
      for _, e in ipairs(m:parameter_list()) do inputs["p_" .. e.name] = e.param end
      return {case = "layer", layer = spec}, inputs
    end, function(get)
      assert.is_true(relerr(out, get("out")) < TOL, spec.kind .. " output " .. relerr(out, get("out")))
      assert.is_true(relerr(gx, get("gx")) < TOL, spec.kind .. " gradInput " .. relerr(gx, get("gx")))
      for _, e in ipairs(m:parameter_list()) do
        local err = relerr(e.grad, get("g_" .. e.name))
        assert.is_true(err < TOL, spec.kind .. " grad of " .. e.name .. " " .. err)
      end
    end)
  end
  local function parity_it(name, checks)
    it(name, function()
      if not torch_available() then return pending("python3-torch not available") end
      for _, c in ipairs(checks) do c() end
    end)
  end
  parity_it("Linear", {
    layer_case({kind = "Linear", ["in"] = 7, out = 5}, nn.Linear(7, 5), T.randn({6, 7}, rng):float()),
    layer_case({kind = "Linear", ["in"] = 7, out = 5, bias = false}, nn.Linear(7, 5, {bias = false}),
               T.randn({6, 7}, rng):float())})
  parity_it("Conv2d", {
    layer_case({kind = "Conv2d", ["in"] = 3, out = 4, k = 3, stride = 2, padding = 1},
               nn.Conv2d(3, 4, 3, {stride = 2, padding = 1}), T.randn({2, 3, 9, 8}, rng):float()),
    layer_case({kind = "Conv2d", ["in"] = 2, out = 3, k = {3, 2}, bias = false},
               nn.Conv2d(2, 3, {3, 2}, {bias = false}), T.randn({3, 2, 6, 7}, rng):float())})
  parity_it("MaxPool2d", {
    layer_case({kind = "MaxPool2d", k = 2}, nn.MaxPool2d(2), T.randn({2, 3, 8, 7}, rng):float()),
    layer_case({kind = "MaxPool2d", k = 3, stride = 2, padding = 1},
               nn.MaxPool2d(3, {stride = 2, padding = 1}), T.randn({2, 2, 7, 7}, rng):float())})
  local acts = {}
  for _, a in ipairs({"ReLU", "Tanh", "Sigmoid"}) do
    acts[#acts + 1] = layer_case({kind = a}, nn[a](), T.randn({5, 9}, rng):float() * 3)
  end
  acts[#acts + 1] = layer_case({kind = "ELU", alpha = 0.7}, nn.ELU({alpha = 0.7}),
                               T.randn({5, 9}, rng):float() * 3)
  acts[#acts + 1] = layer_case({kind = "Flatten"}, nn.Flatten(), T.randn({3, 2, 4, 5}, rng):float())
  parity_it("activations and Flatten", acts)

  local z = T.randn({8, 5}, rng):float() * 3
  local y = T.from({1, 5, 2, 3, 4, 5, 1, 2})
  local t = T.randn({8, 5}, rng):float()
  local losses = {}
  for _, c in ipairs({{"CrossEntropy", "mean", y}, {"CrossEntropy", "sum", y},
                      {"MSE", "mean", t}, {"MSE", "sum", t}, {"MSE", "batchmean", t}}) do
    local loss = nn[c[1]]({reduction = c[2]})
    local l, g, ps
    losses[#losses + 1] = parity_case(function()
      l = loss:forward(z, c[3])
      g = loss:backward(z, c[3]):clone()
      ps = loss.per_sample:clone()
      return {case = "loss", loss = c[1], reduction = c[2]}, {z = z, y = c[3]}
    end, function(get)
      local lref = get("loss"):get(1)
      assert.is_true(math.abs(l - lref) / math.abs(lref) < TOL, c[1] .. " " .. c[2] .. " value")
      assert.is_true(relerr(g, get("gz")) < TOL, c[1] .. " " .. c[2] .. " gradient")
      assert.is_true(relerr(ps, get("per_sample")) < TOL, c[1] .. " per-sample")
    end)
  end
  parity_it("CrossEntropy and MSE", losses)

  local function net_case(layers, specs, x, lab)
    local net, out, l, gx, grads = nn.Sequential(layers), nil, nil, nil, {}
    return parity_case(function()
      local loss = nn.CrossEntropy()
      net:zero_grad()
      out = net:forward(x):clone()
      l = loss:forward(out, lab)
      gx = net:backward(x, loss:backward(out, lab)):clone()
      local inputs = {x = x, y = lab}
      for _, e in ipairs(net:parameter_list()) do inputs["p_" .. torch_name(e.name)] = e.param end
      return {case = "net", layers = specs}, inputs
    end, function(get)
      assert.is_true(math.abs(l - get("loss"):get(1)) / math.abs(l) < TOL, "loss")
      assert.is_true(relerr(out, get("out")) < TOL, "output " .. relerr(out, get("out")))
      assert.is_true(relerr(gx, get("gx")) < TOL, "gradInput " .. relerr(gx, get("gx")))
      for _, e in ipairs(net:parameter_list()) do
        local err = relerr(e.grad, get("g_" .. torch_name(e.name)))
        assert.is_true(err < TOL, "grad of " .. e.name .. " " .. err)
      end
    end)
  end
  parity_it("the LeNet-like net of Wang et al. with cross-entropy", {
    net_case({nn.Conv2d(1, 10, 5), nn.MaxPool2d(2), nn.ReLU(), nn.Conv2d(10, 10, 5),
              nn.MaxPool2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(160, 50), nn.ReLU(),
              nn.Linear(50, 10)},
             {{kind = "Conv2d", ["in"] = 1, out = 10, k = 5}, {kind = "MaxPool2d", k = 2},
              {kind = "ReLU"}, {kind = "Conv2d", ["in"] = 10, out = 10, k = 5},
              {kind = "MaxPool2d", k = 2}, {kind = "ReLU"}, {kind = "Flatten"},
              {kind = "Linear", ["in"] = 160, out = 50}, {kind = "ReLU"},
              {kind = "Linear", ["in"] = 50, out = 10}},
             T.randn({6, 1, 28, 28}, rng):float(), T.from({3, 1, 10, 7, 2, 2}))})
  parity_it("a 784-16-16-16-10 ReLU MLP with cross-entropy", {
    net_case({nn.Linear(784, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 16),
              nn.ReLU(), nn.Linear(16, 10)},
             {{kind = "Linear", ["in"] = 784, out = 16}, {kind = "ReLU"},
              {kind = "Linear", ["in"] = 16, out = 16}, {kind = "ReLU"},
              {kind = "Linear", ["in"] = 16, out = 16}, {kind = "ReLU"},
              {kind = "Linear", ["in"] = 16, out = 10}},
             T.randn({12, 784}, rng):float(), T.from({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2}))})
  teardown(function()
    if parity_root then
      rmdir(parity_root)
    end
  end)
end)

describe("nn noise layers", function()
  it("GaussianNoise add: output = x + ε, ε ~ N(0, σ²), gradient passes through", function()
    local m = nn.GaussianNoise{sigma = 0.5, mode = "add", rng = nl.rng.new(1)}
    local x = T.randn({200, 500}, nl.rng.new(2)):float()
    local y = m:forward(x)
    local eps = m.noise:clone()
    assert.is_true(((y - x) - eps):abs():max() < 1e-6)
    assert.is_true(math.abs(eps:mean()) < 0.005)                -- se 0.5/√1e5 = 0.0016
    assert.is_true(math.abs(eps:std() - 0.5) / 0.5 < 0.01)     -- se 0.22%
    local gy = T.randn({200, 500}):float()
    assert.is_true((m:backward(x, gy) - gy):abs():max() == 0)
    m:forward(x)
    assert.is_true((m.noise - eps):abs():max() > 0.1)            -- fresh ε each forward
  end)
  it("GaussianNoise mul: output = x ∘ (1 + ε) and backward reuses the same ε", function()
    local m = nn.GaussianNoise{sigma = 0.2, mode = "mul", rng = nl.rng.new(3)}
    local x = T.randn({50, 40}):float()
    local y = m:forward(x)
    local f = m.noise:clone()
    assert.is_true((y - x * f):abs():max() < 1e-6)
    assert.is_true(math.abs(f:mean() - 1) < 0.02)
    local gy = T.randn({50, 40}):float()
    local gx = m:backward(x, gy)
    assert.is_true((gx - gy * f):abs():max() < 1e-6)
  end)
  it("noise layers are the identity in evaluate mode", function()
    local x, gy = T.randn({10, 10}):float(), T.randn({10, 10}):float()
    for _, m in ipairs({nn.GaussianNoise{sigma = 1, mode = "mul"}, nn.GaussianNoise{sigma = 1},
                        nn.Dropout(0.5)}) do
      m:evaluate()
      assert.is_false(m.training)
      assert.is_true((m:forward(x) - x):abs():max() == 0)
      assert.is_true((m:backward(x, gy) - gy):abs():max() == 0)
      m:train()
      assert.is_true((m:forward(x) - x):abs():max() > 0)
    end
  end)
  it("the same generator seed gives the same noise", function()
    local x = T.randn({5, 5}):float()
    local a = nn.GaussianNoise{sigma = 1, rng = nl.rng.new(9)}:forward(x):clone()
    local b = nn.GaussianNoise{sigma = 1, rng = nl.rng.new(9)}:forward(x)
    assert.is_true((a - b):abs():max() == 0)
  end)
  it("Dropout drops a fraction p, scales the rest by 1/(1-p), same mask in backward", function()
    local m = nn.Dropout(0.3, {rng = nl.rng.new(4)})
    local x = T.ones({400, 250}):float()
    local y = m:forward(x)
    local zeros = (y:eq(0)):sum() / #y
    assert.is_true(math.abs(zeros - 0.3) < 0.005)               -- se 0.0009
    assert.is_true(math.abs(y:max() - 1 / 0.7) < 1e-6)
    local gy = T.randn({400, 250}):float()
    assert.is_true((m:backward(x, gy) - gy * m.noise):abs():max() < 1e-6)
  end)
  it("bad noise options", function()
    assert.has_error(function() nn.GaussianNoise{sigma = -1} end, "GaussianNoise: sigma must be a finite number >= 0, got -1")
    fails_with("mode must be", function() nn.GaussianNoise{sigma = 1, mode = "both"} end)
    assert.has_error(function() nn.Dropout(1.5) end, "Dropout: p must be in [0, 1], got 1.5")
  end)
end)

describe("nn L̃_M (noise averaged over M draws)", function()
  local function make(seed)
    local g = nn.GaussianNoise{sigma = 0.3, mode = "add", rng = nl.rng.new(seed)}
    local net = nn.Sequential{nn.Linear(3, 8, {dtype = "f64", rng = nl.rng.new(1)}), nn.Tanh(), g,
                              nn.Linear(8, 2, {dtype = "f64", rng = nl.rng.new(2)})}
    return net, g
  end
  local x = T.randn({4, 3}, nl.rng.new(5))
  local y = T.randn({4, 2}, nl.rng.new(6))
  it("with σ = 0 it is the plain loss and gradient", function()
    local net, g = make(1)
    g.sigma = 0
    local loss = nn.MSE({reduction = "batchmean"})
    net:zero_grad()
    local l = nn.noisy_loss_average(net, loss, x, y, 5)
    local _, G = net:parameters()
    local g5 = G:clone()
    net:zero_grad()
    local out = net:forward(x)
    local l1 = loss:forward(out, y)
    net:backward(x, loss:backward(out, y))
    assert.is_true(math.abs(l - l1) < 1e-12)
    assert.is_true((G - g5):abs():max() < 1e-12)
  end)
  it("its gradient matches finite differences of L̃_M for fixed draws", function()
    local net, g = make(1)
    for _, red in ipairs({"batchmean", "sum"}) do
      local loss = nn.MSE({reduction = red})
      local function value()
        g.rng = nl.rng.new(42)
        return nn.noisy_loss_average(net, loss, x, y, 6)
      end
      net:zero_grad()
      value()
      local P, G = net:parameters()
      local ga = G:clone()
      local worst = 0
      for i = 1, #P do
        local v = P:get(i)
        P:set(i, v + 1e-6); local lp = value()
        P:set(i, v - 1e-6); local lm = value()
        P:set(i, v)
        worst = math.max(worst, math.abs((lp - lm) / 2e-6 - ga:get(i)) / math.max(1e-3, math.abs(ga:get(i))))
      end
      assert.is_true(worst < 1e-6, red .. " " .. worst)
    end
  end)
  it("sum reduction gives n times the mean reduction (average over copies, not their sum)", function()
    local net, g = make(3)
    g.rng = nl.rng.new(8)
    local a = nn.noisy_loss_average(net, nn.MSE({reduction = "sum"}), x, y, 4)
    g.rng = nl.rng.new(8)
    local b = nn.noisy_loss_average(net, nn.MSE({reduction = "batchmean"}), x, y, 4)
    assert.is_true(math.abs(a - 4 * b) < 1e-10)
  end)
end)

describe("nn containers and parameters", function()
  local function lenet()
    return nn.Sequential{nn.Conv2d(1, 10, 5), nn.MaxPool2d(2), nn.ReLU(), nn.Conv2d(10, 10, 5),
                         nn.MaxPool2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(160, 50), nn.ReLU(),
                         nn.Linear(50, 10)}
  end
  it("the LeNet-like net of Wang et al. has exactly 11,330 parameters", function()
    local P, G = lenet():parameters()
    assert.are.equal(11330, #P)
    assert.are.equal(11330, #G)
    assert.are.equal("f32", P:dtype())
  end)
  it("parameter_list gives named views into the one flat vector", function()
    local net = nn.Sequential{nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2, {bias = false})}
    local list = net:parameter_list()
    local names, offs = {}, {}
    for i, e in ipairs(list) do names[i], offs[i] = e.name, e.offset end
    assert.are.same({"1.weight", "1.bias", "3.weight"}, names)
    assert.are.same({0, 12, 15}, offs)
    assert.are.same({true, false, true}, {list[1].is_weight, list[2].is_weight, list[3].is_weight})
    assert.are.equal(net:get(1), list[1].module)
    local P, G = net:parameters()
    P:set(13, 5)                                  -- first bias entry
    assert.are.equal(5, net:get(1).bias:get(1))
    list[3].param:set(2, 3, -7)
    assert.are.equal(-7, P:get(16 + 5))
    G:fill(1)
    assert.are.equal(1, net:get(3).gradWeight:get(1, 1))
    net:zero_grad()
    assert.are.equal(0, G:abs():max())
    -- a child's flat vectors are views into the parent's
    local cp = net:get(3):parameters()
    cp:set(1, 42)
    assert.are.equal(42, P:get(16))
  end)
  it("default initialisation is PyTorch's: U(±1/√fan_in) for weights and biases", function()
    local m = nn.Linear(400, 300)
    local b = 1 / math.sqrt(400)
    assert.is_true(m.weight:max() <= b and m.weight:min() >= -b)
    assert.is_true(m.weight:max() > 0.99 * b and m.weight:min() < -0.99 * b)
    assert.is_true(math.abs(m.weight:std() - b / math.sqrt(3)) / (b / math.sqrt(3)) < 0.01)
    local c = nn.Conv2d(3, 8, 5)
    local bc = 1 / math.sqrt(75)
    assert.is_true(c.bias:abs():max() <= bc and c.weight:abs():max() <= bc)
  end)
  it("normal and truncated normal initialisations", function()
    local t = T.zeros({100000})
    nn.init.normal(t, 0.1, nl.rng.new(1))
    assert.is_true(math.abs(t:std() - 0.1) < 0.001)
    nn.init.truncated_normal(t, 0.1, {rng = nl.rng.new(2)})
    assert.is_true(t:abs():max() <= 0.2)
    -- std of N(0,1) truncated to ±2: sqrt(1 − 2·2φ(2)/(Φ(2) − Φ(−2))) = 0.879596
    assert.is_true(math.abs(t:std() / 0.1 - 0.879596) < 0.006)
  end)
  it("gradients accumulate over backward calls", function()
    local net = nn.Sequential{nn.Linear(3, 2)}
    local x, gy = T.randn({4, 3}):float(), T.randn({4, 2}):float()
    net:zero_grad()
    net:forward(x)
    net:backward(x, gy)
    local _, G = net:parameters()
    local g1 = G:clone()
    net:backward(x, gy)
    assert.is_true((G - g1 * 2):abs():max() < 1e-6)
  end)
  it("input_grad = false skips the first layer's input gradient, same parameter gradients", function()
    local net = nn.Sequential{nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2)}
    local x, gy = T.randn({5, 6}):float(), T.randn({5, 2}):float()
    net:zero_grad(); net:forward(x)
    assert.is_not_nil(net:backward(x, gy))
    local _, G = net:parameters()
    local g1 = G:clone()
    net.input_grad = false
    net:zero_grad(); net:forward(x)
    assert.is_nil(net:backward(x, gy))
    assert.are.equal(0, (G - g1):abs():max())
  end)
  it("non-contiguous inputs give the same result as contiguous ones", function()
    local m = nn.Linear(5, 3)
    local xt = T.randn({5, 4}):float():t()      -- [4,5] transposed view
    assert.is_false(xt:is_contiguous())
    local a = m:forward(xt):clone()
    local b = m:forward(xt:contiguous())
    assert.are.equal(0, (a - b):abs():max())
  end)
  it("clone has its own parameters and the same outputs", function()
    local net = nn.Sequential{nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2)}
    local c = net:clone()
    local x = T.randn({2, 4}):float()
    assert.are.equal(0, (net:forward(x) - c:forward(x)):abs():max())
    local P = c:parameters()
    P:fill(0)
    assert.is_true(net:parameters():abs():max() > 0)
    assert.are.equal(0, c:get(1).weight:abs():max())
  end)
  it("float() and double() convert the whole tree", function()
    local net = nn.Sequential{nn.Linear(4, 3), nn.ReLU()}
    local y32 = net:forward(T.ones({1, 4}):float()):clone()
    net:double()
    assert.are.equal("f64", net:parameters():dtype())
    assert.are.equal("f64", net:get(1).weight:dtype())
    assert.is_true((net:forward(T.ones({1, 4})) - y32:double()):abs():max() < 1e-6)
  end)
  it("save and load an .npy bundle", function()
    local net = nn.Sequential{nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)}
    local dir = os.tmpname()
    os.remove(dir)
    net:save(dir)
    local f = io.open(dir .. "/index.csv")
    local idx = f:read("a")
    f:close()
    assert.truthy(idx:find("1.weight,3x4,0,12", 1, true))
    assert.truthy(idx:find("3.bias,2,21,2", 1, true))
    local w = T.load(dir .. "/1.weight.npy")
    assert.are.same({3, 4}, w:shape())
    local other = nn.Sequential{nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)}
    other:load(dir)
    local x = T.randn({3, 4}):float()
    assert.are.equal(0, (net:forward(x) - other:forward(x)):abs():max())
    net:save(dir)                                   -- overwriting an existing bundle
    assert.has_error(function()
      nn.Sequential{nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2)}:load(dir)
    end, "load: 1.weight in " .. dir .. "/1.weight.npy has shape [3,4], the network expects [5,4]")
    fails_with("holds 4 parameters, the network has 2", function() nn.Sequential{nn.Linear(4, 3)}:load(dir) end)
    fails_with("is not a saved network", function() net:load(dir .. "-missing") end)
    for _, n in ipairs({"1.weight", "1.bias", "3.weight", "3.bias"}) do os.remove(dir .. "/" .. n .. ".npy") end
    os.remove(dir .. "/index.csv")
    os.remove(dir)
  end)
  it("tostring shows the structure", function()
    local s = tostring(nn.Sequential{nn.Linear(784, 16), nn.ReLU(), nn.Dropout(0.5)})
    assert.are.equal("nn.Sequential {\n  (1): nn.Linear(784 -> 16)\n  (2): nn.ReLU\n  (3): nn.Dropout(0.5)\n}", s)
  end)
end)

describe("nn bad input", function()
  it("shape mismatches name the module, the layer and both shapes", function()
    local net = nn.Sequential{nn.Linear(784, 16), nn.ReLU(), nn.Linear(32, 10)}
    assert.has_error(function() net:forward(T.zeros({8, 784}):float()) end,
      "In module 3 of Sequential: Linear(32 -> 10): input of shape [8,16] does not match the expected [N,32]")
    local conv = nn.Sequential{nn.Conv2d(3, 4, 3)}
    assert.has_error(function() conv:forward(T.zeros({2, 1, 8, 8}):float()) end,
      "In module 1 of Sequential: Conv2d(3 -> 4, 3x3): input of shape [2,1,8,8] does not match the expected [N,3,H,W]")
    assert.has_error(function() nn.Conv2d(1, 1, 5):forward(T.zeros({1, 1, 3, 3}):float()) end,
      "Conv2d(1 -> 1, 5x5): input of shape [1,1,3,3] is smaller than the 5x5 window (padding 0,0)")
    local lin = nn.Linear(3, 2)
    lin:forward(T.zeros({4, 3}):float())
    assert.has_error(function() lin:backward(T.zeros({4, 3}):float(), T.zeros({4, 3}):float()) end,
      "Linear(3 -> 2): gradOutput of shape [4,3] does not match the output shape [4,2]")
  end)
  it("labels out of range or not integers", function()
    local ce = nn.CrossEntropy()
    local z = T.zeros({3, 4}):float()
    assert.has_error(function() ce:forward(z, T.from({1, 5, 2})) end,
      "CrossEntropy: label 5 at position 2 is not a class index in 1..4")
    assert.has_error(function() ce:forward(z, T.from({0, 1, 2})) end,
      "CrossEntropy: label 0 at position 1 is not a class index in 1..4")
    assert.has_error(function() ce:backward(z, T.from({1, 2.5, 2})) end,
      "CrossEntropy: label 2.5 at position 2 is not a class index in 1..4")
    assert.has_error(function() ce:forward(z, T.from({1, 2})) end,
      "CrossEntropy: labels of shape [2] do not match the 3 rows of the input (expected [3])")
    -- f32 labels and [N,1] labels are accepted
    assert.is_true(math.abs(ce:forward(z, T.from({{1}, {2}, {3}}, "f32")) - math.log(4)) < 1e-6)
  end)
  it("wrong dtypes", function()
    assert.has_error(function() nn.Linear(3, 2):forward(T.zeros({1, 3})) end,
      "Linear(3 -> 2): input has dtype f64, expected f32 (convert with :float())")
    assert.has_error(function() nn.Linear(3, 2, {dtype = "f16"}) end,
      "dtype must be \"f32\" or \"f64\", got f16")
    assert.has_error(function() nn.MSE():forward(T.zeros({2, 2}):float(), T.zeros({2, 2})) end,
      "MSE: target has dtype f64, expected f32 (convert with :float())")
  end)
  it("bad constructor arguments", function()
    assert.has_error(function() nn.Linear(0, 3) end, "Linear: in must be a positive integer, got 0")
    assert.has_error(function() nn.Conv2d(1, 2, 3, {stride = 0}) end,
      "Conv2d: stride must be a positive integer, got 0")
    assert.has_error(function() nn.CrossEntropy({reduction = "avg"}) end,
      "CrossEntropy: reduction must be one of \"batchmean\", \"mean\", \"sum\", got avg")
    assert.has_error(function() nn.Sequential{nn.Linear(2, 2), 5} end,
      "Sequential: element 2 is not a module (got number)")
  end)
  it("an optional check stops on a non-finite loss with the call number", function()
    local ce = nn.CrossEntropy({check_finite = true})
    local y = T.from({1})
    ce:forward(T.zeros({1, 2}):float(), y)
    assert.has_error(function() ce:forward(T.from({{0 / 0, 1}}, "f32"), y) end,
                     "CrossEntropy: non-finite loss (nan) at call 2")
  end)
end)

describe("nn protocol misuse", function()
  it("backward before forward says so", function()
    local ok, err = pcall(function() nn.Tanh():backward(T.zeros({2, 2}):float(), T.zeros({2, 2}):float()) end)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("Tanh: backward called before forward", 1, true))
    local g = nn.GaussianNoise{sigma = 1, mode = "mul"}
    ok, err = pcall(function() g:backward(T.zeros({2, 2}):float(), T.zeros({2, 2}):float()) end)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("backward called before forward", 1, true))
  end)
  it("an empty batch gives empty outputs and zero gradients", function()
    local net = nn.Sequential{nn.Linear(3, 2), nn.ReLU()}
    local out = net:forward(T.zeros({0, 3}):float())
    assert.are.same({0, 2}, out:shape())
    net:zero_grad()
    net:backward(T.zeros({0, 3}):float(), T.zeros({0, 2}):float())
    local _, G = net:parameters()
    assert.are.equal(0, G:abs():max())
  end)
end)

-- The f32 fast paths (narrow Linear layers and 2x2 max pooling with AVX2) against the same
-- layers in f64, which go through OpenBLAS dgemm and the general pooling loop.
describe("nn f32 fast paths against f64", function()
  local function rel(a, b) return ((a:double() - b):abs():max()) / b:abs():max() end

  it("Linear(784, 32): forward, input and weight gradients", function()
    local g = nl.rng.new(21)
    local m32 = nl.nn.Linear(784, 32, {rng = g})
    local m64 = m32:clone():double()
    local x = T.randn({100, 784}, {rng = g})
    local go = T.randn({100, 32}, {rng = g})
    local y32 = m32:forward(x:float())
    local y64 = m64:forward(x)
    assert.is_true(rel(y32, y64) < 1e-5, "forward " .. rel(y32, y64))
    m32:zero_grad(); m64:zero_grad()
    local gi32 = m32:backward(x:float(), go:float())
    local gi64 = m64:backward(x, go)
    assert.is_true(rel(gi32, gi64) < 1e-5, "gradInput " .. rel(gi32, gi64))
    local _, G32 = m32:parameters()
    local _, G64 = m64:parameters()
    assert.is_true(rel(G32, G64) < 1e-5, "gradWeight " .. rel(G32, G64))
  end)

  it("MaxPool2d(2): values and gradient routing match", function()
    local g = nl.rng.new(5)
    local x = T.randn({3, 4, 8, 8}, {rng = g})
    local p32, p64 = nl.nn.MaxPool2d(2), nl.nn.MaxPool2d(2)
    local y32, y64 = p32:forward(x:float()), p64:forward(x)
    assert.equal(0, rel(y32, y64:float():double()))
    local go = T.randn({3, 4, 4, 4}, {rng = g})
    local g32 = p32:backward(x:float(), go:float())
    local g64 = p64:backward(x, go)
    assert.is_true(rel(g32, g64) < 1e-6)
  end)
end)
