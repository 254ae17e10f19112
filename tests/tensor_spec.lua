-- Tensors: creation, views, elementwise math, reductions, linear algebra, files, memory and
-- bad input.  Numbers are checked against NumPy (computed at test time on the same data) or
-- against closed forms.
local nl = require "noiselab"
local T = nl.tensor
local H = require "tests.helpers"

local has_numpy = H.has_python("numpy")

local function numpy_check(inputs, script)
  -- inputs: name -> tensor, saved as <dir>/<name>.npy; the script writes <dir>/out_<k>.npy
  local dir = H.tmpdir()
  for name, t in pairs(inputs) do T.save(t, dir .. "/" .. name .. ".npy") end
  H.python("import numpy as np, os\nd = " .. string.format("%q", dir) .. "\n" ..
           "L = lambda n: np.load(os.path.join(d, n + '.npy'))\n" ..
           "S = lambda n, a: np.save(os.path.join(d, 'out_' + n + '.npy'), np.asarray(a))\n" .. script)
  return dir, function(name) return T.load(dir .. "/out_" .. name .. ".npy") end
end

describe("tensor creation", function()
  it("makes zeros, ones, full, eye with shapes and dtypes", function()
    local z = T.zeros{2, 3}
    assert.same({2, 3}, z:shape())
    assert.equal("f64", z:dtype())
    assert.equal(0, z:sum())
    assert.equal("f32", T.ones({4}, "f32"):dtype())
    assert.equal(4, T.ones(2, 2):sum())
    assert.equal(6 * 2.5, T.full({2, 3}, 2.5):sum())
    local e = T.eye(3)
    assert.equal(1, e:get(2, 2))
    assert.equal(0, e:get(1, 2))
    assert.equal(3, e:sum())
    assert.same({2, 4}, T.eye(2, 4):shape())
  end)

  it("builds arange and linspace like numpy", function()
    assert.same({0, 1, 2, 3}, T.arange(4):totable())
    assert.same({1, 3, 5}, T.arange(1, 7, 2):totable())
    assert.same({}, T.arange(3, 1):totable())
    local l = T.linspace(0, 1, 5)
    assert.same({0, 0.25, 0.5, 0.75, 1}, l:totable())
    assert.equal(1, T.linspace(-3, 1, 7):get(7)) -- end point exact
  end)

  it("converts nested tables both ways and checks raggedness", function()
    local x = T.from{{1, 2, 3}, {4, 5, 6}}
    assert.same({2, 3}, x:shape())
    assert.same({{1, 2, 3}, {4, 5, 6}}, x:totable())
    assert.equal(6, x:get(2, 3))
    assert.equal(6, x:get(-1, -1))
    assert.has_error(function() T.from{{1, 2}, {3}} end, "from: ragged nested table: element [2] should be a table of 2 values")
    assert.has_error(function() T.from{1, "a"} end)
    assert.equal(3.5, T.from(3.5):item())
  end)

  it("sets and gets elements with bounds errors naming the dim", function()
    local x = T.zeros{2, 3}
    x:set(2, 1, 7)
    assert.equal(7, x:get(2, 1))
    assert.has_error(function() x:get(3, 1) end, "bad argument #2 to 'get' (index 3 out of range [1, 2] for dim 1)")
    assert.has_error(function() x:get(1) end, "bad argument to 'get' (2 indices expected for a tensor of shape [2,3], got 1)")
  end)
end)

