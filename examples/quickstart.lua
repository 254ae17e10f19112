-- A one-minute tour of noiselab: tensors, generators, and (when built) the α-stable laws and
-- estimators.  Run: noiselab examples/quickstart.lua
local nl = require "noiselab"
local T = nl.tensor

nl.seed(1)
print("noiselab " .. nl.version)

-- Tensors: f64 by default, broadcasting operators, BLAS products, reductions.
local x = T.randn{1000, 3}
local y = x:matmul(T.ones{3, 1}) * 2 + 1
print(string.format("y = 2 * (x1 + x2 + x3) + 1: mean %.4f (expect ~1), var %.3f (expect ~12)",
  y:mean(), y:var()))
print(x:narrow(1, 1, 4))

-- Explicit generators: same seed, same numbers.
local g = nl.rng.new(42)
local a = g:normal(5)
print("N(0,1) draws from rng.new(42):", table.concat(a:totable(), " ", 1, 3), "...")

-- numpy-compatible files.
local path = os.tmpname() .. ".npy"
T.save(y, path)
print("saved and reloaded:", T.load(path):get(1, 1) == y:get(1, 1))
os.remove(path)

-- α-stable laws and the tail-index estimator of Simsekli et al. (2019), when built.
local ok_levy, levy = pcall(require, "noiselab.levy")
local ok_estim, estim = pcall(require, "noiselab.estim")
if ok_levy and ok_estim then
  local d = levy.stable{alpha = 1.5, beta = 0.5}
  local s = d:sample(100000, g)
  local alpha = estim.tail_index(s, {method = "mohammadi"})
  print(string.format("S(1.5, 0.5) sample of 1e5: tail index estimate %.3f; pdf(0.3) = %.6f",
    alpha, d:pdf(0.3)))
else
  print("(levy/estim modules not in this build)")
end
