-- noiselab.progress: progress reporting for long loops, on stderr.
--
--   local p = nl.progress(6000, {label = "train w=64 d=3"})
--   for step = 1, 6000 do ...; p:update(step, {loss = l}) end   -- or p:step()
--   p:done()
--
-- Two modes:
--   "bar"   a single line redrawn in place (\r) with bar, count, rate, elapsed and ETA,
--           at most 10 times a second;
--   "lines" one full line every `interval` seconds (default 15) and at the end: for logs,
--           pipes, CI and `nohup` where \r would pile up into one giant line.
-- Choosing the mode.  Pure Lua cannot call isatty(); and `io.popen("test -t 2")` is wrong
-- (popen gives the child a pipe, but fd 2 is inherited, so that one is actually right — the
-- problem is only that a shell is spawned).  We decide once per process, in this order:
--   1. NOISELAB_PROGRESS=bar|lines|off in the environment wins;
--   2. nl.isatty(2) if the runtime provides it;
--   3. TERM unset or "dumb" -> lines (CI, cron, emacs shells);
--   4. os.execute("test -t 2") (the child shell inherits our stderr) -> bar if true, else lines.
-- The clock is progress.now(): nl.clock() (monotonic wall time) when the runtime has it, else
-- `date +%s.%N` through popen — about 1 ms a call, so updates are first throttled on the cheap
-- CPU clock (os.clock) and only then is the wall clock read.
local progress = {}

-- A runtime function of the top-level table (nl.clock, nl.isatty), if it has been loaded.
-- Looked up at call time, and with rawget, so that neither a require loop nor the lazy module
-- loader of `nl` is triggered.
local function runtime(name)
  local nl = package.loaded["noiselab"]
  local f = type(nl) == "table" and rawget(nl, name) or nil
  return type(f) == "function" and f or nil
end

-- Wall-clock seconds (float).  Monotonic when the runtime provides nl.clock.
local function now()
  local c = runtime("clock")
  if c then return c() end
  local f = io.popen("date +%s.%N 2>/dev/null")
  if f then
    local s = f:read("l")
    f:close()
    local v = tonumber(s)
    if v then return v end
  end
  return os.time() + 0.0
end
progress.now = now

local mode_cache
local function detect_mode()
  if mode_cache then return mode_cache end
  local env = os.getenv("NOISELAB_PROGRESS")
  if env == "bar" or env == "lines" or env == "off" then
    mode_cache = env
    return env
  end
  local isatty = runtime("isatty")
  if isatty then
    mode_cache = isatty(2) and "bar" or "lines"
    return mode_cache
  end
  local term = os.getenv("TERM")
  if not term or term == "" or term == "dumb" then
    mode_cache = "lines"
    return mode_cache
  end
  mode_cache = os.execute("test -t 2") and "bar" or "lines"
  return mode_cache
end
progress.mode = detect_mode