describe("tensor views", function()
  it("share storage: narrow, select, transpose, permute, expand", function()
    local x = T.arange(12):reshape{3, 4}
    local n = x:narrow(2, 2, 2)
    assert.same({{1, 2}, {5, 6}, {9, 10}}, n:totable())
    n:set(1, 1, 100)
    assert.equal(100, x:get(1, 2))
    local s = x:select(1, 3)
    assert.same({8, 9, 10, 11}, s:totable())
    s:fill(-1)
    assert.equal(-4, x:select(1, 3):sum())
    local t = x:t()
    assert.same({4, 3}, t:shape())
    assert.equal(x:get(2, 4), t:get(4, 2))
    assert.is_false(t:is_contiguous())
    local p = T.arange(24):reshape{2, 3, 4}:permute(3, 1, 2)
    assert.same({4, 2, 3}, p:shape())
    assert.equal(T.arange(24):reshape{2, 3, 4}:get(2, 1, 3), p:get(3, 2, 1))
    local e = T.from{1, 2, 3}:reshape{3, 1}:expand{3, 4}
    assert.same({0, 0}, {e:stride()[2], 0})
    assert.equal(24, e:sum())
  end)

  it("reshape is a view when possible and a copy when the strides forbid it", function()
    local x = T.arange(6)
    local r = x:reshape{2, 3}
    r:set(1, 1, 42)
    assert.equal(42, x:get(1)) -- shared
    local t = T.arange(6):reshape{2, 3}:t()
    assert.has_error(function() t:view{6} end)
    local c = t:reshape{6}
    assert.same({0, 3, 1, 4, 2, 5}, c:totable())
    assert.same({3, 2}, T.arange(6):view{-1, 2}:shape())
    assert.has_error(function() T.arange(6):reshape{4, -1} end,
      "bad argument to 'reshape' (shape [4,-1] is invalid for a tensor of shape [6] with 6 elements)")
  end)

  it("unsqueeze and squeeze", function()
    local x = T.zeros{3, 4}
    assert.same({3, 1, 4}, x:unsqueeze(2):shape())
    assert.same({1, 3, 4}, x:unsqueeze(1):shape())
    assert.same({3, 4, 1}, x:unsqueeze(-1):shape())
    assert.same({3, 4}, x:unsqueeze(2):squeeze():shape())
  end)

  it("copies: clone, contiguous, index, cat", function()
    local x = T.arange(6):reshape{2, 3}
    local c = x:clone()
    c:set(1, 1, 9)
    assert.equal(0, x:get(1, 1))
    local t = x:t():contiguous()
    assert.is_true(t:is_contiguous())
    assert.same({{0, 3}, {1, 4}, {2, 5}}, t:totable())
    assert.same({{2, 0}, {5, 3}}, x:index(2, {3, 1}):totable())
    assert.same({{3, 4, 5}}, x:index(1, T.from{2}):totable())
    assert.has_error(function() x:index(2, {4}) end, "bad argument #3 to 'index' (index 4 out of range [1, 3] for dim 2)")
    local cat = T.cat({x, x * 10}, 1)
    assert.same({4, 3}, cat:shape())
    assert.equal(30, cat:get(4, 1))
    assert.same({2, 6}, T.cat({x, x}, 2):shape())
    assert.has_error(function() T.cat({x, T.zeros{3, 3}}, 2) end)
  end)
end)

