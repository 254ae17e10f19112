-- Shared test support: temporary paths, running the reference Python, tolerance checks.
local M = {}

M.PYTHON = "/usr/bin/python3"

local function sh_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
M.sh_quote = sh_quote

--- true if /usr/bin/python3 can import every named module.
function M.has_python(...)
  local mods = table.concat({...}, ",")
  local ok = os.execute(M.PYTHON .. " -c " .. sh_quote("import " .. mods) .. " >/dev/null 2>&1")
  return ok == true
end

--- Run a Python snippet; returns its stdout (error if it fails).
function M.python(code)
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write(code)
  f:close()
  local p = assert(io.popen(M.PYTHON .. " " .. path .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  os.remove(path)
  if not ok then error("python failed:\n" .. out, 2) end
  return out
end

--- Run the interpreter of this spec run (busted --lua=…, so a sanitizer build tests itself) with
--- extra environment variables (a table) on the given arguments; returns stdout and stderr.
function M.noiselab(env, ...)
  local cmd = {}
  for k, v in pairs(env) do cmd[#cmd + 1] = k .. "=" .. sh_quote(v) end
  cmd[#cmd + 1] = sh_quote(arg and arg[-1] or "./noiselab")
  for _, a in ipairs{...} do cmd[#cmd + 1] = sh_quote(a) end
  local p = assert(io.popen(table.concat(cmd, " ") .. " 2>&1"))
  local out = p:read("a")
  p:close()
  return out
end

--- The numbers in a whitespace-separated text (e.g. values printed with %a).
function M.numbers(text)
  local t = {}
  for v in text:gmatch("%S+") do t[#t + 1] = tonumber(v) end
  return t
end

--- A fresh temporary directory (removed by M.rmtree).
function M.tmpdir()
  local p = assert(io.popen("mktemp -d /tmp/noiselab-test.XXXXXX"))
  local d = p:read("l")
  p:close()
  return d
end

function M.rmtree(d)
  assert(d:match("^/tmp/noiselab%-test"), "refusing to remove " .. d)
  os.execute("rm -rf " .. sh_quote(d))
end

--- Sorted names in a directory.
function M.listdir(d)
  local p = assert(io.popen("ls -A " .. sh_quote(d)))
  local out = {}
  for l in p:lines() do out[#out + 1] = l end
  p:close()
  table.sort(out)
  return out
end

function M.exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

--- Size of a file in bytes (0 if missing).
function M.size(path)
  local f = io.open(path, "rb")
  if not f then return 0 end
  local n = f:seek("end")
  f:close()
  return n
end

--- Whole contents of a file.
function M.slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

--- Largest relative difference between two equal-shape tensors (or numbers).
function M.max_rel_err(a, b, floor)
  floor = floor or 1e-300
  local T = require("noiselab").tensor
  if type(a) == "number" then return math.abs(a - b) / math.max(math.abs(b), floor) end
  local x, y = a:double():reshape{-1}, b:double():reshape{-1}
  assert(#x == #y, "sizes differ: " .. #x .. " vs " .. #y)
  local d = (x - y):abs() / y:abs():clamp(floor)
  return #d > 0 and d:max() or 0
end

--- Assert that f raises an error whose message contains fragment (plain text, not a pattern).
function M.errors_with(f, fragment)
  local ok, err = pcall(f)
  assert(not ok, "expected an error containing: " .. fragment)
  err = tostring(err)
  assert(err:find(fragment, 1, true), string.format("error %q does not contain %q", err, fragment))
end

--- Resident set size of this process in bytes (Linux).
function M.rss()
  local f = io.open("/proc/self/statm")
  local _, res = f:read("n", "n")
  f:close()
  return res * 4096
end

return M
