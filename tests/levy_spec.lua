-- nl.levy: α-stable and Pareto laws, Lévy motions.
--
-- References: tests/reference/stable_reference.csv (mpmath, two independent methods that agree
-- to 1e-14; regenerate with tests/reference/stable_reference.py), closed forms (Gauss, Cauchy,
-- Lévy, the characteristic function of DESIGN.md §4, Pareto tails) and GSL's sampler.
--
-- Kolmogorov–Smirnov p-values use Kolmogorov's limiting law with Stephens' (1970) small-sample
-- correction, Q(λ) = 2 Σ_{k≥1} (−1)^{k−1} exp(−2k²λ²), λ = (√n + 0.12 + 0.11/√n) D
-- (Press et al., Numerical Recipes, 3rd ed., §14.3.3).  For n = 10⁶ one-sample tests the cdf is
-- evaluated at 2000 evenly spaced order statistics; the statistic there is a lower bound of D, so
-- the test keeps its level and only loses a little power (a power check with a wrong α is
-- included so the test is seen to fail when it should).
local nl = require "noiselab"
local T = nl.tensor
local levy = nl.levy

local here = (debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./")

local H = require "tests.helpers"
local errs = H.errors_with

local function rel(a, b)
  if a == b then return 0 end
  return math.abs(a - b) / math.max(math.abs(b), 1e-300)
end

local function ks_q(lambda)
  if lambda < 0.2 then return 1 end
  local s = 0
  for k = 1, 100 do
    local t = 2 * (-1) ^ (k - 1) * math.exp(-2 * k * k * lambda * lambda)
    s = s + t
    if math.abs(t) < 1e-16 then break end
  end
  return math.max(0, math.min(1, s))
end

local function ks_pvalue(D, n)
  local sn = math.sqrt(n)
  return ks_q((sn + 0.12 + 0.11 / sn) * D)
end

-- one-sample KS of tensor s against d:cdf at m order statistics
local function ks_one(s, d, m)
  local n = #s
  local sorted = s:sort()
  m = m or 2000
  local idx, xs = {}, {}
  for j = 1, m do
    local k = math.max(1, math.floor(j * n / m + 0.5))
    idx[j] = k
    xs[j] = sorted:get(k)
  end
  local F = d:cdf(T.from(xs))
  local D = 0
  for j = 1, m do
    local f, k = F:get(j), idx[j]
    D = math.max(D, math.abs(f - k / n), math.abs(f - (k - 1) / n))
  end
  return D, ks_pvalue(D, n)
end

local function ks_two(a, b)
  local x, y = a:sort():totable(), b:sort():totable()
  local n, m = #x, #y
  local i, j, D = 1, 1, 0
  while i <= n and j <= m do
    local v = math.min(x[i], y[j])
    while i <= n and x[i] <= v do i = i + 1 end
    while j <= m and y[j] <= v do j = j + 1 end
    D = math.max(D, math.abs((i - 1) / n - (j - 1) / m))
  end
  return D, ks_pvalue(D, n * m / (n + m))
end

-- the committed reference
local function load_reference()
  local f = assert(io.open(here .. "reference/stable_reference.csv"))
  local rows = {}
  for line in f:lines() do
    if not line:match("^#") and not line:match("^alpha") then
      local a, b, p, x, pdf, cdf, sf, how = line:match("^([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*)$")
      rows[#rows + 1] = {alpha = tonumber(a), beta = tonumber(b), param = tonumber(p),
        x = tonumber(x), pdf = tonumber(pdf), cdf = tonumber(cdf), sf = tonumber(sf), how = how}
    end
  end
  f:close()
  return rows
end

describe("levy.stable accuracy against the mpmath reference", function()
  local rows = load_reference()
  local laws = {}
  local function law(r)
    local key = r.alpha .. "," .. r.beta .. "," .. r.param
    if not laws[key] then
      laws[key] = levy.stable{alpha = r.alpha, beta = r.beta, param = r.param == 0 and "S0" or "S1"}
    end
    return laws[key]
  end

  -- Collect relative errors of one quantity; returns n, share ≤ 1e-12, max error, worst row.
  local function survey(q, floor)
    local n, good, worst, wrow = 0, 0, 0, nil
    for _, r in ipairs(rows) do
      local ref = r[q]
      if ref and ref > (floor or 1e-300) then
        local v = law(r)[q](law(r), r.x)
        assert(v == v and v >= 0, string.format("%s is %s at alpha=%g beta=%g S%d x=%.17g", q, v, r.alpha, r.beta, r.param, r.x))
        local e = rel(v, ref)
        n = n + 1
        if e <= 1e-12 then good = good + 1 end
        if e > worst then worst, wrow = e, r end
      end
    end
    return n, good / math.max(n, 1), worst, wrow
  end

  local function report(q, n, share, worst, w)
    print(string.format("\n  %s: %d points, %.2f%% within 1e-12, worst %.3g (alpha=%g beta=%g S%d x=%.17g)",
      q, n, 100 * share, worst, w and w.alpha or 0, w and w.beta or 0, w and w.param or 0, w and w.x or 0))
  end

  it("has a reference with every alpha of the issue's grid", function()
    local seen = {}
    for _, r in ipairs(rows) do seen[r.alpha] = true end
    for _, a in ipairs{0.2, 0.3, 0.5, 0.8, 0.9, 0.99, 0.999, 1, 1.001, 1.01, 1.1, 1.3, 1.5, 1.8, 1.95, 1.99, 2} do
      assert(seen[a], "no reference rows for alpha = " .. a)
    end
    assert(#rows > 1000, "reference too small: " .. #rows)
  end)

  -- Targets of issue 3: ≤ 1e-12 on ≥ 99 % and ≤ 1e-10 on all points with f > 1e-300.  The
  -- thresholds asserted below are what this implementation reaches (see docs/levy.md).
  it("pdf", function()
    local n, share, worst, w = survey("pdf")
    report("pdf", n, share, worst, w)
    assert(share >= 0.99, string.format("only %.2f%% of pdf values within 1e-12", 100 * share))
    assert(worst <= 1e-11, string.format("worst pdf error %.3g", worst))  -- reached: 1.2e-12
  end)

  it("cdf (relative to the cdf itself: the lower tail)", function()
    local n, share, worst, w = survey("cdf")
    report("cdf", n, share, worst, w)
    assert(share >= 0.99, string.format("only %.2f%% of cdf values within 1e-12", 100 * share))
    assert(worst <= 1e-11, string.format("worst cdf error %.3g", worst))  -- reached: 3.4e-13
  end)

  it("sf (relative to the survival function: the upper tail)", function()
    local n, share, worst, w = survey("sf")
    report("sf", n, share, worst, w)
    assert(share >= 0.99, string.format("only %.2f%% of sf values within 1e-12", 100 * share))
    assert(worst <= 1e-11, string.format("worst sf error %.3g", worst))  -- reached: 3.4e-13
  end)

  -- The integrand and the sampler have AVX-512, AVX2 and scalar (libm) code paths, chosen at
  -- run time; NOISELAB_ISA caps the choice, so each is checked here on this machine.
  it("every code path (AVX-512, AVX2, scalar libm) meets the same targets", function()
    for _, isa in ipairs{"avx2", "scalar"} do
      local out = H.noiselab({NOISELAB_ISA = isa}, here .. "reference/stable_accuracy.lua")
      local row = out:match("\n(| all |[^\n]*)")
      assert(row, "no summary row from stable_accuracy.lua with NOISELAB_ISA=" .. isa .. ":\n" .. out)
      local cells = {}
      for share, worst in row:gmatch("%d+: ([%d.]+)%% | ([%d.e+-]+)") do
        cells[#cells + 1] = {tonumber(share), tonumber(worst)}
      end
      assert.equal(3, #cells, row)
      for k, q in ipairs{"pdf", "cdf", "sf"} do
        assert(cells[k][1] >= 99, string.format("%s: %s only %.1f%% within 1e-12", isa, q, cells[k][1]))
        assert(cells[k][2] <= 1e-11, string.format("%s: %s worst %g", isa, q, cells[k][2]))
      end
    end
  end)

  it("quantile and isf invert the reference cdf / sf to 1e-12 in x", function()
    local n, bad, worst = 0, 0, 0
    for i, r in ipairs(rows) do
      if i % 3 == 0 and r.pdf and r.pdf > 1e-200 and r.x ~= 0 then
        local d = law(r)
        -- condition number of x(p) is p/(x f); skip where it exceeds 1e3
        if r.cdf and r.cdf <= 0.5 and r.cdf > 1e-300 and r.cdf / (math.abs(r.x) * r.pdf) < 1e3 then
          local e = rel(d:quantile(r.cdf), r.x)
          n = n + 1; worst = math.max(worst, e); if e > 1e-12 then bad = bad + 1 end
        end
        if r.sf and r.sf < 0.5 and r.sf > 1e-300 and r.sf / (math.abs(r.x) * r.pdf) < 1e3 then
          local e = rel(d:isf(r.sf), r.x)
          n = n + 1; worst = math.max(worst, e); if e > 1e-12 then bad = bad + 1 end
        end
      end
    end
    print(string.format("\n  quantile/isf: %d points, %d above 1e-12, worst %.3g", n, bad, worst))
    assert(n > 100)
    assert(bad <= 0.01 * n, bad .. " of " .. n .. " quantiles off by more than 1e-12")
    assert(worst <= 1e-9, "worst quantile error " .. worst)
  end)
end)

describe("levy.stable closed forms, support, scale and location", function()
  it("alpha = 2 is N(loc, 2 scale^2) whatever beta", function()
    local d = levy.stable{alpha = 2, beta = 0.7, scale = 1.5, loc = 0.25}
    for _, x in ipairs{-7, -1, 0.25, 3, 11} do
      local z = (x - 0.25) / 1.5
      local f = math.exp(-z * z / 4) / (2 * math.sqrt(math.pi) * 1.5)
      assert(rel(d:pdf(x), f) < 1e-14)
    end
    assert.are.equal(2 * 1.5 ^ 2, d:var())
    assert.are.equal(0.25, d:mean())
  end)

  it("alpha = 1, beta = 0 is Cauchy; the tails keep relative accuracy", function()
    local d = levy.stable{alpha = 1, scale = 2, loc = -1}
    for _, x in ipairs{-1e8, -3, -1, 0, 5, 1e10} do
      local z = (x + 1) / 2
      assert(rel(d:pdf(x), 1 / (math.pi * 2 * (1 + z * z))) < 1e-14)
    end
    -- sf(z) = atan(1/z)/π for z > 0
    assert(rel(d:sf(-1 + 2e12), math.atan(1 / 1e12) / math.pi) < 1e-14)
    assert(rel(d:cdf(-1 - 2e12), math.atan(1 / 1e12) / math.pi) < 1e-14)
  end)

  it("alpha = 1/2, beta = ±1 is Lévy with exact zeros outside the support", function()
    for _, b in ipairs{1, -1} do
      local d = levy.stable{alpha = 0.5, beta = b, scale = 2, loc = 1}  -- S1: support edge at loc
      local y = 3
      local f = math.sqrt(2 / (2 * math.pi)) * y ^ -1.5 * math.exp(-2 / (2 * y))
      assert(rel(d:pdf(1 + b * y), f) < 1e-14)
      assert.are.equal(0, d:pdf(1 - b * 0.5))
      local lo, hi = d:support()
      if b > 0 then assert.are.equal(1, lo); assert.are.equal(math.huge, hi)
      else assert.are.equal(-math.huge, lo); assert.are.equal(1, hi) end
    end
  end)

  it("is exactly 0 / 1 outside the support for alpha < 1, beta = ±1 (S0 and S1)", function()
    for _, a in ipairs{0.3, 0.8, 0.999} do
      local d = levy.stable{alpha = a, beta = 1, param = "S0", loc = 2}
      local lo = d:support()
      assert(lo > -math.huge)
      for _, x in ipairs{lo - 1, lo - 1e-9 * math.max(1, math.abs(lo))} do
        assert.are.equal(0, d:pdf(x)); assert.are.equal(0, d:cdf(x)); assert.are.equal(1, d:sf(x))
      end
      local e = levy.stable{alpha = a, beta = -1, param = "S1"}
      assert.are.equal(0, e:pdf(1e-3)); assert.are.equal(1, e:cdf(1e-3)); assert.are.equal(0, e:sf(1e-3))
    end
  end)

  it("scale and location act as x -> (x - loc)/scale, and S0/S1 describe the same law", function()
    local d = levy.stable{alpha = 1.3, beta = -0.4, scale = 2.5, loc = 0.7}
    local s = levy.stable{alpha = 1.3, beta = -0.4}
    for _, x in ipairs{-20, -1, 0.3, 4, 50} do
      assert(rel(d:pdf(x), s:pdf((x - 0.7) / 2.5) / 2.5) < 1e-13)
      assert(rel(d:cdf(x), s:cdf((x - 0.7) / 2.5)) < 1e-13)
    end
    for _, a in ipairs{0.7, 1, 1.6} do
      local d1 = levy.stable{alpha = a, beta = 0.6, scale = 3, loc = 1, param = "S1"}
      local d0 = d1:to_S0()
      assert.are.equal("S0", d0.param)
      local back = d0:to_S1()
      assert(rel(back.loc, 1) < 1e-13)
      for _, x in ipairs{-5, 0.5, 7} do
        assert(rel(d0:pdf(x), d1:pdf(x)) < 1e-12, "S0/S1 pdf differ at alpha " .. a)
        assert(rel(d0:cdf(x), d1:cdf(x)) < 1e-12)
      end
    end
  end)

  it("pdf is continuous in alpha at 1 in S0 (alpha is never rounded to 1)", function()
    local f1 = levy.stable{alpha = 1, beta = 0.5, param = "S0"}:pdf(0.7)
    local prev = nil
    for k = 3, 9 do
      local e = 10 ^ -k
      local lo = levy.stable{alpha = 1 - e, beta = 0.5, param = "S0"}:pdf(0.7)
      local up = levy.stable{alpha = 1 + e, beta = 0.5, param = "S0"}:pdf(0.7)
      -- the difference shrinks linearly with e (derivative in alpha is O(1))
      assert(math.abs(lo - f1) < 3 * e and math.abs(up - f1) < 3 * e, "k = " .. k)
      assert(math.abs(lo - f1) > 0 or k > 7)
      prev = lo
    end
    assert(prev)
  end)

  it("never returns NaN or negative values, also at extreme arguments", function()
    for _, a in ipairs{0.2, 0.7, 0.999, 1, 1.001, 1.5, 1.99} do
      for _, b in ipairs{-1, -0.3, 1} do
        local d = levy.stable{alpha = a, beta = b}
        for _, x in ipairs{-1e300, -1e15, -2.5, 0, 1e-300, 2.5, 1e15, 1e300, math.huge, -math.huge} do
          for _, q in ipairs{"pdf", "cdf", "sf"} do
            local v = d[q](d, x)
            assert(v == v and v >= 0 and v <= math.huge, string.format("%s(%g) = %s at a=%g b=%g", q, x, v, a, b))
          end
        end
      end
    end
  end)

  it("cf matches the closed form of DESIGN.md §4 (S1, both alpha = 1 and not)", function()
    for _, c in ipairs{{1.5, 0.5, 2, 0.3}, {0.6, -1, 0.5, 1}, {1, 0.7, 1.5, -2}} do
      local a, b, s, mu = c[1], c[2], c[3], c[4]
      local d = levy.stable{alpha = a, beta = b, scale = s, loc = mu}
      for _, u in ipairs{-3, -0.4, 0.25, 2} do
        local mag, ph
        if a ~= 1 then
          mag = -(s * math.abs(u)) ^ a
          ph = (s * math.abs(u)) ^ a * b * (u > 0 and 1 or -1) * math.tan(math.pi * a / 2) + mu * u
        else
          mag = -s * math.abs(u)
          ph = -s * math.abs(u) * b * (2 / math.pi) * (u > 0 and 1 or -1) * math.log(math.abs(u)) + mu * u
        end
        local re, im = d:cf(u)
        assert(math.abs(re - math.exp(mag) * math.cos(ph)) < 1e-13)
        assert(math.abs(im - math.exp(mag) * math.sin(ph)) < 1e-13)
      end
    end
  end)

  it("mean, var, mode", function()
    local d = levy.stable{alpha = 1.5, beta = 0.5, scale = 2, loc = 1, param = "S0"}
    -- E X = μ1 = μ0 − βσ tan(πα/2)
    assert(rel(d:mean(), 1 - 0.5 * 2 * math.tan(0.75 * math.pi)) < 1e-14)
    assert.are.equal(math.huge, d:var())
    assert.is_nil(levy.stable{alpha = 0.9}:mean())
    assert.are.equal(3, levy.stable{alpha = 1.2, loc = 3}:mode())
    local m = d:mode()
    assert(d:pdf(m) >= d:pdf(m + 1e-4) and d:pdf(m) >= d:pdf(m - 1e-4))
  end)
end)

describe("levy.stable sampling", function()
  local grid = {
    {0.5, 0}, {0.8, 0.5}, {1, 0}, {1, 0.5}, {1.3, 1}, {1.5, -0.5}, {1.9, 0.3},
    {1 - 1e-6, 0.5, "S0"}, {1 + 1e-6, -0.5, "S0"}, {0.6, 1, "S0"},
  }
  for i, c in ipairs(grid) do
    it(string.format("KS at n = 1e6 against its own cdf: alpha=%g beta=%g %s", c[1], c[2], c[3] or "S1"), function()
      local d = levy.stable{alpha = c[1], beta = c[2], param = c[3] or "S1", scale = 1.5, loc = -0.5}
      local s = d:sample(1000000, nl.rng.new(1000 + i))
      local D, p = ks_one(s, d)
      assert(p > 1e-3, string.format("KS D = %.3g, p = %.3g", D, p))
    end)
  end

  it("the KS check has power: samples with alpha 1.5 fail against alpha 1.45", function()
    local s = levy.stable{alpha = 1.5}:sample(1000000, nl.rng.new(7))
    local _, p = ks_one(s, levy.stable{alpha = 1.45})
    assert(p < 1e-6, "p = " .. p)
  end)

  it("agrees with GSL's gsl_ran_levy_skew (two-sample KS)", function()
    for i, c in ipairs{{1.5, 0.5}, {0.7, -0.3}, {1.1, 1}} do
      local ours = levy.stable{alpha = c[1], beta = c[2], scale = 2}:sample(200000, nl.rng.new(i))
      local gsl = levy._gsl_levy_skew(200000, 2, c[1], c[2], 100 + i)
      local D, p = ks_two(ours, gsl)
      assert(p > 1e-3, string.format("alpha %g beta %g: D = %.3g p = %.3g", c[1], c[2], D, p))
    end
  end)

  it("S0 variates stay exact as alpha -> 1 (no cancellation from shifting S1)", function()
    -- same uniforms: S0 at alpha = 1 ± 1e-13 differs from alpha = 1 by O(1e-13)·|x|, whereas
    -- S1 − tan shift would lose ~ 1e-16 · 6e12 ≈ 1e-3
    local base = levy.stable{alpha = 1, beta = 0.5, param = "S0"}:sample(10000, nl.rng.new(3))
    for _, a in ipairs{1 - 1e-13, 1 + 1e-13} do
      local s = levy.stable{alpha = a, beta = 0.5, param = "S0"}:sample(10000, nl.rng.new(3))
      local worst = 0
      for k = 1, 10000 do
        local x, y = s:get(k), base:get(k)
        worst = math.max(worst, math.abs(x - y) / (1 + math.abs(y) * (1 + math.abs(math.log(math.abs(y) + 1e-300)))))
      end
      assert(worst < 1e-9, "alpha " .. a .. ": worst " .. worst)
    end
  end)

  it("gives the same variates, to a few ulp, on every code path (NOISELAB_ISA)", function()
    local laws = {{1.5, 0.5, "S1"}, {0.7, -1, "S1"}, {1, 0.3, "S1"}, {1.001, 0.5, "S0"}, {0.5, 1, "S0"}}
    local script = "local nl = require 'noiselab'; for _, c in ipairs{"
    for _, c in ipairs(laws) do script = script .. string.format("{%g,%g,'%s'},", c[1], c[2], c[3]) end
    script = script .. "} do local x = nl.levy.stable{alpha = c[1], beta = c[2], param = c[3]}:sample(203, nl.rng.new(7)); "
      .. "for i = 1, 203 do io.write(string.format('%a ', x:get(i))) end end"
    for _, isa in ipairs{"avx2", "scalar"} do
      local out = H.noiselab({NOISELAB_ISA = isa}, "-e", script)
      local got = H.numbers(out)
      assert.equal(#laws * 203, #got, out:sub(1, 200))
      local k, worst = 0, 0
      for _, c in ipairs(laws) do
        local x = levy.stable{alpha = c[1], beta = c[2], param = c[3]}:sample(203, nl.rng.new(7))
        for i = 1, 203 do
          k = k + 1
          local a, b = x:get(i), got[k]
          worst = math.max(worst, math.abs(a - b) / math.max(math.abs(a), 1e-3))
        end
      end
      assert(worst <= 1e-13, string.format("%s path differs by %g", isa, worst))
    end
  end)

  it("is reproducible and chunking-independent for a seed; takes shapes", function()
    local d = levy.stable{alpha = 1.7, beta = 0.2}
    local a = d:sample(1000, nl.rng.new(5))
    local g = nl.rng.new(5)
    local b1, b2 = d:sample(300, g), d:sample(700, g)
    for k = 1, 300 do assert.are.equal(a:get(k), b1:get(k)) end
    for k = 1, 700 do assert.are.equal(a:get(300 + k), b2:get(k)) end
    local m = d:sample({4, 5}, nl.rng.new(1))
    assert.are.same({4, 5}, m:shape())
    assert.are.equal("f64", m:dtype())
  end)
end)

describe("levy.pareto", function()
  it("tails, quantiles and moments are the closed forms", function()
    local p = levy.pareto{alpha = 2.5, scale = 3, symmetric = false}
    assert(rel(p:sf(12), (12 / 3) ^ -2.5) < 1e-15)
    assert(rel(p:pdf(12), 2.5 / 3 * (12 / 3) ^ -3.5) < 1e-14)
    assert.are.equal(0, p:pdf(2.9)); assert.are.equal(0, p:cdf(2.9))
    assert(rel(p:quantile(0.99), 3 * 0.01 ^ (-1 / 2.5)) < 1e-13)
    assert(rel(p:isf(1e-200), 3 * 1e-200 ^ (-1 / 2.5)) < 1e-13)
    assert(rel(p:mean(), 2.5 * 3 / 1.5) < 1e-15)
    local s = levy.pareto{alpha = 1.5}
    assert(rel(s:sf(10), 0.5 * 10 ^ -1.5) < 1e-15)
    assert(rel(s:cdf(-10), 0.5 * 10 ^ -1.5) < 1e-15)
    assert.are.equal(0, s:mean())
    assert.are.equal(math.huge, s:var())
  end)

  it("samples have the Pareto law (KS) and the cf matches a direct quadrature", function()
    local p = levy.pareto{alpha = 1.2, scale = 2}
    local _, pv = ks_one(p:sample(200000, nl.rng.new(9)), p, 2000)
    assert(pv > 1e-3, "p = " .. pv)
    -- symmetric: E cos(uZ) = α ∫_1^∞ y^{-α-1} cos(u s y) dy; check against a midpoint sum in
    -- y = e^v (smooth), with the tail beyond e^40 bounded by e^{-40α}
    local q = levy.pareto{alpha = 1.5, scale = 1}
    local u = 0.3
    local re = q:cf(u)
    local n, top, s = 400000, 40, 0
    local h = top / n
    for k = 0, n - 1 do
      local v = (k + 0.5) * h
      local y = math.exp(v)
      s = s + 1.5 * y ^ -1.5 * math.cos(u * y) * h
    end
    assert(math.abs(re - s) < 1e-8, string.format("cf %.15g vs quadrature %.15g", re, s))
  end)
end)

describe("levy.motion", function()
  it("stable increments over dt have scale sigma dt^(1/alpha) (KS)", function()
    local m = levy.motion{kind = "stable", alpha = 1.4, beta = 0.3, scale = 2}
    local inc = m:increments(0.01, 500, 400, nl.rng.new(11))
    assert.are.same({500, 400}, inc:shape())
    local d = levy.stable{alpha = 1.4, beta = 0.3, scale = 2 * 0.01 ^ (1 / 1.4)}
    local _, p = ks_one(inc:reshape{-1}, d, 1000)
    assert(p > 1e-3, "p = " .. p)
  end)

  it("isotropic d-dimensional motion: projections are SαS with the right scale", function()
    local m = levy.motion{kind = "stable", alpha = 1.5, scale = 0.7, dim = 3, isotropic = true}
    local inc = m:increments(0.5, 1, 200000, nl.rng.new(12))
    assert.are.same({1, 200000, 3}, inc:shape())
    local X = inc:reshape{200000, 3}
    local d = levy.stable{alpha = 1.5, scale = 0.7 * 0.5 ^ (1 / 1.5)}
    for _, th in ipairs{{1, 0, 0}, {0.6, 0, 0.8}, {1 / math.sqrt(3), -1 / math.sqrt(3), 1 / math.sqrt(3)}} do
      local proj = X:matmul(T.from({{th[1]}, {th[2]}, {th[3]}})):reshape{-1}
      local _, p = ks_one(proj, d, 1000)
      assert(p > 1e-3, "projection p = " .. p)
    end
    -- and the components are not independent (they share the radial factor): |X1| and |X2|
    -- are positively correlated, unlike an independent-component motion
    local a, b = X:select(2, 1):abs():log(), X:select(2, 2):abs():log()
    local c = ((a - a:mean()) * (b - b:mean())):mean() / (a:std() * b:std())
    assert(c > 0.1, "log-abs correlation " .. c)
  end)

  it("brownian increments have variance scale^2 dt and paths start at 0", function()
    local m = levy.motion{kind = "brownian", scale = 3}
    local P = m:path(2, 100, 2000, nl.rng.new(13))
    assert.are.same({101, 2000}, P:shape())
    assert.are.equal(0, P:select(1, 1):abs():sum())
    local v = P:select(1, 101):var()
    -- Var = 9 · 2 = 18; sd of the sample variance ≈ 18·sqrt(2/2000)
    assert(math.abs(v - 18) < 5 * 18 * math.sqrt(2 / 2000), "var " .. v)
  end)

  it("compound Poisson: mean increment rate·dt·E[J], truncation caps the jumps", function()
    local jump = levy.pareto{alpha = 3, scale = 1, symmetric = false}   -- E J = 1.5, Var J = 0.75
    local m = levy.motion{kind = "compound_poisson", rate = 4, jump = jump}
    local inc = m:increments(0.25, 1, 100000, nl.rng.new(14))
    -- E = λdt·EJ = 1.5; Var = λdt·E J² = 1·3 = 3
    local mu = inc:mean()
    assert(math.abs(mu - 1.5) < 5 * math.sqrt(3 / 100000), "mean " .. mu)
    local mt = levy.motion{kind = "compound_poisson", rate = 4, jump = jump, truncate = 1.2}
    local it_ = mt:increments(0.25, 1, 20000, nl.rng.new(15))
    -- each increment is N·(jump clipped at 1.2) ≤ 1.2 N; with λdt = 1, P(N ≥ 8) is tiny
    assert(it_:max() <= 1.2 * 12)
    -- clipped mean E min(J, 1.2) = ∫_1^1.2 3 y^-3 dy + 1.2·1.2^-3 = 1.5(1 − 1.2^-2) + 1.2^-2
    local em = 1.5 * (1 - 1.2 ^ -2) + 1.2 ^ -2
    assert(math.abs(it_:mean() - em) < 5 * math.sqrt(2 / 20000))
  end)

  it("validates its options", function()
    errs(function() levy.motion{kind = "gamma"} end, "kind must be")
    errs(function() levy.motion{kind = "stable", alpha = 3} end, "alpha must be in (0, 2], got 3")
    errs(function() levy.motion{kind = "stable", alpha = 1.5, beta = 0.5, isotropic = true} end, "beta must be 0")
    errs(function() levy.motion{kind = "compound_poisson", rate = 1} end, "jump")
    errs(function() levy.motion{kind = "compound_poisson", rate = -1, jump = levy.pareto{alpha = 1}} end, "rate must be")
    errs(function() levy.motion{kind = "stable", alpha = 1.5}:increments(-1, 2, 2) end, "dt must be")
  end)
end)

describe("levy parameter validation and tensors", function()
  it("names the parameter and the bad value", function()
    errs(function() levy.stable{alpha = 2.5} end, "alpha must be in (0, 2], got 2.5")
    errs(function() levy.stable{alpha = 0} end, "alpha must be in (0, 2], got 0")
    errs(function() levy.stable{} end, "alpha is required")
    errs(function() levy.stable{alpha = 1.5, beta = -1.5} end, "beta must be in [-1, 1], got -1.5")
    errs(function() levy.stable{alpha = 1.5, scale = 0} end, "scale must be finite and > 0, got 0")
    errs(function() levy.stable{alpha = 1.5, loc = math.huge} end, "loc must be finite")
    errs(function() levy.stable{alpha = 1.5, param = "S2"} end, "param must be \"S1\" or \"S0\", got \"S2\"")
    errs(function() levy.stable{alpha = "x"} end, "alpha must be a number")
    errs(function() levy.stable{alpha = 1.5}:quantile(1.5) end, "probability must be in [0, 1], got 1.5")
    errs(function() levy.stable{alpha = 1.5}:pdf("a") end, "number or noiselab.Tensor expected")
    errs(function() levy.stable{alpha = 1.5}:sample(-1) end, "non-negative integer")
    errs(function() levy.pareto{alpha = -1} end, "alpha must be finite and > 0, got -1")
    errs(function() levy.pareto{alpha = 1, scale = -2} end, "scale must be finite and > 0, got -2")
  end)

  it("maps tensors to f64 tensors of the same shape, non-contiguous and f32 inputs included", function()
    local d = levy.stable{alpha = 1.2, beta = -0.3}
    local x = T.from({{-2, 0.5, 3}, {1, -0.1, 7}})
    local xt = x:t()                            -- 3x2, non-contiguous
    for _, q in ipairs{"pdf", "logpdf", "cdf", "sf"} do
      local y = d[q](d, xt)
      assert.are.same({3, 2}, y:shape())
      for i = 1, 3 do for j = 1, 2 do
        assert.are.equal(d[q](d, xt:get(i, j)), y:get(i, j))
      end end
    end
    local p = T.from({{0.1, 0.9}, {0.5, 1e-10}}):t()
    local qv = d:quantile(p)
    for i = 1, 2 do for j = 1, 2 do assert.are.equal(d:quantile(p:get(i, j)), qv:get(i, j)) end end
    local xf = T.from({0.25, 4}, "f32")
    local yf = d:pdf(xf)
    assert.are.equal("f64", yf:dtype())
    assert.are.equal(d:pdf(0.25), yf:get(1))
    local re, im = d:cf(T.from({0.5, -1}))
    local r1, i1 = d:cf(-1)
    assert.are.equal(r1, re:get(2)); assert.are.equal(i1, im:get(2))
  end)
end)