describe("tensor arithmetic", function()
  it("broadcasts operators and promotes mixed dtypes to f64", function()
    local a = T.from{{1, 2, 3}, {4, 5, 6}}
    local b = T.from{10, 20, 30}
    assert.same({{11, 22, 33}, {14, 25, 36}}, (a + b):totable())
    assert.same({{-9, -18, -27}, {-6, -15, -24}}, (a - b):totable())
    assert.same({{2, 4, 6}, {8, 10, 12}}, (2 * a):totable())
    assert.same({{0.5, 1, 1.5}, {2, 2.5, 3}}, (a / 2):totable())
    assert.same({{1, 4, 9}, {16, 25, 36}}, (a ^ 2):totable())
    assert.same({{-1, -2, -3}, {-4, -5, -6}}, (-a):totable())
    assert.same({{1, 0, 1}, {0, 1, 0}}, (a % 2):totable())
    assert.equal("f64", (a:float() + a):dtype())
    assert.equal("f32", (a:float() * 3):dtype())
    assert.has_error(function() return a + T.zeros{2} end,
      "bad argument #2 to 'add' (shape [2] does not broadcast with [2,3])")
    assert.has_error(function() return a + "x" end)
  end)

  it("does in-place forms, including on non-contiguous views", function()
    local x = T.arange(6):reshape{2, 3}
    x:t():add_(1)
    assert.same({{1, 2, 3}, {4, 5, 6}}, x:totable())
    x:narrow(2, 1, 1):mul_(T.from{{10}, {100}})
    assert.same({{10, 2, 3}, {400, 5, 6}}, x:totable())
    -- aliasing: x += x^T on a square matrix reads a copy, never half-updated values
    local s = T.from{{1, 2}, {3, 4}}
    s:add_(s:t())
    assert.same({{2, 5}, {5, 8}}, s:totable())
  end)

  it("matches NumPy on math functions, non-contiguous and f32 inputs", function()
    if not has_numpy then return pending("python3-numpy not installed") end
    local g = nl.rng.new(7)
    local x = g:normal({50, 40}):t()        -- transposed (non-contiguous)
    local p = g:uniform({40, 50}, 0.1, 3)
    local dir, out = numpy_check({x = x, p = p}, [[
x = L('x'); p = L('p')
S('exp', np.exp(x)); S('log', np.log(p)); S('log1p', np.log1p(p)); S('tanh', np.tanh(x))
S('sig', 1/(1+np.exp(-x))); S('sqrt', np.sqrt(p)); S('pow', p ** x); S('atan2', np.arctan2(x, p))
S('sign', np.sign(x)); S('clamp', np.clip(x, -0.5, 0.7)); S('where', np.where(x > 0, x, p))
S('expf', np.exp(x.astype(np.float32)))
]])
    assert.is_true(H.max_rel_err(x:exp(), out("exp")) < 1e-15)
    assert.is_true(H.max_rel_err(p:log(), out("log")) < 1e-15)
    assert.is_true(H.max_rel_err(p:log1p(), out("log1p")) < 1e-15)
    assert.is_true(H.max_rel_err(x:tanh(), out("tanh")) < 1e-15)
    assert.is_true(H.max_rel_err(x:sigmoid(), out("sig")) < 1e-15)
    assert.is_true(H.max_rel_err(p:sqrt(), out("sqrt")) < 1e-15)
    assert.is_true(H.max_rel_err(p:pow(x), out("pow")) < 1e-14)
    assert.is_true(H.max_rel_err(x:atan2(p), out("atan2")) < 1e-15)
    assert.same(out("sign"):totable(), x:sign():totable())
    assert.same(out("clamp"):totable(), x:clamp(-0.5, 0.7):totable())
    assert.same(out("where"):totable(), T.where(x:gt(0), x, p):totable())
    assert.equal("f32", x:float():exp():dtype())
    assert.is_true(H.max_rel_err(x:float():exp(), out("expf")) < 1e-6)
    H.rmtree(dir)
  end)

  it("compares to masks and selects with where", function()
    local x = T.from{-1, 0, 2}
    assert.same({0, 0, 1}, x:gt(0):totable())
    assert.same({1, 1, 0}, x:le(0):totable())
    assert.same({0, 1, 0}, x:eq(0):totable())
    assert.same({5, 5, 2}, T.where(x:gt(0), x, 5):totable())
    assert.same({0, 0, 1}, x:isnan():totable() and T.from{0, 0, 1}:totable())
    assert.same({0, 0, 0}, (x / 0):isfinite():totable())
  end)
end)

