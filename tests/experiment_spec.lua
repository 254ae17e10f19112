-- Specs for noiselab.experiment (command line, run folders, atomic writes, run.json) and
-- noiselab.json / noiselab.progress.  Reference JSON texts are the examples of RFC 8259 §13
-- (an independent source), not output of our own encoder.
local nl = require "noiselab"
local H = require "tests.helpers"
local experiment = require "noiselab.experiment"
local json = require "noiselab.json"
local progress = require "noiselab.progress"

local tmpdir = H.tmpdir

local ls = H.listdir

local slurp = H.slurp

-- a stream that collects what is written
local function sink()
  local buf = {}
  return {write = function(self, ...) for _, s in ipairs{...} do buf[#buf + 1] = s end return self end,
          flush = function() end, text = function() return table.concat(buf) end}
end

local config = {lr = 0.1, steps = 100, widths = {16, 64}, plot = true, method = "hill",
                betas = {0.5, 1.5}, names = {"a", "b"}}
local presets = {quick = {steps = 10, widths = {16}}, smoke = {steps = 2}}

describe("experiment.parse", function()
  it("keeps defaults without arguments and copies lists", function()
    local c, o = experiment.parse(config, {}, presets)
    assert.are.equal(0.1, c.lr)
    assert.are.equal(100, c.steps)
    assert.are.same({16, 64}, c.widths)
    assert.are_not.equal(config.widths, c.widths)
    assert.are.equal(1, o.seed)
  end)

  it("converts values to the type of the default", function()
    local c = experiment.parse(config, {"--lr", "2", "--steps", "1e3", "--method", "pickands",
      "--widths", "4, 8,1024", "--betas", "1,2.5", "--names", "x,y z"}, presets)
    assert.are.equal("float", math.type(c.lr))
    assert.are.equal(2.0, c.lr)
    assert.are.equal("integer", math.type(c.steps))
    assert.are.equal(1000, c.steps)
    assert.are.equal("pickands", c.method)
    assert.are.same({4, 8, 1024}, c.widths)
    assert.are.equal("integer", math.type(c.widths[3]))
    assert.are.same({1.0, 2.5}, c.betas)
    assert.are.equal("float", math.type(c.betas[1]))
    assert.are.same({"x", "y z"}, c.names)
  end)

  it("accepts --key=value, negative numbers and boolean spellings", function()
    local c = experiment.parse(config, {"--lr=-0.5", "--no-plot"}, presets)
    assert.are.equal(-0.5, c.lr)
    assert.is_false(c.plot)
    c = experiment.parse(config, {"--lr", "-3"}, presets)
    assert.are.equal(-3.0, c.lr)
    for word, v in pairs{["true"] = true, ["false"] = false, yes = true, no = false, ["0"] = false} do
      assert.are.equal(v, (experiment.parse(config, {"--plot=" .. word}, presets)).plot)
      assert.are.equal(v, (experiment.parse(config, {"--plot", word}, presets)).plot)
    end
    assert.is_true((experiment.parse(config, {"--no-plot", "--plot"}, presets)).plot)
  end)

  it("applies presets, and explicit options win whatever their order", function()
    local c, o = experiment.parse(config, {"--steps", "7", "--quick"}, presets)
    assert.are.equal(7, c.steps)
    assert.are.same({16}, c.widths)
    assert.are.same({"quick"}, o.presets)
    c = experiment.parse(config, {"--quick", "--smoke"}, presets)
    assert.are.equal(2, c.steps) -- later preset wins over the earlier one
    c, o = experiment.parse(config, {"--quick=false"}, presets)
    assert.are.equal(100, c.steps)
    assert.are.same({}, o.presets)
  end)

  it("reads --seed, --out and --tag", function()
    local _, o = experiment.parse(config, {"--seed", "42", "--out", "/tmp/x", "--tag", "run1"}, presets)
    assert.are.equal(42, o.seed)
    assert.are.equal("/tmp/x", o.out)
    assert.are.equal("run1", o.tag)
    -- a config that has its own seed key uses it as the default
    local _, o2 = experiment.parse({seed = 9}, {}, {})
    assert.are.equal(9, o2.seed)
    local _, o3 = experiment.parse({seed = 9}, {"--seed", "3"}, {})
    assert.are.equal(3, o3.seed)
  end)

  it("rejects bad values with messages naming the key, the type and the value", function()
    local cases = {
      {{"--lr", "fast"}, "--lr expects a number, got 'fast'"},
      {{"--steps", "1.5"}, "--steps expects an integer, got '1.5'"},
      {{"--steps", "nan"}, "--steps expects an integer, got 'nan'"},
      {{"--widths", "16,x"}, "--widths expects a comma-separated list of integers, element 2 is 'x'"},
      {{"--widths", "16,,32"}, "--widths: empty element 2"},
      {{"--plot=maybe"}, "--plot expects true or false, got 'maybe'"},
      {{"--lr"}, "--lr needs a value"},
      {{"--lr", "--steps", "3"}, "--lr needs a value, got option '--steps'"},
      {{"--widht", "3"}, "unknown option --widht; did you mean --width"},
      {{"--zzzzzzzz", "3"}, "unknown option --zzzzzzzz (see --help)"},
      {{"steps"}, "unexpected argument 'steps'"},
      {{"--no-lr"}, "unknown option --no-lr"},
      {{"--seed", "1.5"}, "--seed expects an integer, got '1.5'"},
      {{"--tag", "a/b"}, "--tag must be a plain directory name"},
    }
    for _, case in ipairs(cases) do
      assert.has_error(function() experiment.parse(config, case[1], presets) end)
      local ok, msg = pcall(experiment.parse, config, case[1], presets)
      assert.is_false(ok)
      assert.is_truthy(msg:find(case[2], 1, true), "message for " .. table.concat(case[1], " ") .. ": " .. msg)
    end
  end)
end)

describe("experiment.new", function()
  local root
  before_each(function() root = tmpdir() end)
  after_each(function() H.rmtree(root) end)

  it("prints --help with every key, type and default, then exits 0", function()
    local out = sink()
    local code
    local e = experiment{name = "demo", config = config, presets = presets,
      doc = {lr = "learning rate"}, argv = {"--help"}, stdout = out,
      exit = function(c) code = c end}
    assert.is_nil(e)
    assert.are.equal(0, code)
    local text = out.text()
    for _, frag in ipairs{"--lr", "number", "0.1", "learning rate", "--steps", "integer", "100",
        "--widths", "list of integers", "16,64", "--plot", "boolean", "--quick", "steps=10",
        "--seed", "--out", "--tag"} do
      assert.is_truthy(text:find(frag, 1, true), "help lacks " .. frag)
    end
  end)

  it("validates its arguments", function()
    assert.has_error(function() experiment(nil) end, "bad argument #1 to 'experiment' (table expected, got nil)")
    assert.has_error(function() experiment{name = "a b", config = {}} end)
    assert.has_error(function() experiment{config = {}} end)
  end)

  it("creates <out>/<name>/<tag>/ and seeds nl and math.random", function()
    local e = experiment{name = "demo", config = config, quiet = true,
      argv = {"--out", root, "--tag", "t1", "--seed", "17"}}
    assert.are.equal(root .. "/demo/t1", e.dir)
    assert.are.same({"t1"}, ls(root .. "/demo"))
    assert.are.equal(17, e.seed)
    local a = math.random()
    math.randomseed(17)
    assert.are.equal(math.random(), a)
    if nl.rng and nl.tensor then
      local x = nl.tensor.randn{4}:totable()
      experiment{name = "demo", config = config, quiet = true, argv = {"--out", root, "--tag", "t2", "--seed", "17"}}
      local y = nl.tensor.randn{4}:totable()
      assert.are.same(x, y)
    end
  end)

  it("names the folder by UTC timestamp and never reuses one", function()
    local e1 = experiment{name = "demo", config = {}, quiet = true, argv = {"--out", root}}
    local e2 = experiment{name = "demo", config = {}, quiet = true, argv = {"--out", root}}
    assert.are_not.equal(e1.dir, e2.dir)
    assert.is_truthy(e1.tag:match("^%d%d%d%d%d%d%d%d%-%d%d%d%d%d%d"))
    assert.are.equal(2, #ls(root .. "/demo"))
  end)

  it("writes CSV exactly (RFC 4180 quoting, numbers that read back)", function()
    local e = experiment{name = "demo", config = {}, quiet = true, argv = {"--out", root, "--tag", "c"}}
    local p = e:csv("t.csv", {"i", "x", "s", "b"}, {
      {1, 0.1, "plain", true}, {2, 1 / 3, 'has,comma "q"', false}, {i = 3, x = 1e-300, s = "k"},
    })
    assert.are.equal(root .. "/demo/c/t.csv", p)
    assert.are.equal('i,x,s,b\n1,0.1,plain,true\n2,0.33333333333333331,"has,comma ""q""",false\n3,1e-300,k,\n',
      slurp(p))
    assert.are.equal(1 / 3, tonumber("0.33333333333333331"))
    assert.has_error(function() e:csv("u.csv", {}, {}) end)
    assert.has_error(function() e:csv("u.csv", {"a"}, {{1, 2}}) end, "csv: row 1 has 2 fields, header has 1")
  end)

  it("writes atomically: no temporary files, and a failed write keeps the old file", function()
    local e = experiment{name = "demo", config = {}, quiet = true, argv = {"--out", root, "--tag", "a"}}
    e:write("f.txt", "old\n")
    assert.has_error(function()
      e:write("f.txt", function(f) f:write("half") error("disk full") end)
    end)
    assert.are.equal("old\n", slurp(e:path("f.txt")))
    e:csv("g.csv", {"a"}, {{1}})
    e:write_json("h.json", {a = 1})
    e:finish()
    assert.are.same({"f.txt", "g.csv", "h.json", "run.json"}, ls(e.dir))
  end)

  it("times phases and writes a run.json that parses back", function()
    local e = experiment{name = "demo", config = config, presets = presets, quiet = true,
      argv = {"--out", root, "--tag", "r", "--quick", "--lr", "0.2", "--seed", "5"}}
    assert.are.equal("quick", e.mode)
    assert.is_true(e:preset("quick"))
    local v = e:phase("work", function(a, b) local s = 0 for i = 1, 2e5 do s = s + i end return a + b, s end, 1, 2)
    assert.are.equal(3, v)
    e:phase("work", function() end)
    e:phase("other", function() end)
    e.results.alpha = 1.25
    local p = e:finish()
    local r = json.decode(slurp(p))
    assert.are.equal("demo", r.name)
    assert.are.equal("ok", r.status)
    assert.are.equal(5, r.seed)
    assert.are.equal(0.2, r.config.lr)
    assert.are.equal(10, r.config.steps)
    assert.are.same({16}, r.config.widths)
    assert.are.same({"quick"}, r.presets)
    assert.are.equal(nl.version or "unknown", r.noiselab_version)
    assert.are.equal(1.25, r.results.alpha)
    assert.is_truthy(r.start_time:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$"))
    assert.is_truthy(r.end_time:match("Z$"))
    assert.are.equal(2, #r.phases)
    assert.are.equal("work", r.phases[1].name)
    assert.are.equal(2, r.phases[1].calls)
    assert.is_true(r.phases[1].wall_seconds >= 0 and r.phases[1].cpu_seconds >= 0)
    assert.is_true(r.wall_seconds >= r.phases[1].wall_seconds)
    assert.are.same({"run.json"}, r.files)
    -- git: revision when run inside a repository with commits, otherwise absent
    if r.git then assert.is_truthy(r.git.revision:match("^%x+$")) end
  end)

  it("records a failing phase in run.json and re-raises", function()
    local e = experiment{name = "demo", config = {}, quiet = true, argv = {"--out", root, "--tag", "f"}}
    assert.has_error(function() e:phase("boom", function() error("exploded") end) end)
    local r = json.decode(slurp(e:path("run.json")))
    assert.are.equal("error", r.status)
    assert.is_truthy(r.error:find("in phase 'boom'", 1, true))
    assert.is_truthy(r.error:find("exploded", 1, true))
  end)
end)

describe("json", function()
  -- RFC 8259 §13, first example (abridged only in whitespace)
  local rfc1 = [[
    {
      "Image": {
          "Width":  800,
          "Height": 600,
          "Title":  "View from 15th Floor",
          "Thumbnail": {
              "Url":    "http://www.example.com/image/481989943",
              "Height": 125,
              "Width":  100
          },
          "Animated" : false,
          "IDs": [116, 943, 234, 38793]
        }
    } ]]
  -- RFC 8259 §13, second example
  local rfc2 = [[
    [
      {
         "precision": "zip",
         "Latitude":  37.7668,
         "Longitude": -122.3959,
         "Address":   "",
         "City":      "SAN FRANCISCO",
         "State":     "CA",
         "Zip":       "94107",
         "Country":   "US"
      },
      {
         "precision": "zip",
         "Latitude":  37.371991,
         "Longitude": -122.026020,
         "Address":   "",
         "City":      "SUNNYVALE",
         "State":     "CA",
         "Zip":       "94085",
         "Country":   "US"
      }
    ] ]]

  it("decodes the RFC 8259 examples", function()
    local a = json.decode(rfc1)
    assert.are.equal(800, a.Image.Width)
    assert.are.equal("integer", math.type(a.Image.Width))
    assert.are.equal("http://www.example.com/image/481989943", a.Image.Thumbnail.Url)
    assert.is_false(a.Image.Animated)
    assert.are.same({116, 943, 234, 38793}, a.Image.IDs)
    local b = json.decode(rfc2)
    assert.are.equal(2, #b)
    assert.are.equal(37.371991, b[2].Latitude)
    assert.are.equal(-122.02602, b[2].Longitude)
    assert.are.equal("", b[1].Address)
    -- the RFC's scalar texts
    assert.are.equal("Hello world!", json.decode('"Hello world!"'))
    assert.are.equal(42, json.decode("42"))
    assert.is_true(json.decode("true"))
  end)

  it("decodes escapes and surrogate pairs (RFC 8259 §7)", function()
    assert.are.equal('a"b\\c/d\be\ff\ng\rh\ti', json.decode([["a\"b\\c\/d\be\ff\ng\rh\ti"]]))
    assert.are.equal("\u{1D11E}", json.decode([["\ud834\udd1e"]]))  -- G clef, the RFC's example
    assert.are.equal("é", json.decode([["\u00e9"]]))
  end)

  it("round-trips what it encodes, keys sorted, floats exact", function()
    local v = {b = {1, 2.5, "x\n\"y\"\1"}, a = true, c = {d = 0.1, e = 1 / 3, f = -0.0, g = 3.0, h = 1e300},
               i = json.array{}, j = 2 ^ 53 + 1.0, k = math.maxinteger}
    for _, opts in ipairs{{}, {indent = 2}} do
      local s = json.encode(v, opts)
      local back = json.decode(s)
      assert.are.same(v.b, back.b)
      assert.are.equal(1 / 3, back.c.e)
      assert.are.equal("float", math.type(back.c.g))
      assert.are.equal(math.maxinteger, back.k)
      assert.are.equal(0, #back.i)
      assert.is_true(json.is_array(back.i))
    end
    assert.are.equal('{"a":1,"b":2,"c":[]}', json.encode({c = json.array{}, b = 2, a = 1}))
    assert.are.equal('"\\u0001\\n"', json.encode("\1\n"))
  end)

  it("writes non-finite numbers as null and counts them", function()
    local s, n = json.encode({1, 0 / 0, math.huge})
    assert.are.equal("[1,null,null]", s)
    assert.are.equal(2, n)
    local back = json.decode(s)
    assert.are.equal(json.null, back[2])
    assert.is_nil(json.decode("[null]", {drop_null = true})[1])
  end)

  it("rejects malformed text with the position", function()
    local bad = {
      {"01", "expected a number at byte 1"}, {"1.", "a number"}, {"-", "a number"},
      {"[1,]", "expected a JSON value at byte 4"}, {'{"a" 1}', "expected ':' at byte 6"},
      {'{"a":1 "b":2}', "expected ',' or '}' at byte 8"}, {"[1] x", "expected end of input"},
      {'"\\x"', "escape character"}, {'"abc', "closing"}, {"", "a JSON value"},
      {"{\n  1}", "(line 2, column 3)"}, {'"\\udd1e"', "high surrogate"},
    }
    for _, case in ipairs(bad) do
      local ok, msg = pcall(json.decode, case[1])
      assert.is_false(ok, case[1])
      assert.is_truthy(msg:find(case[2], 1, true), case[1] .. " -> " .. msg)
    end
  end)

  it("refuses tables that have no JSON meaning", function()
    assert.has_error(function() json.encode({1, 2, x = 3}) end, "json.encode: table at $ mixes integer and string keys")
    assert.has_error(function() json.encode({[1] = 1, [3] = 3}) end)
    local t = {}
    t.self = t
    assert.has_error(function() json.encode(t) end, "json.encode: cycle at $.self")
    assert.has_error(function() json.encode({f = print}) end, "json.encode: cannot encode a function at $.f")
  end)
end)

describe("progress", function()
  it("prints periodic lines with count, rate and ETA in lines mode", function()
    local out = sink()
    local p = progress(10, {mode = "lines", interval = 0, stream = out, label = "work"})
    for i = 1, 10 do p:update(i, {loss = 0.5}) end
    p:done()
    local text = out.text()
    assert.is_truthy(text:find("work", 1, true))
    assert.is_truthy(text:find("100%% 10/10"))
    assert.is_truthy(text:find("it/s", 1, true))
    assert.is_truthy(text:find("loss=0.5", 1, true))
    assert.is_nil(text:find("\r", 1, true))
    local last = text:match("([^\n]*)\n$")
    assert.is_nil(last:find("ETA", 1, true)) -- the final line reports elapsed, not ETA
  end)

  it("redraws one line with a bar in bar mode", function()
    local out = sink()
    local p = progress(4, {mode = "bar", stream = out, width = 8})
    p:step(2)
    p:step(2)
    p:done()
    local text = out.text()
    assert.is_truthy(text:find("\r", 1, true))
    assert.is_truthy(text:find("[########]", 1, true))
    assert.are.equal("\n", text:sub(-1))
  end)

  it("formats times and validates arguments", function()
    assert.are.equal("0:05", progress.format_time(5))
    assert.are.equal("2:03", progress.format_time(123))
    assert.are.equal("1:00:01", progress.format_time(3601))
    assert.are.equal("?", progress.format_time(math.huge))
    assert.has_error(function() progress(-1) end)
    assert.has_error(function() progress(3, {mode = "fancy"}) end)
    assert.is_truthy(({bar = 1, lines = 1, off = 1})[progress.mode()])
  end)

  it("prints nothing in off mode", function()
    local out = sink()
    local p = progress(3, {mode = "off", stream = out})
    p:step() p:done()
    assert.are.equal("", out.text())
  end)
end)
