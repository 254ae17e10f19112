-- Simsekli, Sagun & Gürbüzbalaban, "A Tail-Index Analysis of Stochastic Gradient Noise in Deep
-- Neural Networks", ICML 2019 (arXiv 1901.06053).
--
-- Claim: minibatch gradient noise U = g_B − g is heavy-tailed (α-stable with α well below 2),
-- so SGD is better modelled by an SDE driven by α-stable Lévy motion, whose exit time from a
-- basin is polynomial in the noise level and set by the basin's width, not its depth.
--
-- Three parts (--parts synthetic,nets,sde):
--   synthetic  the Mohammadi et al. (2015) estimator on SαS samples (K1 = 100, K2 = 1000);
--   nets       bias-free ReLU FCNs on Fashion-MNIST: α̂ of the gradient noise on the training
--              and test sets at checkpoints during SGD, for a grid of widths × depths, with the
--              zeros-dropped and per-layer variants and the zero fraction next to the faithful
--              estimate (authors' protocol: fixed partition into batches of 100, never
--              shuffled; full gradient = mean of the minibatch gradients; every scalar of the
--              P × M noise matrix pooled; evaluation mode; PyTorch's default initialisation);
--   sde        exit times of Brownian vs α-stable gradient flow from quadratic basins: two
--              wide ones of different depth and a narrow one (width vs depth).
--
--   noiselab examples/simsekli2019_tail_index.lua --quick      # ≈ 2–3 min on 2 cores
--   noiselab examples/simsekli2019_tail_index.lua              # the authors' grid, < 1 h
--   noiselab examples/simsekli2019_tail_index.lua --widths 64 --depths 3 --seeds 3
local nl = require "noiselab"

local exp = nl.experiment{
  name = "simsekli2019_tail_index",
  description = "tail index of SGD gradient noise (Simsekli et al. 2019)",
  argv = arg,
  config = {
    parts = {"synthetic", "nets", "sde"},
    -- synthetic SαS data
    synth_alphas = {0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 1.9, 2.0},
    synth_k1 = 100, synth_k2 = 1000, synth_reps = 5,
    -- networks (full mode = the authors' protocol on Fashion-MNIST)
    widths = {16, 64, 256, 1024}, depths = {2, 3, 4, 6},
    train_n = 60000, test_n = 10000, batch = 100,
    steps = 6000, lr = 0.1, milestones = {2000, 4000}, lr_factor = 0.5,
    checkpoints = {0, 1000, 3000, 6000},
    seeds = 1,
    std_max_entries = 20000000, per_layer_max_params = 500000,
    -- exit times: quadratic basins f = k x²/2 on (−r, r): wide shallow, wide deep, narrow shallow
    sde_alpha = 1.5, basin_r = {1.0, 1.0, 0.5}, basin_k = {1.0, 4.0, 4.0},
    levy_eps = {0.1, 0.2, 0.4}, brown_sigma = {0.5, 0.6, 0.8},
    sde_paths = 2000, sde_dt = 1e-3, sde_tmax = 400.0,
  },
  doc = {
    parts = "which parts to run",
    synth_k1 = "block size K1 of the estimator on synthetic data",
    synth_k2 = "number of blocks K2 (n = K1·K2 samples)",
    train_n = "training images (first n of the 60000)",
    milestones = "steps after which lr is multiplied by lr_factor",
    checkpoints = "steps at which α̂ is measured (0 = initialisation)",
    seeds = "repeat the net grid with seeds 1..seeds",
    std_max_entries = "per-coordinate standardised variant only when P·M ≤ this (needs the matrix)",
    per_layer_max_params = "per-layer α̂ only for nets with at most this many parameters (each " ..
      "variant costs a log per noise entry: the 1024-wide nets skip it to stay within the hour)",
    basin_r = "half-widths r of the basins (−r, r)",
    basin_k = "curvatures k of the basins (depth k r²/2)",
    levy_eps = "α-stable noise scales ε",
    brown_sigma = "Brownian noise scales σ",
    sde_tmax = "time horizon; paths that have not left are censored",
  },
  presets = {
    quick = {synth_reps = 3, widths = {16, 64, 256}, depths = {2, 3, 4}, train_n = 10000,
      test_n = 2000, steps = 900, milestones = {300, 600}, checkpoints = {0, 300, 900},
      sde_paths = 500, sde_dt = 2e-3},
    smoke = {synth_alphas = {1.0, 1.5, 1.9}, synth_reps = 1, widths = {16}, depths = {2, 3},
      train_n = 1000, test_n = 500, steps = 40, milestones = {20}, checkpoints = {0, 40},
      levy_eps = {0.2, 0.4}, brown_sigma = {0.6, 0.8}, sde_paths = 200, sde_dt = 4e-3,
      sde_tmax = 150.0},
  },
}
local cfg = exp.config
local T = nl.tensor

local function want(part)
  for _, p in ipairs(cfg.parts) do if p == part then return true end end
  return false
end

local function mean_sd(xs)
  local n, s, s2 = #xs, 0, 0
  for _, v in ipairs(xs) do s = s + v end
  local m = s / n
  for _, v in ipairs(xs) do s2 = s2 + (v - m) ^ 2 end
  return m, n > 1 and math.sqrt(s2 / (n - 1)) or 0
end

---------------------------------------------------------------------------------------------
-- 1. The estimator on synthetic SαS data
if want("synthetic") then
  exp:phase("synthetic", function()
    local n = cfg.synth_k1 * cfg.synth_k2
    local rows, xs, ys, es, hill = {}, {}, {}, {}, {}
    for _, a in ipairs(cfg.synth_alphas) do
      local est, h = {}, {}
      for r = 1, cfg.synth_reps do
        local x = nl.levy.stable{alpha = a, beta = 0}:sample(n)
        est[r] = nl.estim.tail_index(x, {method = "mohammadi", k1 = cfg.synth_k1})
        h[r] = nl.estim.tail_index(x, {method = "hill"})
      end
      local m, sd = mean_sd(est)
      local hm = mean_sd(h)
      rows[#rows + 1] = {a, m, sd, hm, cfg.synth_reps, n}
      xs[#xs + 1], ys[#ys + 1], es[#es + 1], hill[#hill + 1] = a, m, sd, hm
      if math.abs(a - 1.5) < 1e-12 then exp.results.synthetic_alpha_hat_1_5 = m end
      exp.results["synthetic_abs_err_max"] = math.max(exp.results.synthetic_abs_err_max or 0, math.abs(m - a))
    end
    exp:csv("synthetic.csv", {"alpha", "alpha_hat_mean", "alpha_hat_sd", "hill_mean", "reps", "n"}, rows)
    exp:plot("line", {file = "fig_synthetic", title = string.format(
      "Mohammadi estimator on SaS samples (K1=%d, K2=%d)", cfg.synth_k1, cfg.synth_k2),
      xlabel = "true alpha", ylabel = "estimated alpha", key = "top left",
      yrange = {0, 2.5},   -- Hill has no finite answer for Gaussian data (α = 2): off the top
      series = {{name = "Mohammadi (mean ± sd)", x = xs, y = ys, yerr = es},
                {name = "Hill (default k)", x = xs, y = hill, style = "linespoints"},
                {name = "truth", x = xs, y = xs, style = "lines", dash = 2}}})
  end)
end

---------------------------------------------------------------------------------------------
-- 2. Gradient noise of bias-free ReLU FCNs on Fashion-MNIST
local function fcn(width, depth, rng)
  -- Linear(in, w) → ReLU → (depth − 2) × [Linear(w, w) → ReLU] → Linear(w, 10), no biases
  local layers = {nl.nn.Linear(784, width, {bias = false, rng = rng}), nl.nn.ReLU()}
  for _ = 1, depth - 2 do
    layers[#layers + 1] = nl.nn.Linear(width, width, {bias = false, rng = rng})
    layers[#layers + 1] = nl.nn.ReLU()
  end
  layers[#layers + 1] = nl.nn.Linear(width, 10, {bias = false, rng = rng})
  return nl.nn.Sequential(layers)
end

local final = {}   -- final[split][depth][width] = list over seeds of α̂ (and variants)
if want("nets") then
  local train, test = exp:phase("load data", function()
    return nl.data.fashion_mnist{split = "train", n = cfg.train_n},
           nl.data.fashion_mnist{split = "test", n = cfg.test_n}
  end)
  local rows, layer_rows, curve_rows = {}, {}, {}
  local is_checkpoint = {}
  for _, c in ipairs(cfg.checkpoints) do is_checkpoint[c] = true end
  local total_runs = #cfg.widths * #cfg.depths * cfg.seeds
  local run = 0
  for seed = 1, cfg.seeds do
    for _, depth in ipairs(cfg.depths) do
      for _, width in ipairs(cfg.widths) do
        run = run + 1
        exp:phase("net training + probes", function()
          -- one generator per (--seed, seed index, depth, width): a cell of the grid gives
          -- the same result whichever cells run before it
          local rng = nl.rng.new(1000003 * seed + 1009 * depth + width + 7919 * (exp.seed - 1))
          local net = fcn(width, depth, rng)
          local loss = nl.nn.CrossEntropy()
          local opt = nl.optim.SGD(net, {lr = cfg.lr, schedule = nl.optim.multistep{
            milestones = cfg.milestones, gamma = cfg.lr_factor}})
          -- fixed partition into batches, visited in order, never shuffled (authors' code)
          local batches = {}
          for xb, yb in nl.data.batches(train, cfg.batch) do batches[#batches + 1] = {xb, yb} end
          local function measure(step)
            for _, split in ipairs{"train", "test"} do
              local ds = split == "train" and train or test
              local P = (ds.n + cfg.batch - 1) // cfg.batch
              local std_ok = P * net:num_parameters() <= cfg.std_max_entries
              local r = nl.probe.gradient_noise(net, loss, ds, {batch = cfg.batch, return_matrix = std_ok,
                per_layer = net:num_parameters() <= cfg.per_layer_max_params})
              -- variant: every coordinate standardised across minibatches before pooling, so
              -- coordinates of different scales do not masquerade as heavy tails; columns with
              -- zero variance (dead units) become NaN and are dropped
              local a_std
              if r.matrix then
                local U = r.matrix
                local z = (U - U:mean(1, true)) / U:std(1, true)
                a_std = nl.estim.tail_index(z:reshape{-1}, {method = "mohammadi", drop_nonfinite = true})
                r.matrix = nil
              end
              local ev = nl.probe.evaluate(net, ds)
              rows[#rows + 1] = {seed, width, depth, step, split, r.alpha, r.alpha_nonzero,
                                 r.zero_fraction, a_std or "", ev.loss, ev.accuracy, r.params, r.batches}
              for li, L in ipairs(r.layers) do
                layer_rows[#layer_rows + 1] = {seed, width, depth, step, split, li, L.name,
                  L.numel, L.alpha, L.alpha_nonzero, L.zero_fraction}
              end
              if step == cfg.steps then
                final[split] = final[split] or {}
                final[split][depth] = final[split][depth] or {}
                local cell = final[split][depth][width] or {alpha = {}, nonzero = {}, zeros = {}, std = {}}
                final[split][depth][width] = cell
                cell.alpha[#cell.alpha + 1] = r.alpha
                cell.nonzero[#cell.nonzero + 1] = r.alpha_nonzero
                cell.zeros[#cell.zeros + 1] = r.zero_fraction
                if a_std then cell.std[#cell.std + 1] = a_std end
              end
            end
          end
          local bar = exp:progress(cfg.steps, {label = string.format("[%d/%d] w=%d d=%d seed=%d",
            run, total_runs, width, depth, seed)})
          if is_checkpoint[0] then measure(0) end
          for step = 1, cfg.steps do
            local b = batches[(step - 1) % #batches + 1]
            net:zero_grad()
            local out = net:forward(b[1])
            local l = loss:forward(out, b[2])
            net:backward(b[1], loss:backward(out, b[2]))
            opt:step()
            if step % 50 == 0 then curve_rows[#curve_rows + 1] = {seed, width, depth, step, l} end
            bar:update(step, {loss = l})
            if is_checkpoint[step] then measure(step) end
          end
          bar:done()
        end)
        -- rewrite the table after every net (atomically): a long run that is stopped keeps
        -- everything measured so far
        exp:csv("alpha_nets.csv", {"seed", "width", "depth", "step", "split", "alpha", "alpha_nonzero",
          "zero_fraction", "alpha_standardised", "loss", "accuracy", "params", "batches"}, rows)
      end
    end
  end
  exp:csv("alpha_layers.csv", {"seed", "width", "depth", "step", "split", "layer", "name", "numel",
    "alpha", "alpha_nonzero", "zero_fraction"}, layer_rows)
  exp:csv("training_loss.csv", {"seed", "width", "depth", "step", "minibatch_loss"}, curve_rows)

  -- the figure: α̂ at the end of training against width, one curve per depth
  local function panel(split, field, title, ylabel)
    local series = {}
    for _, depth in ipairs(cfg.depths) do
      local x, y, e = {}, {}, {}
      for _, width in ipairs(cfg.widths) do
        local cell = final[split] and final[split][depth] and final[split][depth][width]
        if cell and #cell[field] > 0 then
          local m, sd = mean_sd(cell[field])
          x[#x + 1], y[#y + 1], e[#e + 1] = width, m, sd
        end
      end
      series[#series + 1] = {name = "depth " .. depth, x = x, y = y,
        yerr = cfg.seeds > 1 and e or nil, style = cfg.seeds > 1 and "errorlines" or "linespoints"}
    end
    return {kind = "line", title = title, xlabel = "width", ylabel = ylabel, logx = true,
      series = series}
  end
  local fig = exp:plot("panels", {file = "fig_alpha_width_depth", cols = 3,
    title = string.format("Fashion-MNIST, bias-free ReLU FCN, alpha-hat after %d SGD steps", cfg.steps),
    panels = {panel("train", "alpha", "training set (faithful: all scalars pooled)", "alpha-hat"),
              panel("test", "alpha", "test set (faithful)", "alpha-hat"),
              panel("train", "nonzero", "training set, exact zeros dropped", "alpha-hat"),
              panel("train", "std", "training set, coordinates standardised", "alpha-hat"),
              panel("train", "zeros", "fraction of exact zeros in U", "zero fraction"),
              panel("test", "nonzero", "test set, exact zeros dropped", "alpha-hat")}})
  exp.figure = fig.png or fig.gp

  -- α̂ over training, training set, one line per (width, depth) of seed 1
  local series = {}
  for _, depth in ipairs(cfg.depths) do
    for _, width in ipairs(cfg.widths) do
      local x, y = {}, {}
      for _, r in ipairs(rows) do
        if r[1] == 1 and r[2] == width and r[3] == depth and r[5] == "train" then
          x[#x + 1], y[#y + 1] = r[4], r[6]
        end
      end
      series[#series + 1] = {name = string.format("w=%d d=%d", width, depth), x = x, y = y,
        style = "linespoints"}
    end
  end
  exp:plot("line", {file = "fig_alpha_over_training", title = "alpha-hat of the gradient noise during training (train set)",
    xlabel = "SGD step", ylabel = "alpha-hat", series = series, key = "outside right"})

  -- key numbers for the record
  local lo, hi = math.huge, -math.huge
  for _, r in ipairs(rows) do
    if r[4] == cfg.steps and r[6] then lo, hi = math.min(lo, r[6]), math.max(hi, r[6]) end
  end
  exp.results.nets_alpha_final_min, exp.results.nets_alpha_final_max = lo, hi
  local last = rows[#rows]
  exp.results.nets_final_test_accuracy = last and last[11]
end

---------------------------------------------------------------------------------------------
-- 3. Exit times: width versus depth
-- Basins f = k x²/2 on (−r, r), depth ΔV = k r²/2.  Small-noise theory: under α-stable noise
-- E τ ≈ α / (c_α ε^α · 2 r^{−α}) depends on the width r only; under Brownian noise E τ grows
-- like exp(2ΔV/σ²), i.e. with the depth.  Two wide basins of different depth and one narrow
-- basin as shallow as the shallow wide one tell the two apart.
if want("sde") then
  exp:phase("sde exit times", function()
    local a = cfg.sde_alpha
    local steps = math.floor(cfg.sde_tmax / cfg.sde_dt + 0.5)
    local rows, curves = {}, {}
    for bi, r in ipairs(cfg.basin_r) do
      local k = cfg.basin_k[bi]
      local label = string.format("r=%g, depth=%g", r, k * r * r / 2)
      for _, kind in ipairs{"stable", "brownian"} do
        local scales = kind == "stable" and cfg.levy_eps or cfg.brown_sigma
        local c = {name = (kind == "stable" and ("alpha-stable " .. a) or "Brownian") .. ", " .. label,
          x = {}, y = {}, style = "linespoints", dash = kind == "stable" and 1 or 3}
        local th = {name = "theory alpha-stable, r=" .. r, x = {}, y = {}, style = "lines", dash = 2}
        for _, s in ipairs(scales) do
          local noise = kind == "stable" and {kind = "stable", alpha = a, scale = s}
            or {kind = "brownian", scale = s}
          local res = nl.sde.simulate{drift = "quadratic", H = k, dt = cfg.sde_dt, steps = steps,
            paths = cfg.sde_paths, x0 = 0, noise = noise, exit = {-r, r}}
          local t = res.exit_time
          local ok = t:isfinite()
          local exited = ok:sum()
          local frac = exited / cfg.sde_paths
          -- censored paths count as tmax: the mean is then a lower bound (frac < 1 in the CSV)
          local m = T.where(ok, t, T.full({cfg.sde_paths}, cfg.sde_tmax)):mean()
          local theory = kind == "stable" and nl.theory.exit_time_stable{alpha = a, eps = s,
            r_minus = r, r_plus = r} or 0 / 0
          rows[#rows + 1] = {kind, s, r, k, k * r * r / 2, m, frac, theory}
          if frac >= 0.99 then c.x[#c.x + 1], c.y[#c.y + 1] = 1 / s, m end
          if kind == "stable" then th.x[#th.x + 1], th.y[#th.y + 1] = 1 / s, theory end
        end
        curves[#curves + 1] = c
        if kind == "stable" and bi ~= 2 then curves[#curves + 1] = th end
      end
    end
    exp:csv("exit_times.csv", {"noise", "scale", "r", "curvature", "depth", "mean_exit_time",
      "fraction_exited", "theory_stable"}, rows)
    -- ratios at the middle noise level: deep/shallow (same width) and wide/narrow (same depth)
    local function at(kind, bi)
      local scales = kind == "stable" and cfg.levy_eps or cfg.brown_sigma
      local s = scales[(#scales + 1) // 2]
      for _, row in ipairs(rows) do
        if row[1] == kind and row[2] == s and row[3] == cfg.basin_r[bi] and row[4] == cfg.basin_k[bi] then
          return row[6], row[7]
        end
      end
    end
    for _, kind in ipairs{"stable", "brownian"} do
      local shallow, deep, narrow = at(kind, 1), at(kind, 2), at(kind, 3)
      local _, deep_frac = at(kind, 2)
      exp.results["exit_deep_over_shallow_" .. kind] = deep and shallow and deep / shallow
      exp.results["exit_wide_over_narrow_" .. kind] = shallow and narrow and shallow / narrow
      exp.results["exit_deep_fraction_exited_" .. kind] = deep_frac
    end
    exp.results.exit_wide_over_narrow_theory = (cfg.basin_r[1] / cfg.basin_r[3]) ^ a
    exp:plot("line", {file = "fig_exit_times", title = "mean exit time from a quadratic basin (censored points omitted)",
      xlabel = "1 / noise scale", ylabel = "mean exit time", logx = true, logy = true,
      key = "outside right", size = {960, 480}, series = curves})
  end)
end

local keys = {}
for k in pairs(exp.results) do keys[#keys + 1] = k end
table.sort(keys)
exp:finish()
print(string.format("results: %s", exp.dir))
for _, k in ipairs(keys) do print(string.format("  %-40s %s", k, tostring(exp.results[k]))) end
if exp.figure then print("figure: " .. exp.figure) end