describe("tensor reductions", function()
  it("sum, mean, var, std, min, max, argmax, norm, prod over all elements", function()
    local x = T.from{{1, 2, 3}, {4, 5, 6}}
    assert.equal(21, x:sum())
    assert.equal(3.5, x:mean())
    assert.near(3.5, x:var(), 1e-15)           -- unbiased, as PyTorch
    assert.near(35 / 12, x:var(nil, nil, 0), 1e-15)
    assert.near(math.sqrt(3.5), x:std(), 1e-15)
    assert.equal(1, x:min())
    assert.equal(6, x:max())
    assert.equal(6, x:argmax())                  -- flat, 1-based
    assert.equal(1, x:argmin())
    assert.near(math.sqrt(91), x:norm(), 1e-14)
    assert.equal(21, x:norm(1))
    assert.equal(6, x:norm(math.huge))
    assert.equal(720, x:prod())
  end)

  it("reduces along dims with keepdim and returns indices", function()
    local x = T.from{{1, 9, 3}, {7, 5, 6}}
    assert.same({8, 14, 9}, x:sum(1):totable())
    assert.same({{13}, {18}}, x:sum(2, true):totable())
    local v, i = x:max(2)
    assert.same({9, 7}, v:totable())
    assert.same({2, 1}, i:totable())
    local mv, mi = x:min(1)
    assert.same({1, 5, 3}, mv:totable())
    assert.same({1, 2, 1}, mi:totable())
    assert.same({2, 1}, x:argmax(2):totable())
    assert.same({{1, 10, 13}, {7, 12, 18}}, x:cumsum(2):totable())
    assert.same({{1, 9, 3}, {8, 14, 9}}, x:cumsum(1):totable())
  end)

  it("is accurate: pairwise sums on 1e6 values", function()
    -- 0.1 * 1e6 summed naively in double drifts by ~1e-6; pairwise stays within a few ulp
    local x = T.full({1000000}, 0.1)
    assert.near(100000, x:sum(), 1e-8)
    assert.near(100000, x:float():sum(), 5e-2) -- f32 values 0.1f, summed in double
  end)

  it("matches NumPy on reductions, sort, topk and quantiles", function()
    if not has_numpy then return pending("python3-numpy not installed") end
    local g = nl.rng.new(3)
    local x = g:normal({30, 17}):t()  -- 17x30, non-contiguous
    local dir, out = numpy_check({x = x}, [[
x = L('x')
S('sum0', x.sum(0)); S('mean1', x.mean(1)); S('var0', x.var(0, ddof=1)); S('std1', x.std(1, ddof=0))
S('norm1', np.linalg.norm(x, axis=1)); S('prod0', x.prod(0)); S('cumsum0', np.cumsum(x, 0))
S('sort1', np.sort(x, 1)); S('argsort1', np.argsort(x, 1, kind='stable') + 1)
S('q', np.quantile(x, [0.1, 0.5, 0.93], axis=1)); S('qall', np.quantile(x, 0.37)); S('med', np.median(x))
]])
    assert.is_true(H.max_rel_err(x:sum(1), out("sum0")) < 1e-13)
    assert.is_true(H.max_rel_err(x:mean(2), out("mean1")) < 1e-13)
    assert.is_true(H.max_rel_err(x:var(1), out("var0")) < 1e-13)
    assert.is_true(H.max_rel_err(x:std(2, false, 0), out("std1")) < 1e-13)
    assert.is_true(H.max_rel_err(x:norm(2, 2), out("norm1")) < 1e-13)
    assert.is_true(H.max_rel_err(x:prod(1), out("prod0")) < 1e-12)
    assert.is_true(H.max_rel_err(x:cumsum(1), out("cumsum0"), 1e-3) < 1e-12)
    local sv, si = x:sort(2)
    assert.same(out("sort1"):totable(), sv:totable())
    assert.same(out("argsort1"):totable(), si:totable())
    local tv, ti = x:topk(3, 2)
    local dv = x:sort(2, true)
    assert.same(dv:narrow(2, 1, 3):totable(), tv:totable())
    assert.equal(x:get(1, ti:get(1, 1)), tv:get(1, 1))
    local q = x:quantile({0.1, 0.5, 0.93}, 2)  -- 17 x 3; numpy gives 3 x 17
    assert.is_true(H.max_rel_err(q:t(), out("q")) < 1e-14)
    assert.near(out("qall"):item(), x:quantile(0.37), 1e-14)
    assert.near(out("med"):item(), x:median(), 1e-14)
    H.rmtree(dir)
  end)

  it("sorts NaN last and stably", function()
    local v, i = T.from{3, 0 / 0, 1, 3, 2}:sort()
    local t = v:totable()
    assert.same({1, 2, 3, 3}, {t[1], t[2], t[3], t[4]})
    assert.is_true(t[5] ~= t[5])
    assert.same({3, 5, 1, 4, 2}, i:totable())
  end)

  it("rejects bad reductions", function()
    assert.has_error(function() T.zeros{0}:max() end, "bad argument #1 to 'max' (empty tensor)")
    assert.has_error(function() T.zeros{2, 2}:sum(3) end, "bad argument #2 to 'sum' (dim must be in [1, 2] or [-2, -1], got 3)")
    assert.has_error(function() T.zeros{3}:quantile(1.5) end)
    assert.has_error(function() T.zeros{3}:topk(4) end, "bad argument #2 to 'topk' (k must be in [0, 3], got 4)")
  end)
end)

