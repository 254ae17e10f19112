-- Wang, Oh & Rhee, "Eliminating Sharp Minima from SGD with Truncated Heavy-tailed Noise",
-- ICLR 2022 (arXiv 2102.04297).
--
-- Claim: for X ← X − φ_b(η(f'(X) − Z)) with Z regularly varying of index α > 1 and φ_b the
-- truncation of the step to length b, the first exit time from a basin of radius r is of order
-- η^{−(1 + l*(α−1))} with l* = ⌈r/b⌉ the number of truncated jumps needed to leave; as η → 0
-- the dynamics only visit the basins that need the most jumps ("wide" relative to b), so
-- sharp (narrow) minima are eliminated.  On a small net, heavy-tailed noise with truncation
-- finds flatter minima and better test accuracy.
--
-- Parts (--parts exit,occupancy,lenet):
--   exit       mean exit time from the basin (−1, 1) of f'(x) = K(x − x³) against 1/η, for clip
--              levels b giving l* = 1, 2, 3, with fitted log-log slopes vs 1 + l*(α − 1);
--   occupancy  time spent in a narrow basin of a piecewise-quadratic three-well landscape,
--              with and without truncation, and with Gaussian noise (the control), as η
--              shrinks;
--   lenet      the LeNet-like net of Zhu et al. (2019) on 1000 clean + 200 relabelled
--              Fashion-MNIST images, five arms (GD, SGD, SGD + clipping, SGD + heavy-tailed
--              noise, heavy-tailed noise + clipping): test accuracy and sharpness
--              mean |L(w + ν) − L(w)|, ν ~ N(0, 0.01² I).
-- Choices where the paper's details were not recoverable (PAPERS.md §4) are in the config:
-- the landscapes, Z = symmetric Pareto (P(|Z| > z) = z^{−α}, z ≥ 1) for the 1-d parts, and the
-- injected noise of the net (kind, α, scale per coordinate) and clip level.
--
--   noiselab examples/wang2022_truncated.lua --quick
local nl = require "noiselab"

local exp = nl.experiment{
  name = "wang2022_truncated",
  description = "truncated heavy-tailed SGD (Wang, Oh & Rhee 2022)",
  argv = arg,
  config = {
    parts = {"exit", "occupancy", "lenet"},
    alpha = 1.5,
    -- exit times
    K = 5.0, clips = {1.5, 0.7, 0.45}, etas = {0.02, 0.01, 0.005, 0.0025},
    exit_paths = 1000, exit_max_steps = 50000000,
    -- occupancy: minima, basin edges, curvatures; the narrow basin is the middle one
    minima = {-2.0, 0.0, 2.0}, edges = {-0.5, 0.5}, curvature = {5.0, 5.0, 5.0},
    occ_clip = 0.6, occ_etas = {0.04, 0.02, 0.01}, occ_paths = 100, occ_steps = 4000000,
    occ_gauss_sigma = 8.0,
    -- LeNet-like net
    n_clean = 1000, n_noisy = 200, test_n = 10000, iterations = 3000, gd_iterations = 1000,
    gd_lr = 0.1, sgd_lr = 0.07, sgd_batch = 20,
    noise_kind = "stable", noise_alpha = 1.5, noise_scale = 0.01, clip_b = 0.1,
    sharpness_sigma = 0.01, sharpness_draws = 20,
  },
  doc = {
    alpha = "tail index of the injected noise Z (1-d parts)",
    K = "drift f'(x) = K(x − x³): basin (−1, 1)",
    clips = "truncation levels b (l* = ceil(1/b): 1, 2, 3)",
    etas = "learning rates η",
    exit_max_steps = "step limit; paths still inside are censored",
    minima = "minima of the three-well landscape", edges = "basin edges",
    occ_clip = "truncation level in the occupancy part (narrow basin needs 1 jump, wide ones 3)",
    occ_gauss_sigma = "sd of the Gaussian-noise control in the occupancy part",
    n_clean = "clean training images", n_noisy = "extra images with random labels",
    iterations = "training iterations per SGD arm",
    gd_iterations = "iterations of the full-batch GD arm (each costs n_clean + n_noisy samples)",
    noise_kind = "injected noise: stable | pareto | gaussian (per coordinate)",
    noise_scale = "scale of the injected noise (per coordinate)",
    clip_b = "truncation of the whole step to norm b (clipped arms)",
  },
  presets = {
    quick = {etas = {0.02, 0.01, 0.005}, exit_paths = 400, occ_paths = 50, occ_steps = 1000000,
      test_n = 2000, iterations = 300, gd_iterations = 60, sharpness_draws = 5},
    smoke = {clips = {1.5, 0.7}, etas = {0.04, 0.02}, exit_paths = 100, exit_max_steps = 1000000,
      occ_etas = {0.04}, occ_paths = 10, occ_steps = 100000, n_clean = 200, n_noisy = 40,
      test_n = 500, iterations = 20, gd_iterations = 5, sgd_batch = 20, sharpness_draws = 3},
  },
}
local cfg = exp.config
local T = nl.tensor

local function want(part)
  for _, p in ipairs(cfg.parts) do if p == part then return true end end
  return false
end

-- least-squares slope of log y on log x
local function loglog_slope(xs, ys)
  local n, mx, my = 0, 0, 0
  for i = 1, #xs do
    if ys[i] and ys[i] > 0 then n, mx, my = n + 1, mx + math.log(xs[i]), my + math.log(ys[i]) end
  end
  if n < 2 then return 0 / 0 end
  mx, my = mx / n, my / n
  local sxy, sxx = 0, 0
  for i = 1, #xs do
    if ys[i] and ys[i] > 0 then
      local dx = math.log(xs[i]) - mx
      sxy, sxx = sxy + dx * (math.log(ys[i]) - my), sxx + dx * dx
    end
  end
  return sxy / sxx
end

---------------------------------------------------------------------------------------------
-- 1. Exit times against 1/η
if want("exit") then
  exp:phase("exit times", function()
    local rows, series = {}, {}
    local pareto = {kind = "pareto", alpha = cfg.alpha, scale = 1, symmetric = true}
    for _, b in ipairs(cfg.clips) do
      local exponent, lstar = nl.theory.truncated_exit_order{alpha = cfg.alpha, r = 1, b = b}
      local xs, ys = {}, {}
      for _, eta in ipairs(cfg.etas) do
        local r = nl.sde.simulate{scheme = "sgd", eta = eta, steps = cfg.exit_max_steps,
          paths = cfg.exit_paths, x0 = 0, drift = "double_well", K = cfg.K, noise = pareto,
          clip = {b = b, kind = "norm"}, exit = {-1, 1}}
        local t = r.exit_time
        local ok = t:isfinite()
        local frac = ok:sum() / cfg.exit_paths
        local m = T.where(ok, t, T.full({cfg.exit_paths}, cfg.exit_max_steps)):mean()
        rows[#rows + 1] = {b, lstar, exponent, eta, m, frac}
        if frac >= 0.99 then xs[#xs + 1], ys[#ys + 1] = 1 / eta, m end
      end
      local slope = loglog_slope(xs, ys)
      exp.results["exit_slope_lstar" .. lstar] = slope
      exp.results["exit_slope_theory_lstar" .. lstar] = exponent
      series[#series + 1] = {name = string.format("b=%g (l*=%d): slope %.2f, theory %.2f", b, lstar,
        slope, exponent), x = xs, y = ys, style = "linespoints"}
    end
    exp:csv("exit_times.csv", {"b", "lstar", "theory_exponent", "eta", "mean_exit_steps",
      "fraction_exited"}, rows)
    local fig = exp:plot("line", {file = "fig_exit_times", title = string.format(
      "truncated heavy-tailed SGD: exit from (-1,1), Pareto alpha=%g, K=%g", cfg.alpha, cfg.K),
      xlabel = "1 / eta", ylabel = "mean exit time (steps)", logx = true, logy = true,
      key = "top left", series = series})
    exp.figure = fig.png
  end)
end

---------------------------------------------------------------------------------------------
-- 2. Occupancy of the narrow basin
if want("occupancy") then
  exp:phase("occupancy", function()
    local basins = {{-1e300, cfg.edges[1]}, {cfg.edges[1], cfg.edges[2]}, {cfg.edges[2], 1e300}}
    local pareto = {kind = "pareto", alpha = cfg.alpha, scale = 1, symmetric = true}
    -- the Gaussian-noise control (light tails: leaving a basin takes a climb, not a jump)
    local gauss = {kind = "gaussian", sigma = cfg.occ_gauss_sigma}
    local arms = {
      {name = "truncated", label = "Pareto, truncated b=" .. cfg.occ_clip, noise = pareto, clip = true,
       key = "occ_narrow_truncated"},
      {name = "untruncated", label = "Pareto, no truncation", noise = pareto, key = "occ_narrow_untruncated"},
      {name = "gaussian truncated", label = "Gaussian sigma=" .. cfg.occ_gauss_sigma .. ", truncated",
       noise = gauss, clip = true, key = "occ_narrow_gaussian"},
    }
    local rows, series = {}, {}
    for _, arm in ipairs(arms) do
      local xs, ys, away = {}, {}, {}
      for _, eta in ipairs(cfg.occ_etas) do
        -- start in the left wide basin: a start in the narrow one would add its first stay
        local r = nl.sde.simulate{scheme = "sgd", eta = eta, steps = cfg.occ_steps,
          paths = cfg.occ_paths, x0 = cfg.minima[1], drift = "multi_well", minima = cfg.minima,
          edges = cfg.edges, curvature = cfg.curvature, noise = arm.noise,
          clip = arm.clip and {b = cfg.occ_clip, kind = "norm"} or nil, basins = basins}
        local occ = r.occupancy:mean(1)      -- mean over paths, one entry per basin
        local narrow = occ:get(2)
        rows[#rows + 1] = {arm.name, eta, occ:get(1), narrow, occ:get(3)}
        away[#away + 1] = 1 - occ:get(1)
        -- log axes: a zero occupancy (never visited) is left out of the figure, kept in the CSV
        if narrow > 0 then xs[#xs + 1], ys[#ys + 1] = 1 / eta, narrow end
      end
      if #xs > 0 then series[#series + 1] = {name = arm.label, x = xs, y = ys, style = "linespoints"} end
      exp.results[arm.key] = ys
      exp.results[arm.key:gsub("narrow", "away_from_start")] = away
    end
    exp:csv("occupancy.csv", {"dynamics", "eta", "left_wide", "narrow", "right_wide"}, rows)
    exp:plot("line", {file = "fig_occupancy", title = string.format(
      "fraction of time in the narrow basin (%g, %g), Pareto alpha=%g vs Gaussian", cfg.edges[1], cfg.edges[2], cfg.alpha),
      xlabel = "1 / eta", ylabel = "occupancy of the narrow basin", logx = true, logy = true,
      key = "bottom left", series = series})
  end)
end

---------------------------------------------------------------------------------------------
-- 3. LeNet-like net on 1000 clean + 200 relabelled images
if want("lenet") then
  local train, test = exp:phase("load data", function()
    local all = nl.data.fashion_mnist{split = "train", n = cfg.n_clean + cfg.n_noisy, flatten = false}
    -- the last n_noisy images get a random wrong label (Zhu et al. 2019)
    nl.data.relabel(all, {from = cfg.n_clean + 1, to = cfg.n_clean + cfg.n_noisy})
    return all, nl.data.fashion_mnist{split = "test", n = cfg.test_n, flatten = false}
  end)
  local function lenet(rng)
    local nn = nl.nn
    return nn.Sequential{
      nn.Conv2d(1, 10, 5, {rng = rng}), nn.MaxPool2d(2), nn.ReLU(),
      nn.Conv2d(10, 10, 5, {rng = rng}), nn.MaxPool2d(2), nn.ReLU(),
      nn.Flatten(), nn.Linear(160, 50, {rng = rng}), nn.ReLU(), nn.Linear(50, 10, {rng = rng})}
  end
  local noise = {kind = cfg.noise_kind, alpha = cfg.noise_alpha, scale = cfg.noise_scale}
  local arms = {
    {name = "GD", batch = train.n, lr = cfg.gd_lr, iterations = cfg.gd_iterations},
    {name = "SGD", batch = cfg.sgd_batch, lr = cfg.sgd_lr},
    {name = "SGD + clipping", batch = cfg.sgd_batch, lr = cfg.sgd_lr, truncate = {norm = cfg.clip_b}},
    {name = "SGD + heavy-tailed noise", batch = cfg.sgd_batch, lr = cfg.sgd_lr, noise = noise},
    {name = "heavy-tailed noise + clipping", batch = cfg.sgd_batch, lr = cfg.sgd_lr, noise = noise,
     truncate = {norm = cfg.clip_b}},
  }
  local rows, curves = {}, {}
  for ai, arm in ipairs(arms) do
    exp:phase("lenet " .. arm.name, function()
      local rng = nl.rng.new(4242 + exp.seed - 1)   -- same initial weights for every arm
      local net = lenet(rng)
      arm.params = net:num_parameters()
      local loss = nl.nn.CrossEntropy()
      local opt = nl.optim.SGD(net, {lr = arm.lr, noise = arm.noise, truncate = arm.truncate})
      local data_rng = nl.rng.new(ai + 100 * (exp.seed - 1))
      local it, curve = 0, {name = arm.name, x = {}, y = {}, style = "lines"}
      local iters = arm.iterations or cfg.iterations
      local bar = exp:progress(iters, {label = arm.name})
      while it < iters do
        for xb, yb in nl.data.batches(train, arm.batch, {shuffle = arm.batch < train.n, rng = data_rng}) do
          net:zero_grad()
          local out = net:forward(xb)
          local l = loss:forward(out, yb)
          net:backward(xb, loss:backward(out, yb))
          opt:step()
          it = it + 1
          if it % math.max(1, iters // 50) == 0 then
            curve.x[#curve.x + 1], curve.y[#curve.y + 1] = it, l
          end
          bar:update(it, {loss = l})
          if it >= iters then break end
        end
      end
      bar:done()
      local tr = nl.probe.evaluate(net, train)
      local te = nl.probe.evaluate(net, test)
      local sharp, info = nl.probe.perturbation_sharpness(net, loss, train,
        {sigma = cfg.sharpness_sigma, n = cfg.sharpness_draws, rng = nl.rng.new(99 + exp.seed - 1)})
      rows[#rows + 1] = {arm.name, iters, arm.batch, arm.lr, arm.noise and arm.noise.kind or "",
        arm.truncate and arm.truncate.norm or "", tr.loss, tr.accuracy, te.accuracy, sharp, info.stderr}
      curves[#curves + 1] = curve
    end)
  end
  exp:csv("lenet_arms.csv", {"arm", "iterations", "batch", "lr", "noise", "clip_norm", "train_loss",
    "train_accuracy", "test_accuracy", "sharpness", "sharpness_stderr"}, rows)
  exp.results.lenet_params = arms[1].params
  exp.results.lenet_test_accuracy = {}
  exp.results.lenet_sharpness = {}
  local names, acc, sh, she = {}, {}, {}, {}
  for i, r in ipairs(rows) do
    she[i] = r[11]
    exp.results.lenet_test_accuracy[r[1]] = r[9]
    exp.results.lenet_sharpness[r[1]] = r[10]
    names[i], acc[i], sh[i] = i, r[9], r[10]
  end
  exp:plot("panels", {file = "fig_lenet", cols = 3, title = string.format(
    "LeNet-like net, %d clean + %d relabelled Fashion-MNIST images, %d SGD / %d GD iterations",
    cfg.n_clean, cfg.n_noisy, cfg.iterations, cfg.gd_iterations),
    panels = {
      {kind = "line", title = "training minibatch loss", xlabel = "iteration", ylabel = "loss",
       logy = true, series = curves, key = "bottom left"},
      {kind = "scatter", title = "test accuracy (1 GD, 2 SGD, 3 +clip, 4 +noise, 5 +noise+clip)",
       xlabel = "arm", ylabel = "test accuracy", xrange = {0.5, #rows + 0.5}, key = false,
       series = {{name = "test accuracy", x = names, y = acc}}},
      {kind = "scatter", title = "sharpness mean |L(w+v) - L(w)| (± s.e.)", xlabel = "arm",
       ylabel = "sharpness", xrange = {0.5, #rows + 0.5}, key = false,
       series = {{name = "sharpness", x = names, y = sh, yerr = she}}}}})
end

exp:finish()
print("results: " .. exp.dir)
for _, k in ipairs{"exit_slope_lstar1", "exit_slope_lstar2", "exit_slope_lstar3"} do
  if exp.results[k] then
    print(string.format("  %s: %.3f (theory %.3f)", k, exp.results[k],
      exp.results[k:gsub("slope_", "slope_theory_")]))
  end
end
if exp.figure then print("figure: " .. exp.figure) end
