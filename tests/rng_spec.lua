-- Random generators: Philox4x32-10 known answers, determinism and addressing, and
-- distribution checks (Kolmogorov-Smirnov against exact cdfs, chi-squared for integers).
local nl = require "noiselab"
local T = nl.tensor
local H = require "tests.helpers"

-- Kolmogorov-Smirnov distance of sorted sample x (tensor) to cdf F.
local function ks_distance(x, F)
  local s = x:sort():totable()
  local n, d = #s, 0
  for i, v in ipairs(s) do
    local f = F(v)
    d = math.max(d, i / n - f, f - (i - 1) / n)
  end
  return d
end

-- Asymptotic 0.1% critical value of the KS statistic: sqrt(-log(0.0005)/2)/sqrt(n) = 1.9495/sqrt(n)
-- (Kolmogorov's limit law; the tests use fixed seeds, so they are deterministic).
local function ks_crit(n) return 1.9495 / math.sqrt(n) end

local function normal_cdf(x) return 0.5 * (1 + T.from{x / math.sqrt(2)}:erf():item()) end

describe("rng", function()
  it("reproduces Random123's Philox4x32-10 known-answer vectors", function()
    -- kat_vectors: counter words (ctr0..ctr3), key words (k0, k1) -> output words
    local a, b, c, d = nl.rng.philox_block(0, 0, 0)
    assert.same({0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}, {a, b, c, d})
    a, b, c, d = nl.rng.philox_block(-1, -1, -1)
    assert.same({0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}, {a, b, c, d})
    -- ctr = 243f6a88 85a308d3 13198a2e 03707344, key = a4093822 299f31d0
    a, b, c, d = nl.rng.philox_block(0x299f31d0a4093822, 0x0370734413198a2e, 0x85a308d3243f6a88)
    assert.same({0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}, {a, b, c, d})
  end)

  it("gives the same numbers for the same seed, different for another", function()
    local a = nl.rng.new(42):normal(5):totable()
    local b = nl.rng.new(42):normal(5):totable()
    local c = nl.rng.new(43):normal(5):totable()
    assert.same(a, b)
    assert.are_not.same(a, c)
    nl.seed(5)
    local x = T.randn{4}:totable()
    nl.seed(5)
    assert.same(x, T.randn{4}:totable())
  end)

  it("does not depend on how draws are chunked", function()
    local g1, g2 = nl.rng.new(9), nl.rng.new(9)
    local whole = g1:normal(21):totable()
    local parts = {}
    for _, n in ipairs({1, 6, 7, 7}) do
      for _, v in ipairs(g2:normal(n):totable()) do parts[#parts + 1] = v end
    end
    assert.same(whole, parts)
    -- the bulk path (8 Philox blocks at a time, AVX2 when available) against one-at-a-time draws
    local u1, u2 = nl.rng.new(3), nl.rng.new(3)
    u1:uniform(); u2:uniform()  -- start mid-block
    local w = u1:uniform(101):totable()
    local p = {}
    for i = 1, 101 do p[i] = u2:uniform() end
    assert.same(w, p)
    local n1, n2 = nl.rng.new(4), nl.rng.new(4)
    local z = n1:normal(333):totable()
    local zs = {}
    for i = 1, 333 do zs[i] = n2:normal() end
    assert.same(z, zs)
    -- and the words themselves: block k of the stream is philox(seed, stream, k)
    local g = nl.rng.new(12, 5)
    g:uniform(64) -- 64 doubles = 32 blocks
    local a, b = nl.rng.philox_block(12, 5, 32)
    local u = g:uniform()
    assert.equal(((a << 32 | b) >> 11) * 2.0 ^ -53 + 2.0 ^ -54, u)
  end)

  it("gives the same uniforms bit for bit, and normals to a few ulp, on every code path", function()
    -- NOISELAB_ISA caps the instruction set (AVX-512, AVX2, scalar libm)
    local script = "local nl = require 'noiselab'; local g = nl.rng.new(11); "
      .. "local u, z = g:uniform(203), g:normal(203); "
      .. "for i = 1, 203 do io.write(string.format('%a ', u:get(i))) end; "
      .. "for i = 1, 203 do io.write(string.format('%a ', z:get(i))) end"
    local g = nl.rng.new(11)
    local u, z = g:uniform(203), g:normal(203)  -- 203: whole 64- and 32-uniform vector fills and a tail
    for _, isa in ipairs{"avx2", "scalar"} do
      local out = H.noiselab({NOISELAB_ISA = isa}, "-e", script)
      local got = H.numbers(out)
      assert.equal(406, #got, out:sub(1, 200))
      for i = 1, 203 do assert.equal(u:get(i), got[i]) end
      local worst = 0
      for i = 1, 203 do worst = math.max(worst, math.abs(z:get(i) - got[203 + i]) / math.max(math.abs(z:get(i)), 1e-3)) end
      assert(worst <= 1e-14, string.format("%s normals differ by %g", isa, worst))
    end
  end)

  it("saves and restores state, and rejects a corrupted one", function()
    local g = nl.rng.new(1)
    g:normal(3)  -- leaves a cached Box-Muller spare
    local s = g:state()
    local a = g:normal(7):totable()
    g:restore(s)
    assert.same(a, g:normal(7):totable())
    local bad = {table.unpack(s)}
    bad[3] = bad[3] + 1
    assert.has_error(function() g:restore(bad) end, "bad argument #2 to 'restore' (not a valid generator state)")
    assert.has_error(function() g:restore({1, 2}) end)
  end)

  it("makes independent streams", function()
    local g = nl.rng.new(77)
    local s1, s2 = g:stream(1), g:stream(2)
    local a, b = s1:normal(20000), s2:normal(20000)
    assert.are_not.same(a:narrow(1, 1, 5):totable(), b:narrow(1, 1, 5):totable())
    local r = ((a - a:mean()) * (b - b:mean())):mean() / (a:std() * b:std())
    assert.is_true(math.abs(r) < 4 / math.sqrt(20000), "correlation " .. r)
    -- stream k of seed s is the same sequence whoever asks for it
    assert.same(nl.rng.new(77, 2):normal(5):totable(), nl.rng.new(77):stream(2):normal(5):totable())
  end)

  it("samples uniform, normal and exponential laws (KS at n = 1e5)", function()
    local g = nl.rng.new(2024)
    local n = 100000
    local u = g:uniform(n)
    assert.is_true(u:min() > 0 and u:max() < 1)
    assert.is_true(ks_distance(u, function(x) return x end) < ks_crit(n))
    local z = g:normal(n)
    assert.is_true(ks_distance(z, normal_cdf) < ks_crit(n))
    assert.near(0, z:mean(), 4 / math.sqrt(n))
    assert.near(1, z:var(), 4 * math.sqrt(2 / n))
    local e = g:exponential(n, 2)
    assert.is_true(ks_distance(e, function(x) return 1 - math.exp(-2 * x) end) < ks_crit(n))
    local s = g:normal(n, 3, 0.5)
    assert.near(3, s:mean(), 4 * 0.5 / math.sqrt(n))
    local a = g:uniform(n, -2, 6)
    assert.is_true(a:min() > -2 and a:max() < 6)
  end)

  it("draws unbiased integers and permutations", function()
    local g = nl.rng.new(5)
    local x = g:integers(1, 6, 60000)
    local counts = {0, 0, 0, 0, 0, 0}
    for _, v in ipairs(x:totable()) do counts[v] = counts[v] + 1 end
    local chi2 = 0
    for k = 1, 6 do chi2 = chi2 + (counts[k] - 10000) ^ 2 / 10000 end
    assert.is_true(chi2 < 20.5, "chi2 " .. chi2) -- 99.9% quantile of chi2(5)
    local p = g:permutation(100):sort():totable()
    for i = 1, 100 do assert.equal(i, p[i]) end
    local v = g:integers(-3, 3)
    assert.is_true(math.type(v) == "integer" and v >= -3 and v <= 3)
    assert.has_error(function() g:integers(5, 1) end, "bad argument to 'integers' (lo <= hi expected, got 5 > 1)")
  end)

  it("is accepted as an optional generator by tensor functions", function()
    local a = T.randn({3}, nl.rng.new(8)):totable()
    local b = T.randn({3}, {rng = nl.rng.new(8)}):totable()
    assert.same(a, b)
    assert.same(a, nl.rng.new(8):normal(3):totable())
    local f = T.rand({2, 2}, {rng = nl.rng.new(1), dtype = "f32"})
    assert.equal("f32", f:dtype())
    assert.has_error(function() T.randn({3}, {rng = 5}) end, "option 'rng' must be a noiselab.Generator, got number")
    assert.has_error(function() T.zeros{3}:normal_(0, 1, "x") end)
    assert.has_error(function() nl.rng.new("abc") end)
  end)
end)