describe("tensor linear algebra", function()
  it("matmul, mv, dot, outer, addmm against NumPy with transposed operands", function()
    if not has_numpy then return pending("python3-numpy not installed") end
    local g = nl.rng.new(11)
    local A = g:normal{37, 23}
    local B = g:normal{19, 37}:t()      -- 37 x 19 column-major
    local C = g:normal{23, 19}
    local v = g:normal{23}
    local w = g:normal{37}
    local St = g:normal{40, 30}:narrow(1, 3, 23):narrow(2, 2, 19)  -- strided in both dims
    local dir, out = numpy_check({A = A, B = B, C = C, v = v, w = w, St = St}, [[
A, B, C, v, w, St = L('A'), L('B'), L('C'), L('v'), L('w'), L('St')
S('AtB', A.T @ B); S('Av', A @ v); S('wA', w @ A); S('dot', v @ v); S('outer', np.outer(v, w))
S('addmm', 0.5 * C + 2.0 * (A.T @ B)); S('AS', A @ St); S('f32', A.astype(np.float32).T @ B.astype(np.float32))
]])
    assert.is_true(H.max_rel_err(A:t():matmul(B), out("AtB"), 1e-3) < 1e-13)
    assert.is_true(H.max_rel_err(A:t():matmul(B):t():t(), out("AtB"), 1e-3) < 1e-13)
    assert.is_true(H.max_rel_err(A:matmul(v), out("Av"), 1e-3) < 1e-13)
    assert.is_true(H.max_rel_err(A:mv(v), out("Av"), 1e-3) < 1e-13)
    assert.is_true(H.max_rel_err(w:matmul(A), out("wA"), 1e-3) < 1e-13)
    assert.near(out("dot"):item(), v:dot(v), 1e-12)
    assert.is_true(H.max_rel_err(v:outer(w), out("outer")) < 1e-15)
    assert.is_true(H.max_rel_err(C:addmm(A:t(), B, 0.5, 2.0), out("addmm"), 1e-3) < 1e-13)
    assert.is_true(H.max_rel_err(A:matmul(St), out("AS"), 1e-3) < 1e-13)
    local f = A:float():t():matmul(B:float())
    assert.equal("f32", f:dtype())
    assert.is_true(H.max_rel_err(f, out("f32"), 1e-2) < 1e-4)
    H.rmtree(dir)
  end)

  it("writes into a transposed output in place (addmm_)", function()
    local C = T.zeros{3, 2}:t()              -- 2 x 3, column-major
    local A, B = T.from{{1, 2}, {3, 4}}, T.from{{1, 0, 2}, {0, 1, 3}}
    C:addmm_(A, B, 0, 1)
    assert.same({{1, 2, 8}, {3, 4, 18}}, C:totable())
  end)

  it("does batched matmul", function()
    local a = T.arange(12):reshape{2, 2, 3}
    local b = T.ones{3, 1}
    assert.same({{{3}, {12}}, {{21}, {30}}}, a:matmul(b):totable())
  end)

  it("names both shapes in mismatch errors", function()
    assert.has_error(function() T.zeros{3, 4}:matmul(T.zeros{5, 2}) end,
      "bad argument #2 to 'matmul' (shape [3,4] does not match [5,2])")
    assert.has_error(function() T.zeros{3}:dot(T.zeros{4}) end,
      "bad argument #2 to 'matmul' (shape [3] does not match [4])")
  end)
end)

