--- Benchmark: Lévy-driven SDE ensembles (nl.sde.simulate) against a vectorised NumPy Euler loop
-- (the same Chambers–Mallows–Stuck formula for symmetric α-stable increments, the same drift,
-- the same exit test, all paths advanced together per step: what a NumPy user would write).
-- Rates are path-steps per second, one thread each.
--
-- Run alone: OPENBLAS_NUM_THREADS=1 ./noiselab bench/sde.lua [paths] [steps]
-- prints: task | noiselab rate | peer rate | ratio.
-- Loaded by a runner (bench/run.lua), it returns the rows {task=, noiselab=, peer=, unit=}.
local nl = require "noiselab"

local argv = (arg and arg[0] and arg[0]:match("sde%.lua$")) and arg or {}
local PATHS = tonumber(argv[1]) or 10000
local STEPS = tonumber(argv[2]) or 2000
local ALPHA, EPS, K, DT = 1.5, 0.05, 10, 1e-3

local function clock()
  if nl.clock then return nl.clock() end
  return os.clock()
end

-- double well f'(x) = K(x − x³), exit from (−1, 1); ε small enough that few paths exit, so
-- the count of path-steps is ~PATHS·STEPS (the exact count is returned)
local function path_steps(r)
  local n = 0
  for i = 1, PATHS do
    local t = r.exit_time:get(i)
    n = n + (t == t and math.floor(t / DT + 0.5) or STEPS)
  end
  return n
end

local function native(noise)
  return function()
    local r = nl.sde.simulate{dt = DT, steps = STEPS, paths = PATHS, x0 = 0, drift = "double_well",
      K = K, noise = noise, exit = {-1, 1}, seed = 1, progress = false}
    return path_steps(r)
  end
end

local function lua_drift()
  local r = nl.sde.simulate{dt = DT, steps = STEPS, paths = PATHS, x0 = 0,
    drift = function(x) return (x - x * x * x) * (-K) end,
    noise = {kind = "stable", alpha = ALPHA, scale = EPS}, exit = {-1, 1}, seed = 1, progress = false}
  return path_steps(r)
end

-- the NumPy peer: prints path-steps/s on its last line
local function numpy_peer(kind)
  return ([==[OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 - <<'EOF'
import time, numpy as np
P, N, a, eps, K, dt, kind = %d, %d, %.17g, %.17g, %.17g, %.17g, %q
rng = np.random.default_rng(1)
x = np.zeros(P); live = np.ones(P, bool); done = 0
t0 = time.perf_counter()
for k in range(N):
    idx = np.flatnonzero(live)
    if idx.size == 0: break
    xs = x[idx]
    if kind == "stable":
        V = np.pi * (rng.random(idx.size) - 0.5); W = rng.exponential(size=idx.size)
        S = np.sin(a * V) / np.cos(V) ** (1 / a) * (np.cos((1 - a) * V) / W) ** ((1 - a) / a)
        xs = xs - K * (xs - xs ** 3) * dt + eps * dt ** (1 / a) * S
    else:
        xs = xs - K * (xs - xs ** 3) * dt + eps * np.sqrt(dt) * rng.standard_normal(idx.size)
    x[idx] = xs; done += idx.size
    live[idx[np.abs(xs) >= 1]] = False
print(done / (time.perf_counter() - t0))
EOF]==]):format(PATHS, STEPS, ALPHA, EPS, K, DT, kind)
end

local rows = {
  {task = ("1-d alpha-stable SDE (alpha %.1f), native double-well drift, %d paths x %d steps"):format(ALPHA, PATHS, STEPS),
   noiselab = native{kind = "stable", alpha = ALPHA, scale = EPS}, peer = numpy_peer("stable"), unit = "path-steps"},
  {task = ("same, drift as a Lua function on the tensor of live states"),
   noiselab = lua_drift, peer = numpy_peer("stable"), unit = "path-steps"},
  {task = ("1-d Brownian SDE, native double-well drift, %d paths x %d steps"):format(PATHS, STEPS),
   noiselab = native{kind = "brownian", sigma = 0.3}, peer = numpy_peer("brownian"), unit = "path-steps"},
}

if argv[0] then
  print("task | noiselab rate | peer rate | ratio")
  local peer_rate = {}
  for _, row in ipairs(rows) do
    local t0 = clock()
    local items = row.noiselab()
    local rate = items / (clock() - t0)
    local prate = peer_rate[row.peer]
    if not prate then
      local p = io.popen(row.peer)
      local out = p:read("a")
      p:close()
      prate = tonumber(out:match("([%d%.eE+-]+)%s*$"))
      peer_rate[row.peer] = prate
    end
    print(("%s | %.4g %s/s | %s | %s"):format(row.task, rate, row.unit,
      prate and ("%.4g %s/s"):format(prate, row.unit) or "n/a",
      prate and ("%.2fx"):format(rate / prate) or "n/a"))
  end
end

return rows
