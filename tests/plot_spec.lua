-- Specs for noiselab.plot: the CSV beside every figure holds exactly the plotted points,
-- histogram and survival values match hand-computed ones, the gnuplot script renders on its
-- own, and a missing gnuplot degrades to CSV + script with install instructions.
local nl = require "noiselab"
local H = require "tests.helpers"
local plot = require "noiselab.plot"
local experiment = require "noiselab.experiment"
local json = require "noiselab.json"

local tmpdir = H.tmpdir

local exists = H.exists

local size = H.size

local ls = H.listdir

-- rows of a plot CSV as {panel, series, name, x, y, yerr, xwidth}
local function read_csv(p)
  local rows = {}
  local f = assert(io.open(p))
  local header = f:read("l")
  assert.are.equal("panel,series,name,x,y,yerr,xwidth", header)
  for line in f:lines() do
    local fields = {}
    for v in (line .. ","):gmatch("([^,]*),") do fields[#fields + 1] = v end
    rows[#rows + 1] = {tonumber(fields[1]), tonumber(fields[2]), fields[3], tonumber(fields[4]),
      tonumber(fields[5]), tonumber(fields[6]), tonumber(fields[7])}
  end
  f:close()
  return rows
end

local function png_header_ok(p)
  local f = io.open(p, "rb")
  if not f then return false end
  local s = f:read(8)
  f:close()
  return s == "\137PNG\r\n\26\n"
end

describe("plot", function()
  local dir
  before_each(function()
    dir = tmpdir()
    plot.set_program(nil)
  end)
  after_each(function()
    plot.set_program(nil)
    H.rmtree(dir)
  end)

  it("line: writes csv + gp (+ png/svg) with every point of every series", function()
    local r = plot.line{file = dir .. "/fig.png", title = "t", xlabel = "x", ylabel = "y", quiet = true,
      series = {{name = "a", x = {1, 2, 3}, y = {1, 4, 9}, yerr = {0.1, 0.2, 0.3}},
                {name = "b", x = {1, 2}, y = {2, 3}, style = "points", color = "#ff0000"}},
      hlines = {{y = 2, name = "two"}}}
    assert.are.equal(dir .. "/fig.csv", r.csv)
    assert.are.equal(dir .. "/fig.gp", r.gp)
    local rows = read_csv(r.csv)
    assert.are.same({1, 1, "a", 1, 1, 0.1}, {rows[1][1], rows[1][2], rows[1][3], rows[1][4], rows[1][5], rows[1][6]})
    assert.are.same({1, 1, "a", 3, 9, 0.3}, {rows[3][1], rows[3][2], rows[3][3], rows[3][4], rows[3][5], rows[3][6]})
    assert.are.same({1, 2, "b", 2, 3}, {rows[5][1], rows[5][2], rows[5][3], rows[5][4], rows[5][5]})
    assert.are.equal(5, #rows)
    local gp = io.open(r.gp):read("a")
    assert.is_truthy(gp:find("yerrorlines", 1, true))
    assert.is_truthy(gp:find("#ff0000", 1, true))
    assert.is_truthy(gp:find("title 'two'", 1, true))
    if not plot.available() then
      pending("gnuplot is not installed (apt-get install gnuplot-nox): PNG/SVG not checked")
      return
    end
    assert.is_true(r.ok, r.message)
    assert.is_true(png_header_ok(dir .. "/fig.png"))
    assert.is_truthy(io.open(dir .. "/fig.svg"):read("a"):find("<svg", 1, true))
    -- no temporary files are left behind
    assert.are.same({"fig.csv", "fig.gp", "fig.png", "fig.svg"}, ls(dir))
  end)

  it("the script renders again on its own (restyle without rerunning)", function()
    if not plot.available() then
      pending("gnuplot is not installed (apt-get install gnuplot-nox)")
      return
    end
    plot.scatter{file = dir .. "/s", x = {1, 2, 3}, y = {3, 2, 1}, quiet = true}
    os.remove(dir .. "/s.png")
    local ok = os.execute("cd '" .. dir .. "' && gnuplot s.gp 2>/dev/null")
    assert.is_true(ok == true or ok == 0)
    assert.is_true(png_header_ok(dir .. "/s.png"))
  end)

  it("histogram: bin counts and densities", function()
    local data = {0.5, 1.5, 1.5, 2.5, 2.9, 3.0, 7.0}
    local r = plot.histogram{file = dir .. "/h", quiet = true,
      series = {{name = "c", data = data, range = {0, 3}, bins = 3, density = false},
                {name = "d", data = data, range = {0, 3}, bins = 3}}}
    local rows = read_csv(r.csv)
    assert.are.equal(6, #rows)
    -- counts: [0,1) 1, [1,2) 2, [2,3] 3 (3.0 is in the last, closed bin; 7 is outside)
    assert.are.same({0.5, 1, 1}, {rows[1][4], rows[1][5], rows[1][7]})
    assert.are.equal(2, rows[2][5])
    assert.are.equal(3, rows[3][5])
    -- densities divide by all finite samples (7) times the bin width (1)
    assert.are.equal(1 / 7, rows[4][5])
    assert.are.equal(3 / 7, rows[6][5])
  end)

  it("tail: empirical survival P(|X| > x) on log-log axes", function()
    local data = {}
    for i = 1, 10 do data[i] = (i % 2 == 0) and -i or i end
    data[11] = 0 -- a zero has no place on a log axis and is dropped
    local r = plot.tail{file = dir .. "/t", data = data, quiet = true, reference_alpha = 1}
    local rows = read_csv(r.csv)
    local s1 = {}
    for _, row in ipairs(rows) do if row[2] == 1 then s1[#s1 + 1] = row end end
    assert.are.equal(10, #s1)
    -- the i-th largest |x| has empirical survival i/n, with n = 11 samples
    assert.are.equal(10, s1[1][4])
    assert.are.equal(1 / 11, s1[1][5])
    assert.are.equal(1, s1[10][4])
    assert.are.equal(10 / 11, s1[10][5])
    -- the reference line has slope -1 on log-log axes
    local ref = {}
    for _, row in ipairs(rows) do if row[2] == 2 then ref[#ref + 1] = row end end
    assert.is_true(#ref >= 2)
    local slope = (math.log(ref[#ref][5]) - math.log(ref[1][5])) / (math.log(ref[#ref][4]) - math.log(ref[1][4]))
    assert.is_true(math.abs(slope + 1) < 1e-12)
    local gp = io.open(r.gp):read("a")
    assert.is_truthy(gp:find("set logscale x", 1, true))
    assert.is_truthy(gp:find("set logscale y", 1, true))
  end)

  it("tail: thins large samples to at most max_points log-spaced ranks", function()
    local data = {}
    for i = 1, 5000 do data[i] = i end
    local r = plot.tail{file = dir .. "/t2", data = data, max_points = 100, quiet = true}
    local rows = read_csv(r.csv)
    assert.is_true(#rows <= 101 and #rows >= 60, "rows " .. #rows)
    assert.are.equal(5000, rows[1][4]) -- the largest point is always kept
  end)

  it("drops non-finite points, and non-positive ones on log axes", function()
    local r = plot.line{file = dir .. "/l", logy = true, quiet = true,
      x = {1, 2, 3, 4, 5}, y = {1, 0, -1, 0 / 0, 2}}
    local rows = read_csv(r.csv)
    assert.are.equal(2, #rows)
    assert.are.equal(5, rows[2][4])
  end)

  it("panels: one figure, one CSV, panels told apart", function()
    local r = plot.panels{file = dir .. "/p", title = "two", quiet = true, panels = {
      {kind = "line", x = {1, 2}, y = {1, 2}, title = "a"},
      {kind = "histogram", data = {1, 2, 3}, bins = 2, title = "b"}}}
    local rows = read_csv(r.csv)
    assert.are.equal(4, #rows)
    assert.are.equal(2, rows[4][1])
    assert.is_truthy(io.open(r.gp):read("a"):find("multiplot layout 1,2", 1, true))
    if plot.available() then assert.is_true(r.ok, r.message) end
  end)

  it("without gnuplot writes csv + gp and says how to install it", function()
    plot.set_program(false)
    local r = plot.line{file = dir .. "/n", x = {1, 2}, y = {3, 4}, quiet = true}
    assert.is_false(r.ok)
    assert.is_truthy(r.message:find("apt-get install gnuplot-nox", 1, true))
    assert.is_truthy(r.message:find("gnuplot n.gp", 1, true))
    assert.are.same({"n.csv", "n.gp"}, ls(dir))
  end)

  it("reports a gnuplot failure instead of raising", function()
    plot.set_program("false") -- /bin/false: exits 1 without output
    local r = plot.line{file = dir .. "/f", x = {1, 2}, y = {3, 4}, quiet = true}
    assert.is_false(r.ok)
    assert.is_truthy(r.message:find("gnuplot failed", 1, true))
    assert.are.same({"f.csv", "f.gp"}, ls(dir))
  end)

  it("accepts tensors as data", function()
    if not (nl.tensor and nl.tensor.from) then
      pending("nl.tensor is not available in this build")
      return
    end
    local x = nl.tensor.from({1, 2, 3})
    local r = plot.line{file = dir .. "/tt", x = x, y = x * 2, quiet = true}
    local rows = read_csv(r.csv)
    assert.are.equal(3, #rows)
    assert.are.equal(6, rows[3][5])
  end)

  it("rejects malformed specs with clear messages", function()
    assert.has_error(function() plot.line{x = {1}, y = {1}} end,
      "nl.plot: file = 'path/name' (without extension) is required")
    assert.has_error(function() plot.line{file = dir .. "/e", x = {1, 2}, y = {1}} end,
      "nl.plot.line: series 1 has 2 x values and 1 y values")
    assert.has_error(function() plot.line{file = dir .. "/e"} end,
      "nl.plot.line: give series = {...}, or x/y, or data")
    assert.has_error(function() plot.line{file = dir .. "/e", x = {1}, y = {1}, yerr = {1, 2}} end,
      "nl.plot.line: series 1 has 1 y values and 2 yerr values")
    assert.has_error(function() plot.line{file = dir .. "/e", series = {{x = {1}, y = {1}, style = "bogus"}}} end)
    assert.has_error(function() plot.panels{file = dir .. "/e", panels = {{kind = "pie"}}} end,
      "nl.plot.panels: panel 1 has unknown kind 'pie'")
  end)

  it("exp:plot refuses to overwrite a results CSV of the same name, and vice versa", function()
    local e = experiment{name = "p", config = {}, quiet = true, argv = {"--out", dir, "--tag", "c"}}
    e:csv("var.csv", {"a"}, {{1}})
    assert.has_error(function() e:plot("line", {file = "var", x = {1}, y = {1}}) end,
      "p: 'var.csv' was already written as a results file; give the figure another name")
    assert.are.equal("a\n1\n", io.open(e:path("var.csv")):read("a"))
    e:plot("line", {file = "fig", x = {1}, y = {1}})
    e:plot("line", {file = "fig", x = {1}, y = {2}}) -- redrawing a figure is fine
    assert.has_error(function() e:csv("fig.csv", {"a"}, {{1}}) end,
      "p: 'fig.csv' was already written as part of a figure; give the file another name")
  end)

  it("exp:plot writes into the run folder and lists the files in run.json", function()
    local e = experiment{name = "p", config = {}, quiet = true, argv = {"--out", dir, "--tag", "r"}}
    local r = e:plot("line", {file = "fig", x = {1, 2}, y = {1, 2}})
    assert.are.equal(dir .. "/p/r/fig.csv", r.csv)
    local rec = json.decode(io.open(e:finish()):read("a"))
    local files = table.concat(rec.files, " ")
    assert.is_truthy(files:find("fig.csv", 1, true))
    assert.is_truthy(files:find("fig.gp", 1, true))
    if plot.available() then assert.is_truthy(files:find("fig.png", 1, true)) end
  end)
end)
