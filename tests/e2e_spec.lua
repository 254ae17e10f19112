-- End to end: data + nn + optim + probe together on the real Fashion-MNIST.
local nl = require "noiselab"
local nn = nl.nn


local have_data = io.open("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz", "rb")
if have_data then have_data:close() end

local clock = nl.clock -- monotonic wall clock

-- one SGD step on a minibatch: zero_grad, forward, loss, backward, update
local function train_step(net, loss, opt, xb, yb)
  net:zero_grad()
  local out = net:forward(xb)
  loss:forward(out, yb)
  net:backward(xb, loss:backward(out, yb))
  opt:step()
end

describe("end to end", function()
  it("the LeNet-like net of Wang et al. (Zhu et al. 2019) has 11,330 parameters", function()
    local net = nn.Sequential{
      nn.Conv2d(1, 10, 5), nn.MaxPool2d(2), nn.ReLU(),
      nn.Conv2d(10, 10, 5), nn.MaxPool2d(2), nn.ReLU(),
      nn.Flatten(), nn.Linear(160, 50), nn.ReLU(), nn.Linear(50, 10)}
    assert.are.equal(11330, #net:parameters())
    -- conv 1->10 5x5: 260, conv 10->10 5x5: 2510, fc 160->50: 8050, fc 50->10: 510
    local counts = {}
    for _, p in ipairs(net:parameter_list()) do counts[#counts + 1] = p.numel end
    assert.are.same({250, 10, 2500, 10, 8000, 50, 500, 10}, counts)
    -- it runs on Fashion-MNIST-shaped input: 28x28 -> 24 -> 12 -> 8 -> 4, 10·4·4 = 160
    local x = nl.tensor.zeros({2, 1, 28, 28}):float()
    assert.are.same({2, 10}, net:forward(x):shape())
  end)

  if not have_data then
    pending("dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)")
    return
  end

  it("a 784-256-10 ReLU MLP with SGD reaches >= 84% test accuracy within 3 epochs", function()
    local train = nl.data.fashion_mnist{split = "train"}
    local test = nl.data.fashion_mnist{split = "test"}
    local g = nl.rng.new(1)
    local net = nn.Sequential{nn.Linear(784, 256, {rng = g}), nn.ReLU(), nn.Linear(256, 10, {rng = g})}
    local loss = nn.CrossEntropy()
    local opt = nl.optim.SGD(net, {lr = 0.1})
    local t0 = clock()
    local acc = {}
    for epoch = 1, 3 do
      for xb, yb in nl.data.batches(train, 100, {shuffle = true, rng = g}) do
        train_step(net, loss, opt, xb, yb)
      end
      acc[epoch] = nl.probe.evaluate(net, test).accuracy
      if acc[epoch] >= 0.84 then break end
    end
    local best = math.max(table.unpack(acc))
    assert.is_true(best >= 0.84, "test accuracy per epoch: " .. table.concat(acc, ", "))
    assert.is_true(clock() - t0 < 60, "took " .. (clock() - t0) .. " s")
  end)

  it("the Simsekli pipeline on a small bias-free net: alpha below 2, same as the matrix", function()
    local train = nl.data.fashion_mnist{split = "train", n = 2000}
    local g = nl.rng.new(2)
    local net = nn.Sequential{nn.Linear(784, 16, {bias = false, rng = g}), nn.ReLU(),
      nn.Linear(16, 16, {bias = false, rng = g}), nn.ReLU(), nn.Linear(16, 10, {bias = false, rng = g})}
    local loss = nn.CrossEntropy()
    local opt = nl.optim.SGD(net, {lr = 0.1})
    for _ = 1, 2 do
      for xb, yb in nl.data.batches(train, 100) do
        train_step(net, loss, opt, xb, yb)
      end
    end
    local r = nl.probe.gradient_noise(net, loss, train, {batch = 100, return_matrix = true})
    assert.are.equal(20, r.batches)
    assert.are.equal(784 * 16 + 16 * 16 + 16 * 10, r.params)
    local a = nl.estim.tail_index(r.matrix:reshape{-1}, {method = "mohammadi"})
    assert.is_true(math.abs(r.alpha - a) <= 1e-12, ("%.17g vs %.17g"):format(r.alpha, a))
    assert.is_true(r.alpha > 0.5 and r.alpha < 2, "alpha = " .. r.alpha)
    local flat = r.matrix:reshape{-1}
    assert.are.equal((flat:eq(0)):sum() / #flat, r.zero_fraction)
  end)
end)
