-- Accuracy of nl.levy.stable against tests/reference/stable_reference.csv, as a Markdown table
-- (pasted into docs/levy.md).  Run: ./noiselab tests/reference/stable_accuracy.lua
-- Relative error |ours − ref| / ref of pdf, cdf and sf, per α (both parameterisations), over
-- the reference points with a value > 1e-300; "≤1e-12" is the share of points within 1e-12.
local nl = require "noiselab"

local here = (debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./")
local f = assert(io.open(here .. "stable_reference.csv"))
local rows = {}
for line in f:lines() do
  if not line:match("^#") and not line:match("^alpha") then
    local a, b, p, x, pdf, cdf, sf = line:match("^([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),")
    rows[#rows + 1] = {alpha = tonumber(a), beta = tonumber(b), param = tonumber(p), x = tonumber(x),
      pdf = tonumber(pdf), cdf = tonumber(cdf), sf = tonumber(sf)}
  end
end
f:close()

local stats, order = {}, {}
local tot = {}
local function acc(key, q, e)
  stats[key] = stats[key] or {}
  local s = stats[key][q] or {n = 0, good = 0, worst = 0}
  stats[key][q] = s
  s.n = s.n + 1
  if e <= 1e-12 then s.good = s.good + 1 end
  if e > s.worst then s.worst = e end
end

local laws = {}
for _, r in ipairs(rows) do
  local key = r.alpha
  if not stats[key] then order[#order + 1] = key end
  local lk = r.alpha .. "," .. r.beta .. "," .. r.param
  laws[lk] = laws[lk] or nl.levy.stable{alpha = r.alpha, beta = r.beta, param = r.param == 0 and "S0" or "S1"}
  local d = laws[lk]
  for _, q in ipairs{"pdf", "cdf", "sf"} do
    local ref = r[q]
    if ref and ref > 1e-300 then
      local v = d[q](d, r.x)
      local e = v == ref and 0 or math.abs(v - ref) / ref
      if v ~= v then e = math.huge end
      acc(key, q, e)
      acc("all", q, e)
    end
  end
end
order[#order + 1] = "all"

local function cell(s)
  if not s then return "– | –" end
  return string.format("%d: %.1f%% | %.1e", s.n, 100 * s.good / s.n, s.worst)
end
print("| α | pdf: n, ≤1e-12 | pdf worst | cdf: n, ≤1e-12 | cdf worst | sf: n, ≤1e-12 | sf worst |")
print("|---|---|---|---|---|---|---|")
for _, k in ipairs(order) do
  local s = stats[k]
  print(string.format("| %s | %s | %s | %s |", tostring(k), cell(s.pdf), cell(s.cdf), cell(s.sf)))
end
