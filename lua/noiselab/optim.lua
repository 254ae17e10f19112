--- noiselab.optim: SGD and Adam over a network's flat parameter vector, with composable
-- update modifiers (injected noise, truncation, a Lua noise hook) and learning-rate schedules.
--
-- The updates follow PyTorch 1.13's torch.optim (SGD: L2 weight decay added to the gradient,
-- momentum buffer initialised with the first direction, optional dampening and Nesterov; Adam
-- with bias corrections).  Every loop over the parameters runs in C (noiselab.nn_core).
--
-- With modifiers, one step is (Wang, Oh & Rhee 2022: w ← w − φ_b(η(g − Z))):
--   d = g + wd·w            -- gradient (+ weight decay)
--   d = d − Z               -- noise = {kind=, alpha=, scale=, isotropic=, rng=}
--   noise_fn(d, opt)        -- optional Lua hook: edit d in place
--   s = rule(d)             -- SGD: lr·(momentum direction); Adam: lr·m̂/(√v̂ + eps)
--   s = φ_b(s)              -- truncate = {norm = b} (whole step) or {coord = b} (each entry)
--   w = w − s
local core = require "noiselab.nn_core"

local optim = {}

-- ---------------------------------------------------------------------------------------
-- schedules: a schedule is a function (t, lr0) -> lr for step t (t = 1 for the first step)

--- multistep{milestones = {m1, m2, ...}, gamma = 0.1}: lr0·γ^k after k milestones have passed
-- (steps m+1, m+2, … use the decayed rate), as PyTorch's MultiStepLR counted in steps.
function optim.multistep(opts)
  local ms, gamma = opts and opts.milestones, opts and opts.gamma or 0.1
  if type(ms) ~= "table" then error("multistep: milestones = {step, ...} expected", 2) end
  for i, m in ipairs(ms) do
    if math.type(m) ~= "integer" or m < 0 then
      error(("multistep: milestone %d must be a non-negative integer, got %s")
        :format(i, tostring(m)), 2)
    end
  end
  if type(gamma) ~= "number" or gamma <= 0 then
    error(("multistep: gamma must be > 0, got %s"):format(tostring(gamma)), 2)
  end
  local sorted = {table.unpack(ms)}
  table.sort(sorted)
  return function(t, lr0)
    local k = 0
    for _, m in ipairs(sorted) do if t > m then k = k + 1 end end
    return lr0 * gamma ^ k
  end
end

