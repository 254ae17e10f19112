-- Tensor rows: BLAS products and elementwise kernels against NumPy, and the machine's sgemm
-- ceiling (OpenBLAS's cblas_sgemm called directly from C).
local nl = require "noiselab"
local T = nl.tensor
local B = require "bench.lib"

local rows = {}
for _, dt in ipairs({"f32", "f64"}) do
  for _, n in ipairs({64, 256, 1024}) do
    local flops = 2 * n ^ 3
    rows[#rows + 1] = {
      task = string.format("matmul %s %dx%d", dt, n, n), unit = "GFLOP/s", peer_name = "NumPy",
      noiselab = function()
        local g = nl.rng.new(1)
        local a, b = T.randn({n, n}, {rng = g, dtype = dt}), T.randn({n, n}, {rng = g, dtype = dt})
        return B.rate(function() a:matmul(b) end, flops) / 1e9
      end,
      peer = B.python(string.format([[
import numpy as np
a = np.random.randn(%d, %d).astype(np.%s); b = np.random.randn(%d, %d).astype(np.%s)
print(rate(lambda: a @ b, %g) / 1e9)
]], n, n, dt == "f32" and "float32" or "float64", n, n, dt == "f32" and "float32" or "float64", flops)),
      target = 0.9,
    }
  end
end

local N = 1e7
rows[#rows + 1] = {
  task = "exp f64 1e7", unit = "Melem/s", peer_name = "NumPy", target = 0.9,
  noiselab = function()
    local x = T.randn{N}
    return B.rate(function() x:exp() end, N) / 1e6
  end,
  peer = B.python([[
import numpy as np
x = np.random.randn(10**7)
print(rate(lambda: np.exp(x), 1e7) / 1e6)
]]),
}
rows[#rows + 1] = {
  task = "add f64 1e7", unit = "Melem/s", peer_name = "NumPy", target = 0.9,
  noiselab = function()
    local x, y = T.randn{N}, T.randn{N}
    return B.rate(function() local z = x + y end, N) / 1e6
  end,
  peer = B.python([[
import numpy as np
x = np.random.randn(10**7); y = np.random.randn(10**7)
print(rate(lambda: x + y, 1e7) / 1e6)
]]),
}
rows[#rows + 1] = {
  task = "sum f64 1e7", unit = "Melem/s", peer_name = "NumPy", target = 0.5,
  noiselab = function()
    local x = T.randn{N}
    return B.rate(function() x:sum() end, N) / 1e6
  end,
  peer = B.python([[
import numpy as np
x = np.random.randn(10**7)
print(rate(lambda: x.sum(), 1e7) / 1e6)
]]),
}
-- The ceiling: cblas_sgemm called directly from C (bench/sgemm_peak.c), against noiselab's
-- matmul at the same size.
local function sgemm_direct(n)
  local exe = "build/bench_sgemm_peak"
  local cmd = "cc -O2 -o " .. exe .. " bench/sgemm_peak.c $(pkg-config --cflags --libs openblas) 2>&1"
  local p = io.popen(cmd); local msg = p:read("a"); local ok = p:close()
  if not ok then error("cannot build bench/sgemm_peak.c: " .. msg) end
  p = io.popen("OPENBLAS_NUM_THREADS=1 " .. exe .. " " .. n)
  local v = tonumber(p:read("a"))
  p:close()
  return v
end
rows[#rows + 1] = {
  task = "sgemm 2048 (machine ceiling)", unit = "GFLOP/s", peer_name = "cblas_sgemm direct", target = 0.95,
  noiselab = function()
    local a, b = T.randn({2048, 2048}, {dtype = "f32"}), T.randn({2048, 2048}, {dtype = "f32"})
    return B.rate(function() a:matmul(b) end, 2 * 2048 ^ 3, 1.0) / 1e9
  end,
  peer = function() return sgemm_direct(2048) end,
}
return rows
