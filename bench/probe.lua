--- Benchmark: the Simsekli et al. (2019) tail-index pipeline, noiselab vs the authors' method in
-- PyTorch (bench/probe_torch.py: every minibatch gradient stored, then the estimator on the
-- flattened P x M matrix).  Both: a bias-free 784-256-256-10 ReLU net, plain SGD (lr 0.1,
-- batch 100, fixed order) for 1000 steps, then alpha-hat over the training set in eval mode, one
-- thread, data loading excluded.  noiselab streams the noise (two passes, nothing stored).
-- Rates are pipelines/s (wall clock) from ONE run of each side: a pipeline takes seconds, so it
-- is its own measuring interval (see bench/README.md).  Issue 5's target: >= 2x the peer.
--
-- Run: ./noiselab bench/run.lua probe
local nl = require "noiselab"

local STEPS, WIDTH, NTRAIN = 1000, 256, 60000

local train -- Fashion-MNIST, loaded once outside the timed region (the peer excludes it too)

-- One pipeline with the probe options `opts`; returns pipelines/s.
local function pipeline(opts)
  train = train or nl.data.fashion_mnist{split = "train", n = NTRAIN}
  local nn = nl.nn
  local g = nl.rng.new(0)
  local net = nn.Sequential{
    nn.Linear(784, WIDTH, {bias = false, rng = g}), nn.ReLU(),
    nn.Linear(WIDTH, WIDTH, {bias = false, rng = g}), nn.ReLU(),
    nn.Linear(WIDTH, 10, {bias = false, rng = g})}
  local loss = nn.CrossEntropy()
  local opt = nl.optim.SGD(net, {lr = 0.1})
  local t0 = nl.clock()
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
  local t1 = nl.clock()
  local r = nl.probe.gradient_noise(net, loss, train, opts)
  local t2 = nl.clock()
  io.stderr:write(("noiselab: train %.3f s, alpha %.3f s, alpha_hat %.6f, zero fraction %.3g, P %d, M %d\n")
    :format(t1 - t0, t2 - t1, r.alpha, r.zero_fraction, r.batches, r.params))
  return 1 / (t2 - t0)
end

-- Both rows compare against the same PyTorch script: run it once (bounded by a timeout).
local peer_rate
local function peer()
  if not peer_rate then
    local p = io.popen(("OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 timeout 300 "
      .. "/usr/bin/python3 bench/probe_torch.py %d %d %d"):format(STEPS, WIDTH, NTRAIN))
    local out = p:read("a")
    p:close()
    peer_rate = tonumber(out:match("([%d%.eE%+%-]+)%s*$"))
    if not peer_rate then error("bench/probe_torch.py failed or timed out (300 s): " .. out) end
  end
  return peer_rate
end

local name = ("Simsekli pipeline 784-%d-%d-10 no bias, %d steps + alpha"):format(WIDTH, WIDTH, STEPS)
return {
  {task = name .. " (faithful only)", unit = "pipelines/s", peer_name = "PyTorch (authors' method)",
   target = 2,
   noiselab = function() return pipeline{batch = 100, per_layer = false, drop_zeros = false} end,
   peer = peer},
  {task = name .. " (+ zeros-dropped and per-layer variants)", unit = "pipelines/s",
   peer_name = "PyTorch (authors' method)", target = 2,
   noiselab = function() return pipeline{batch = 100} end,
   peer = peer},
}
