--- Benchmark: α-stable sampling and distribution functions (nl.levy) against GSL and SciPy.
-- Rates: variates/s (sampling), evaluations/s (pdf, cdf, quantile); one thread each.
--
-- Run alone: ./noiselab bench/levy.lua   (prints task | noiselab | peer | ratio)
-- Loaded by bench/run.lua it returns the rows.
-- Targets (issue 3): sampling ≥ 30 M/s and ≥ 5× GSL, ≥ 50× SciPy; pdf/cdf ≥ 1e5/s and ≥ 100×
-- SciPy; quantile ≥ 2e4/s.  GSL's gsl_ran_levy_skew runs in-process through the test-support
-- binding levy._gsl_levy_skew (MT19937 included in its time, as in any GSL program).
local nl = require "noiselab"
local B = require "bench.lib"
local T = nl.tensor
local levy = nl.levy

local d = levy.stable{alpha = 1.5, beta = 0.5}
local g = nl.rng.new(1)
local xs = T.linspace(-10, 10, 2000)
local ps = T.linspace(0.001, 0.999, 200)

local rows = {
  { task = "stable sample alpha=1.5 beta=0.5, 1e6", unit = "Mvariates/s", peer_name = "GSL gsl_ran_levy_skew",
    target = 5,
    noiselab = function() return B.rate(function() d:sample(1000000, g) end, 1e6) / 1e6 end,
    peer = function()
      return B.rate(function() levy._gsl_levy_skew(1000000, 1, 1.5, 0.5, 1) end, 1e6) / 1e6
    end },
  { task = "stable sample alpha=1.5 beta=0.5, 1e6", unit = "Mvariates/s", peer_name = "SciPy levy_stable.rvs",
    target = 50,
    noiselab = function() return B.rate(function() d:sample(1000000, g) end, 1e6) / 1e6 end,
    peer = B.python([[
from scipy.stats import levy_stable
import numpy as np
r = np.random.default_rng(1)
print(rate(lambda: levy_stable.rvs(1.5, 0.5, size=1000000, random_state=r), 1e6) / 1e6)
]]) },
  { task = "stable sample S0 alpha=1.001 beta=0.5, 1e6", unit = "Mvariates/s", peer_name = "GSL (S1)",
    noiselab = function()
      local e = levy.stable{alpha = 1.001, beta = 0.5, param = "S0"}
      return B.rate(function() e:sample(1000000, g) end, 1e6) / 1e6
    end,
    peer = function()
      return B.rate(function() levy._gsl_levy_skew(1000000, 1, 1.001, 0.5, 1) end, 1e6) / 1e6
    end },
  { task = "stable pdf alpha=1.5 beta=0.5, x in [-10,10]", unit = "evals/s", peer_name = "SciPy levy_stable.pdf",
    target = 100,
    noiselab = function() return B.rate(function() d:pdf(xs) end, 2000) end,
    peer = B.python([[
from scipy.stats import levy_stable
import numpy as np
x = np.linspace(-10, 10, 200)
print(rate(lambda: levy_stable.pdf(x, 1.5, 0.5), 200, 2.0))
]]) },
  { task = "stable cdf alpha=1.5 beta=0.5, x in [-10,10]", unit = "evals/s", peer_name = "SciPy levy_stable.cdf",
    target = 100,
    noiselab = function() return B.rate(function() d:cdf(xs) end, 2000) end,
    peer = B.python([[
from scipy.stats import levy_stable
import numpy as np
x = np.linspace(-10, 10, 200)
print(rate(lambda: levy_stable.cdf(x, 1.5, 0.5), 200, 2.0))
]]) },
  { task = "stable quantile alpha=1.5 beta=0.5, p in [1e-3, 1-1e-3]", unit = "evals/s",
    peer_name = "SciPy levy_stable.ppf",
    noiselab = function() return B.rate(function() d:quantile(ps) end, 200) end,
    peer = B.python([[
from scipy.stats import levy_stable
import numpy as np
p = np.linspace(0.001, 0.999, 20)
print(rate(lambda: levy_stable.ppf(p, 1.5, 0.5), 20, 2.0))
]]) },
}

if arg and arg[0] and arg[0]:match("levy%.lua$") then
  for _, r in ipairs(rows) do
    local a = r.noiselab()
    local p = r.peer and r.peer() or nil
    print(string.format("%-52s | %12.4g %s | %12s | %s", r.task, a, r.unit,
      p and string.format("%.4g", p) or "-", p and p > 0 and string.format("%.1fx", a / p) or "-"))
  end
end
return rows