--- simsekli(total_steps): the rate halved at 1/3 and 2/3 of the run (Simsekli et al. 2019).
function optim.simsekli(total)
  if math.type(total) ~= "integer" or total < 1 then
    error(("simsekli: total number of steps must be a positive integer, got %s")
      :format(tostring(total)), 2)
  end
  return optim.multistep{milestones = {total // 3, (2 * total) // 3}, gamma = 0.5}
end

-- ---------------------------------------------------------------------------------------
-- shared machinery

local function flat_of(net)
  if type(net) == "table" and type(net.parameters) == "function" then return net:parameters() end
  if type(net) == "table" and net.params and net.grads then return net.params, net.grads end
  error("optimizer: a module (with :parameters()) or {params = P, grads = G} expected", 3)
end

local function num(opts, key, def, lo, fname, strict)
  local v = opts[key]
  if v == nil then return def end
  if type(v) ~= "number" or v ~= v or (strict and v <= lo) or (not strict and v < lo) then
    error(("%s: %s must be a number %s %g, got %s"):format(fname, key, strict and ">" or ">=",
                                                          lo, tostring(v)), 3)
  end
  return v
end

local NOISE_KINDS = {gaussian = true, stable = true, pareto = true}

local function check_noise(nz, fname)
  if nz == nil then return nil end
  if type(nz) ~= "table" or not NOISE_KINDS[nz.kind] then
    error(("%s: noise = {kind = \"stable\"|\"pareto\"|\"gaussian\", ...} expected, got kind %s")
      :format(fname, type(nz) == "table" and tostring(nz.kind) or type(nz)), 3)
  end
  local alpha = nz.alpha or 2
  if nz.kind == "stable" and not (alpha > 0 and alpha <= 2) then
    error(("%s: noise alpha must be in (0, 2] for stable noise, got %g"):format(fname, alpha), 3)
  end
  if nz.kind == "pareto" and not (alpha > 0 and alpha < math.huge) then
    error(("%s: noise alpha must be > 0 for Pareto noise, got %g"):format(fname, alpha), 3)
  end
  local scale = nz.scale
  if type(scale) ~= "number" or not (scale >= 0 and scale < math.huge) then
    error(("%s: noise scale must be a finite number >= 0, got %s")
      :format(fname, tostring(scale)), 3)
  end
  return {kind = nz.kind, alpha = alpha, scale = scale, isotropic = nz.isotropic and true or false,
          rng = nz.rng}
end

local function check_trunc(tr, fname)
  if tr == nil then return nil end
  if type(tr) ~= "table" then
    error(fname .. ": truncate = {norm = b} or {coord = b} expected", 3)
  end
  local mode, b
  if tr.norm then mode, b = "norm", tr.norm elseif tr.coord then mode, b = "coord", tr.coord end
  if not mode then error(fname .. ": truncate = {norm = b} or {coord = b} expected", 3) end
  if type(b) ~= "number" or not (b > 0) then
    error(("%s: truncation level b must be > 0, got %s"):format(fname, tostring(b)), 3)
  end
  return {mode = mode, b = b}
end

local Base = {}
Base.__index = Base

local function init_common(self, net, opts, fname)
  self.params, self.grads = flat_of(net)
  self.lr0 = num(opts, "lr", nil, 0, fname, false)
  if self.lr0 == nil then error(fname .. ": lr is required", 3) end
  self.lr = self.lr0
  self.weight_decay = num(opts, "weight_decay", 0, -math.huge, fname, false)
  self.schedule = opts.schedule
  if self.schedule ~= nil and type(self.schedule) ~= "function" then
    error(fname .. ": schedule must be a function (t, lr0) -> lr, e.g. optim.multistep{...}", 3)
  end
  self.noise = check_noise(opts.noise, fname)
  self.truncation = check_trunc(opts.truncate, fname)
  self.noise_fn = opts.noise_fn
  self.check_finite = opts.check_finite and true or false
  if self.noise_fn ~= nil and type(self.noise_fn) ~= "function" then
    error(fname .. ": noise_fn must be a function (d, opt)", 3)
  end
  self.t = 0
end

function Base:_modified() return self.noise or self.truncation or self.noise_fn end

--- Modifiers can also be set after construction (each returns the optimizer).
function Base:set_noise(nz) self.noise = check_noise(nz, "set_noise") return self end
function Base:set_truncation(tr) self.truncation = check_trunc(tr, "set_truncation") return self end
function Base:set_noise_fn(f) self.noise_fn = f return self end

function Base:zero_grad() core.zero(self.grads) return self end

-- The start of every step(): the step number t and its learning rate (both recorded).  With
-- check_finite = true a non-finite gradient stops the run before it touches the weights (the
-- error blames the caller of step(), which calls this directly).
function Base:_begin()
  local t = self.t + 1
  if self.check_finite and not core.allfinite(self.grads) then
    error(("%s: non-finite gradient at step %d (parameters left unchanged)"):format(self.kind, t), 3)
  end
  self.t = t
  local lr = self.lr0
  if self.schedule then lr = self.schedule(t, self.lr0) end
  self.lr = lr
  return t, lr
end

-- The modified path: scratch direction d (allocated once).
function Base:_direction()
  if not self._d then self._d = core.zeros(#self.params, self.params:dtype()) end
  local d = self._d
  core.opt_prepare(self.params, self.grads, d, self.weight_decay)
  local nz = self.noise
  if nz then core.noise_sub(d, nz.kind, nz.alpha, nz.scale, nz.isotropic, nz.rng) end
  if self.noise_fn then self.noise_fn(d, self) end
  return d
end

function Base:_finish(d)
  local tr = self.truncation
  if tr then
    self.last_step_norm = core.truncate(d, tr.mode, tr.b)
  end
  core.apply_step(self.params, d)
end

-- ---------------------------------------------------------------------------------------
-- SGD

local SGD = setmetatable({}, {__index = Base})
SGD.__index = SGD
SGD.__tostring = function(o)
  return ("optim.SGD(lr=%g, momentum=%g, weight_decay=%g%s)"):format(o.lr, o.momentum,
    o.weight_decay, o.nesterov and ", nesterov" or "")
end

--- SGD(net, {lr =, momentum = 0, dampening = 0, weight_decay = 0, nesterov = false,
--            schedule = f, noise = {...}, truncate = {...}, noise_fn = f, check_finite = false})
function optim.SGD(net, opts)
  opts = opts or {}
  local self = setmetatable({kind = "SGD"}, SGD)
  init_common(self, net, opts, "SGD")
  self.momentum = num(opts, "momentum", 0, 0, "SGD", false)
  self.dampening = num(opts, "dampening", 0, 0, "SGD", false)
  self.nesterov = opts.nesterov and true or false
  if self.nesterov and (self.momentum <= 0 or self.dampening ~= 0) then
    error("SGD: Nesterov momentum requires momentum > 0 and dampening = 0", 2)
  end
  if self.momentum > 0 then self.buf = core.zeros(#self.params, self.params:dtype()) end
  return self
end

--- opt:step(): one update from the gradients currently in the net (returns the lr used).
function SGD:step()
  local t, lr = self:_begin()
  local first = t == 1
  if not self:_modified() then
    core.sgd_step(self.params, self.grads, self.buf, lr, self.momentum, self.dampening,
                  self.weight_decay, self.nesterov, first)
  else
    local d = self:_direction()
    core.sgd_dir(d, self.buf, lr, self.momentum, self.dampening, self.nesterov, first)
    self:_finish(d)
  end
  return lr
end

-- ---------------------------------------------------------------------------------------
-- Adam

local Adam = setmetatable({}, {__index = Base})
Adam.__index = Adam
Adam.__tostring = function(o)
  return ("optim.Adam(lr=%g, betas={%g, %g}, eps=%g, weight_decay=%g)"):format(o.lr, o.beta1,
    o.beta2, o.eps, o.weight_decay)
end

--- Adam(net, {lr = 1e-3, betas = {0.9, 0.999}, eps = 1e-8, weight_decay = 0, schedule =,
--             noise =, truncate =, noise_fn =})
function optim.Adam(net, opts)
  opts = opts or {}
  if opts.lr == nil then opts = setmetatable({lr = 1e-3}, {__index = opts}) end
  local self = setmetatable({kind = "Adam"}, Adam)
  init_common(self, net, opts, "Adam")
  local betas = opts.betas or {0.9, 0.999}
  self.beta1, self.beta2 = betas[1], betas[2]
  for i, b in ipairs({self.beta1, self.beta2}) do
    if type(b) ~= "number" or b < 0 or b >= 1 then
      error(("Adam: betas[%d] must be in [0, 1), got %s"):format(i, tostring(b)), 2)
    end
  end
  self.eps = num(opts, "eps", 1e-8, 0, "Adam", false)
  self.m = core.zeros(#self.params, self.params:dtype())
  self.v = core.zeros(#self.params, self.params:dtype())
  return self
end

function Adam:step()
  local t, lr = self:_begin()
  if not self:_modified() then
    core.adam_step(self.params, self.grads, self.m, self.v, lr, self.beta1, self.beta2, self.eps,
                   self.weight_decay, t)
  else
    local d = self:_direction()
    core.adam_dir(d, self.m, self.v, lr, self.beta1, self.beta2, self.eps, t)
    self:_finish(d)
  end
  return lr
end

return optim
