-- Validation tables for docs/estim.md: bias and RMSE of every tail-index estimator on SaS
-- samples, and of the MLE stable fit at (alpha = 1.5, beta = 0.5).  Rewrites the part of
-- docs/estim.md between the markers <!-- validation:begin --> and <!-- validation:end -->.
--
--   nice ./noiselab tests/reference/estim_validation.lua [--reps 100] [--mle-reps 200] [--quick]
--
-- Runtime on the 2-core test machine: ~1 min for the tail table, ~1 min for 200 MLE fits.
local nl = require "noiselab"
local T = nl.tensor
local E = nl.estim

local reps, mle_reps, quick = 100, 200, false
local i = 1
while arg and arg[i] do
  if arg[i] == "--reps" then reps = tonumber(arg[i + 1]); i = i + 1
  elseif arg[i] == "--mle-reps" then mle_reps = tonumber(arg[i + 1]); i = i + 1
  elseif arg[i] == "--quick" then quick = true; reps = 20; mle_reps = 20 end
  i = i + 1
end

local has_levy = pcall(function() return nl.levy.stable end)
local function stable(alpha, beta, n, g)
  if has_levy then return nl.levy.stable{alpha = alpha, beta = beta}:sample(n, g) end
  -- Chambers-Mallows-Stuck (S1, scale 1), as tests/reference/estim_reference.py
  local V = (T.rand({n}, g) - 0.5) * math.pi
  local W = -(T.rand({n}, g):log())
  if beta == 0 then
    if alpha == 1 then return V:sin() / V:cos() end
    return (V * alpha):sin() / V:cos():pow(1 / alpha)
      * ((V * (1 - alpha)):cos() / W):pow((1 - alpha) / alpha)
  end
  local tn = beta * math.tan(math.pi * alpha / 2)
  local B = math.atan(tn) / alpha
  local S = (1 + tn * tn) ^ (1 / (2 * alpha))
  local VB = (V + B) * alpha
  return VB:sin() / V:cos():pow(1 / alpha) * S
    * ((V - VB):cos() / W):pow((1 - alpha) / alpha)
end

local methods = {
  {"mohammadi", {method = "mohammadi"}},
  {"mohammadi K1=100", {method = "mohammadi", k1 = 100}},
  {"mohammadi_os", {method = "mohammadi_os"}},
  {"logmoment", {method = "logmoment", drop_zeros = true}},
  {"hill k=sqrt(n)", {method = "hill"}},
  {"pickands k=sqrt(n)", {method = "pickands"}},
  {"moment k=sqrt(n)", {method = "moment"}},
}
local alphas = {1.1, 1.5, 1.8, 1.95, 2.0}
local ns = quick and {1000, 10000} or {1000, 10000, 100000}

local lines = {}
local function out(s) lines[#lines + 1] = s; io.stderr:write(s, "\n") end
local t0 = os.clock()
out(string.format("Tail index on SaS samples (%s sampler), %d replications each, seed 1000+r. " ..
  "Cells: bias / RMSE of alpha-hat over the replications where it is finite; [m] = replications " ..
  "left out (Pickands/moment: gamma-hat <= 0, i.e. alpha-hat = inf, or tied order statistics).", has_levy and "noiselab" or "Chambers-Mallows-Stuck in Lua", reps))
out("")
local head = "| n | alpha |"
local sep = "|---|---|"
for _, m in ipairs(methods) do head = head .. " " .. m[1] .. " |"; sep = sep .. "---|" end
head = head .. " McCulloch alpha |"; sep = sep .. "---|"
out(head); out(sep)
for _, n in ipairs(ns) do
  for _, alpha in ipairs(alphas) do
    local acc = {}
    for j = 1, #methods + 1 do acc[j] = {s = 0, s2 = 0, k = 0, fail = 0} end
    for r = 1, reps do
      local x = stable(alpha, 0, n, nl.rng.new(1000 + r))
      for j, m in ipairs(methods) do
        local ok, a = pcall(E.tail_index, x, m[2])
        local A = acc[j]
        if ok and a and a == a and a < math.huge then
          A.s = A.s + (a - alpha); A.s2 = A.s2 + (a - alpha) ^ 2; A.k = A.k + 1
        else A.fail = A.fail + 1 end
      end
      local f = E.fit_stable(x, {method = "mcculloch"})
      local A = acc[#methods + 1]
      A.s = A.s + (f.alpha - alpha); A.s2 = A.s2 + (f.alpha - alpha) ^ 2; A.k = A.k + 1
    end
    local row = string.format("| %d | %.2f |", n, alpha)
    for _, A in ipairs(acc) do
      if A.k > 0 then
        row = row .. string.format(" %+.3f / %.3f%s |", A.s / A.k, math.sqrt(A.s2 / A.k),
          A.fail > 0 and string.format(" [%d]", A.fail) or "")
      else row = row .. " - |" end
    end
    out(row)
  end
end
local t_tail = os.clock() - t0

-- MLE at (1.5, 0.5), n = 1000 (S1); McCulloch and ECF on the same samples
out("")
out(string.format("Stable fits at alpha = 1.5, beta = 0.5, scale = 1, loc = 0 (S1), n = 1000, %d " ..
  "replications: bias / RMSE, mean reported se, mean time per fit.", mle_reps))
out("")
out("| method | alpha | beta | scale | loc | mean se(alpha) | ms/fit | failures |")
out("|---|---|---|---|---|---|---|---|")
local truth = {1.5, 0.5, 1.0, 0.0}
for _, m in ipairs{"mcculloch", "ecf", "mle"} do
  local s, s2 = {0, 0, 0, 0}, {0, 0, 0, 0}
  local k, fail, sea, tm = 0, 0, 0, 0
  for r = 1, mle_reps do
    local x = stable(1.5, 0.5, 1000, nl.rng.new(5000 + r))
    local c = os.clock()
    local f = E.fit_stable(x, {method = m})
    tm = tm + os.clock() - c
    if f then
      local v = {f.alpha, f.beta, f.scale, f.loc}
      for j = 1, 4 do s[j] = s[j] + v[j] - truth[j]; s2[j] = s2[j] + (v[j] - truth[j]) ^ 2 end
      if f.se and f.se.alpha then sea = sea + f.se.alpha end
      k = k + 1
    else fail = fail + 1 end
  end
  local row = "| " .. m .. " |"
  for j = 1, 4 do row = row .. string.format(" %+.3f / %.3f |", s[j] / k, math.sqrt(s2[j] / k)) end
  row = row .. (m == "mle" and string.format(" %.3f |", sea / k) or " - |")
  row = row .. string.format(" %.3f | %d |", tm / mle_reps * 1e3, fail)
  out(row)
end
out("")
out(string.format("(generated by tests/reference/estim_validation.lua in %.0f s CPU: tail table %.0f s)",
  os.clock() - t0, t_tail))

if not quick then
  local path = "docs/estim.md"
  local f = io.open(path, "r")
  local doc = f and f:read("a") or ""
  if f then f:close() end
  local b, e = doc:find("<!%-%- validation:begin %-%->"), doc:find("<!%-%- validation:end %-%->")
  if b and e then
    local nd = doc:sub(1, b - 1) .. "<!-- validation:begin -->\n" .. table.concat(lines, "\n") .. "\n" .. doc:sub(e)
    local w = assert(io.open(path, "w")); w:write(nd); w:close()
    io.stderr:write("updated ", path, "\n")
  else
    io.stderr:write("markers not found in ", path, "; tables printed above only\n")
  end
end
