-- nl.data: Fashion-MNIST against an independent reader (tests/reference/fashion_mnist_ref.py,
-- gzip + numpy), damaged files, iterators, synthetic sets.
local nl = require "noiselab"
local errors_with = require("tests.helpers").errors_with
local H = require "tests.helpers"
local T = nl.tensor

-- The error message contains `frag` (plain text).
local ref = dofile("tests/reference/fashion_mnist.lua")

local SYS = "/usr/share/datasets/fashion-mnist"
local have_data = io.open(SYS .. "/t10k-labels-idx1-ubyte.gz", "rb")
if have_data then have_data:close() end

local tmpdir = H.tmpdir

local function readfile(p)
  local f = assert(io.open(p, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local function writefile(p, s)
  local f = assert(io.open(p, "wb"))
  f:write(s)
  f:close()
end

-- Integer pixel values of rows a..b (1-based) of a [0,1]-scaled image tensor.
local function pixel_sum(x, a, b)
  return math.floor(((x:narrow(1, a, b - a + 1):double() * 255):round()):sum() + 0.5)
end

describe("nl.data.fashion_mnist", function()
  if not have_data then
    pending("dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)")
    return
  end

  local test
  setup(function() test = nl.data.fashion_mnist{split = "test", normalize = false} end)

  it("reads the test split: count, shape, dtype, labels 1..10", function()
    assert.are.equal(ref.test.n, test.n)
    assert.are.same({10000, 784}, test.x:shape())
    assert.are.equal("f32", test.x:dtype())
    assert.are.same({10000}, test.y:shape())
    assert.are.equal("f64", test.y:dtype())
    assert.are.equal(10, test.classes)
    for i, v in ipairs(ref.test.first_labels) do assert.are.equal(v + 1, test.y:get(i)) end
    assert.are.equal(ref.test.last_label + 1, test.y:get(10000))
    for c = 1, 10 do
      assert.are.equal(ref.test.class_counts[c], (test.y:eq(c)):sum())
    end
  end)

  it("test pixels equal the Python reader's exactly", function()
    for i = 1, 5 do assert.are.equal(ref.test.first_pixel_sums[i], pixel_sum(test.x, i, i)) end
    assert.are.equal(ref.test.last_image_sum, pixel_sum(test.x, 10000, 10000))
    assert.are.equal(ref.test.total_pixel_sum, pixel_sum(test.x, 1, 10000))
    for j = 1, 28 do
      assert.are.equal(ref.test.row14_first[j], math.floor(test.x:get(1, 13 * 28 + j) * 255 + 0.5))
    end
    -- position-weighted checksum: sum_i (i-1 mod 1009 + 1) * sum(image i)
    local rows = ((test.x:double() * 255):round()):sum(2):reshape{10000}
    local w = {}
    for i = 1, 10000 do w[i] = (i - 1) % 1009 + 1 end
    assert.are.equal(ref.test.weighted_pixel_sum, math.floor((rows * T.from(w)):sum() + 0.5))
  end)

  it("normalises with mean 0.2860, std 0.3530 (f64 and f32)", function()
    local d = nl.data.fashion_mnist{split = "test", dtype = "f64"}
    assert.are.equal("f64", d.x:dtype())
    assert.is_true(math.abs(d.x:narrow(1, 1, 1):sum() - ref.test.norm_first_sum) < 1e-10)
    assert.is_true(math.abs(d.x:mean() - ref.test.norm_mean) < 1e-12)
    local sd = math.sqrt(((d.x - d.x:mean()) ^ 2):mean())
    assert.is_true(math.abs(sd - ref.test.norm_std) < 1e-10)
    local f = nl.data.fashion_mnist{split = "test", n = 1}
    assert.is_true(math.abs(f.x:sum() - ref.test.norm_first_sum) < 1e-4)
  end)

  it("subset n= and flatten=false", function()
    local s = nl.data.fashion_mnist{split = "test", n = 7, flatten = false, normalize = false}
    assert.are.equal(7, s.n)
    assert.are.same({7, 1, 28, 28}, s.x:shape())
    assert.are.same({7}, s.y:shape())
    assert.are.equal(ref.test.first_pixel_sums[3],
      math.floor(((s.x:select(1, 3):double() * 255):round()):sum() + 0.5))
    for i = 1, 7 do assert.are.equal(ref.test.first_labels[i] + 1, s.y:get(i)) end
  end)

  it("reads the train split (60000) with the Python reader's labels and checksums", function()
    local tr = nl.data.fashion_mnist{split = "train", normalize = false}
    assert.are.equal(60000, tr.n)
    assert.are.same({60000, 784}, tr.x:shape())
    for i, v in ipairs(ref.train.first_labels) do assert.are.equal(v + 1, tr.y:get(i)) end
    assert.are.equal(ref.train.last_label + 1, tr.y:get(60000))
    for c = 1, 10 do assert.are.equal(ref.train.class_counts[c], (tr.y:eq(c)):sum()) end
    for i = 1, 5 do assert.are.equal(ref.train.first_pixel_sums[i], pixel_sum(tr.x, i, i)) end
    assert.are.equal(ref.train.last_image_sum, pixel_sum(tr.x, 60000, 60000))
    -- in place, f32: p/255 rounded to f32, times 255, is within 1e-4 of p, so round() gives p
    assert.are.equal(ref.train.total_pixel_sum, tr.x:mul_(255):round_():sum())
  end)

  it("rejects bad options", function()
    errors_with(function() nl.data.fashion_mnist{split = "valid"} end,
      'bad argument #1 to \'fashion_mnist\' (split must be "train" or "test", got "valid")')
    errors_with(function() nl.data.fashion_mnist{split = "test", n = 10001} end,
      "bad argument #1 to 'fashion_mnist' (n = 10001 exceeds the 10000 images of the test split)")
    errors_with(function() nl.data.fashion_mnist{split = "test", n = -1} end,
      "n must be an integer >= 0, got -1")
    errors_with(function() nl.data.fashion_mnist{split = "test", dtype = "i8"} end,
      'dtype must be "f32" or "f64", got "i8"')
    errors_with(function() nl.data.fashion_mnist{splt = "test"} end, "unknown option 'splt'")
  end)

  describe("damaged or missing files", function()
    local dir, img, lab
    setup(function()
      img = readfile(SYS .. "/t10k-images-idx3-ubyte.gz")
      lab = readfile(SYS .. "/t10k-labels-idx1-ubyte.gz")
    end)
    before_each(function() dir = tmpdir() end)
    after_each(function() H.rmtree(dir) end)
    local function load() return nl.data.fashion_mnist{split = "test", path = dir} end
    local HINT = "install it with: apt-get install dataset-fashion-mnist"

    it("a missing file names the file and how to install the package", function()
      writefile(dir .. "/t10k-labels-idx1-ubyte.gz", lab)
      local ok, err = pcall(load)
      assert.is_false(ok)
      assert.matches("cannot open " .. dir:gsub("%p", "%%%0") .. "/t10k%-images%-idx3%-ubyte%.gz: No such file",
        err)
      assert.matches(HINT, err, 1, true)
    end)

    it("a truncated image file", function()
      writefile(dir .. "/t10k-images-idx3-ubyte.gz", img:sub(1, #img // 2))
      writefile(dir .. "/t10k-labels-idx1-ubyte.gz", lab)
      local ok, err = pcall(load)
      assert.is_false(ok)
      assert.matches("truncated", err, 1, true)
      assert.matches(HINT, err, 1, true)
    end)

    it("a truncated uncompressed label file", function()
      writefile(dir .. "/t10k-images-idx3-ubyte.gz", img)
      -- an uncompressed file is read as is (zlib's transparent mode): cut it after 500 labels
      local raw = io.popen("gzip -dc " .. SYS .. "/t10k-labels-idx1-ubyte.gz"):read("a")
      assert.are.equal(10008, #raw)
      writefile(dir .. "/t10k-labels-idx1-ubyte.gz", raw:sub(1, 508))
      local ok, err = pcall(load)
      assert.is_false(ok)
      assert.matches("truncated file: the labels needs 10008 bytes, the file ends after 508", err, 1, true)
    end)

    it("corrupted compressed data", function()
      local bad = img:sub(1, 200000) .. string.rep("\255", 64) .. img:sub(200065)
      writefile(dir .. "/t10k-images-idx3-ubyte.gz", bad)
      writefile(dir .. "/t10k-labels-idx1-ubyte.gz", lab)
      local ok, err = pcall(load)
      assert.is_false(ok)
      assert.matches("corrupted gzip data", err, 1, true)
      assert.matches(HINT, err, 1, true)
    end)

    it("a damaged CRC in the gzip trailer", function()
      local n = #lab
      local c = lab:byte(n - 7)
      writefile(dir .. "/t10k-labels-idx1-ubyte.gz",
        lab:sub(1, n - 8) .. string.char((c + 1) % 256) .. lab:sub(n - 6))
      writefile(dir .. "/t10k-images-idx3-ubyte.gz", img)
      local ok, err = pcall(load)
      assert.is_false(ok)
      assert.matches("incorrect data check", err, 1, true)
    end)

    it("wrong magic number (labels where images belong)", function()
      writefile(dir .. "/t10k-images-idx3-ubyte.gz", lab)
      writefile(dir .. "/t10k-labels-idx1-ubyte.gz", lab)
      local ok, err = pcall(load)
      assert.is_false(ok)
      assert.matches("bad magic number 0x00000801: expected 0x00000803", err, 1, true)
    end)

    it("a file that is not IDX at all", function()
      writefile(dir .. "/t10k-images-idx3-ubyte.gz", "hello, world\n")
      writefile(dir .. "/t10k-labels-idx1-ubyte.gz", lab)
      local ok, err = pcall(load)
      assert.is_false(ok)
      assert.matches("bad magic number 0x68656C6C: not an IDX file", err, 1, true)
    end)

    it("counts that disagree between images and labels", function()
      writefile(dir .. "/t10k-images-idx3-ubyte.gz", img)
      writefile(dir .. "/t10k-labels-idx1-ubyte.gz", readfile(SYS .. "/train-labels-idx1-ubyte.gz"))
      local ok, err = pcall(load)
      assert.is_false(ok)
      assert.matches("holds 10000 images but .* holds 60000 labels", err)
    end)

    it("labels out of range", function()
      local raw = io.popen("gzip -dc " .. SYS .. "/t10k-labels-idx1-ubyte.gz"):read("a")
      raw = raw:sub(1, 8 + 41) .. "\012" .. raw:sub(8 + 43)
      writefile(dir .. "/t10k-labels-idx1-ubyte.gz", raw)
      writefile(dir .. "/t10k-images-idx3-ubyte.gz", img)
      local ok, err = pcall(load)
      assert.is_false(ok)
      assert.matches("label 12 at position 42 is out of range 0..9", err, 1, true)
    end)

    it("trailing bytes after the data", function()
      local raw = io.popen("gzip -dc " .. SYS .. "/t10k-labels-idx1-ubyte.gz"):read("a")
      writefile(dir .. "/t10k-labels-idx1-ubyte.gz", raw .. "xyz")
      writefile(dir .. "/t10k-images-idx3-ubyte.gz", img)
      local ok, err = pcall(load)
      assert.is_false(ok)
      assert.matches("3 unexpected bytes after the data", err, 1, true)
    end)

    it("NOISELAB_DATA points to another directory", function()
      os.execute("mkdir -p " .. dir .. "/fashion-mnist")
      writefile(dir .. "/fashion-mnist/t10k-images-idx3-ubyte.gz", img)
      local raw = io.popen("gzip -dc " .. SYS .. "/t10k-labels-idx1-ubyte.gz"):read("a")
      -- same images, labels shifted by one class: proves the file came from NOISELAB_DATA
      local shifted = raw:sub(1, 8) .. raw:sub(9):gsub(".", function(ch)
        return string.char((ch:byte() + 1) % 10) end)
      writefile(dir .. "/fashion-mnist/t10k-labels-idx1-ubyte.gz", shifted)
      local out = H.noiselab({NOISELAB_DATA = dir}, "-e", "local nl = require 'noiselab'; "
        .. "local d = nl.data.fashion_mnist{split = 'test', n = 3}; print(math.tointeger(d.y:get(1)), math.tointeger(d.y:get(2)), math.tointeger(d.y:get(3)))")
      local want = {}
      for i = 1, 3 do want[i] = tostring((ref.test.first_labels[i] + 1) % 10 + 1) end
      assert.are.same(want, {out:match("(%S+)%s+(%S+)%s+(%S+)")})
    end)
  end)
end)

describe("nl.data.relabel", function()
  it("changes every label of the range to a different class, nothing else", function()
    local y = {}
    for i = 1, 3000 do y[i] = (i - 1) % 10 + 1 end
    local ds = {x = T.zeros{3000, 1}, y = T.from(y), classes = 10, n = 3000}
    nl.data.relabel(ds, {from = 1001, to = 2000, rng = nl.rng.new(5)})
    local counts = {}
    for i = 1, 3000 do
      local v = ds.y:get(i)
      if i >= 1001 and i <= 2000 then
        assert.are_not.equal(y[i], v)
        assert.is_true(v >= 1 and v <= 10 and v == math.floor(v))
        local off = (v - y[i]) % 10 -- 1..9, uniform
        counts[off] = (counts[off] or 0) + 1
      else
        assert.are.equal(y[i], v)
      end
    end
    -- 1000 draws over 9 offsets: chi-square with 8 df below its 0.999 quantile (26.12)
    local chi2 = 0
    for k = 1, 9 do chi2 = chi2 + ((counts[k] or 0) - 1000 / 9) ^ 2 / (1000 / 9) end
    assert.is_true(chi2 < 26.12, "chi2 = " .. chi2)
    assert.are.same({1001, 2000}, ds.relabelled)
    assert.are.equal(y[1500], ds.y_clean:get(1500))
  end)

  it("is reproducible with a seeded generator and validates its range", function()
    local a = {y = T.ones{50}, classes = 10}
    local b = {y = T.ones{50}, classes = 10}
    nl.data.relabel(a, {from = 1, to = 50, rng = nl.rng.new(1)})
    nl.data.relabel(b, {from = 1, to = 50, rng = nl.rng.new(1)})
    assert.are.same(a.y:totable(), b.y:totable())
    errors_with(function() nl.data.relabel(a, {from = 1, to = 51}) end, "range 1..51 outside 1..50")
    errors_with(function() nl.data.relabel({y = T.full({3}, 11), classes = 10}, {}) end,
      "is not a class")
  end)
end)

describe("nl.data.subset and nl.data.concat", function()
  it("build 1000 clean + 200 relabelled samples (Wang et al.)", function()
    local n = 1500
    local ds = {x = T.arange(1, n + 1):reshape{n, 1}, y = T.from((function()
      local t = {}
      for i = 1, n do t[i] = (i * 7) % 10 + 1 end
      return t
    end)()), n = n, classes = 10}
    local clean = nl.data.subset(ds, 1, 1000)
    local noisy = nl.data.relabel(nl.data.concat(nl.data.subset(ds, 1001, 1200),
      nl.data.subset(ds, 1, 0)), {rng = nl.rng.new(3)})
    assert.are.equal(1000, clean.n)
    assert.are.equal(200, noisy.n)
    local all = nl.data.concat(clean, noisy)
    assert.are.equal(1200, all.n)
    assert.are.same({1200, 1}, all.x:shape())
    for i = 1, 1200 do
      assert.are.equal(i, all.x:get(i, 1))
      if i <= 1000 then assert.are.equal(ds.y:get(i), all.y:get(i))
      else assert.are_not.equal(ds.y:get(i), all.y:get(i)) end
    end
    -- the relabelling did not touch the source (concat copies)
    for i = 1001, 1200 do assert.are.equal((i * 7) % 10 + 1, ds.y:get(i)) end
  end)
end)

describe("nl.data.batches", function()
  local ds
  setup(function()
    local n = 1003
    ds = {x = T.arange(1, n + 1):reshape{n, 1}:float(), y = T.arange(1, n + 1), n = n}
  end)

  it("fixed order: consecutive views covering every index once", function()
    local seen, nb = {}, 0
    for xb, yb, i in nl.data.batches(ds, 100) do
      nb = nb + 1
      assert.are.equal(nb, i)
      local len = nb < 11 and 100 or 3
      assert.are.same({len, 1}, xb:shape())
      for r = 1, len do
        local v = xb:get(r, 1)
        assert.are.equal((nb - 1) * 100 + r, v)
        assert.are.equal(v, yb:get(r))
        seen[v] = (seen[v] or 0) + 1
      end
    end
    assert.are.equal(11, nb)
    for v = 1, 1003 do assert.are.equal(1, seen[v]) end
    -- a view: writing through it writes the data set
    local xb = nl.data.batches(ds, 100)()
    xb:set(1, 1, -5)
    assert.are.equal(-5, ds.x:get(1, 1))
    ds.x:set(1, 1, 1)
  end)

  it("drop_last drops the short batch", function()
    local nb = 0
    for _ in nl.data.batches(ds, 100, {drop_last = true}) do nb = nb + 1 end
    assert.are.equal(10, nb)
    assert.are.equal(10, nl.data.num_batches(ds, 100, {drop_last = true}))
    assert.are.equal(11, nl.data.num_batches(ds, 100))
  end)

  it("shuffled: each epoch a permutation (every index exactly once), epochs differ", function()
    local g = nl.rng.new(3)
    local orders = {}
    for e = 1, 2 do
      local seen, order = {}, {}
      for xb, yb in nl.data.batches(ds, 64, {shuffle = true, rng = g}) do
        for r = 1, xb:shape()[1] do
          local v = xb:get(r, 1)
          assert.are.equal(v, yb:get(r))
          seen[v] = (seen[v] or 0) + 1
          order[#order + 1] = v
        end
      end
      assert.are.equal(1003, #order)
      for v = 1, 1003 do assert.are.equal(1, seen[v]) end
      orders[e] = order
    end
    local same = 0
    for i = 1, 1003 do if orders[1][i] == orders[2][i] then same = same + 1 end end
    assert.is_true(same < 20, "epochs share " .. same .. " positions")
    -- batches are copies
    local xb = nl.data.batches(ds, 64, {shuffle = true, rng = g})()
    local v = xb:get(1, 1)
    xb:set(1, 1, -1)
    assert.are.equal(v, ds.x:get(v, 1))
  end)

  it("works on non-contiguous data (a transposed x)", function()
    local n = 50
    local x = T.arange(1, 2 * n + 1):reshape{2, n}:t() -- row i = {i, n + i}, strided
    assert.is_false(x:is_contiguous())
    local d = {x = x, y = T.arange(1, n + 1)}
    local seen = 0
    for xb, yb in nl.data.batches(d, 7, {shuffle = true, rng = nl.rng.new(1)}) do
      for r = 1, xb:shape()[1] do
        local i = yb:get(r)
        assert.are.equal(i, xb:get(r, 1))
        assert.are.equal(n + i, xb:get(r, 2))
        seen = seen + 1
      end
    end
    assert.are.equal(n, seen)
    for xb, yb in nl.data.batches(d, 7) do
      for r = 1, xb:shape()[1] do assert.are.equal(n + yb:get(r), xb:get(r, 2)) end
    end
  end)

  it("rejects bad arguments", function()
    errors_with(function() nl.data.batches(ds, 0) end,
      "bad argument #2 to 'batches' (batch size must be an integer >= 1, got 0)")
    errors_with(function() nl.data.batches({x = T.zeros{3, 1}, y = T.zeros{4}}, 2) end,
      "x has 3 rows but y has 4")
    errors_with(function() nl.data.batches(ds, 10, {shufle = true}) end, "unknown option 'shufle'")
  end)
end)

describe("nl.data.sample_batches", function()
  it("draws S indices with replacement, uniform frequencies", function()
    local n = 10
    local ds = {x = T.arange(1, n + 1):reshape{n, 1}, y = T.arange(1, n + 1)}
    local counts, steps, dup = {}, 0, 0
    for xb, yb, i, idx in nl.data.sample_batches(ds, 50, {steps = 200, rng = nl.rng.new(9)}) do
      steps = i
      assert.are.same({50, 1}, xb:shape())
      local inb = {}
      for r = 1, 50 do
        local v = xb:get(r, 1)
        assert.are.equal(v, yb:get(r))
        assert.are.equal(v, idx:get(r))
        counts[v] = (counts[v] or 0) + 1
        if inb[v] then dup = dup + 1 end
        inb[v] = true
      end
    end
    assert.are.equal(200, steps)
    assert.is_true(dup > 0) -- with replacement: 50 draws from 10 must repeat
    -- 10000 draws over 10 values: chi-square with 9 df below its 0.999 quantile (27.88)
    local chi2 = 0
    for v = 1, n do chi2 = chi2 + (counts[v] - 1000) ^ 2 / 1000 end
    assert.is_true(chi2 < 27.88, "chi2 = " .. chi2)
  end)

  it("replace=false gives distinct indices", function()
    local ds = {x = T.arange(1, 21):reshape{20, 1}, y = T.arange(1, 21)}
    for xb in nl.data.sample_batches(ds, 20, {replace = false, steps = 5}) do
      local seen = {}
      for r = 1, 20 do
        local v = xb:get(r, 1)
        assert.is_nil(seen[v])
        seen[v] = true
      end
    end
    errors_with(function() nl.data.sample_batches(ds, 21, {replace = false}) end,
      "S = 21 > n = 20 without replacement")
  end)
end)

describe("synthetic data", function()
  it("sinusoids: y(t) = sum_k sin(2 pi k t + 2 pi phi_k) at t = (i-1)/n", function()
    local d = nl.data.sinusoids{rng = nl.rng.new(2)}
    assert.are.equal(200, d.n)
    assert.are.same({200, 1}, d.x:shape())
    assert.are.same({5, 10, 15, 20, 25, 30, 35, 40, 45, 50}, d.ks)
    assert.are.equal(10, #d.phases)
    for i = 1, 10 do
      local p = d.phases:get(i)
      assert.is_true(p > 0 and p < 1)
    end
    local maxerr = 0
    for i = 1, 200 do
      local t = (i - 1) / 200
      assert.are.equal(t, d.x:get(i, 1))
      local s = 0
      for j, k in ipairs(d.ks) do s = s + math.sin(2 * math.pi * k * t + 2 * math.pi * d.phases:get(j)) end
      maxerr = math.max(maxerr, math.abs(s - d.y:get(i, 1)))
    end
    assert.is_true(maxerr < 1e-12, "max error " .. maxerr)
    local e = nl.data.sinusoids{rng = nl.rng.new(2)}
    assert.are.same(d.y:totable(), e.y:totable())
    errors_with(function() nl.data.sinusoids{ks = {}} end, "non-empty list")
  end)

  it("linear_regression: input covariance, y = u^T x + noise", function()
    local A = {{2.0, 0.6}, {0.6, 1.0}}
    local n = 100000
    local d = nl.data.linear_regression{n = n, cov = A, u = {1, -2}, noise = 0.5, rng = nl.rng.new(4)}
    assert.are.same({n, 2}, d.x:shape())
    local x1, x2 = d.x:select(2, 1), d.x:select(2, 2)
    local c11, c12, c22 = (x1 * x1):mean(), (x1 * x2):mean(), (x2 * x2):mean()
    -- standard error of a second moment ~ sqrt(2/n) * scale: 5 sigma bounds
    local se = 5 * math.sqrt(2 / n)
    assert.is_true(math.abs(c11 - 2.0) < se * 2.0, "c11 " .. c11)
    assert.is_true(math.abs(c12 - 0.6) < se * 1.5, "c12 " .. c12)
    assert.is_true(math.abs(c22 - 1.0) < se * 1.0, "c22 " .. c22)
    local r = d.y - (x1 - x2 * 2)
    assert.is_true(math.abs(r:mean()) < 5 * 0.5 / math.sqrt(n))
    assert.is_true(math.abs(r:var() - 0.25) < 5 * 0.25 * math.sqrt(2 / n))
    -- noise = 0: exact; eigs= gives a diagonal covariance
    local z = nl.data.linear_regression{n = 100, eigs = {1, 0.5}, noise = 0, rng = nl.rng.new(1)}
    local res = z.y - (z.x:select(2, 1) + z.x:select(2, 2))
    assert.is_true(res:abs():max() < 1e-14)
    errors_with(function() nl.data.linear_regression{n = 5, cov = {{1, 2}, {2, 1}}} end,
      "not positive definite")
    errors_with(function() nl.data.linear_regression{n = 5, cov = {{1, 0.5}, {0, 1}}} end,
      "not symmetric")
  end)

  it("gaussian_mixture: class frequencies and class means", function()
    local means = {{0, 0}, {5, 0}, {0, -5}}
    local n = 30000
    local d = nl.data.gaussian_mixture{n = n, means = means, weights = {1, 2, 3}, sigma = 0.5,
      rng = nl.rng.new(8)}
    assert.are.equal(3, d.classes)
    for c = 1, 3 do
      local cnt = (d.y:eq(c)):sum()
      local p = c / 6
      assert.is_true(math.abs(cnt / n - p) < 5 * math.sqrt(p * (1 - p) / n), "class " .. c)
      local sx, sy = 0, 0
      for i = 1, n do
        if d.y:get(i) == c then sx = sx + d.x:get(i, 1); sy = sy + d.x:get(i, 2) end
      end
      assert.is_true(math.abs(sx / cnt - means[c][1]) < 5 * 0.5 / math.sqrt(cnt))
      assert.is_true(math.abs(sy / cnt - means[c][2]) < 5 * 0.5 / math.sqrt(cnt))
    end
    local r = nl.data.gaussian_mixture{n = 10, k = 4, d = 3, rng = nl.rng.new(1)}
    assert.are.same({4, 3}, r.means:shape())
    assert.are.same({10, 3}, r.x:shape())
  end)
end)
