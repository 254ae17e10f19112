-- noiselab.experiment: command-line configuration, seeding, result folders and run records.
--
--   local exp = nl.experiment{
--     name = "ziyin2022_minibatch_noise",
--     config = {lambda = 0.5, S = 10, lambdas = {0.1, 0.5, 1.0}, steps = 100000, plot = true},
--     doc = {lambda = "learning rate", S = "batch size"},           -- optional, for --help
--     presets = {quick = {steps = 20000}, smoke = {steps = 2000}},  -- optional: --quick, --smoke
--     argv = arg,
--   }
--   local cfg = exp.config                      -- defaults with the command line applied
--   local rows = exp:phase("simulate", function() ... return rows end)
--   exp:csv("var_vs_lambda.csv", {"lambda", "var_sim", "var_theory"}, rows)
--   exp.results.var_rel_err = 0.012            -- key numbers, written into run.json
--   exp:finish()                                -- run.json; returns its path
--
-- Command line (types follow the defaults; `--key=value` works too):
--   number   --lr 0.05            integers stay integers: `--steps 1.5` is an error, 1e4 is fine
--   boolean  --plot, --no-plot, --plot=false
--   string   --method hill
--   list     --widths 16,64,256   element type from the default's elements (numbers if empty
--                                 and every element reads as a number)
--   --seed N (default: config.seed, else 1)  --out DIR (default "results")  --tag NAME
--   --help   list the keys, types, defaults and docs, then exit
-- A preset flag (--quick, --smoke) applies its overrides; keys given explicitly on the command
-- line win over presets whatever their order.  Unknown keys and bad values raise an error that
-- names the key, the expected type and what was given (and suggests a close key name).
--
-- Files.  Everything goes to <out>/<name>/<tag or UTC timestamp>/.  Every write is atomic:
-- the data go to "<file>.tmp.<random>" in the same directory, which is then renamed over the
-- target (rename(2) is atomic within a file system), so an interrupted run leaves either the
-- old file or the new one, never half of one.  run.json records config, seed, presets, argv,
-- noiselab version, Lua version, git revision (and whether the tree was dirty), host, start and
-- end time (UTC, ISO 8601), wall and CPU seconds per phase, the files written and the results
-- table.  If a phase raises, run.json is written with status "error" and the message, and the
-- error is re-raised.
local json = require "noiselab.json"
local progress = require "noiselab.progress"

local experiment = {}

local function nl_runtime()
  local ok, nl = pcall(require, "noiselab")
  if ok and type(nl) == "table" then return nl end
  return nil
end

---------------------------------------------------------------------------------------------
-- small helpers

local function shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
experiment.shell_quote = shell_quote

-- A name for a temporary file that two processes (or two calls) will not share: the address
-- of a fresh table differs between calls, the clocks between processes.
local tmp_counter = 0
local function tmp_suffix()
  tmp_counter = tmp_counter + 1
  local addr = tostring({}):match("0x(%x+)") or tostring({}):match("(%x+)$") or "0"
  return string.format("tmp.%s.%x.%d", addr, math.floor(os.clock() * 1e6) ~ os.time(), tmp_counter)
end

-- Write `data` (a string, or a function(file) that writes) to path atomically.
local function atomic_write(path, data)
  local tmp = path .. "." .. tmp_suffix()
  local f, err = io.open(tmp, "wb")
  if not f then error("cannot write " .. path .. ": " .. tostring(err), 0) end
  local ok, werr = pcall(function()
    if type(data) == "function" then
      data(f)
    else
      assert(f:write(data))
    end
    assert(f:flush())
  end)
  f:close()
  if not ok then
    os.remove(tmp)
    error("cannot write " .. path .. ": " .. tostring(werr), 0)
  end
  local rok, rerr = os.rename(tmp, path)
  if not rok then
    os.remove(tmp)
    error("cannot rename " .. tmp .. " to " .. path .. ": " .. tostring(rerr), 0)
  end
  return path
end
experiment.atomic_write = atomic_write

local function mkdir_p(dir)
  local ok = os.execute("mkdir -p " .. shell_quote(dir))
  if not ok then error("cannot create directory " .. dir, 0) end
end
experiment.mkdir_p = mkdir_p

