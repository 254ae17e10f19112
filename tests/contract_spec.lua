-- The names that are a contract (DESIGN.md §3): the documented script, run as written, with
-- its prints turned into checks of what each value must be.
local H = require "tests.helpers"

describe("the contract script of DESIGN.md §3", function()
  it("runs as documented and gives sensible values", function()
    local nl = require "noiselab"
    local T = nl.tensor
    nl.seed(1)
    local x = T.randn{1000, 3}
    assert.same({1000, 3}, x:shape())
    assert.equal("f64", x:dtype())
    local y = x:matmul(T.ones{3, 1}) * 2 + 1
    local dir = H.tmpdir()
    T.save(y, dir .. "/y.npy"); local z = T.load(dir .. "/y.npy")
    H.rmtree(dir)
    assert.equal(y:get(1, 1), z:get(1, 1))
    assert.near(1, z:mean(), 0.4)            -- mean of 2*N(0,3)+1 over 1000
    assert.equal(1000, #z)

    local g = nl.rng.new(42)
    local d = nl.levy.stable{alpha = 1.5, beta = 0.5}
    local s = d:sample(1e6, g)
    assert.equal(1e6, #s)
    local pdf, cdf, q = d:pdf(0.3), d:cdf(0.3), d:quantile(0.9)
    assert.is_true(pdf > 0 and pdf < 1)
    assert.is_true(cdf > 0 and cdf < 1)
    assert.near(0.9, d:cdf(q), 1e-12)
    local a, info = nl.estim.tail_index(s, {method = "mohammadi"})
    assert.equal("number", type(a))
    assert.equal("table", type(info))
    assert.near(1.5, a, 0.1)
    local fit = nl.estim.fit_stable(s:narrow(1, 1, 2000), {method = "mle"})
    assert.near(1.5, fit.alpha, 0.2)
    assert.near(0.5, fit.beta, 0.4)
    assert.is_number(fit.scale)
    assert.is_number(fit.loc)

    local train = nl.data.fashion_mnist{split = "train", n = 10000}
    assert.same({10000, 784}, train.x:shape())
    assert.equal("f32", train.x:dtype())
    assert.equal(10000, #train.y)
    local test = nl.data.fashion_mnist{split = "test"}
    local net = nl.nn.Sequential{nl.nn.Linear(784, 128), nl.nn.ReLU(), nl.nn.Linear(128, 10)}
    local loss = nl.nn.CrossEntropy()
    local opt = nl.optim.SGD(net, {lr = 0.1})
    for xb, yb in nl.data.batches(train, 100) do
      net:zero_grad()
      local out = net:forward(xb)
      local l = loss:forward(out, yb)
      net:backward(xb, loss:backward(out, yb))
      opt:step()
    end
    local acc = nl.probe.evaluate(net, test).accuracy
    assert.is_true(acc > 0.7, "test accuracy after one epoch on 10k images: " .. acc)
    local noise_alpha = nl.probe.gradient_noise(net, loss, train, {batch = 100}).alpha
    assert.is_true(noise_alpha > 0.5 and noise_alpha < 2.5, "alpha " .. noise_alpha)

    local r = nl.sde.simulate{drift = "double_well", K = 10, dt = 1e-3, steps = 1e6, paths = 1000,
      x0 = 0, noise = {kind = "stable", alpha = 1.5, scale = 0.1}, exit = {-1, 1}}
    -- small-noise law (DESIGN §4): alpha / (c_alpha eps^alpha (1 + 1)) with K scaling the drift
    local m = r.exit_time:mean()
    assert.is_true(m > 0 and m < 1e3, "mean exit time " .. m)
  end)
end)
