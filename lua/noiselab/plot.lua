-- noiselab.plot: figures through gnuplot, always with their data and script beside them.
--
--   nl.plot.line{file = "results/x/alpha", title = "tail index", xlabel = "width",
--     ylabel = "alpha", logx = true,
--     series = {{name = "train", x = widths, y = a_train, yerr = sd_train},
--               {name = "test", x = widths, y = a_test, style = "points"}},
--     hlines = {{y = 2, name = "Gaussian"}}}
--   -> writes alpha.csv, alpha.gp, and (when gnuplot runs) alpha.png and alpha.svg;
--      returns {csv=, gp=, png=, svg=, ok=true|false, message=}
--
-- Kinds: line, scatter (points), histogram (data -> bins computed here), tail (log-log
-- empirical survival P(|X| > x), with an optional reference slope -alpha), and panels
-- (several of these in one figure, gnuplot multiplot).  Every kind accepts: file (path
-- without extension; a trailing .png/.svg is dropped), title, xlabel, ylabel, logx, logy,
-- xrange/yrange ({lo, hi}, either may be nil), key (gnuplot key position, e.g. "top left",
-- or false to hide it), size ({w, h} pixels, default {720, 480}), formats ({"png", "svg"}),
-- hlines ({{y=, name=}}), fns ({{expr = "x**-1.5", name =}}: gnuplot expressions).
-- Series fields: name, x, y (lists or 1-d tensors), yerr, style ("lines", "points",
-- "linespoints", "errorbars", "errorlines", "boxes", "steps"; default from the kind and
-- whether yerr is given), color ("#rrggbb" or a gnuplot colour name), dash (integer), width.
--
-- Files.  The CSV is long format, one row per point: panel,series,name,x,y,yerr,xwidth (the
-- gnuplot script selects each series by its panel and series numbers, so the CSV stays plain
-- and readable by pandas/R).  Non-finite points, and non-positive ones on a log axis, are left
-- out of the CSV (they cannot be drawn).  The .gp script is self-contained: run
-- `cd <dir> && gnuplot <name>.gp` after editing it to restyle without rerunning the experiment.
-- It picks pngcairo when the gnuplot build has it, else the libgd png terminal.  All files are
-- written atomically (gnuplot renders to a temporary name that is renamed on success).
-- gnuplot missing (or NOISELAB_GNUPLOT=none): CSV + script are written, a one-time message
-- says how to install gnuplot and rerun the script, and the result has ok = false.
-- NOISELAB_GNUPLOT=/path/to/gnuplot selects the program.
local experiment = require "noiselab.experiment"

local plot = {}

local atomic_write = experiment.atomic_write
local shell_quote = experiment.shell_quote

---------------------------------------------------------------------------------------------
-- data helpers

-- A Lua array of numbers from a list or a tensor-like userdata (totable / numel+get).
local function to_list(v, what)
  if v == nil then return nil end
  local tv = type(v)
  if tv == "table" then return v end
  if tv == "userdata" or (tv == "table" and getmetatable(v)) then
    local ok, t = pcall(function() return v:totable() end)
    if ok and type(t) == "table" then
      -- flatten one level of nesting (an N×1 tensor)
      if type(t[1]) == "table" then
        local flat = {}
        for i, row in ipairs(t) do flat[i] = row[1] end
        return flat
      end
      return t
    end
  end
  error(string.format("nl.plot: %s must be a list of numbers or a tensor, got %s", what, tv), 3)
end
plot.to_list = to_list

local function finite(x)
  return type(x) == "number" and x == x and x ~= math.huge and x ~= -math.huge
end

local function gp_string(s)
  -- gnuplot single-quoted string: no escapes except '' for '
  return "'" .. tostring(s):gsub("'", "''") .. "'"
end

local gnuplot_state -- nil: unknown; false: absent; string: program
local warned_missing = false

local function find_gnuplot()
  if gnuplot_state ~= nil then return gnuplot_state end
  local env = os.getenv("NOISELAB_GNUPLOT")
  if env == "none" or env == "" then
    gnuplot_state = false
  elseif env then
    gnuplot_state = env
  else
    local ok = os.execute("command -v gnuplot >/dev/null 2>&1")
    gnuplot_state = (ok == true or ok == 0) and "gnuplot" or false
  end
  return gnuplot_state
end

-- Whether gnuplot will be run (for tests and scripts that want to say so).
function plot.available()
  return find_gnuplot() ~= false
end