describe("tensor files", function()
  local dir
  before_each(function() dir = H.tmpdir() end)
  after_each(function() H.rmtree(dir) end)

  it("round-trips .npy in f32, f64 and i64, with no temporary files left", function()
    local x = T.from{{1.5, -2}, {3, 4e-300}}
    T.save(x, dir .. "/x.npy")
    local y = T.load(dir .. "/x.npy")
    assert.same(x:totable(), y:totable())
    assert.equal("f64", y:dtype())
    T.save(x:float(), dir .. "/f.npy")
    assert.equal("f32", T.load(dir .. "/f.npy"):dtype())
    T.save(T.from{1, 2, 10}, dir .. "/l.npy", "i64")
    assert.same({1, 2, 10}, T.load(dir .. "/l.npy"):totable())
    T.save(x:t(), dir .. "/t.npy") -- non-contiguous source
    assert.same(x:t():totable(), T.load(dir .. "/t.npy"):totable())
    assert.same({"f.npy", "l.npy", "t.npy", "x.npy"}, (function() local l = H.listdir(dir); table.sort(l); return l end)())
    assert.has_error(function() T.save(T.from{1.5}, dir .. "/bad.npy", "i64") end)
  end)

  it("is read and written by NumPy both ways (C and Fortran order, integers)", function()
    if not has_numpy then return pending("python3-numpy not installed") end
    local x = T.arange(12):reshape{3, 4} / 7
    T.save(x, dir .. "/ours.npy")
    T.save(T.from{0, 3, 9}, dir .. "/labels.npy", "i64")
    H.python(string.format([==[
import numpy as np
d = %q
a = np.load(d + '/ours.npy'); assert a.shape == (3, 4) and a.dtype == np.float64
assert np.array_equal(a, np.arange(12).reshape(3, 4) / 7)
l = np.load(d + '/labels.npy'); assert l.dtype == np.int64 and list(l) == [0, 3, 9]
np.save(d + '/theirs.npy', np.arange(6, dtype=np.float32).reshape(2, 3))
np.save(d + '/fort.npy', np.asfortranarray(np.arange(6.0).reshape(2, 3)))
np.save(d + '/int32.npy', np.array([[1, -2], [3, 4]], dtype=np.int32))
np.save(d + '/u8.npy', np.array([255, 0], dtype=np.uint8))
np.save(d + '/big.npy', np.arange(3, dtype='>f8'))
]==], dir))
    local t = T.load(dir .. "/theirs.npy")
    assert.equal("f32", t:dtype())
    assert.same({{0, 1, 2}, {3, 4, 5}}, t:totable())
    assert.same({{0, 1, 2}, {3, 4, 5}}, T.load(dir .. "/fort.npy"):totable())
    assert.same({{1, -2}, {3, 4}}, T.load(dir .. "/int32.npy"):totable())
    assert.same({255, 0}, T.load(dir .. "/u8.npy"):totable())
    assert.same({0, 1, 2}, T.load(dir .. "/big.npy"):totable())
  end)

  it("gives clear errors on missing, malformed and truncated files", function()
    assert.has_error(function() T.load(dir .. "/none.npy") end, "load: cannot open '" .. dir .. "/none.npy': No such file or directory")
    local f = io.open(dir .. "/junk.npy", "wb"); f:write("hello world"); f:close()
    assert.has_error(function() T.load(dir .. "/junk.npy") end, "load: '" .. dir .. "/junk.npy' is not a .npy file (bad magic)")
    T.save(T.zeros{100}, dir .. "/full.npy")
    local g = io.open(dir .. "/full.npy", "rb"); local bytes = g:read("a"); g:close()
    local h = io.open(dir .. "/cut.npy", "wb"); h:write(bytes:sub(1, 300)); h:close()
    assert.has_error(function() T.load(dir .. "/cut.npy") end,
      "load: '" .. dir .. "/cut.npy': truncated .npy data (800 bytes expected, 172 present)")
    assert.has_error(function() T.save(T.zeros{2}, "/nonexistent-dir/x.npy") end)
  end)

  it("writes and reads CSV with a header, atomically", function()
    local x = T.from{{1, 0.1}, {2, 1e-20}, {3, -7.25}}
    T.write_csv(x, dir .. "/a.csv", {header = {"step", "loss"}})
    local y, names = T.read_csv(dir .. "/a.csv")
    assert.same({"step", "loss"}, names)
    assert.same(x:totable(), y:totable()) -- 17 digits: exact round trip
    T.write_csv(T.from{1, 2}, dir .. "/b.csv")
    local z, none = T.read_csv(dir .. "/b.csv")
    assert.is_nil(none)
    assert.same({{1}, {2}}, z:totable())
    local f = io.open(dir .. "/bad.csv", "w"); f:write("a,b\n1,2\n3\n"); f:close()
    assert.has_error(function() T.read_csv(dir .. "/bad.csv") end, "read_csv: '" .. dir .. "/bad.csv' line 3: 1 fields, expected 2")
    local g = io.open(dir .. "/nan.csv", "w"); g:write("a,b\n1,x2\n"); g:close()
    assert.has_error(function() T.read_csv(dir .. "/nan.csv") end,
      "read_csv: '" .. dir .. "/nan.csv' line 2, column 2: 'x2' is not a number")
    assert.has_error(function() T.write_csv(x, dir .. "/c.csv", {header = {"one"}}) end,
      "bad argument #3 to 'write_csv' (1 column names for 2 columns)")
    local l = H.listdir(dir)
    table.sort(l)
    assert.same({"a.csv", "b.csv", "bad.csv", "nan.csv"}, l)
  end)
end)

