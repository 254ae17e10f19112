--- noiselab: `local nl = require "noiselab"`.
-- Each module is loaded on first use: nl.tensor, nl.rng, nl.levy, nl.estim, nl.nn, nl.optim,
-- nl.probe, nl.sde, nl.theory, nl.data, nl.plot, nl.experiment, nl.progress.
local runtime = require "noiselab.runtime"

local nl = {version = runtime.version}

-- The user-facing modules, in the order the REPL lists them.
nl.modules = {"tensor", "rng", "levy", "estim", "nn", "optim", "probe", "sde", "theory",
              "data", "plot", "experiment", "progress"}
local known = {}
for _, m in ipairs(nl.modules) do known[m] = true end

setmetatable(nl, {__index = function(t, k)
  if known[k] then
    local m = require("noiselab." .. k)
    rawset(t, k, m)
    return m
  end
end})

--- Seed the default generator (every stochastic function without an explicit rng uses it).
function nl.seed(n)
  require("noiselab.rng").seed(n)
end

--- Set the number of BLAS threads (default 1); returns the count in force.
function nl.threads(n)
  return runtime.threads(n)
end

-- Tensor storage is outside the Lua heap and reported to the collector as debt; generational
-- mode (stock lua5.4's default) would let surviving temporaries become "old" and pile up until
-- a major collection that a small Lua heap never triggers.  Incremental mode keeps them bounded.
collectgarbage("incremental")

-- One BLAS thread unless the user asks for more: small matrices are slower with threads, and
-- results stay independent of the machine's core count.
if not os.getenv("OPENBLAS_NUM_THREADS") then runtime.threads(1) end

--- Monotonic wall-clock seconds (os.clock() measures CPU time).
nl.clock = runtime.clock
--- isatty(fd): whether a file descriptor (2 = stderr) is a terminal.
nl.isatty = runtime.isatty

--- Modules that load in this build (some may be missing in a partial build).
function nl.available()
  local out = {}
  for _, m in ipairs(nl.modules) do
    if package.preload["noiselab." .. m] then out[#out + 1] = m end
  end
  return out
end

return nl