-- plot.set_program(path) uses that gnuplot; set_program(false) behaves as if gnuplot were
-- absent (CSV + script only); set_program(nil) detects again (NOISELAB_GNUPLOT, then PATH).
function plot.set_program(p)
  if p ~= nil and p ~= false and type(p) ~= "string" then
    error("bad argument #1 to 'set_program' (string, false or nil expected, got " .. type(p) .. ")", 2)
  end
  gnuplot_state = p
  warned_missing = false
end

---------------------------------------------------------------------------------------------
-- kinds -> series with x, y (+ yerr, xwidth)

local function histogram_series(s, spec)
  local data = to_list(s.data, "histogram data")
  local vals = {}
  for _, v in ipairs(data) do if finite(v) then vals[#vals + 1] = v end end
  local n = #vals
  if n == 0 then return {name = s.name, x = {}, y = {}, style = "boxes"} end
  local range = s.range or spec.range
  local lo, hi = range and range[1], range and range[2]
  if not lo or not hi then
    local mn, mx = math.huge, -math.huge
    for _, v in ipairs(vals) do
      if v < mn then mn = v end
      if v > mx then mx = v end
    end
    lo, hi = lo or mn, hi or mx
  end
  if hi <= lo then hi = lo + 1 end
  local bins = s.bins or spec.bins or 50
  local w = (hi - lo) / bins
  local counts = {}
  for b = 1, bins do counts[b] = 0 end
  local inside = 0
  for _, v in ipairs(vals) do
    if v >= lo and v <= hi then
      local b = math.floor((v - lo) / w) + 1
      if b > bins then b = bins end
      counts[b] = counts[b] + 1
      inside = inside + 1
    end
  end
  local density = s.density
  if density == nil then density = spec.density end
  if density == nil then density = true end
  local x, y, xw = {}, {}, {}
  for b = 1, bins do
    x[b] = lo + (b - 0.5) * w
    -- density over all finite samples (so mass outside the range is not redistributed)
    y[b] = density and counts[b] / (n * w) or counts[b]
    xw[b] = w
  end
  return {name = s.name, x = x, y = y, xwidth = xw, style = s.style or "boxes", color = s.color}
end

-- Empirical survival function of |X| (or X for side = "right", -X for "left") at log-spaced
-- ranks: at most max_points points per series.
local function tail_series(s, spec)
  local side = s.side or spec.side or "abs"
  local data = s.data
  local sorted
  if type(data) == "userdata" then
    -- let the tensor library sort when it can (1e6 samples sort in C)
    local ok, t = pcall(function()
      local v = data
      if side == "abs" then v = v:abs() elseif side == "left" then v = -v end
      local r = v:sort()
      return r
    end)
    if ok and t then data = t else data = to_list(data, "tail data") end
  end
  local list = to_list(data, "tail data")
  local vals = {}
  for _, v in ipairs(list) do
    if finite(v) then
      if side == "abs" then v = math.abs(v) elseif side == "left" then v = -v end
      if v > 0 then vals[#vals + 1] = v end
    end
  end
  table.sort(vals)
  sorted = vals
  local n = #sorted
  local total = #list
  local x, y = {}, {}
  local maxp = s.max_points or spec.max_points or 400
  -- ranks from the top: r = 1 (largest) .. n, kept at geometric spacing
  local r, last = 1, 0
  local ratio = n > maxp and math.exp(math.log(n) / maxp) or 1
  while r <= n do
    local ir = math.floor(r + 0.5)
    if ir > last then
      last = ir
      x[#x + 1] = sorted[n - ir + 1]
      y[#y + 1] = ir / total
    end
    r = ratio > 1 and math.max(r * ratio, r + 1) or r + 1
  end
  return {name = s.name, x = x, y = y, style = s.style or "points", color = s.color}
end

local function normalise_panel(kind, spec, pindex)
  local series = {}
  local raw = spec.series
  if raw == nil then
    if spec.data ~= nil then
      raw = {{name = spec.name, data = spec.data}}
    elseif spec.x ~= nil then
      raw = {{name = spec.name, x = spec.x, y = spec.y, yerr = spec.yerr}}
    else
      error("nl.plot." .. kind .. ": give series = {...}, or x/y, or data", 3)
    end
  end
  local logx, logy = spec.logx, spec.logy
  if kind == "tail" then
    if logx == nil then logx = true end
    if logy == nil then logy = true end
  end
  for si, s in ipairs(raw) do
    local ser
    if kind == "histogram" and s.data ~= nil then
      ser = histogram_series(s, spec)
    elseif kind == "tail" and s.data ~= nil then
      ser = tail_series(s, spec)
    else
      local x = to_list(s.x, "series " .. si .. " x")
      local y = to_list(s.y, "series " .. si .. " y")
      if x == nil or y == nil then
        error(string.format("nl.plot.%s: series %d needs x and y%s", kind, si,
          (kind == "histogram" or kind == "tail") and " (or data)" or ""), 3)
      end
      if #x ~= #y then
        error(string.format("nl.plot.%s: series %d has %d x values and %d y values", kind, si, #x, #y), 3)
      end
      local yerr = to_list(s.yerr, "series " .. si .. " yerr")
      if yerr and #yerr ~= #y then
        error(string.format("nl.plot.%s: series %d has %d y values and %d yerr values", kind, si, #y, #yerr), 3)
      end
      local style = s.style
      if not style then
        if yerr then style = kind == "scatter" and "errorbars" or "errorlines"
        elseif kind == "scatter" then style = "points"
        else style = "lines" end
      end
      ser = {name = s.name, x = x, y = y, yerr = yerr, style = style, color = s.color,
             dash = s.dash, width = s.width, xwidth = s.xwidth and to_list(s.xwidth, "xwidth")}
    end
    ser.name = ser.name or s.name or ("series " .. si)
    ser.color = ser.color or s.color
    ser.dash, ser.width = ser.dash or s.dash, ser.width or s.width
    series[si] = ser
  end
  -- tail reference slope(s): P(|X| > x) ~ c x^-alpha through the median plotted point
  local refs = spec.reference_alpha
  if refs ~= nil and kind == "tail" then
    if type(refs) == "number" then refs = {refs} end
    local first = series[1]
    if first and #first.x > 0 then
      local mid = math.max(1, #first.x // 4)
      local x0, y0 = first.x[mid], first.y[mid]
      local xs, ys = {}, {}
      local xmin, xmax = math.huge, -math.huge
      for _, v in ipairs(first.x) do
        if v < xmin then xmin = v end
        if v > xmax then xmax = v end
      end
      for ri, a in ipairs(refs) do
        xs, ys = {}, {}
        for k = 0, 20 do
          local xv = xmin * (xmax / xmin) ^ (k / 20)
          xs[#xs + 1] = xv
          ys[#ys + 1] = y0 * (xv / x0) ^ (-a)
        end
        series[#series + 1] = {name = string.format("slope -%.3g", a), x = xs, y = ys,
          style = "lines", dash = 2 + ri - 1}
      end
    end
  end
  return {
    index = pindex, kind = kind, series = series, title = spec.title, xlabel = spec.xlabel,
    ylabel = spec.ylabel, logx = logx, logy = logy, xrange = spec.xrange, yrange = spec.yrange,
    key = spec.key, hlines = spec.hlines, fns = spec.fns,
  }
end

---------------------------------------------------------------------------------------------
-- CSV + gnuplot script

local function panel_rows(panel, rows)
  for si, s in ipairs(panel.series) do
    local kept = 0
    for i = 1, #s.x do
      local x, y = s.x[i], s.y[i]
      local e = s.yerr and s.yerr[i]
      local ok = finite(x) and finite(y) and (e == nil or finite(e))
      if ok and panel.logx and x <= 0 then ok = false end
      if ok and panel.logy and y <= 0 then ok = false end
      if ok then
        rows[#rows + 1] = {panel.index, si, s.name, x, y, e, s.xwidth and s.xwidth[i]}
        kept = kept + 1
      end
    end
    s.kept = kept
  end
end

local style_cmd = {
  lines = "with lines lw %s",
  points = "with points pt 7 ps 0.7",
  linespoints = "with linespoints lw %s pt 7 ps 0.7",
  errorbars = "with yerrorbars pt 7 ps 0.7",
  errorlines = "with yerrorlines lw %s pt 7 ps 0.7",
  boxes = "with boxes fs solid 0.35 border",
  steps = "with histeps lw %s",
}

local function range_str(r)
  if not r then return nil end
  local function f(v) return v == nil and "*" or string.format("%.17g", v) end
  return "[" .. f(r[1]) .. ":" .. f(r[2]) .. "]"
end

local function panel_script(panel, csvname, lines)
  local L = function(s) lines[#lines + 1] = s end
  L("unset logscale")
  L("set autoscale")
  L(panel.title and ("set title " .. gp_string(panel.title)) or "unset title")
  L("set xlabel " .. gp_string(panel.xlabel or ""))
  L("set ylabel " .. gp_string(panel.ylabel or ""))
  if panel.logx then L("set logscale x") end
  if panel.logy then L("set logscale y") end
  -- %g: 1e-05 rather than gnuplot's default 0.000010 on log axes
  L("set format x '%g'")
  L("set format y '%g'")
  L("set xrange " .. (range_str(panel.xrange) or "[*:*]"))
  L("set yrange " .. (range_str(panel.yrange) or "[*:*]"))
  if panel.key == false then
    L("unset key")
  else
    L("set key " .. (panel.key or "default") .. " noenhanced")
  end
  local items = {}
  for si, s in ipairs(panel.series) do
    if s.kept and s.kept > 0 then
      local sel = string.format("($1==%d && $2==%d ? %%s : NaN)", panel.index, si)
      local using
      local st = s.style
      if not style_cmd[st] then
        error(string.format("nl.plot: unknown style '%s' (lines, points, linespoints, errorbars, errorlines, boxes, steps)", tostring(st)), 0)
      end
      -- both x and y are filtered: otherwise other series' x values widen the autoscale
      local xy = sel:format("$4") .. ":" .. sel:format("$5")
      if (st == "errorbars" or st == "errorlines") and s.yerr then
        using = xy .. ":6"
      elseif (st == "errorbars" or st == "errorlines") then
        st = st == "errorbars" and "points" or "linespoints"
        using = xy
      elseif st == "boxes" and s.xwidth then
        using = xy .. ":7"
      else
        using = xy
      end
      local cmd = string.format(style_cmd[st], tostring(s.width or 2))
      if s.color then cmd = cmd .. " lc rgb " .. gp_string(s.color) end
      if s.dash then cmd = cmd .. " dt " .. tostring(s.dash) end
      items[#items + 1] = string.format("datafile using %s %s title %s", using, cmd, gp_string(s.name))
    end
  end
  for _, h in ipairs(panel.hlines or {}) do
    items[#items + 1] = string.format("%.17g with lines lw 1.5 dt 2 lc rgb %s title %s", h.y,
      gp_string(h.color or "gray40"), gp_string(h.name or ""))
  end
  for _, f in ipairs(panel.fns or {}) do
    items[#items + 1] = string.format("%s with lines lw 1.5 dt %d title %s", f.expr,
      f.dash or 3, gp_string(f.name or f.expr))
  end
  if #items == 0 then
    -- nothing drawable: an empty frame with a note, so multiplot layouts keep their shape
    L("set label 1 'no data' at graph 0.5, graph 0.5 center")
    L("plot [0:1] [0:1] NaN notitle")
    L("unset label 1")
  else
    L("plot " .. table.concat(items, ", \\\n     "))
  end
end

local function script_text(fig, csvname, base)
  local lines = {}
  local L = function(s) lines[#lines + 1] = s end
  local w, h = fig.size[1], fig.size[2]
  L("# gnuplot script written by noiselab.plot; edit and rerun to restyle:")
  L("#   cd <this directory> && gnuplot " .. base .. ".gp")
  L("# Data: " .. csvname .. " (columns panel,series,name,x,y,yerr,xwidth).")
  L("if (!exists('outbase')) outbase = " .. gp_string(base))
  L("datafile = " .. gp_string(csvname))
  L("set datafile separator comma")
  L("set datafile missing ''")
  L("set grid lc rgb 'gray85'")
  L("set border lw 1")
  L("set style fill solid 0.35 border")
  L("set termoption noenhanced")
  local layout = ""
  if #fig.panels > 1 then
    layout = string.format("set multiplot layout %d,%d%s", fig.rows, fig.cols,
      fig.title and (" title " .. gp_string(fig.title)) or "")
  end
  for _, fmt in ipairs(fig.formats) do
    if fmt == "png" then
      L("if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {")
      L(string.format("  set terminal pngcairo size %d,%d font ',10' noenhanced", w, h))
      L("} else {")
      L(string.format("  set terminal png size %d,%d noenhanced", w, h))
      L("}")
      L("set output outbase.'.png'")
    elseif fmt == "svg" then
      L(string.format("set terminal svg size %d,%d font 'sans,10' noenhanced background '#ffffff'", w, h))
      L("set output outbase.'.svg'")
    else
      error("nl.plot: unknown format '" .. tostring(fmt) .. "' (png, svg)", 0)
    end
    if layout ~= "" then L(layout) end
    for _, p in ipairs(fig.panels) do panel_script(p, csvname, lines) end
    if layout ~= "" then L("unset multiplot") end
    L("set output")
  end
  return table.concat(lines, "\n") .. "\n"
end

local function split_base(file)
  if type(file) ~= "string" or file == "" then
    error("nl.plot: file = 'path/name' (without extension) is required", 3)
  end
  file = file:gsub("%.png$", ""):gsub("%.svg$", ""):gsub("%.gp$", ""):gsub("%.csv$", "")
  local dir, base = file:match("^(.*)/([^/]+)$")
  if not dir then dir, base = ".", file end
  if dir == "" then dir = "/" end
  return dir, base
end

-- Render fig (normalised) into files; returns the result table.
local function render(fig, file)
  local dir, base = split_base(file)
  local csvname, gpname = base .. ".csv", base .. ".gp"
  local rows = {}
  for _, p in ipairs(fig.panels) do panel_rows(p, rows) end
  local csv = experiment.csv_text({"panel", "series", "name", "x", "y", "yerr", "xwidth"}, rows)
  atomic_write(dir .. "/" .. csvname, csv)
  local gp = script_text(fig, csvname, base)
  atomic_write(dir .. "/" .. gpname, gp)
  local res = {csv = dir .. "/" .. csvname, gp = dir .. "/" .. gpname, ok = false, dir = dir, base = base}
  local prog = find_gnuplot()
  if not prog then
    res.message = string.format("gnuplot not found: wrote %s and %s; install it (Debian/Ubuntu: " ..
      "apt-get install gnuplot-nox) and run: cd %s && gnuplot %s", csvname, gpname, dir, gpname)
    if not warned_missing and not fig.quiet then
      io.stderr:write("nl.plot: ", res.message, "\n")
      warned_missing = true
    end
    return res
  end
  -- render to temporary names, then rename: a killed gnuplot leaves no half-written PNG
  local tmpbase = base .. ".tmp" .. tostring(math.random(1, 1e9))
  local cmd = string.format("cd %s && %s -e %s %s 2>&1", shell_quote(dir), shell_quote(prog),
    shell_quote("outbase='" .. tmpbase .. "'"), shell_quote(gpname))
  local f = io.popen(cmd)
  local out = f and f:read("a") or ""
  local ok = f and f:close()
  local produced = {}
  for _, fmt in ipairs(fig.formats) do
    local tmp = dir .. "/" .. tmpbase .. "." .. fmt
    local fh = io.open(tmp, "rb")
    local size = fh and fh:seek("end") or 0
    if fh then fh:close() end
    if ok and size > 0 then
      os.rename(tmp, dir .. "/" .. base .. "." .. fmt)
      res[fmt] = dir .. "/" .. base .. "." .. fmt
      produced[#produced + 1] = fmt
    else
      os.remove(tmp)
    end
  end
  res.ok = ok and #produced == #fig.formats or false
  res.output = out
  if not res.ok then
    res.message = "gnuplot failed on " .. dir .. "/" .. gpname .. ": " .. out
    if not fig.quiet then io.stderr:write("nl.plot: ", res.message, "\n") end
  end
  return res
end

local function figure(kind, spec)
  if type(spec) ~= "table" then
    error("bad argument #1 to '" .. kind .. "' (table expected, got " .. type(spec) .. ")", 3)
  end
  local fig = {
    size = spec.size or {720, 480}, formats = spec.formats or {"png", "svg"},
    title = spec.title, quiet = spec.quiet,
  }
  if kind == "panels" then
    local panels = spec.panels
    if type(panels) ~= "table" or #panels == 0 then
      error("nl.plot.panels: panels = {{kind = 'line', ...}, ...} is required", 3)
    end
    fig.cols = spec.cols or math.min(#panels, 2)
    fig.rows = math.ceil(#panels / fig.cols)
    fig.panels = {}
    for i, p in ipairs(panels) do
      local k = p.kind or "line"
      if k ~= "line" and k ~= "scatter" and k ~= "histogram" and k ~= "tail" then
        error(string.format("nl.plot.panels: panel %d has unknown kind '%s'", i, tostring(k)), 3)
      end
      fig.panels[i] = normalise_panel(k, p, i)
    end
    if not spec.size then fig.size = {480 * fig.cols, 360 * fig.rows} end
  else
    fig.panels = {normalise_panel(kind, spec, 1)}
    fig.title = nil
  end
  return render(fig, spec.file)
end

function plot.line(spec) return figure("line", spec) end
function plot.scatter(spec) return figure("scatter", spec) end
function plot.histogram(spec) return figure("histogram", spec) end
function plot.tail(spec) return figure("tail", spec) end
function plot.panels(spec) return figure("panels", spec) end
-- errorbars: a line plot whose series carry yerr (drawn as error bars with points)
function plot.errorbars(spec)
  for _, s in ipairs(spec.series or {}) do s.style = s.style or "errorbars" end
  return figure("line", spec)
end

return plot
