-- Specs for noiselab.optim: SGD/momentum/Nesterov/weight decay/Adam and the multistep schedule
-- against PyTorch (tests/reference/torch_parity.py, when python3-torch is installed), the
-- Simsekli schedule, truncation and noise modifiers against closed forms and known laws.
local nl = require "noiselab"
-- (fragment, f) order, as these specs were written
local function fails_with(fragment, f) return require("tests.helpers").errors_with(f, fragment) end
local T, nn, optim = nl.tensor, nl.nn, nl.optim
local core = require "noiselab.nn_core"

local H = require "tests.helpers"
local PY = H.PYTHON
local function torch_available() return H.has_python("torch", "numpy") end

-- the case configurations go to tests/reference/torch_parity.py as JSON (one value: the text)
local function json(v) return (require("noiselab.json").encode(v)) end

local rmdir = H.rmtree


local function flat(n, dt)
  local P, G = T.zeros({n}, dt or "f32"), T.zeros({n}, dt or "f32")
  return {params = P, grads = G}, P, G
end

describe("optim parity with PyTorch (3–6 steps, f32)", function()
  local N, rng = 40, nl.rng.new(5)
  local cases = {
    {"SGD", {lr = 0.1}},
    {"SGD", {lr = 0.05, momentum = 0.9, weight_decay = 0.01}},
    {"SGD", {lr = 0.05, momentum = 0.9, nesterov = true}},
    {"SGD", {lr = 0.05, momentum = 0.5, dampening = 0.3, weight_decay = 0.1}},
    {"Adam", {lr = 1e-3}},
    {"Adam", {lr = 0.01, betas = {0.8, 0.99}, eps = 1e-6, weight_decay = 0.1}},
    {"SGD", {lr = 0.2, momentum = 0.9}, milestones = {2, 4}, gamma = 0.5, steps = 6},
  }
  it("every optimizer follows torch.optim step by step to 1e-6 relative", function()
    if not torch_available() then return pending("python3-torch not available") end
    local root = H.tmpdir()
    local dirs, results = {}, {}
    for i, c in ipairs(cases) do
      local d = root .. "/" .. i
      assert(core.mkdir(d))
      dirs[i] = d
      local steps = c.steps or 3
      local net, P, G = flat(N)
      P:copy(T.randn({N}, rng))
      T.save(P, d .. "/p0.npy")
      local opts = {}
      for k, v in pairs(c[2]) do opts[k] = v end
      if c.milestones then opts.schedule = optim.multistep{milestones = c.milestones, gamma = c.gamma} end
      local opt = optim[c[1]](net, opts)
      results[i] = {}
      for k = 1, steps do
        local g = T.randn({N}, rng):float()
        T.save(g, d .. "/g" .. k .. ".npy")
        G:copy(g)
        opt:step()
        results[i][k] = P:clone()
      end
      local f = assert(io.open(d .. "/cfg.json", "w"))
      f:write(json({case = "optim", optimizer = c[1], opts = c[2], steps = steps,
                    milestones = c.milestones, gamma = c.gamma}))
      f:close()
    end
    assert.is_true(os.execute(("%s tests/reference/torch_parity.py %s"):format(PY, table.concat(dirs, " "))))
    for i, c in ipairs(cases) do
      for k, p in ipairs(results[i]) do
        local ref = T.load(dirs[i] .. "/p" .. k .. ".npy")
        local err = (p:double() - ref:double()):abs():max() / ref:double():abs():max()
        assert.is_true(err < 1e-6, ("case %d (%s) step %d: rel. error %g"):format(i, c[1], k, err))
      end
      rmdir(dirs[i])
    end
    rmdir(root)
  end)
end)

describe("optim schedules", function()
  it("simsekli halves the rate at 1/3 and 2/3 of the run", function()
    local s = optim.simsekli(9)
    local lrs = {}
    for t = 1, 9 do lrs[t] = s(t, 0.1) end
    assert.are.same({0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025}, lrs)
  end)
  it("the optimizer reports the rate it used", function()
    local net = flat(3)
    local opt = optim.SGD(net, {lr = 1, schedule = optim.multistep{milestones = {1}, gamma = 0.1}})
    assert.are.equal(1, opt:step())
    assert.is_true(math.abs(opt:step() - 0.1) < 1e-15)
  end)
end)

