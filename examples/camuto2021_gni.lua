-- Camuto, Wang, Zhu, Holmes, Gürbüzbalaban & Şimşekli, "Asymmetric Heavy Tails and Implicit
-- Bias in Gaussian Noise Injections", ICML 2021 (arXiv 2102.07006).
--
-- Claim: Gaussian noise injected into the activations (GNI) adds to SGD a gradient noise — the
-- "implicit effect" ∇_w(L̃(w, ε) − L̃_M(w)) — that is heavy-tailed and skewed; as an SDE
-- driven by asymmetric α-stable noise it carries an implicit bias that hurts training;
-- averaging the noisy loss over M draws removes it, so the training loss falls as M grows; and
-- replacing the GNI noise by fitted α-stable noise reproduces the GNI curve better than fitted
-- Gaussian noise.
--
-- Setting (authors' notebooks, PAPERS.md §2): sinusoid regression, N = 200 points
-- t = 0, 1/200, …, y(t) = Σ_{k=5,10,…,50} sin(2πkt + 2πφ_k); an MLP with GaussianNoise after
-- every activation; MSE summed over outputs and averaged over samples; full-batch SGD.
-- Parts (--parts stats,M,replace):
--   stats    per weight matrix: skewness and excess kurtosis (biased, SciPy's defaults) of the
--            implicit-effect noise and an α-stable fit (α, β, σ) by maximum likelihood in
--            Nolan's S0 with μ = 0, for additive and multiplicative noise, on the entries that
--            are not exactly zero (the zero fraction is reported: dead ReLU units);
--   M        training loss (noise-free, evaluate mode) for M ∈ {1, 2, 4, 8, 16};
--   replace  training with the GNI replaced by noise added to each weight matrix's gradient:
--            fitted α-stable (sampled in S0 with μ0 = 0, as fitted — no drift −βσ tan(πα/2)) vs
--            fitted Gaussian (same mean and variance), next to GNI and no noise.
--
--   noiselab examples/camuto2021_gni.lua --quick
local nl = require "noiselab"

local exp = nl.experiment{
  name = "camuto2021_gni",
  description = "heavy-tailed, skewed noise of Gaussian noise injections (Camuto et al. 2021)",
  argv = arg,
  config = {
    parts = {"stats", "M", "replace"},
    n = 200, ks = {1, 2, 3}, width = 256, hidden = 4, activation = "relu",
    modes = {"add", "mul"}, sigma_add = 0.1, sigma_mul = 0.3,
    warm_steps = 500, noise_M = 100, noise_repeats = 20, fit_n = 2000,
    train_mode = "mul", lr = 0.05, steps = 3000, Ms = {1, 2, 4, 8, 16}, repeats = 2,
    log_every = 50,
  },
  doc = {
    n = "sinusoid sample points",
    ks = "sinusoid frequencies (the authors: 5,10,...,50, which needs ~60000 steps at lr 3e-4)",
    width = "hidden width",
    hidden = "hidden layers (Linear → activation → noise); the authors used 6",
    activation = "relu | elu | tanh | sigmoid (the authors' notebooks: ReLU)",
    lr = "SGD learning rate (the authors: 3e-4 for 60000 steps; larger here to fit the budget)",
    repeats = "training runs (different noise draws) averaged per M and per replacement arm",
    modes = "noise modes measured in the stats part (add, mul)",
    warm_steps = "GNI training steps before the noise is measured",
    noise_M = "draws averaged in L̃_M for the implicit-effect noise",
    noise_repeats = "independent noise samples per layer (each a full weight matrix)",
    fit_n = "entries per layer used by the stable MLE fit (a random subset)",
    train_mode = "GNI mode for the M and replace parts",
    Ms = "numbers of noise draws averaged during training",
  },
  presets = {
    quick = {width = 64, hidden = 3, warm_steps = 300, noise_repeats = 10, fit_n = 1000,
      steps = 1000, Ms = {1, 4, 16}, repeats = 1},
    smoke = {width = 32, hidden = 2, warm_steps = 20, noise_M = 10, noise_repeats = 3,
      fit_n = 300, steps = 30, Ms = {1, 4}, repeats = 1, log_every = 10},
  },
}
local cfg = exp.config
local T = nl.tensor
local nn = nl.nn

local function want(part)
  for _, p in ipairs(cfg.parts) do if p == part then return true end end
  return false
end

local data = nl.data.sinusoids{n = cfg.n, ks = cfg.ks, rng = nl.rng.new(exp.seed)}
local x, y = data.x:float(), data.y:float()

-- hidden × [Linear → activation → GNI] → Linear(w, 1): noise after every activation, as the
-- authors' make_noisy_pred
local activations = {relu = nn.ReLU, elu = nn.ELU, tanh = nn.Tanh, sigmoid = nn.Sigmoid}
local act = activations[cfg.activation] or error("--activation must be relu, elu, tanh or sigmoid", 0)
local function mlp(mode, sigma, rng)
  local layers = {}
  local nin = 1
  for _ = 1, cfg.hidden do
    layers[#layers + 1] = nn.Linear(nin, cfg.width, {rng = rng})
    layers[#layers + 1] = act()
    if mode then layers[#layers + 1] = nn.GaussianNoise{sigma = sigma, mode = mode, rng = rng} end
    nin = cfg.width
  end
  layers[#layers + 1] = nn.Linear(nin, 1, {rng = rng})
  return nn.Sequential(layers)
end

local function sigma_of(mode) return mode == "add" and cfg.sigma_add or cfg.sigma_mul end
local loss = nn.MSE{reduction = "batchmean"}

-- Training loss without noise (evaluate mode switches the GaussianNoise layers off).
local function clean_loss(net)
  net:evaluate()
  local l = loss:forward(net:forward(x), y)
  net:train()
  return l
end

-- One full-batch step on L̃_M (M = 1: one noisy pass).
local function gni_step(net, opt, M)
  net:zero_grad()
  local l = nn.noisy_loss_average(net, loss, x, y, M)
  opt:step()
  return l
end

---------------------------------------------------------------------------------------------
-- 1. Statistics of the implicit-effect noise, per weight matrix
local fits = {}   -- fits[mode][layer name] = {alpha=, beta=, scale=, mean=, sd=}
if want("stats") then
  exp:phase("noise statistics", function()
    local rows = {}
    for _, mode in ipairs(cfg.modes) do
      local rng = nl.rng.new(exp.seed * 17 + #mode)
      local net = mlp(mode, sigma_of(mode), rng)
      local opt = nl.optim.SGD(net, {lr = cfg.lr})
      for _ = 1, cfg.warm_steps do gni_step(net, opt, 1) end
      local r = nl.probe.gni_noise(net, loss, x, y, {M = cfg.noise_M, repeats = cfg.noise_repeats})
      fits[mode] = {}
      for li, L in ipairs(r.layers) do
        -- exact zeros (rows of units that are dead on every sample under ReLU) would sit as a
        -- point mass after standardising and wreck the fit: count them, then use the rest
        local all = L.noise:reshape{-1}:totable()
        local nzl = {}
        for _, e in ipairs(all) do if e ~= 0 then nzl[#nzl + 1] = e end end
        local zero_frac = 1 - #nzl / #all
        local v = T.from(#nzl > 0 and nzl or {0})
        local mean, sd = v:mean(), v:std()
        local z = (v - mean) / sd
        local skew = nl.estim.skewness(z)
        local kurt = nl.estim.kurtosis(z)
        -- the MLE fit on a random subset (fits cost O(n) density evaluations per iteration)
        local idx = nl.rng.new(li):permutation(#z):narrow(1, 1, math.min(cfg.fit_n, #z))
        local sub = z:index(1, idx)
        local fit, why = nl.estim.fit_stable(sub, {method = "mle", param = "S0", fix = {loc = 0}})
        local a, b, s = fit and fit.alpha, fit and fit.beta, fit and fit.scale
        -- a tail-only estimate beside the fit: the MLE also answers to the shape of the centre
        local hill = nl.estim.tail_index(z, {method = "hill"})
        rows[#rows + 1] = {mode, li, L.name, L.numel, zero_frac, mean, sd, skew, kurt, a or "",
          b or "", s or "", hill, fit and "" or tostring(why)}
        fits[mode][L.name] = {alpha = a, beta = b, scale = s and s * sd, mean = mean, sd = sd}
      end
    end
    exp:csv("noise_stats.csv", {"mode", "layer", "name", "numel", "zero_fraction", "mean", "sd",
      "skewness", "excess_kurtosis", "alpha", "beta", "scale_standardised", "alpha_hill",
      "fit_failure"}, rows)
    local amin, bmax, kmax = math.huge, 0, -math.huge
    for _, r in ipairs(rows) do
      if type(r[10]) == "number" then amin = math.min(amin, r[10]) end
      if type(r[11]) == "number" then bmax = math.max(bmax, math.abs(r[11])) end
      kmax = math.max(kmax, r[9])
    end
    exp.results.stats_alpha_min, exp.results.stats_abs_beta_max = amin, bmax
    exp.results.stats_kurtosis_max = kmax
    -- histogram of the standardised noise of the first hidden-to-hidden matrix, one per mode
    local series = {}
    for _, mode in ipairs(cfg.modes) do
      local rng = nl.rng.new(1)
      local net = mlp(mode, sigma_of(mode), rng)
      local r = nl.probe.gni_noise(net, loss, x, y, {M = cfg.noise_M, repeats = 1})
      local L = r.layers[math.min(2, #r.layers)]
      local v = L.noise:reshape{-1}
      series[#series + 1] = {name = mode .. " (" .. L.name .. ", at init)", data = (v - v:mean()) / v:std()}
    end
    exp:plot("tail", {file = "fig_noise_tails", title = "implicit-effect GNI noise: survival of |standardised noise|",
      xlabel = "|z|", ylabel = "P(|Z| > z)", series = series, key = "bottom left"})
  end)
end

---------------------------------------------------------------------------------------------
-- 2. Training loss against M
if want("M") then
  exp:phase("training vs M", function()
    local rows, series = {}, {}
    for _, M in ipairs(cfg.Ms) do
      local s = {name = "M = " .. M, x = {}, y = {}, style = "lines"}
      local sum = {}
      for rep = 1, cfg.repeats do
        -- same initial weights for every M; the noise draws differ between repeats
        local net = mlp(cfg.train_mode, sigma_of(cfg.train_mode), nl.rng.new(exp.seed))
        for _, m in ipairs(net.modules) do
          if m.sigma then m.rng = nl.rng.new(1000 * rep + M) end
        end
        local opt = nl.optim.SGD(net, {lr = cfg.lr})
        local bar = exp:progress(cfg.steps, {label = string.format("GNI, M = %d, run %d", M, rep)})
        local k = 0
        for step = 1, cfg.steps do
          gni_step(net, opt, M)
          if step % cfg.log_every == 0 or step == cfg.steps then
            k = k + 1
            local l = clean_loss(net)
            rows[#rows + 1] = {M, rep, step, l}
            sum[k] = (sum[k] or 0) + l / cfg.repeats
            if rep == 1 then s.x[k] = step end
          end
          bar:update(step)
        end
        bar:done()
      end
      s.y = sum
      series[#series + 1] = s
      exp.results["final_loss_M" .. M] = s.y[#s.y]
    end
    exp:csv("loss_vs_M.csv", {"M", "run", "step", "train_loss_clean"}, rows)
    local fig = exp:plot("line", {file = "fig_loss_vs_M", title = string.format(
      "sinusoids, %s GNI sigma=%g, width %d, %d hidden layers: training loss (mean of %d runs)",
      cfg.train_mode, sigma_of(cfg.train_mode), cfg.width, cfg.hidden, cfg.repeats),
      xlabel = "step", ylabel = "training MSE (noise off)", logy = true, series = series})
    exp.figure = fig.png
  end)
end

---------------------------------------------------------------------------------------------
-- 3. GNI replaced by fitted α-stable or Gaussian gradient noise
if want("replace") then
  exp:phase("replacement noise", function()
    local mode = cfg.train_mode
    if not (fits[mode] and next(fits[mode])) then
      error("the replace part needs the stats part for mode '" .. mode .. "' (--parts stats,replace)")
    end
    local rows, series = {}, {}
    local arms = {"GNI", "stable", "gaussian", "none"}
    for _, arm in ipairs(arms) do
      local rng = nl.rng.new(exp.seed)
      local net = mlp(mode, sigma_of(mode), rng)
      local noise_rng = nl.rng.new(exp.seed + 1000)
      local plist = net:parameter_list()
      -- per weight matrix: the law its gradient noise is drawn from
      local laws = {}
      for _, p in ipairs(plist) do
        local f = fits[mode][p.name]
        if p.is_weight and f then
          if arm == "stable" and f.alpha then
            laws[#laws + 1] = {p = p, d = nl.levy.stable{alpha = f.alpha, beta = f.beta,
              scale = f.scale, loc = 0, param = "S0"}, shift = f.mean}
          elseif arm == "gaussian" then
            laws[#laws + 1] = {p = p, gauss = f.sd, shift = f.mean}
          end
        end
      end
      local opt = nl.optim.SGD(net, {lr = cfg.lr, noise_fn = function(d)
        -- d is the flat update direction (the gradient); add the replacement noise to each
        -- weight matrix's slice (offset is 0-based, narrow is 1-based)
        for _, L in ipairs(laws) do
          local slice = d:narrow(1, L.p.offset + 1, L.p.numel)
          local z = L.d and L.d:sample(L.p.numel, noise_rng) or (T.randn({L.p.numel}, noise_rng) * L.gauss)
          slice:add_((z + L.shift):to(slice:dtype()))
        end
      end})
      local s = {name = arm == "GNI" and ("GNI (" .. mode .. ")") or arm == "none" and "no noise"
        or ("fitted " .. arm .. " gradient noise"), x = {}, y = {}, style = "lines"}
      local bar = exp:progress(cfg.steps, {label = "replacement: " .. arm})
      local diverged
      for step = 1, cfg.steps do
        if arm == "GNI" then
          gni_step(net, opt, 1)
        else
          -- clean gradient (noise layers off), plus the replacement noise through noise_fn
          net:evaluate()
          net:zero_grad()
          local out = net:forward(x)
          loss:forward(out, y)
          net:backward(x, loss:backward(out, y))
          net:train()
          opt:step()
        end
        if step % cfg.log_every == 0 or step == cfg.steps then
          local l = clean_loss(net)
          rows[#rows + 1] = {arm, step, l}
          if l ~= l or l == math.huge then
            -- e.g. a fitted α < 1: draws without a mean throw the weights to infinity
            diverged = step
            break
          end
          s.x[#s.x + 1], s.y[#s.y + 1] = step, l
        end
        bar:update(step)
      end
      bar:done()
      if diverged then s.name = s.name .. string.format(" (diverged by step %d)", diverged) end
      series[#series + 1] = s
      exp.results["replace_final_loss_" .. arm] = not diverged and s.y[#s.y] or nil
      exp.results["replace_diverged_" .. arm] = diverged
    end
    exp:csv("replacement.csv", {"arm", "step", "train_loss_clean"}, rows)
    exp:plot("line", {file = "fig_replacement", title = string.format(
      "GNI (%s, sigma=%g) vs its noise replaced by fitted laws", mode, sigma_of(mode)),
      xlabel = "step", ylabel = "training MSE (noise off)", logy = true, series = series})
  end)
end

exp:finish()
print("results: " .. exp.dir)
if exp.figure then print("figure: " .. exp.figure) end