local function dir_exists(dir)
  local ok = os.execute("test -d " .. shell_quote(dir))
  return ok == true or ok == 0
end

local function read_command(cmd)
  local f = io.popen(cmd .. " 2>/dev/null")
  if not f then return nil end
  local s = f:read("a")
  local ok = f:close()
  if not ok or not s then return nil end
  s = s:gsub("%s+$", "")
  if s == "" then return nil end
  return s
end

local function iso_utc(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", t)
end

-- CSV field: numbers exactly (integers as such, floats with 17 significant digits unless a
-- shorter form reads back the same), strings quoted when they need it (RFC 4180).
local function csv_field(v)
  local tv = type(v)
  if v == nil or v == json.null then return "" end
  if tv == "number" then
    if math.type(v) == "integer" then return string.format("%d", v) end
    if v ~= v then return "nan" end
    if v == math.huge then return "inf" end
    if v == -math.huge then return "-inf" end
    for _, fmt in ipairs{"%.15g", "%.17g"} do
      local s = string.format(fmt, v)
      if tonumber(s) == v then return s end
    end
  end
  if tv == "boolean" then return v and "true" or "false" end
  local s = tostring(v)
  if s:find('[,"\r\n]') or s:match("^%s") or s:match("%s$") then
    s = '"' .. s:gsub('"', '""') .. '"'
  end
  return s
end
experiment.csv_field = csv_field

-- The CSV text for header + rows; rows are arrays (in header order) or tables keyed by the
-- header names.
local function csv_text(header, rows)
  local out = {}
  local h = {}
  for i, name in ipairs(header) do h[i] = csv_field(name) end
  out[1] = table.concat(h, ",")
  for r, row in ipairs(rows) do
    if type(row) ~= "table" then
      error(string.format("csv: row %d is a %s, expected a table", r, type(row)), 0)
    end
    local fields = {}
    local keyed = row[1] == nil and next(row) ~= nil
    for i, name in ipairs(header) do
      fields[i] = csv_field(keyed and row[name] or row[i])
    end
    if not keyed and #row > #header then
      error(string.format("csv: row %d has %d fields, header has %d", r, #row, #header), 0)
    end
    out[#out + 1] = table.concat(fields, ",")
  end
  return table.concat(out, "\n") .. "\n"
end
experiment.csv_text = csv_text

---------------------------------------------------------------------------------------------
-- command-line parsing

local function describe_type(v)
  local t = type(v)
  if t == "number" then return math.type(v) == "integer" and "integer" or "number" end
  if t == "table" then
    local et = v[1] ~= nil and describe_type(v[1]) or "value"
    return "list of " .. et .. "s"
  end
  return t
end

local function show_value(v)
  if type(v) == "table" then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = tostring(x) end
    return table.concat(parts, ",")
  end
  return tostring(v)
end
experiment.show_value = show_value

local function levenshtein(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = {[0] = i}
    for j = 1, #b do
      local cost = a:sub(i, i) == b:sub(j, j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return prev[#b]
end

local function parse_number(key, s, want_int)
  local v = tonumber(s)
  if v == nil or v ~= v then
    error(string.format("--%s expects %s, got '%s'", key, want_int and "an integer" or "a number", s), 0)
  end
  if want_int then
    local iv = math.tointeger(v)
    if not iv then
      error(string.format("--%s expects an integer, got '%s'", key, s), 0)
    end
    return iv
  end
  return v * 1.0
end

local bool_words = {["true"] = true, yes = true, on = true, ["1"] = true,
                    ["false"] = false, no = false, off = false, ["0"] = false}

-- Convert the string s for key to the type of its default.
local function convert(key, s, default)
  local t = type(default)
  if t == "number" then
    return parse_number(key, s, math.type(default) == "integer")
  elseif t == "boolean" then
    local b = bool_words[s:lower()]
    if b == nil then
      error(string.format("--%s expects true or false, got '%s'", key, s), 0)
    end
    return b
  elseif t == "string" then
    return s
  elseif t == "table" then
    local out = {}
    if s == "" then return out end
    local elem = default[1]
    local items = {}
    for item in (s .. ","):gmatch("(.-),") do items[#items + 1] = item:match("^%s*(.-)%s*$") end
    if elem == nil then
      -- empty default: numbers if every element reads as one
      local all_num = true
      for _, it in ipairs(items) do if tonumber(it) == nil then all_num = false end end
      elem = all_num and 0.0 or ""
    end
    for i, it in ipairs(items) do
      if it == "" then
        error(string.format("--%s: empty element %d in list '%s'", key, i, s), 0)
      end
      local ok, v = pcall(convert, key, it, elem)
      if not ok then
        error(string.format("--%s expects a comma-separated list of %ss, element %d is '%s'",
          key, describe_type(elem), i, it), 0)
      end
      out[i] = v
    end
    return out
  end
  error(string.format("--%s: the default has type %s, which cannot be set from the command line", key, t), 0)
end

local builtin = {seed = "integer", out = "string", tag = "string", help = "boolean"}

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

local function unknown_key(key, config, presets)
  local best, bestd = nil, math.huge
  local candidates = sorted_keys(config)
  for k in pairs(builtin) do candidates[#candidates + 1] = k end
  for k in pairs(presets) do candidates[#candidates + 1] = k end
  for _, k in ipairs(candidates) do
    local d = levenshtein(key, k)
    if d < bestd then best, bestd = k, d end
  end
  local hint = (best and bestd <= math.max(2, #key // 3)) and ("; did you mean --" .. best .. "?") or ""
  error(string.format("unknown option --%s%s (see --help)", key, hint), 0)
end

-- experiment.parse(config, argv [, presets]) -> cfg, opts
-- cfg: a copy of config with presets and overrides applied; opts: {seed=, out=, tag=, help=,
-- presets = {names in command-line order}, set = {keys set explicitly}}.  Raises on bad input.
function experiment.parse(config, argv, presets)
  presets = presets or {}
  argv = argv or {}
  local cfg = {}
  for k, v in pairs(config) do
    if type(v) == "table" then
      local c = {}
      for i, x in ipairs(v) do c[i] = x end
      cfg[k] = c
    else
      cfg[k] = v
    end
  end
  local opts = {presets = {}, set = {}}
  local explicit = {}
  local i = 1
  while i <= #argv do
    local a = argv[i]
    if type(a) ~= "string" or a:sub(1, 2) ~= "--" or #a == 2 then
      error(string.format("unexpected argument '%s' (options look like --key value; see --help)", tostring(a)), 0)
    end
    local key, val = a:sub(3):match("^([^=]+)=(.*)$")
    key = key or a:sub(3)
    local negated = false
    if config[key] == nil and not builtin[key] and not presets[key] then
      local base = key:match("^no%-(.+)$")
      if base and (type(config[base]) == "boolean" or presets[base]) then
        key, negated = base, true
      else
        unknown_key(key, config, presets)
      end
    end
    local function take_value()
      if val ~= nil then return val end
      local nxt = argv[i + 1]
      if nxt == nil then error(string.format("--%s needs a value", key), 0) end
      -- a following option is not a value, except a negative number
      if type(nxt) == "string" and nxt:sub(1, 2) == "--" then
        error(string.format("--%s needs a value, got option '%s'", key, nxt), 0)
      end
      i = i + 1
      return nxt
    end
    if key == "help" then
      opts.help = true
    elseif key == "seed" and config.seed == nil then
      opts.seed = parse_number("seed", take_value(), true)
    elseif key == "out" then
      opts.out = take_value()
    elseif key == "tag" then
      opts.tag = take_value()
      if opts.tag == "" or opts.tag:find("[/%c]") or opts.tag == "." or opts.tag == ".." then
        error(string.format("--tag must be a plain directory name, got '%s'", opts.tag), 0)
      end
    elseif presets[key] and config[key] == nil then
      if val ~= nil then
        local b = bool_words[val:lower()]
        if b == nil then error(string.format("--%s expects true or false, got '%s'", key, val), 0) end
        negated = not b
      end
      if not negated then opts.presets[#opts.presets + 1] = key end
    elseif type(config[key]) == "boolean" then
      local v = true
      if val ~= nil then
        v = convert(key, val, false)
      elseif argv[i + 1] and bool_words[tostring(argv[i + 1]):lower()] ~= nil and not negated then
        v = convert(key, argv[i + 1], false)
        i = i + 1
      end
      if negated then v = not v end
      explicit[key] = v
      if presets[key] then
        if v then opts.presets[#opts.presets + 1] = key end
      end
    else
      if negated then error(string.format("--no-%s: %s is not a boolean", key, key), 0) end
      explicit[key] = convert(key, take_value(), config[key])
    end
    i = i + 1
  end
  -- presets first (command-line order), explicit values last
  for _, p in ipairs(opts.presets) do
    for k, v in pairs(presets[p]) do
      if config[k] == nil and not (k == "seed") then
        error(string.format("preset '%s' sets unknown key '%s'", p, k), 0)
      end
      cfg[k] = v
    end
    if config[p] ~= nil and type(config[p]) == "boolean" then cfg[p] = true end
  end
  for k, v in pairs(explicit) do
    cfg[k] = v
    opts.set[k] = true
  end
  if opts.seed == nil then opts.seed = cfg.seed end
  if opts.seed == nil then opts.seed = 1 end
  if math.type(opts.seed) ~= "integer" then
    error(string.format("seed must be an integer, got %s", tostring(opts.seed)), 0)
  end
  return cfg, opts
end

-- The --help text.
function experiment.help_text(spec)
  local lines = {}
  local name = spec.name or "experiment"
  lines[#lines + 1] = string.format("%s%s", name, spec.description and (": " .. spec.description) or "")
  lines[#lines + 1] = ""
  lines[#lines + 1] = string.format("usage: noiselab %s [--key value ...]", spec.script or (name .. ".lua"))
  lines[#lines + 1] = ""
  lines[#lines + 1] = "options (type, default):"
  local doc = spec.doc or {}
  local width = 6
  for k in pairs(spec.config) do width = math.max(width, #k) end
  for _, k in ipairs(sorted_keys(spec.config)) do
    local v = spec.config[k]
    local d = doc[k] and ("  " .. doc[k]) or ""
    lines[#lines + 1] = string.format("  --%-" .. width .. "s %-16s %s%s", k,
      describe_type(v), show_value(v), d)
  end
  local presets = spec.presets or {}
  local pnames = sorted_keys(presets)
  if #pnames > 0 then
    lines[#lines + 1] = ""
    lines[#lines + 1] = "presets (explicit options win over them):"
    for _, p in ipairs(pnames) do
      local parts = {}
      for _, k in ipairs(sorted_keys(presets[p])) do
        parts[#parts + 1] = k .. "=" .. show_value(presets[p][k])
      end
      lines[#lines + 1] = string.format("  --%-" .. width .. "s %s", p, table.concat(parts, " "))
    end
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = "common:"
  if spec.config.seed == nil then
    lines[#lines + 1] = string.format("  --%-" .. width .. "s %-16s %s", "seed", "integer", "1  seeds nl's default generator and math.random")
  end
  lines[#lines + 1] = string.format("  --%-" .. width .. "s %-16s %s", "out", "string", (spec.out or "results") .. "  results root")
  lines[#lines + 1] = string.format("  --%-" .. width .. "s %-16s %s", "tag", "string", "UTC timestamp  run folder name")
  lines[#lines + 1] = string.format("  --%-" .. width .. "s", "help")
  lines[#lines + 1] = "booleans: --key, --no-key, --key=false; lists: --key 1,2,3"
  return table.concat(lines, "\n") .. "\n"
end

---------------------------------------------------------------------------------------------
-- the experiment object

local Experiment = {}
Experiment.__index = Experiment

-- Path of a file in the run folder.
function Experiment:path(filename)
  return self.dir .. "/" .. filename
end

function Experiment:_record_file(filename, owner)
  owner = owner or "data"
  local prev = self._owner[filename]
  if prev and prev ~= owner then
    -- a figure's point CSV would overwrite a results table (or the reverse): refuse
    error(string.format("%s: '%s' was already written as %s; give the %s another name", self.name,
      filename, prev == "data" and "a results file" or "part of a figure", owner == "data" and "file" or "figure"), 0)
  end
  self._owner[filename] = owner
  if not self._files_seen[filename] then
    self._files_seen[filename] = true
    self.files[#self.files + 1] = filename
  end
end

-- Write a text file atomically into the run folder; returns its path.
function Experiment:write(filename, data)
  self:_record_file(filename)   -- first: refuses to overwrite a figure's files
  return atomic_write(self:path(filename), data)
end

-- exp:csv(filename, header, rows) -> path.  rows: arrays in header order or tables keyed by
-- header names.
function Experiment:csv(filename, header, rows)
  if type(header) ~= "table" or #header == 0 then
    error("bad argument #2 to 'csv' (non-empty list of column names expected)", 2)
  end
  if type(rows) ~= "table" then
    error("bad argument #3 to 'csv' (list of rows expected, got " .. type(rows) .. ")", 2)
  end
  return self:write(filename, csv_text(header, rows))
end

-- exp:write_json(filename, value) -> path (pretty-printed, keys sorted).
function Experiment:write_json(filename, value)
  return self:write(filename, (json.encode(value, {indent = "  "})) .. "\n")
end

-- exp:phase(name, fn, ...) -> fn(...)'s results; wall and CPU time are added to the phase
-- `name` (a phase run several times accumulates, with its call count).
function Experiment:phase(name, fn, ...)
  local rec = self._phase_index[name]
  if not rec then
    rec = {name = name, wall = 0.0, cpu = 0.0, calls = 0}
    self._phase_index[name] = rec
    self.phases[#self.phases + 1] = rec
  end
  local w0, c0 = progress.now(), os.clock()
  local res = table.pack(xpcall(fn, debug.traceback, ...))
  rec.wall = rec.wall + (progress.now() - w0)
  rec.cpu = rec.cpu + (os.clock() - c0)
  rec.calls = rec.calls + 1
  if not res[1] then
    self.status = "error"
    self.error = string.format("in phase '%s': %s", name, tostring(res[2]))
    pcall(self.finish, self)
    error(self.error, 0)
  end
  if not self.quiet then
    io.stderr:write(string.format("[%s] phase %s: %.2f s\n", self.name, name, progress.now() - w0))
  end
  return table.unpack(res, 2, res.n)
end

-- exp:plot(kind, spec): nl.plot[kind] with spec.file taken relative to the run folder; the
-- files it writes are listed in run.json.  Returns plot's result table.
function Experiment:plot(kind, spec)
  local plot = require "noiselab.plot"
  if type(plot[kind]) ~= "function" then
    error("bad argument #1 to 'plot' (line, scatter, histogram, tail, errorbars or panels expected, got " ..
      tostring(kind) .. ")", 2)
  end
  if type(spec) ~= "table" or type(spec.file) ~= "string" then
    error("bad argument #2 to 'plot' (table with file = 'name' expected)", 2)
  end
  local s = {}
  for k, v in pairs(spec) do s[k] = v end
  local base = spec.file:gsub("%.png$", ""):gsub("%.svg$", "")
  for _, ext in ipairs{".csv", ".gp", ".png", ".svg"} do
    local prev = self._owner[base .. ext]
    if prev and prev ~= "figure" then self:_record_file(base .. ext, "figure") end
  end
  s.file = self:path(base)
  if s.quiet == nil then s.quiet = self.quiet end
  local r = plot[kind](s)
  for _, key in ipairs{"csv", "gp", "png", "svg"} do
    if r[key] then self:_record_file(r[key]:match("([^/]+)$"), "figure") end
  end
  if not r.ok and r.message then
    self.plot_messages = self.plot_messages or {}
    self.plot_messages[#self.plot_messages + 1] = r.message
  end
  return r
end

-- True when preset `name` (e.g. "quick") was given on the command line.
function Experiment:preset(name)
  for _, p in ipairs(self.presets) do if p == name then return true end end
  return false
end

-- A progress bar labelled with the experiment (see noiselab.progress).
function Experiment:progress(total, opts)
  opts = opts or {}
  if self.quiet and opts.mode == nil then opts.mode = "off" end
  return progress.new(total, opts)
end

-- The run record as a table.
function Experiment:record()
  local phases = {}
  for i, p in ipairs(self.phases) do
    phases[i] = {name = p.name, wall_seconds = p.wall, cpu_seconds = p.cpu, calls = p.calls}
  end
  return {
    name = self.name,
    status = self.status,
    error = self.error,
    config = self.config,
    seed = self.seed,
    presets = json.array(self.presets),
    argv = json.array(self.argv),
    dir = self.dir,
    noiselab_version = self.version,
    lua_version = _VERSION,
    git = self.git,
    host = self.host,
    start_time = iso_utc(self.start_time),
    end_time = self.end_time and iso_utc(self.end_time) or nil,
    wall_seconds = self.end_wall and (self.end_wall - self.start_wall) or nil,
    phases = json.array(phases),
    files = json.array(self.files),
    results = self.results,
  }
end

-- Write run.json (status "ok" unless a phase failed); returns its path.  May be called more
-- than once (the record is rewritten).
function Experiment:finish()
  self.end_time = os.time()
  self.end_wall = progress.now()
  if self.status == "running" then self.status = "ok" end
  self:_record_file("run.json")
  local p = self:write_json("run.json", self:record())
  if not self.quiet and self.status == "ok" then
    io.stderr:write(string.format("[%s] done in %.1f s; results in %s\n", self.name,
      self.end_wall - self.start_wall, self.dir))
  end
  return p
end

-- nl.experiment{name=, config=, doc=, presets=, argv=, description=, out=, quiet=,
--               exit=, stdout=} -> experiment object.
-- exit and stdout are for tests (--help prints to stdout and calls exit(0)).
function experiment.new(spec)
  if type(spec) ~= "table" then
    error("bad argument #1 to 'experiment' (table expected, got " .. type(spec) .. ")", 2)
  end
  if type(spec.name) ~= "string" or not spec.name:match("^[%w_%.%-]+$") then
    error("bad argument #1 to 'experiment' (name must be a non-empty string of letters, digits, _ . -, got " ..
      tostring(spec.name) .. ")", 2)
  end
  local config = spec.config or {}
  if type(config) ~= "table" then
    error("bad argument #1 to 'experiment' (config must be a table)", 2)
  end
  local presets = spec.presets or {}
  for k in pairs(presets) do
    if config[k] ~= nil and type(config[k]) ~= "boolean" then
      error(string.format("bad argument #1 to 'experiment' (preset '%s' clashes with non-boolean config key)", k), 2)
    end
  end
  local argv = {}
  for i, a in ipairs(spec.argv or {}) do argv[i] = a end

  local cfg, opts = experiment.parse(config, argv, presets)
  if opts.help then
    local out = spec.stdout or io.stdout
    out:write(experiment.help_text(spec))
    out:flush()
    local exit = spec.exit or os.exit
    exit(0)
    return nil
  end

  local self = setmetatable({
    name = spec.name, config = cfg, seed = opts.seed, presets = opts.presets, set = opts.set,
    argv = argv, results = {}, phases = {}, files = {}, status = "running",
    quiet = spec.quiet or os.getenv("NOISELAB_QUIET") ~= nil,
    _phase_index = {}, _files_seen = {}, _owner = {},
    start_time = os.time(), start_wall = progress.now(),
  }, Experiment)
  -- "full" unless a preset flag was given (the last one named wins)
  self.mode = opts.presets[#opts.presets] or "full"

  -- seed everything we know of: nl's default generator and Lua's math.random
  local nl = nl_runtime()
  local seedf = nl and select(2, pcall(function() return nl.seed end))
  if type(seedf) == "function" then seedf(self.seed) end
  math.randomseed(self.seed)
  local version = nl and select(2, pcall(function() return nl.version end))
  self.version = type(version) == "string" and version or "unknown"

  -- run folder
  local root = opts.out or spec.out or os.getenv("NOISELAB_RESULTS") or "results"
  local base = root .. "/" .. spec.name
  local tag = opts.tag
  if not tag then
    tag = os.date("!%Y%m%d-%H%M%S", self.start_time)
    local t, k = tag, 1
    while dir_exists(base .. "/" .. t) do
      k = k + 1
      t = tag .. "-" .. k
    end
    tag = t
  end
  self.tag = tag
  self.dir = base .. "/" .. tag
  mkdir_p(self.dir)

  -- provenance
  local rev = read_command("git rev-parse HEAD")
  if rev then
    local dirty = read_command("git status --porcelain --untracked-files=no")
    self.git = {revision = rev, dirty = dirty ~= nil}
  end
  self.host = os.getenv("HOSTNAME") or read_command("uname -n")
  return self
end

setmetatable(experiment, {__call = function(_, spec) return experiment.new(spec) end})
experiment.json = json
return experiment