describe("optim modifiers", function()
  it("truncation to norm b and per coordinate (Wang et al.)", function()
    local net, P, G = flat(2, "f64")
    G:copy(T.from({3, 4}))
    local opt = optim.SGD(net, {lr = 1, truncate = {norm = 1}})
    opt:step()
    assert.is_true((P - T.from({-0.6, -0.8})):abs():max() < 1e-15)
    assert.are.equal(5, opt.last_step_norm)
    P:fill(0)
    optim.SGD(net, {lr = 1, truncate = {coord = 3.5}}):step()
    assert.are.same({-3, -3.5}, P:totable())
    P:fill(0)
    optim.SGD(net, {lr = 0.1, truncate = {norm = 1}}):step()     -- short steps are untouched
    assert.is_true((P - T.from({-0.3, -0.4})):abs():max() < 1e-15)
  end)
  it("a Lua noise hook edits the direction before the rate is applied", function()
    local net, P, G = flat(3, "f64")
    G:copy(T.from({1, 2, 3}))
    optim.SGD(net, {lr = 0.5, noise_fn = function(d) d:add_(1) end}):step()
    assert.are.same({-1, -1.5, -2}, P:totable())
  end)
  local n = 100000
  local function one_step(noise, lr)
    local net, P = flat(n, "f64")
    optim.SGD(net, {lr = lr or 1, noise = noise}):step()
    return P   -- w = −lr·(0 − Z) = lr·Z
  end
  it("Gaussian noise: N(0, scale²) per coordinate, times the rate", function()
    local p = one_step({kind = "gaussian", scale = 2, rng = nl.rng.new(1)}, 0.5)
    assert.is_true(math.abs(p:mean()) < 0.01)               -- se 0.0032
    assert.is_true(math.abs(p:std() - 1) < 0.01)            -- se 0.0022
  end)
  it("α-stable noise: Cauchy at α = 1 (P(|Z| > σ) = 1/2), N(0, 2σ²) at α = 2", function()
    local p = one_step({kind = "stable", alpha = 1, scale = 0.3, rng = nl.rng.new(2)})
    local frac = (p:abs():gt(0.3)):sum() / n
    assert.is_true(math.abs(frac - 0.5) < 0.006)            -- se 0.0016
    p = one_step({kind = "stable", alpha = 2, scale = 0.5, rng = nl.rng.new(3)})
    assert.is_true(math.abs(p:std() - 0.5 * math.sqrt(2)) / (0.5 * math.sqrt(2)) < 0.01)
  end)
  it("symmetric Pareto noise: P(|Z| > z) = (z/scale)^-α, |Z| >= scale, symmetric", function()
    local p = one_step({kind = "pareto", alpha = 1.5, scale = 1, rng = nl.rng.new(4)})
    assert.is_true(p:abs():min() >= 1)
    local frac = (p:abs():gt(2)):sum() / n
    assert.is_true(math.abs(frac - 2 ^ -1.5) < 0.006)        -- se 0.0015
    assert.is_true(math.abs((p:gt(0)):sum() / n - 0.5) < 0.006)
  end)
  it("isotropic Pareto noise has a Pareto norm; isotropic stable has SαS marginals", function()
    local net, P = flat(3, "f64")
    local g = nl.rng.new(5)
    local opt = optim.SGD(net, {lr = 1, noise = {kind = "pareto", alpha = 1.5, scale = 1,
                                                 isotropic = true, rng = g}})
    local big, draws = 0, 3000
    for _ = 1, draws do
      P:fill(0)
      opt:step()
      local r = math.sqrt((P * P):sum())
      assert.is_true(r >= 1 - 1e-12)
      if r > 2 then big = big + 1 end
    end
    assert.is_true(math.abs(big / draws - 2 ^ -1.5) < 0.035)  -- se 0.0087
    -- sub-Gaussian SαS vector with α = 1: each coordinate is Cauchy(σ)
    local opt2 = optim.SGD(net, {lr = 1, noise = {kind = "stable", alpha = 1, scale = 0.5,
                                                  isotropic = true, rng = g}})
    local over = 0
    for _ = 1, draws do
      P:fill(0)
      opt2:step()
      if math.abs(P:get(1)) > 0.5 then over = over + 1 end
    end
    assert.is_true(math.abs(over / draws - 0.5) < 0.035)      -- se 0.0091
  end)
  it("noise plus truncation never moves further than b", function()
    local net, P = flat(1000)
    local opt = optim.SGD(net, {lr = 0.1, noise = {kind = "pareto", alpha = 1.1, scale = 1,
                                                   rng = nl.rng.new(6)}, truncate = {norm = 0.5}})
    for _ = 1, 50 do
      local before = P:clone()
      opt:step()
      local dp = P - before
      assert.is_true(math.sqrt((dp * dp):sum()) <= 0.5 * (1 + 1e-5))
    end
  end)
  it("the same generator seed gives the same trajectory", function()
    local function run()
      local net, P, G = flat(20)
      G:fill(0.1)
      local opt = optim.Adam(net, {lr = 0.01, noise = {kind = "stable", alpha = 1.5, scale = 0.1,
                                                       rng = nl.rng.new(7)}})
      for _ = 1, 5 do opt:step() end
      return P
    end
    assert.are.equal(0, (run() - run()):abs():max())
  end)
  it("SGD on a network updates the net's own weights", function()
    local net = nn.Sequential{nn.Linear(3, 2)}
    local x, y = T.randn({4, 3}):float(), T.from({1, 2, 2, 1})
    local loss = nn.CrossEntropy()
    net:zero_grad()
    local out = net:forward(x)
    loss:forward(out, y)
    net:backward(x, loss:backward(out, y))
    local w0, gw = net:get(1).weight:clone(), net:get(1).gradWeight:clone()
    optim.SGD(net, {lr = 0.3}):step()
    assert.is_true((net:get(1).weight - (w0 - gw * 0.3)):abs():max() < 1e-7)
  end)
end)

