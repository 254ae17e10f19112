--- noiselab.nn: layers, containers and losses (modelled on torch/nn, PyTorch semantics).
--
-- Module protocol (every layer and container):
--   m:forward(x)            -> output (also kept in m.output; the buffer is reused next call)
--   m:backward(x, gradOut [, need_gradInput]) -> gradInput (also m.gradInput); accumulates the
--                              parameter gradients; need_gradInput = false lets the layer skip
--                              the input gradient (returns nil) — containers pass it to their
--                              first child when m.input_grad == false
--   m:parameters()          -> params, grads: two flat 1-d tensors; every weight and gradient
--                              of the module is a view into them (torch's getParameters)
--   m:parameter_list()      -> { {name="1.weight", module=, param=, grad=, offset=, numel=,
--                              is_weight=}, ... } in parameter order (offset is 0-based)
--   m:zero_grad(), m:train(), m:evaluate() (m.training), m:clone(), m:save(dir), m:load(dir),
--   m:float(), m:double(), tostring(m)
-- The kernels are in C (noiselab.nn_core); this file only keeps buffers and calls them.
local core = require "noiselab.nn_core"

local nn = {}

local ACT = {relu = 1, tanh = 2, sigmoid = 3, elu = 4}

local tensor_mt = getmetatable(core.zeros(0))
local function is_tensor(v) return getmetatable(v) == tensor_mt end

local function dtype_of(opts)
  local dt = opts and opts.dtype or "f32"
  if dt ~= "f32" and dt ~= "f64" then
    error(("dtype must be \"f32\" or \"f64\", got %s"):format(tostring(dt)), 3)
  end
  return dt
end

local function shape_str(s) return "[" .. table.concat(s, ",") .. "]" end

-- ---------------------------------------------------------------------------------------
-- classes

local Module = {}
Module.__index = Module
nn.Module = Module

local function class(name, parent)
  local cls = setmetatable({}, {__index = parent or Module})
  cls.__index = cls
  cls.__name = "nn." .. name
  cls.__tostring = function(m) return m:_describe("") end
  cls.typename = "nn." .. name
  return cls
end

function Module:_describe() return self.typename end

-- Parameter specs of this module alone: {key=, gkey=, is_weight=}.
function Module:_param_specs() return self._specs or {} end

-- Children (containers override).
function Module:_children() return {} end

-- Collect (module, spec, name) for the whole tree in parameter order.
local function collect(m, prefix, out)
  for _, s in ipairs(m:_param_specs()) do
    out[#out + 1] = {module = m, key = s.key, gkey = s.gkey, is_weight = s.is_weight,
                     name = prefix .. s.key}
  end
  for i, c in ipairs(m:_children()) do collect(c, prefix .. i .. ".", out) end
  return out
end

-- Put every parameter and gradient of the tree into one flat vector each; every module of the
-- tree then records its own slice (so child:parameters() are views into the parent's vector).
function Module:_flatten()
  local entries = collect(self, "", {})
  local dt, total = nil, 0
  for _, e in ipairs(entries) do
    local t = e.module[e.key]
    if dt and t:dtype() ~= dt then
      error(("%s: parameters mix dtypes %s and %s; convert with :float() or :double()")
        :format(self.typename, dt, t:dtype()), 3)
    end
    dt = t:dtype()
    e.shape = t:shape()
    e.numel = #t
    e.offset = total
    total = total + e.numel
  end
  dt = dt or self._dtype or "f32"
  local P, G = core.zeros(total, dt), core.zeros(total, dt)
  for _, e in ipairs(entries) do
    local m = e.module
    local pv, gv = core.view(P, e.offset, e.shape), core.view(G, e.offset, e.shape)
    core.copy(pv, m[e.key])
    m[e.key], m[e.gkey] = pv, gv
  end
  -- every module of the tree: its slice of the flat vectors
  local function mark(m, base)
    local n = 0
    for _, e in ipairs(collect(m, "", {})) do n = n + #e.module[e.key] end
    m._flat = {params = core.view(P, base, {n}), grads = core.view(G, base, {n}), offset = base,
               numel = n, dtype = dt}
    m._dtype = dt
    local off = base
    for _, s in ipairs(m:_param_specs()) do off = off + #m[s.key] end
    for _, c in ipairs(m:_children()) do off = mark(c, off) end
    return base + n
  end
  mark(self, 0)
  self._flat.root = true
  self._dtype = dt
  return P, G
end

function Module:parameters()
  if not self._flat then self:_flatten() end
  return self._flat.params, self._flat.grads
end

function Module:parameter_list()
  if not self._flat then self:_flatten() end
  local list, off = {}, 0
  for _, e in ipairs(collect(self, "", {})) do
    local p, g = e.module[e.key], e.module[e.gkey]
    list[#list + 1] = {name = e.name, module = e.module, param = p, grad = g, offset = off,
                       numel = #p, is_weight = e.is_weight}
    off = off + #p
  end
  return list
end

function Module:num_parameters()
  local p = self:parameters()
  return #p
end

function Module:zero_grad()
  if not self._flat then self:_flatten() end
  core.zero(self._flat.grads)
  return self
end

local function set_training(m, on)
  m.training = on
  for _, c in ipairs(m:_children()) do set_training(c, on) end
end
function Module:train() set_training(self, true) return self end
function Module:evaluate() set_training(self, false) return self end
Module.eval = Module.evaluate
function Module:is_training() return self.training end

-- Buffers are dropped by clone/type conversion (they are rebuilt on the next call).
local BUFFERS = {output = true, gradInput = true, _cols = true, _gcols = true, _idx = true,
                 noise = true, _out = true, _gin = true, _flat = true, _tile_x = true,
                 _tile_y = true, per_sample = true, _wt = true}

local function deepcopy(v, memo, convert)
  if type(v) ~= "table" then
    if is_tensor(v) then
      if convert then
        local c = core.zeros(#v, convert)
        local c2 = core.view(c, 0, v:shape())
        core.copy(c2, v)
        return c2
      end
      return v:clone()
    end
    return v
  end
  if memo[v] then return memo[v] end
  local c = {}
  memo[v] = c
  for k, x in pairs(v) do
    if not BUFFERS[k] then
      if type(x) == "userdata" and not is_tensor(x) then
        c[k] = x  -- generators are shared, not copied
      else
        c[k] = deepcopy(x, memo, convert)
      end
    end
  end
  return setmetatable(c, getmetatable(v))
end

function Module:clone()
  local c = deepcopy(self, {}, nil)
  c:_flatten()
  return c
end

-- Convert parameters to dtype; returns a new module? No: converts in place (like torch's
-- m:float()), re-flattening the tree.
function Module:_to(dt)
  if self._dtype == dt and self._flat then return self end
  for _, e in ipairs(collect(self, "", {})) do
    local m = e.module
    for _, k in ipairs({e.key, e.gkey}) do
      local t = m[k]
      local c = core.view(core.zeros(#t, dt), 0, t:shape())
      core.copy(c, t)
      m[k] = c
    end
  end
  local function drop(m)
    for k in pairs(BUFFERS) do if k ~= "_flat" then m[k] = nil end end
    m._dtype = dt
    for _, c in ipairs(m:_children()) do drop(c) end
  end
  drop(self)
  self:_flatten()
  return self
end
function Module:float() return self:_to("f32") end
function Module:double() return self:_to("f64") end
function Module:dtype()
  if not self._flat then self:_flatten() end
  return self._dtype
end

-- ---------------------------------------------------------------------------------------
-- save / load: a directory holding one .npy per parameter ("<name>.npy", e.g. 1.weight.npy)
-- and index.csv (name,shape,offset,numel).  Written into "<dir>.tmp-<pid-ish>" first and
-- renamed into place, so a reader never sees a half-written bundle.

local function listing(dir)
  local f = io.open(dir .. "/index.csv", "r")
  if not f then return nil end
  local names = {}
  for line in f:lines() do
    local name = line:match("^([^,]+),")
    if name and name ~= "name" then names[#names + 1] = name end
  end
  f:close()
  return names
end

local function remove_bundle(dir)
  for _, n in ipairs(listing(dir) or {}) do os.remove(dir .. "/" .. n .. ".npy") end
  os.remove(dir .. "/index.csv")
  os.remove(dir)
end

function Module:save(dir)
  if type(dir) ~= "string" then error("save: directory path expected", 2) end
  local list = self:parameter_list()
  local tmp = ("%s.tmp-%d"):format(dir, math.random(1, 1e9))
  local ok, err = core.mkdir(tmp)
  if not ok then error("save: " .. err, 2) end
  local idx = {"name,shape,offset,numel"}
  for _, e in ipairs(list) do
    core.npy_save(e.param, tmp .. "/" .. e.name .. ".npy")
    idx[#idx + 1] = ("%s,%s,%d,%d"):format(e.name, table.concat(e.param:shape(), "x"),
                                            e.offset, e.numel)
  end
  local f = assert(io.open(tmp .. "/index.csv", "w"))
  f:write(table.concat(idx, "\n"), "\n")
  f:close()
  local old
  if listing(dir) then
    old = ("%s.old-%d"):format(dir, math.random(1, 1e9))
    assert(os.rename(dir, old))
  end
  local rok, rerr = os.rename(tmp, dir)
  if not rok then error("save: cannot move the bundle into place: " .. tostring(rerr), 2) end
  if old then remove_bundle(old) end
  return self
end

function Module:load(dir)
  local names = listing(dir)
  if not names then
    error(("load: %s is not a saved network (no index.csv)"):format(tostring(dir)), 2)
  end
  local have = {}
  for _, n in ipairs(names) do have[n] = true end
  local list = self:parameter_list()
  for _, e in ipairs(list) do
    if not have[e.name] then
      error(("load: %s has no parameter %s (the bundle holds %d parameters, the network %d)")
        :format(dir, e.name, #names, #list), 2)
    end
  end
  if #names ~= #list then
    error(("load: %s holds %d parameters, the network has %d"):format(dir, #names, #list), 2)
  end
  for _, e in ipairs(list) do
    core.npy_read_into(e.param, dir .. "/" .. e.name .. ".npy", e.name)
  end
  return self
end

-- ---------------------------------------------------------------------------------------
-- initialisation

nn.init = {}
--- U(a, b) in place.
function nn.init.uniform(t, a, b, rng) return core.uniform_(t, a, b, rng) end
--- N(0, std²) in place.
function nn.init.normal(t, std, rng) return core.normal_(t, 0, std, rng) end
--- N(0, std²) truncated to [a, b] (default [−2 std, 2 std], TensorFlow's convention) in place.
function nn.init.truncated_normal(t, std, opts)
  opts = opts or {}
  return core.truncnormal_(t, std, opts.a or -2 * std, opts.b or 2 * std, opts.rng)
end
--- PyTorch's default for Linear/Conv weights: kaiming_uniform(a = √5) = U(±1/√fan_in).
function nn.init.kaiming_uniform(t, fan_in, rng)
  local bound = fan_in > 0 and 1 / math.sqrt(fan_in) or 0
  return core.uniform_(t, -bound, bound, rng)
end

-- ---------------------------------------------------------------------------------------
-- Linear

local Linear = class("Linear")
nn.Linear = Linear
local W_SPECS = {{key = "weight", gkey = "gradWeight", is_weight = true},
                 {key = "bias", gkey = "gradBias", is_weight = false}}
local W_ONLY = {W_SPECS[1]}

local function check_size(v, what, fname)
  if math.type(v) ~= "integer" or v < 1 then
    error(("%s: %s must be a positive integer, got %s"):format(fname, what, tostring(v)), 3)
  end
end

-- Weights of a Linear or Conv2d layer m: weight and gradWeight of shape wshape (first dim =
-- outputs), a bias unless opts.bias == false, PyTorch's default Kaiming-uniform init with the
-- given fan-in, all flattened into the module's parameter vector.  Returns m.
local function with_weights(m, wshape, fan_in, opts, dt, name)
  local n, nout = 1, wshape[1]
  for _, v in ipairs(wshape) do n = n * v end
  m.weight = core.view(core.zeros(n, dt), 0, wshape)
  m.gradWeight = core.view(core.zeros(n, dt), 0, wshape)
  nn.init.kaiming_uniform(m.weight, fan_in, opts.rng)
  if opts.bias ~= false then
    m.bias, m.gradBias = core.zeros(nout, dt), core.zeros(nout, dt)
    nn.init.kaiming_uniform(m.bias, fan_in, opts.rng)
    m._specs = W_SPECS
  else
    m._specs = W_ONLY
  end
  m._name = name
  m._dtype = dt
  m:_flatten()
  return m
end

--- Linear(in, out [, {bias = true, dtype = "f32", rng = g}]): y = x Wᵀ + b, W [out, in].
function nn.Linear(nin, nout, opts)
  opts = opts or {}
  check_size(nin, "in", "Linear")
  check_size(nout, "out", "Linear")
  local dt = dtype_of(opts)
  local m = setmetatable({training = true, in_features = nin, out_features = nout}, Linear)
  return with_weights(m, {nout, nin}, nin, opts, dt, ("Linear(%d -> %d)"):format(nin, nout))
end

function Linear:_describe()
  return ("nn.Linear(%d -> %d%s)"):format(self.in_features, self.out_features,
                                          self.bias and "" or ", no bias")
end

function Linear:forward(x)
  -- _wt: scratch for Wᵀ used by the C kernel of narrow f32 layers (kept across calls)
  self.output, self._wt = core.linear_forward(x, self.weight, self.bias, self.output, 0, 1,
                                              self._name, self._wt)
  return self.output
end

function Linear:backward(x, gy, need)
  if need == false then
    core.linear_backward(x, gy, self.weight, self.gradWeight, self.gradBias, false, self._name)
    self.gradInput = nil
  else
    self.gradInput = core.linear_backward(x, gy, self.weight, self.gradWeight, self.gradBias,
                                          self.gradInput, self._name)
  end
  return self.gradInput
end

-- ---------------------------------------------------------------------------------------
-- activations

local function activation(name, kind)
  local cls = class(name)
  nn[name] = function(opts)
    local m = setmetatable({training = true, _kind = kind, _alpha = 1, _name = name}, cls)
    if name == "ELU" then
      m._alpha = (opts and opts.alpha) or 1
      m._name = ("ELU(alpha=%g)"):format(m._alpha)
    end
    return m
  end
  function cls:forward(x)
    self.output = core.act_forward(self._kind, x, self.output, self._alpha, self._name)
    return self.output
  end
  function cls:backward(x, gy)
    if not self.output then error(self._name .. ": backward called before forward", 2) end
    self.gradInput = core.act_backward(self._kind, x, self.output, gy, self.gradInput,
                                       self._alpha, self._name)
    return self.gradInput
  end
  function cls:_describe() return "nn." .. self._name end
  return cls
end
activation("ReLU", ACT.relu)
activation("Tanh", ACT.tanh)
activation("Sigmoid", ACT.sigmoid)
activation("ELU", ACT.elu)

-- ---------------------------------------------------------------------------------------
-- Flatten: [N, d1, d2, ...] -> [N, d1·d2·…] (a view when the input is contiguous)

local Flatten = class("Flatten")
function nn.Flatten() return setmetatable({training = true}, Flatten) end

function Flatten:forward(x)
  local s = x:shape()
  if #s < 1 then error("Flatten: input must have at least one dimension", 2) end
  local n = 1
  for i = 2, #s do n = n * s[i] end
  local ok, v = pcall(core.view, x, 0, {s[1], n})
  if not ok then v = core.view(x:contiguous(), 0, {s[1], n}) end
  self.output = v
  return v
end

function Flatten:backward(x, gy)
  local s = x:shape()
  local ok, v = pcall(core.view, gy, 0, s)
  if not ok then v = core.view(gy:contiguous(), 0, s) end
  self.gradInput = v
  return v
end

-- ---------------------------------------------------------------------------------------
-- Conv2d (NCHW, im2col + GEMM) and MaxPool2d

local Conv2d = class("Conv2d")
local function pair(v, what, fname)
  if type(v) == "table" then
    check_size(v[1], what, fname)
    check_size(v[2], what, fname)
    return v[1], v[2]
  end
  check_size(v, what, fname)
  return v, v
end
local function pair0(v, what, fname)
  local a, b = v, v
  if type(v) == "table" then a, b = v[1], v[2] end
  for _, x in ipairs({a, b}) do
    if math.type(x) ~= "integer" or x < 0 then
      error(("%s: %s must be a non-negative integer, got %s"):format(fname, what, tostring(x)), 3)
    end
  end
  return a, b
end

--- Conv2d(in_ch, out_ch, k [, {stride = 1, padding = 0, bias = true, dtype =, rng =}])
function nn.Conv2d(cin, cout, k, opts)
  opts = opts or {}
  check_size(cin, "in_channels", "Conv2d")
  check_size(cout, "out_channels", "Conv2d")
  local kh, kw = pair(k, "kernel size", "Conv2d")
  local sh, sw = pair(opts.stride or 1, "stride", "Conv2d")
  local ph, pw = pair0(opts.padding or 0, "padding", "Conv2d")
  local dt = dtype_of(opts)
  local m = setmetatable({training = true, in_channels = cin, out_channels = cout, kh = kh,
                          kw = kw, sh = sh, sw = sw, ph = ph, pw = pw}, Conv2d)
  return with_weights(m, {cout, cin, kh, kw}, cin * kh * kw, opts, dt,
                      ("Conv2d(%d -> %d, %dx%d)"):format(cin, cout, kh, kw))
end

function Conv2d:_describe()
  return ("nn.Conv2d(%d -> %d, %dx%d, stride %d,%d, pad %d,%d%s)"):format(self.in_channels,
    self.out_channels, self.kh, self.kw, self.sh, self.sw, self.ph, self.pw,
    self.bias and "" or ", no bias")
end

function Conv2d:forward(x)
  self.output, self._cols = core.conv2d_forward(x, self.weight, self.bias, self.output, self._cols,
                                                self.sh, self.sw, self.ph, self.pw, self._name)
  return self.output
end

function Conv2d:backward(x, gy, need)
  local gx
  gx, self._gcols = core.conv2d_backward(x, gy, self.weight, self.gradWeight, self.gradBias,
    self._cols, self._gcols, need == false and false or self.gradInput, self.sh, self.sw,
    self.ph, self.pw, self._name)
  self.gradInput = gx or nil
  return self.gradInput
end

local MaxPool2d = class("MaxPool2d")
--- MaxPool2d(k [, {stride = k, padding = 0}])
function nn.MaxPool2d(k, opts)
  opts = opts or {}
  local kh, kw = pair(k, "kernel size", "MaxPool2d")
  local sh, sw = pair(opts.stride or {kh, kw}, "stride", "MaxPool2d")
  local ph, pw = pair0(opts.padding or 0, "padding", "MaxPool2d")
  if 2 * ph > kh or 2 * pw > kw then
    error("MaxPool2d: padding must be at most half the kernel size", 2)
  end
  return setmetatable({training = true, kh = kh, kw = kw, sh = sh, sw = sw, ph = ph, pw = pw,
                       _name = ("MaxPool2d(%dx%d)"):format(kh, kw)}, MaxPool2d)
end

function MaxPool2d:_describe()
  return ("nn.MaxPool2d(%dx%d, stride %d,%d)"):format(self.kh, self.kw, self.sh, self.sw)
end

function MaxPool2d:forward(x)
  self.output, self._idx = core.maxpool2d_forward(x, self.kh, self.kw, self.output, self._idx,
                                                  self.sh, self.sw, self.ph, self.pw, self._name)
  return self.output
end

function MaxPool2d:backward(x, gy)
  self.gradInput = core.maxpool2d_backward(x, gy, self._idx, self.kh, self.kw, self.gradInput,
                                           self.sh, self.sw, self.ph, self.pw, self._name)
  return self.gradInput
end

-- ---------------------------------------------------------------------------------------
-- Dropout and GaussianNoise: the noise sample of the last training forward is kept (m.noise)
-- and reused by backward; both are the identity in evaluate mode.

local Dropout = class("Dropout")
--- Dropout(p [, {rng = g}]): zero each entry with probability p, scale the rest by 1/(1−p).
function nn.Dropout(p, opts)
  p = p == nil and 0.5 or p
  if type(p) ~= "number" or p < 0 or p > 1 then
    error(("Dropout: p must be in [0, 1], got %s"):format(tostring(p)), 2)
  end
  return setmetatable({training = true, p = p, rng = opts and opts.rng,
                       _name = ("Dropout(%g)"):format(p)}, Dropout)
end
function Dropout:_describe() return "nn." .. self._name end

function Dropout:forward(x)
  if not self.training or self.p == 0 then
    self.output = x
    return x
  end
  if not (self.frozen and self.noise) then
    self.noise = core.dropout_mask(x, self.noise, self.p, self.rng)
  end
  -- own buffers (_out, _gin): in evaluate mode output/gradInput alias the caller's tensors
  self._out = core.binop(0, x, self.noise, self._out, self._name)
  self.output = self._out
  return self.output
end

-- Backward of a layer whose forward multiplied by self.noise (Dropout's mask, GaussianNoise's
-- factor 1 + ε), or passed its input through (`identity`).  Called as a tail call, so the
-- error's level 2 blames the caller of backward.
local function noise_mul_backward(self, gy, identity)
  if identity then
    self.gradInput = gy
    return gy
  end
  if not self.noise then error(self._name .. ": backward called before forward", 2) end
  self._gin = core.binop(0, gy, self.noise, self._gin, self._name)
  self.gradInput = self._gin
  return self.gradInput
end

function Dropout:backward(x, gy)
  return noise_mul_backward(self, gy, not self.training or self.p == 0)
end

local GaussianNoise = class("GaussianNoise")
--- GaussianNoise{sigma =, mode = "add"|"mul", rng = g}: h + ε or h ∘ (1 + ε), ε ~ N(0, σ²I).
-- m.noise holds ε (add) or the factor 1 + ε (mul) of the last training forward.
function nn.GaussianNoise(opts)
  opts = opts or {}
  local sigma, mode = opts.sigma, opts.mode or "add"
  if type(sigma) ~= "number" or sigma < 0 or sigma ~= sigma or sigma == math.huge then
    error(("GaussianNoise: sigma must be a finite number >= 0, got %s"):format(tostring(sigma)), 2)
  end
  if mode ~= "add" and mode ~= "mul" then
    error(("GaussianNoise: mode must be \"add\" or \"mul\", got %s"):format(tostring(mode)), 2)
  end
  return setmetatable({training = true, sigma = sigma, mode = mode, rng = opts.rng,
                       _name = ("GaussianNoise(%s, sigma=%g)"):format(mode, sigma)}, GaussianNoise)
end
function GaussianNoise:_describe() return "nn." .. self._name end

function GaussianNoise:forward(x)
  if not self.training then
    self.output = x
    return x
  end
  local mul = self.mode == "mul"
  if not (self.frozen and self.noise) then
    self.noise = core.normal_fill(x, self.noise, mul and 1 or 0, self.sigma, self.rng)
  end
  self._out = core.binop(mul and 0 or 1, x, self.noise, self._out, self._name)
  self.output = self._out
  return self.output
end

function GaussianNoise:backward(x, gy)
  return noise_mul_backward(self, gy, not self.training or self.mode == "add")
end

-- ---------------------------------------------------------------------------------------
-- Sequential

local Sequential = class("Sequential")
nn.Sequential = Sequential

local function check_module(m, i)
  if type(m) ~= "table" or type(m.forward) ~= "function" or type(m.backward) ~= "function" then
    error(("Sequential: element %d is not a module (got %s)"):format(i, type(m)), 3)
  end
end

--- Sequential{m1, m2, ...}: the modules' parameters are flattened into one vector now.
function nn.Sequential(mods)
  mods = mods or {}
  local s = setmetatable({training = true, modules = {}, input_grad = true}, Sequential)
  for i, m in ipairs(mods) do
    check_module(m, i)
    s.modules[i] = m
  end
  s:_flatten()
  return s
end

function Sequential:_children() return self.modules end

--- add(m): append a module (re-flattens the parameters: earlier views become stale).
function Sequential:add(m)
  check_module(m, #self.modules + 1)
  self.modules[#self.modules + 1] = m
  self:_flatten()
  return self
end

function Sequential:size() return #self.modules end
function Sequential:get(i) return self.modules[i] end

function Sequential:_describe(indent)
  local lines = {"nn.Sequential {"}
  for i, m in ipairs(self.modules) do
    lines[#lines + 1] = ("%s  (%d): %s"):format(indent, i, m:_describe(indent .. "  "))
  end
  lines[#lines + 1] = indent .. "}"
  return table.concat(lines, "\n")
end

local function strip(msg)
  if type(msg) ~= "string" then return tostring(msg) end
  return msg
end

local function seq_forward(self, x)
  local mods = self.modules
  for i = 1, #mods do
    self._cur = i
    x = mods[i]:forward(x)
  end
  return x
end

function Sequential:forward(x)
  local ok, out = pcall(seq_forward, self, x)
  if not ok then
    error(("In module %d of Sequential: %s"):format(self._cur or 0, strip(out)), 0)
  end
  self.output = out
  return out
end

local function seq_backward(self, x, g, need)
  local mods = self.modules
  for i = #mods, 1, -1 do
    self._cur = i
    local inp = i > 1 and mods[i - 1].output or x
    if i == 1 then
      g = mods[i]:backward(inp, g, need)
    else
      g = mods[i]:backward(inp, g)
    end
  end
  return g
end

function Sequential:backward(x, g, need)
  if need == nil then need = self.input_grad end
  local ok, out = pcall(seq_backward, self, x, g, need ~= false)
  if not ok then
    error(("In module %d of Sequential: %s"):format(self._cur or 0, strip(out)), 0)
  end
  self.gradInput = out
  return out
end

-- ---------------------------------------------------------------------------------------
-- losses: loss:forward(input, target) -> number; loss:backward(input, target) -> gradient of
-- that number with respect to input; loss.per_sample: the per-row losses of the last forward.

local function reduction_of(opts, allowed, fname)
  local r = opts and opts.reduction or "mean"
  if not allowed[r] then
    local names = {}
    for k in pairs(allowed) do names[#names + 1] = '"' .. k .. '"' end
    table.sort(names)
    error(("%s: reduction must be one of %s, got %s"):format(fname, table.concat(names, ", "),
                                                           tostring(r)), 3)
  end
  return r
end

local function check_finite(self, v)
  self.calls = (self.calls or 0) + 1
  if self.check_finite and (v ~= v or v == math.huge or v == -math.huge) then
    local s = v ~= v and "nan" or (v > 0 and "inf" or "-inf")
    error(("%s: non-finite loss (%s) at call %d"):format(self._name, s, self.calls), 3)
  end
  return v
end

local CrossEntropy = class("CrossEntropy")
--- CrossEntropy{reduction = "mean"|"sum", check_finite = false}: softmax cross-entropy from
-- logits [N, C] and labels 1..C (a tensor of N numbers, f32 or f64).
function nn.CrossEntropy(opts)
  local r = reduction_of(opts, {mean = true, sum = true, batchmean = true}, "CrossEntropy")
  return setmetatable({reduction = r == "batchmean" and "mean" or r, _name = "CrossEntropy",
                       check_finite = opts and opts.check_finite or false}, CrossEntropy)
end
function CrossEntropy:_describe() return ("nn.CrossEntropy(%s)"):format(self.reduction) end

function CrossEntropy:forward(z, y)
  local s
  s, self.per_sample = core.xent_forward(z, y, self.per_sample, self._name)
  local n = #self.per_sample
  self.output = check_finite(self, self.reduction == "mean" and (n > 0 and s / n or 0 / 0) or s)
  return self.output
end

function CrossEntropy:backward(z, y)
  local n = z:shape()[1] or 0
  local scale = self.reduction == "mean" and (n > 0 and 1 / n or 0) or 1
  self.gradInput = core.xent_backward(z, y, scale, self.gradInput, self._name)
  return self.gradInput
end

local MSE = class("MSE")
--- MSE{reduction = "mean"|"sum"|"batchmean"}: mean = over every entry (PyTorch), sum, or
-- batchmean = summed over outputs and averaged over samples (Camuto et al. 2021).
function nn.MSE(opts)
  local r = reduction_of(opts, {mean = true, sum = true, batchmean = true}, "MSE")
  return setmetatable({reduction = r, _name = "MSE",
                       check_finite = opts and opts.check_finite or false}, MSE)
end
function MSE:_describe() return ("nn.MSE(%s)"):format(self.reduction) end

local function mse_div(self, x)
  if self.reduction == "sum" then return 1 end
  if self.reduction == "mean" then return #x end
  return x:shape()[1] or 1
end

function MSE:forward(x, t)
  local s
  s, self.per_sample = core.mse_forward(x, t, self.per_sample, self._name)
  self.output = check_finite(self, s / mse_div(self, x))
  return self.output
end

function MSE:backward(x, t)
  self.gradInput = core.mse_backward(x, t, 1 / mse_div(self, x), self.gradInput, self._name)
  return self.gradInput
end

-- ---------------------------------------------------------------------------------------
-- L̃_M: the loss averaged over M independent noise draws (Camuto et al. 2021): the batch is
-- tiled M times, so every copy of every sample gets its own noise in one forward pass.
-- Accumulates ∇L̃_M into the net's gradients (zero them first) and returns L̃_M.

function nn.noisy_loss_average(net, loss, x, y, M)
  if math.type(M) ~= "integer" or M < 1 then
    error(("noisy_loss_average: M must be a positive integer, got %s"):format(tostring(M)), 2)
  end
  net._tile_x = core.tile(x, M, net._tile_x)
  net._tile_y = core.tile(y, M, net._tile_y)
  local xt, yt = net._tile_x, net._tile_y
  local out = net:forward(xt)
  local l = loss:forward(out, yt)
  local g = loss:backward(out, yt)
  if loss.reduction == "sum" then
    -- a sum over M copies is M times the average: divide value and gradient by M
    l = l / M
    local gs = core.view(g, 0, {#g})
    core.copy(gs, gs * (1 / M))
  end
  net:backward(xt, g, false)
  return l
end

-- ---------------------------------------------------------------------------------------
-- Finite-difference gradient check (torch/nn's Jacobian.lua in spirit): for the scalar
-- L = Σ r ⊙ m(x) with a fixed random r, compare backward's input and parameter gradients with
-- central differences.  Use f64 modules.  Returns {input = max rel err, params = max rel err}.

function nn.gradcheck(m, x, opts)
  opts = opts or {}
  local eps = opts.eps or 1e-6
  local T = require("noiselab").tensor
  local out = m:forward(x)
  local r = T.randn(out:shape(), opts.rng)
  if out:dtype() ~= r:dtype() then r = r:float() end
  local function L()
    local o = m:forward(x)
    return (o * r):sum()
  end
  m:zero_grad()
  m:forward(x)
  local gx = m:backward(x, r)
  gx = gx and gx:clone()
  local _, grads = m:parameters()
  local ganalytic = grads:clone()
  local function relerr(a, b)
    return math.abs(a - b) / math.max(1e-3, math.abs(a) + math.abs(b))
  end
  local res = {input = 0, params = 0}
  -- input: perturb a contiguous copy through a flat view
  if gx then
    local xf = core.view(x, 0, {#x})
    local gf = core.view(gx, 0, {#gx})
    for i = 1, #x do
      local v = xf:get(i)
      xf:set(i, v + eps); local lp = L()
      xf:set(i, v - eps); local lm = L()
      xf:set(i, v)
      res.input = math.max(res.input, relerr((lp - lm) / (2 * eps), gf:get(i)))
    end
  end
  local P = m:parameters()
  for i = 1, #P do
    local v = P:get(i)
    P:set(i, v + eps); local lp = L()
    P:set(i, v - eps); local lm = L()
    P:set(i, v)
    res.params = math.max(res.params, relerr((lp - lm) / (2 * eps), ganalytic:get(i)))
  end
  m:forward(x)
  return res
end

nn.ACT = ACT
return nn