local function fmt_time(s)
  if s ~= s or s == math.huge then return "?" end
  s = math.floor(s + 0.5)
  if s >= 3600 then
    return string.format("%d:%02d:%02d", s // 3600, s % 3600 // 60, s % 60)
  end
  return string.format("%d:%02d", s // 60, s % 60)
end
progress.format_time = fmt_time

local function fmt_rate(r)
  if r >= 100 then return string.format("%.0f", r) end
  if r >= 1 then return string.format("%.1f", r) end
  return string.format("%.2g", r)
end

local function fmt_extra(extra)
  if not extra then return "" end
  local keys = {}
  for k in pairs(extra) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    local v = extra[k]
    if type(v) == "number" and math.type(v) == "float" then v = string.format("%.4g", v) end
    parts[#parts + 1] = k .. "=" .. tostring(v)
  end
  return "  " .. table.concat(parts, " ")
end

local Progress = {}
Progress.__index = Progress

-- progress.new(total [, opts]) / nl.progress(total, opts).
-- opts: label, unit ("it"), interval (seconds between lines in "lines" mode, default 15),
-- mode ("bar" | "lines" | "off", default detected), stream (default io.stderr), width (bar
-- width, default 30).  total may be nil (unknown): no percentage or ETA then.
function progress.new(total, opts)
  opts = opts or {}
  if total ~= nil and (type(total) ~= "number" or total < 0) then
    error("bad argument #1 to 'progress' (non-negative number or nil expected, got " ..
      tostring(total) .. ")", 2)
  end
  local mode = opts.mode or detect_mode()
  if mode ~= "bar" and mode ~= "lines" and mode ~= "off" then
    error("bad option 'mode' to 'progress' (\"bar\", \"lines\" or \"off\" expected, got " ..
      tostring(mode) .. ")", 2)
  end
  local t0 = now()
  return setmetatable({
    total = total, n = 0, label = opts.label or "", unit = opts.unit or "it",
    interval = opts.interval or 15, mode = mode, stream = opts.stream or io.stderr,
    width = opts.width or 30, t0 = t0, last_print = t0, cpu_check = os.clock(),
    min_cpu = mode == "bar" and 0.1 or math.min(1, (opts.interval or 15) / 4),
    finished = false,
  }, Progress)
end

-- The status text for the current state (without \r or newline).
function Progress:text(t)
  t = t or now()
  local el = t - self.t0
  local rate = el > 0 and self.n / el or 0
  local parts = {}
  if self.label ~= "" then parts[#parts + 1] = self.label end
  if self.total and self.total > 0 then
    local frac = math.min(1, self.n / self.total)
    if self.mode == "bar" then
      local filled = math.floor(frac * self.width + 0.5)
      parts[#parts + 1] = "[" .. string.rep("#", filled) .. string.rep(".", self.width - filled) .. "]"
    end
    parts[#parts + 1] = string.format("%3d%% %d/%d", math.floor(frac * 100), self.n, self.total)
  else
    parts[#parts + 1] = tostring(self.n)
  end
  parts[#parts + 1] = fmt_rate(rate) .. " " .. self.unit .. "/s"
  parts[#parts + 1] = "elapsed " .. fmt_time(el)
  if self.total and not self.finished then
    local eta = rate > 0 and (self.total - self.n) / rate or math.huge
    parts[#parts + 1] = "ETA " .. fmt_time(eta)
  end
  return table.concat(parts, " ") .. fmt_extra(self.extra)
end

function Progress:_emit(final)
  if self.mode == "off" then return end
  local t = now()
  if self.mode == "bar" then
    local s = self:text(t)
    -- pad to wipe a longer previous line
    local pad = self.last_len and self.last_len > #s and string.rep(" ", self.last_len - #s) or ""
    self.last_len = #s
    self.stream:write("\r", s, pad, final and "\n" or "")
  else
    if not final and t - self.last_print < self.interval then return end
    self.stream:write(self:text(t), "\n")
  end
  self.stream:flush()
  self.last_print = t
end

-- Set the count to n (absolute); extra is an optional table of values shown after the rate.
function Progress:update(n, extra)
  self.n = n
  if extra then self.extra = extra end
  local c = os.clock()
  if c - self.cpu_check >= self.min_cpu or (self.total and n >= self.total) then
    self.cpu_check = c
    self:_emit(false)
  end
end

-- Advance by k (default 1).
function Progress:step(k, extra)
  return self:update(self.n + (k or 1), extra)
end

-- Final line (always printed, except in mode "off"); returns elapsed seconds.
function Progress:done(extra)
  if self.finished then return self.elapsed end
  if extra then self.extra = extra end
  self.finished = true
  self:_emit(true)
  self.elapsed = now() - self.t0
  return self.elapsed
end

Progress.close = Progress.done
Progress.__close = function(self) self:done() end

setmetatable(progress, {__call = function(_, total, opts) return progress.new(total, opts) end})
return progress