describe("tensor memory", function()
  -- Under ASan the allocator zeroes and quarantines freed blocks (RSS is not meaningful there
  -- and each MiB costs far more), so the sanitizer run checks live storage on 2000 iterations.
  local sanitize = os.getenv("NOISELAB_SANITIZE") ~= nil

  it("keeps a loop of 1e5 temporary 1 MB tensors bounded", function()
    collectgarbage()
    local base_live, base_rss = T.memory(), H.rss()
    local peak = 0
    for i = 1, sanitize and 2000 or 100000 do
      local t = T.zeros{131072}       -- 1 MiB of f64
      if i % 100 == 0 then peak = math.max(peak, T.memory() - base_live) end
    end
    -- the collector, told about each MiB, keeps live storage to a small multiple of one tensor
    assert.is_true(peak < 256 * 2 ^ 20, "peak live storage " .. peak)
    if not sanitize then assert.is_true(H.rss() - base_rss < 512 * 2 ^ 20) end
  end)

  it("keeps touched temporaries bounded in resident size", function()
    collectgarbage()
    local base_rss = H.rss()
    local x = T.ones{131072}
    local peak, base_live = 0, T.memory()
    for _ = 1, sanitize and 300 or 3000 do
      local y = x * 2 + 1
      peak = math.max(peak, T.memory() - base_live)
    end
    assert.is_true(peak < 256 * 2 ^ 20, "peak live storage " .. peak)
    if not sanitize then assert.is_true(H.rss() - base_rss < 512 * 2 ^ 20) end
  end)

  it("supports <close> and errors on use after close", function()
    collectgarbage()
    collectgarbage("stop") -- only <close> may free storage in this block
    local before = T.memory()
    do
      local t <close> = T.zeros{1000000}
      assert.equal(before + 8000000, T.memory())
    end
    assert.equal(before, T.memory())
    collectgarbage("restart")
    local t = T.zeros{3}
    t:close()
    assert.has_error(function() t:sum() end, "calling 'sum' on bad self (tensor has been closed)")
    t:close() -- idempotent
    assert.equal("[closed tensor]", tostring(t))
  end)

  it("a view keeps its storage alive after the base is closed", function()
    local x = T.arange(5)
    local v = x:narrow(1, 2, 2)
    x:close()
    assert.same({1, 2}, v:totable())
  end)
end)

describe("tensor bad input", function()
  it("rejects absurd sizes with the bytes requested", function()
    assert.has_error(function() T.zeros{1e12, 1e12} end, "cannot make a tensor of shape [1000000000000,1000000000000]: size out of range")
    assert.has_error(function() T.zeros{1e12, 1e6} end,
      "cannot allocate 8000000000000000000 bytes for a f64 tensor of shape [1000000000000,1000000]")
    local ok, err = pcall(T.zeros, {2 ^ 50})
    assert.is_false(ok)
    assert.matches("cannot allocate 9007199254740992 bytes for a f64 tensor of shape %[1125899906842624%]", err)
    assert.has_error(function() T.zeros{-1} end, "bad argument #1 to 'zeros' (dimension 1 must be a non-negative integer, got -1)")
    assert.has_error(function() T.zeros{1, 2, 3, 4, 5, 6, 7, 8, 9} end, "bad argument #1 to 'zeros' (at most 8 dimensions, got 9)")
  end)

  it("rejects wrong types, dtypes and non-finite parameters", function()
    assert.has_error(function() T.zeros("x") end)
    assert.has_error(function() T.ones({2}, "f16") end, "bad argument #2 to 'ones' (dtype must be \"f32\" or \"f64\", got \"f16\")")
    assert.has_error(function() T.linspace(0, math.huge, 3) end, "bad argument #2 to 'linspace' (finite number expected, got inf)")
    assert.has_error(function() T.arange(0, 1, 0) end)
    assert.has_error(function() T.zeros{2}:narrow(1, 2, 5) end, "bad argument to 'narrow' (range [2, 6] out of [1, 2] in dim 1)")
    assert.has_error(function() T.zeros{2}.sum(5) end, "bad argument #1 to 'sum' (noiselab.Tensor expected, got number)")
    assert.has_error(function() T.zeros{2, 2}:t():view{4} end)
  end)
end)

describe("tensor printing", function()
  it("truncates large tensors with a shape/dtype footer", function()
    local s = tostring(T.zeros({60000, 784}, "f32"))
    assert.matches("%[f32 tensor 60000x784%]$", s)
    assert.is_true(#s < 2000)
    assert.matches("%.%.%.", s)
    assert.equal("[[1, 2],\n [3, 4]]\n[f64 tensor 2x2]", tostring(T.from{{1, 2}, {3, 4}}))
    assert.equal("[ 0.5000, -1.2500]\n[f64 tensor 2]", tostring(T.from{0.5, -1.25}))
  end)
end)
