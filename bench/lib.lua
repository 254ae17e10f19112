-- Helpers for bench files (see bench/README.md).
local M = {}

local function now()
  local p = io.popen("date +%s.%N")
  local t = tonumber(p:read("l"))
  p:close()
  return t
end

-- Wall-clock seconds from a monotonic source without spawning a process per call: os.clock()
-- measures CPU time of this process, which equals wall time for our single-threaded runs.
M.clock = os.clock

--- Items per second of fn (called repeatedly for >= min_seconds after one warm-up call).
function M.rate(fn, items, min_seconds)
  min_seconds = min_seconds or 0.5
  fn()
  local calls, t0 = 0, M.clock()
  local dt
  repeat
    fn()
    calls = calls + 1
    dt = M.clock() - t0
  until dt >= min_seconds
  return calls * items / dt
end

M.PYTHON_PRELUDE = [[
import os, time
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[v] = "1"
def rate(fn, items, min_seconds=0.5):
    fn()
    calls, t0 = 0, time.process_time()
    while True:
        fn(); calls += 1
        dt = time.process_time() - t0
        if dt >= min_seconds:
            return calls * items / dt
]]

--- A peer function running Python code that prints one number (the rate).
function M.python(code)
  return function()
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write(M.PYTHON_PRELUDE, code)
    f:close()
    local p = io.popen("OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 /usr/bin/python3 " .. path .. " 2>&1")
    local out = p:read("a")
    p:close()
    os.remove(path)
    local v = tonumber(out:match("([%d%.eE%+%-]+)%s*$"))
    if not v then error("peer failed: " .. out) end
    return v
  end
end

M.wall = now
return M
