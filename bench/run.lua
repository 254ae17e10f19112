-- make bench: every bench/<module>.lua row, side by side with its peer (see bench/README.md).
package.path = "./?.lua;" .. package.path
local nl = require "noiselab"
nl.threads(1)

local only = arg[1] -- optional: run only bench/<name>.lua
local files = {}
local p = io.popen("ls bench/*.lua")
for f in p:lines() do
  local name = f:match("bench/(.-)%.lua$")
  if name ~= "run" and name ~= "lib" and (not only or name == only) then files[#files + 1] = f end
end
p:close()

local lines = {}
local function out(s)
  print(s)
  lines[#lines + 1] = s
end

local function cpu()
  local f = io.open("/proc/cpuinfo")
  local model = f and f:read("a"):match("model name%s*:%s*([^\n]+)") or "unknown CPU"
  if f then f:close() end
  return model
end

local date = io.popen("date -u '+%Y-%m-%d %H:%M UTC'"):read("l")
out("# Performance")
out("")
out(string.format("Latest `make bench` on %s: %s, one thread for noiselab and its peers. Ratio = noiselab / peer (higher is better).", date, cpu()))
out("")
out("| task | unit | noiselab | peer | peer rate | ratio | target |")
out("|---|---|---|---|---|---|---|")
for _, f in ipairs(files) do
  local ok, rows = pcall(dofile, f)
  if not ok then
    out(string.format("| %s | | failed to load: %s | | | | |", f, tostring(rows):gsub("\n", " ")))
  else
    for _, r in ipairs(rows) do
      local ok1, mine = pcall(r.noiselab)
      local theirs, ok2 = nil, true
      if r.peer then ok2, theirs = pcall(r.peer) end
      local ratio = (ok1 and ok2 and theirs and theirs > 0) and mine / theirs or nil
      local flag = ""
      if r.target and ratio then flag = ratio >= r.target and string.format("≥ %g ✓", r.target) or string.format("≥ %g ✗", r.target) end
      out(string.format("| %s | %s | %s | %s | %s | %s | %s |", r.task, r.unit or "",
        ok1 and string.format("%.4g", mine) or ("error: " .. tostring(mine):gsub("\n", " ")),
        r.peer_name or "", theirs and (ok2 and string.format("%.4g", theirs)) or (ok2 and "" or ("error: " .. tostring(theirs):gsub("\n", " "))),
        ratio and string.format("%.2f", ratio) or "", flag))
    end
  end
end

if not only then
  local path = "docs/performance.md"
  local tmp = path .. ".tmp"
  local f = assert(io.open(tmp, "w"))
  f:write(table.concat(lines, "\n"), "\n")
  f:close()
  assert(os.rename(tmp, path))
  print("\nwritten to " .. path)
end
