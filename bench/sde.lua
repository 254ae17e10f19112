--- Benchmark: Lévy-driven SDE ensembles (nl.sde.simulate) against a vectorised NumPy Euler loop
-- (the same Chambers–Mallows–Stuck formula for symmetric α-stable increments, the same drift,
-- the same exit test, all paths advanced together per step: what a NumPy user would write).
-- Rates are million path-steps per second (wall clock), one thread each, from one ensemble of
-- 10^4 paths x 2000 steps per side (about a second each).
-- Issue 6's targets: >= 30 M path-steps/s with a native drift, >= 5 M/s with a Lua drift, and
-- >= 10x the NumPy loop (rows with target = 10).
--
-- Run: ./noiselab bench/run.lua sde
local nl = require "noiselab"
local B = require "bench.lib"

local PATHS, STEPS = 10000, 2000
local ALPHA, EPS, K, DT = 1.5, 0.05, 10, 1e-3

-- double well f'(x) = K(x − x³), exit from (−1, 1); ε small enough that few paths exit, so
-- the count of path-steps is ~PATHS·STEPS (the exact count is used)
local function path_steps(r)
  local n = 0
  for i = 1, PATHS do
    local t = r.exit_time:get(i)
    n = n + (t == t and math.floor(t / DT + 0.5) or STEPS)
  end
  return n
end

-- M path-steps/s of one simulate{} call with the given drift and noise
local function simulate_rate(drift, noise)
  return function()
    local t0 = nl.clock()
    local r = nl.sde.simulate{dt = DT, steps = STEPS, paths = PATHS, x0 = 0, drift = drift,
      K = K, noise = noise, exit = {-1, 1}, seed = 1, progress = false}
    local dt = nl.clock() - t0
    return path_steps(r) / dt / 1e6
  end
end

-- the NumPy peer: prints M path-steps/s
local function numpy_peer(kind)
  return B.python(([==[
import numpy as np
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
print(done / (time.perf_counter() - t0) / 1e6)
]==]):format(PATHS, STEPS, ALPHA, EPS, K, DT, kind))
end

local stable = {kind = "stable", alpha = ALPHA, scale = EPS}
return {
  {task = ("1-d alpha-stable SDE (alpha %.1f), native double-well drift, %d paths x %d steps (abs. target 30)")
      :format(ALPHA, PATHS, STEPS), unit = "Mpath-steps/s", peer_name = "NumPy Euler loop", target = 10,
   noiselab = simulate_rate("double_well", stable), peer = numpy_peer("stable")},
  {task = "same, drift as a Lua function on the tensor of live states (abs. target 5)",
   unit = "Mpath-steps/s", peer_name = "NumPy Euler loop",
   noiselab = simulate_rate(function(x) return (x - x * x * x) * (-K) end, stable),
   peer = numpy_peer("stable")},
  {task = ("1-d Brownian SDE, native double-well drift, %d paths x %d steps"):format(PATHS, STEPS),
   unit = "Mpath-steps/s", peer_name = "NumPy Euler loop", target = 10,
   noiselab = simulate_rate("double_well", {kind = "brownian", sigma = 0.3}), peer = numpy_peer("brownian")},
}