describe("optim bad input", function()
  local net = flat(4)
  it("check_finite stops at the first non-finite gradient with the step number", function()
    local n2, P, G = flat(3)
    local opt = optim.SGD(n2, {lr = 0.1, check_finite = true})
    G:fill(1)
    opt:step()
    opt:step()
    G:set(2, 0 / 0)
    local before = P:clone()
    fails_with("SGD: non-finite gradient at step 3 (parameters left unchanged)", function() opt:step() end)
    assert.are.equal(0, (P - before):abs():max())
    G:set(2, math.huge)
    fails_with("at step 3", function() opt:step() end)
  end)
  it("rejects bad options with a message naming them", function()
    fails_with("SGD: lr is required", function() optim.SGD(net, {}) end)
    fails_with("SGD: momentum must be a number >= 0, got -1", function() optim.SGD(net, {lr = 1, momentum = -1}) end)
    fails_with("Nesterov momentum requires momentum > 0", function() optim.SGD(net, {lr = 1, nesterov = true}) end)
    fails_with("Adam: betas[2] must be in [0, 1), got 1", function() optim.Adam(net, {betas = {0.9, 1}}) end)
    fails_with("noise = {kind = \"stable\"|\"pareto\"|\"gaussian\", ...} expected, got kind levy",
               function() optim.SGD(net, {lr = 1, noise = {kind = "levy", scale = 1}}) end)
    fails_with("noise alpha must be in (0, 2] for stable noise, got 2.5",
               function() optim.SGD(net, {lr = 1, noise = {kind = "stable", alpha = 2.5, scale = 1}}) end)
    fails_with("truncation level b must be > 0, got 0", function() optim.SGD(net, {lr = 1, truncate = {norm = 0}}) end)
    fails_with("multistep: milestone 2 must be a non-negative integer, got 1.5",
               function() optim.multistep{milestones = {1, 1.5}} end)
    fails_with("a module (with :parameters()) or {params = P, grads = G} expected", function() optim.SGD(5, {lr = 1}) end)
  end)
end)
