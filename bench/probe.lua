--- Benchmark: the Simsekli et al. (2019) tail-index pipeline, noiselab vs the authors' method in
-- PyTorch (bench/probe_torch.py: every minibatch gradient stored, then the estimator on the
-- flattened P x M matrix).  Both: a bias-free 784-W-W-10 ReLU net, plain SGD (lr 0.1, batch 100,
-- fixed order) for STEPS steps, then alpha-hat over the training set in eval mode, one thread,
-- data loading excluded.  noiselab streams the noise (two passes, nothing stored).
--
-- Run alone: OPENBLAS_NUM_THREADS=1 ./noiselab bench/probe.lua [steps] [width] [n_train]
-- prints: task | noiselab rate | peer rate | ratio   (rates in pipelines/s).
-- Loaded by a runner (bench/run.lua), it returns the rows {task=, noiselab=, peer=, unit=}.
local nl = require "noiselab"

local argv = (arg and arg[0] and arg[0]:match("probe%.lua$")) and arg or {}
local STEPS = tonumber(argv[1]) or 1000
local WIDTH = tonumber(argv[2]) or 256
local NTRAIN = tonumber(argv[3]) or 60000

local function clock()
  if nl.clock then return nl.clock() end
  return os.clock()
end

-- loaded once, outside the timed region (the peer excludes its loading too)
local train = nl.data.fashion_mnist{split = "train", n = NTRAIN}
local function pipeline(opts)
  local nn = nl.nn
  local g = nl.rng.new(0)
  local net = nn.Sequential{
    nn.Linear(784, WIDTH, {bias = false, rng = g}), nn.ReLU(),
    nn.Linear(WIDTH, WIDTH, {bias = false, rng = g}), nn.ReLU(),
    nn.Linear(WIDTH, 10, {bias = false, rng = g})}
  local loss = nn.CrossEntropy()
  local opt = nl.optim.SGD(net, {lr = 0.1})
  local t0 = clock()
  local step = 0
  while step < STEPS do
    for xb, yb in nl.data.batches(train, 100) do
      net:zero_grad()
      local out = net:forward(xb)
      loss:forward(out, yb)
      net:backward(xb, loss:backward(out, yb))
      opt:step()
      step = step + 1
      if step == STEPS then break end
    end
  end
  local t1 = clock()
  local r = nl.probe.gradient_noise(net, loss, train, opts)
  local t2 = clock()
  io.stderr:write(("noiselab: train %.3f s, alpha %.3f s, alpha_hat %.6f, zero fraction %.3g, P %d, M %d\n")
    :format(t1 - t0, t2 - t1, r.alpha, r.zero_fraction, r.batches, r.params))
  return 1
end

local peer = ("OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 /usr/bin/python3 "
  .. "bench/probe_torch.py %d %d %d"):format(STEPS, WIDTH, NTRAIN)

local rows = {
  {task = ("Simsekli pipeline 784-%d-%d-10 no bias, %d steps + alpha (faithful only)")
      :format(WIDTH, WIDTH, STEPS),
   noiselab = function() return pipeline{batch = 100, per_layer = false, drop_zeros = false} end,
   peer = peer, unit = "pipelines"},
  {task = "same + zeros-dropped and per-layer variants",
   noiselab = function() return pipeline{batch = 100} end,
   peer = peer, unit = "pipelines"},
}

if argv[0] then
  print("task | noiselab rate | peer rate | ratio")
  local peer_rate = {} -- both rows share one peer command: run it once
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
