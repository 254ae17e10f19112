-- Ziyin, Liu, Mori & Ueda, "Strength of Minibatch Noise in SGD", ICLR 2022 (arXiv 2102.05375).
--
-- Claim: in linear regression the minibatch noise of SGD has exact closed forms; the stationary
-- fluctuation of the weights diverges at a learning rate that continuous-time theory misses;
-- the stationary law of 1-d SGD is heavy-tailed with an index that falls with λ; a negative
-- weight decay can be optimal at large λ; and the loss fluctuation of a wide network explodes
-- at fixed λ but not with λ ∝ 1/width.
--
-- Setting (paper §3, DESIGN.md §4): x ~ N(0, A), y = uᵀx + ε, Var ε = σ², batches of S fresh
-- samples each step (online SGD: the N → ∞ limit of sampling with replacement, in which the
-- Gaussian closed forms are exact), learning rate λ, no momentum.
-- Parts (--parts var,two_d,tail,wd,mlp):
--   var    Var(w) against λ for a = 1, S = 10: simulation (many chains at once as tensors),
--          the discrete-time theory (nl.theory.stationary) and the continuous-time λσ²/(2S);
--   two_d  the 2-d case with Hessian eigenvalues (1, 0.5), λ = 1.5, S ∈ {10, 50};
--   tail   the stationary tail index of 1-d SGD against S: exact Kesten root, the paper's
--          2S/(aλ) − S, and a Hill estimate from the simulated chains;
--   wd     the optimal L2 weight decay γ* against λ (theory; negative past λa ≈ 1);
--   mlp    a two-layer tanh MLP on Fashion-MNIST: variance of the training loss over the last
--          steps against width, λ fixed vs λ ∝ 1/width.
--
--   noiselab examples/ziyin2022_minibatch_noise.lua --quick
local nl = require "noiselab"

local exp = nl.experiment{
  name = "ziyin2022_minibatch_noise",
  description = "minibatch noise in linear regression (Ziyin et al. 2022)",
  argv = arg,
  config = {
    parts = {"var", "two_d", "tail", "wd", "mlp"},
    a = 1.0, u = 1.0, sigma = 1.0, S = 10,
    lambdas = {0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.5, 1.55, 1.6},
    chains = 4000, steps = 3000, burn = 1000, thin = 5,
    two_d_eigs = {1.0, 0.5}, two_d_lambda = 1.5, two_d_S = {10, 50}, two_d_chains = 2000,
    tail_lambda = 1.0, tail_S = {1, 2, 3, 4, 6, 8}, tail_chains = 20000, tail_steps = 400,
    tail_hill_k = 0.02,
    wd_lambdas = {0.1, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5}, wd_sigma = 1.0,
    mlp_widths = {16, 64, 256, 1024}, mlp_lr = 0.1, mlp_ref_width = 64, mlp_n = 4000,
    mlp_batch = 32, mlp_epochs = 4, mlp_eval_every = 10, mlp_window = 50,
  },
  doc = {
    a = "input variance (1-d Hessian)", u = "target weight", sigma = "label-noise std",
    S = "batch size", lambdas = "learning rates λ for Var(w)",
    chains = "independent SGD chains simulated at once", burn = "steps discarded",
    two_d_chains = "chains in the 2-d part",
    thin = "use every thin-th step after burn-in",
    tail_hill_k = "fraction of the largest |w| used by the Hill estimator",
    wd_lambdas = "learning rates for the optimal weight decay",
    wd_sigma = "label-noise std in the weight-decay part (0: the paper's Thm 4 setting)",
    mlp_ref_width = "width at which both λ schedules agree (λ ∝ 1/width: mlp_lr·ref/width)",
    mlp_window = "number of evaluations (at the end) over which the loss variance is taken",
  },
  presets = {
    quick = {lambdas = {0.2, 0.6, 1.0, 1.4, 1.55}, chains = 2000, steps = 1500, burn = 500,
      two_d_chains = 1000, tail_chains = 10000, tail_steps = 300,
      mlp_widths = {16, 64, 256}, mlp_n = 2000, mlp_epochs = 3},
    smoke = {lambdas = {0.5, 1.0}, chains = 2000, steps = 300, burn = 100, thin = 2,
      two_d_S = {10}, two_d_chains = 2000, tail_S = {1, 4}, tail_chains = 4000, tail_steps = 100,
      wd_lambdas = {0.5, 1.5}, mlp_widths = {16, 64}, mlp_n = 300, mlp_epochs = 1,
      mlp_eval_every = 2, mlp_window = 10},
  },
}
local cfg = exp.config
local T = nl.tensor

-- Running first and second moments of every entry pushed (tensors or numbers).
local function moments()
  local m = {n = 0, s1 = 0.0, s2 = 0.0}
  function m:push(x)
    if type(x) == "number" then
      self.n, self.s1, self.s2 = self.n + 1, self.s1 + x, self.s2 + x * x
    else
      self.n, self.s1, self.s2 = self.n + #x, self.s1 + x:sum(), self.s2 + (x * x):sum()
    end
  end
  function m:mean() return self.s1 / self.n end
  function m:var() local mu = self.s1 / self.n return (self.s2 / self.n - mu * mu) * self.n / (self.n - 1) end
  return m
end

local function want(part)
  for _, p in ipairs(cfg.parts) do if p == part then return true end end
  return false
end

-- Online minibatch SGD on 1-d linear regression, `chains` independent chains at once:
--   w ← w − λ·(1/S)Σ_i x_i(x_i w − y_i),  x_i ~ N(0, a), y_i = u x_i + ε_i.
-- Calls visit(step, w) after every step (w: chains×1 tensor).
local function sgd_1d(lambda, S, chains, steps, visit)
  local w = T.zeros{chains, 1}
  local sa = math.sqrt(cfg.a)
  for step = 1, steps do
    local x = T.randn{chains, S} * sa
    local y = x * cfg.u + T.randn{chains, S} * cfg.sigma
    local grad = (x * (x * w - y)):mean(2, true)          -- chains×1
    w = w - grad * lambda
    visit(step, w)
  end
  return w
end

-- Discrete-time closed form (Ziyin et al. Thm 2); in 1-d it reads
-- Σ = λσ²/(S(2 − λa(1 + 2/S))), finite while λa(1 + 2/S) < 2 (inf beyond).
local function var_theory(lambda, S)
  local v = nl.theory.stationary{A = cfg.a, sigma2 = cfg.sigma ^ 2, S = S, lr = lambda}
  return v or math.huge
end

---------------------------------------------------------------------------------------------
-- 1. Var(w) against λ
if want("var") then
  exp:phase("var(w) vs lambda", function()
    local rows, xs, sim, disc, cont = {}, {}, {}, {}, {}
    local bar = exp:progress(#cfg.lambdas * cfg.steps, {label = "Var(w) vs lambda"})
    local done = 0
    for _, lambda in ipairs(cfg.lambdas) do
      local acc = moments()
      sgd_1d(lambda, cfg.S, cfg.chains, cfg.steps, function(step, w)
        if step > cfg.burn and (step - cfg.burn) % cfg.thin == 0 then acc:push(w) end
        done = done + 1
        if step % 100 == 0 then bar:update(done) end
      end)
      local v = acc:var()
      local th = var_theory(lambda, cfg.S)
      local ct = lambda * cfg.sigma ^ 2 / (2 * cfg.S)
      rows[#rows + 1] = {lambda, v, th, ct, th == math.huge and "" or (v - th) / th}
      xs[#xs + 1], sim[#sim + 1], disc[#disc + 1], cont[#cont + 1] = lambda, v, th, ct
    end
    bar:done()
    exp:csv("var_vs_lambda.csv", {"lambda", "var_sim", "var_discrete_theory",
      "var_continuous_theory", "rel_err"}, rows)
    local worst = 0
    for _, r in ipairs(rows) do
      if type(r[5]) == "number" then worst = math.max(worst, math.abs(r[5])) end
    end
    exp.results.var_rel_err_max = worst
    exp.results.var_lambdas = xs
    exp.results.var_sim = sim
    local lmax = 2 / (cfg.a * (1 + 2 / cfg.S))
    exp.results.lambda_max_theory = lmax
    exp.figure = exp:path("fig_var_vs_lambda.png")
    -- the two theories on a fine grid up to just below the divergence
    local fx, fd, fc = {}, {}, {}
    for i = 1, 200 do
      local l = lmax * 0.995 * i / 200
      fx[i], fd[i], fc[i] = l, var_theory(l, cfg.S), l * cfg.sigma ^ 2 / (2 * cfg.S)
    end
    exp:plot("line", {file = "fig_var_vs_lambda", title = string.format(
      "Var(w), 1-d linear regression, a=%g, S=%d (diverges at lambda=%.3f)", cfg.a, cfg.S, lmax),
      xlabel = "learning rate lambda", ylabel = "Var(w)", logy = true, key = "top left",
      series = {{name = "simulation", x = xs, y = sim, style = "points"},
                {name = "discrete-time theory (Thm 2)", x = fx, y = fd, style = "lines"},
                {name = "continuous-time lambda sigma^2/(2S)", x = fx, y = fc, style = "lines", dash = 2}}})
  end)
end

---------------------------------------------------------------------------------------------
-- 2. Two dimensions: A = diag(eigs), λ fixed, several S
if want("two_d") then
  exp:phase("2-d", function()
    local e1, e2 = cfg.two_d_eigs[1], cfg.two_d_eigs[2]
    local A = {{e1, 0}, {0, e2}}
    local sq = T.from{{math.sqrt(e1), math.sqrt(e2)}}        -- 1×2, scales the columns
    local lambda = cfg.two_d_lambda
    local rows = {}
    for _, S in ipairs(cfg.two_d_S) do
      local C = cfg.two_d_chains
      local w = T.zeros{C, 1, 2}
      local acc1, acc2, acc12 = moments(), moments(), moments()
      for step = 1, cfg.steps do
        local x = T.randn{C, S, 2} * sq:reshape{1, 1, 2}
        local y = x:sum(3, true) * cfg.u + T.randn{C, S, 1} * cfg.sigma   -- u = (u, u)
        local r = (x * w):sum(3, true) - y                                 -- C×S×1
        w = w - (x * r):mean(2, true) * lambda                             -- C×1×2
        if step > cfg.burn and (step - cfg.burn) % cfg.thin == 0 then
          local d1 = w:select(3, 1) - cfg.u
          local d2 = w:select(3, 2) - cfg.u
          acc1:push(d1)
          acc2:push(d2)
          acc12:push(d1 * d2)
        end
      end
      local th = nl.theory.stationary{A = A, sigma2 = cfg.sigma ^ 2, S = S, lr = lambda}
      local t11 = th and th:get(1, 1) or math.huge
      local t22 = th and th:get(2, 2) or math.huge
      local t12 = th and th:get(1, 2) or math.huge
      rows[#rows + 1] = {S, lambda, acc1:var(), t11, acc2:var(), t22, acc12:mean(), t12}
    end
    exp:csv("two_d.csv", {"S", "lambda", "var1_sim", "var1_theory", "var2_sim", "var2_theory",
      "cov12_sim", "cov12_theory"}, rows)
    local worst = 0
    for _, r in ipairs(rows) do
      worst = math.max(worst, math.abs(r[3] - r[4]) / r[4], math.abs(r[5] - r[6]) / r[6])
    end
    exp.results.two_d_rel_err_max = worst
  end)
end

---------------------------------------------------------------------------------------------
-- 3. Tail index of the stationary law against S
if want("tail") then
  exp:phase("tail index vs S", function()
    local rows, xs, exact, approx, hill = {}, {}, {}, {}, {}
    for _, S in ipairs(cfg.tail_S) do
      local beta = nl.theory.tail_index{a = cfg.a, lr = cfg.tail_lambda, S = S}  -- nil: no law
      local paper = 2 * S / (cfg.a * cfg.tail_lambda) - S
      local w = sgd_1d(cfg.tail_lambda, S, cfg.tail_chains, cfg.tail_steps, function() end)
      local k = math.max(10, math.floor(cfg.tail_hill_k * cfg.tail_chains))
      -- Hill on |w − u| across independent chains at the last step
      local h = nl.estim.tail_index((w - cfg.u):reshape{cfg.tail_chains}, {method = "hill", k = k})
      rows[#rows + 1] = {S, cfg.tail_lambda, beta or "", paper, h, k}
      xs[#xs + 1], approx[#approx + 1], hill[#hill + 1] = S, paper, h
      exact[#exact + 1] = beta or 0 / 0
    end
    exp:csv("tail_index_vs_S.csv", {"S", "lambda", "exact_kesten", "paper_2S_over_alambda_minus_S",
      "hill_sim", "hill_k"}, rows)
    exp.results.tail_S, exp.results.tail_exact, exp.results.tail_hill = xs, exact, hill
    exp:plot("line", {file = "fig_tail_index_vs_S", title = string.format(
      "stationary tail index of 1-d SGD, a*lambda = %g", cfg.a * cfg.tail_lambda),
      xlabel = "batch size S", ylabel = "tail index", key = "top left",
      series = {{name = "exact (Kesten root)", x = xs, y = exact, style = "linespoints"},
                {name = "paper: 2S/(a lambda) - S", x = xs, y = approx, style = "lines", dash = 2},
                {name = "Hill on simulated chains", x = xs, y = hill, style = "points"}}})
  end)
end

---------------------------------------------------------------------------------------------
-- 4. Optimal weight decay against λ
if want("wd") then
  exp:phase("optimal weight decay", function()
    local rows, xs, ys = {}, {}, {}
    for _, lambda in ipairs(cfg.wd_lambdas) do
      local gamma, loss = nl.theory.optimal_weight_decay{a = cfg.a, u = cfg.u, lr = lambda,
        S = cfg.S, sigma2 = cfg.wd_sigma ^ 2}
      rows[#rows + 1] = {lambda, gamma, loss}
      xs[#xs + 1], ys[#ys + 1] = lambda, gamma
    end
    exp:csv("optimal_weight_decay.csv", {"lambda", "gamma_star", "test_loss"}, rows)
    exp.results.wd_lambdas, exp.results.wd_gamma = xs, ys
    exp:plot("line", {file = "fig_optimal_weight_decay", title = string.format(
      "optimal L2 weight decay, 1-d, a=%g, u=%g, S=%d, label-noise std %g", cfg.a, cfg.u, cfg.S, cfg.wd_sigma),
      xlabel = "learning rate lambda", ylabel = "gamma*", hlines = {{y = 0, name = "0"}},
      series = {{name = "gamma* (theory)", x = xs, y = ys, style = "linespoints"}}})
  end)
end

---------------------------------------------------------------------------------------------
-- 5. Two-layer tanh MLP on Fashion-MNIST: loss fluctuation against width
if want("mlp") then
  exp:phase("tanh MLP", function()
    local train = nl.data.fashion_mnist{split = "train", n = cfg.mlp_n}
    local rows, curves = {}, {}
    for _, schedule in ipairs{"fixed", "inverse_width"} do
      local xs, ys = {}, {}
      for _, width in ipairs(cfg.mlp_widths) do
        local lr = schedule == "fixed" and cfg.mlp_lr or cfg.mlp_lr * cfg.mlp_ref_width / width
        local rng = nl.rng.new(7919 * width + (schedule == "fixed" and 1 or 2) + 104729 * (exp.seed - 1))
        local net = nl.nn.Sequential{nl.nn.Linear(784, width, {rng = rng}), nl.nn.Tanh(),
          nl.nn.Linear(width, 10, {rng = rng})}
        local loss = nl.nn.CrossEntropy()
        local opt = nl.optim.SGD(net, {lr = lr})
        local history = {}
        local step = 0
        local bar = exp:progress(cfg.mlp_epochs * nl.data.num_batches(train, cfg.mlp_batch),
          {label = string.format("%s lr, width %d", schedule, width)})
        for _ = 1, cfg.mlp_epochs do
          for xb, yb in nl.data.batches(train, cfg.mlp_batch, {shuffle = true, rng = rng}) do
            net:zero_grad()
            local out = net:forward(xb)
            local l = loss:forward(out, yb)
            net:backward(xb, loss:backward(out, yb))
            opt:step()
            step = step + 1
            if step % cfg.mlp_eval_every == 0 then
              history[#history + 1] = nl.probe.evaluate(net, train).loss
            end
            bar:update(step)
          end
        end
        bar:done()
        -- fluctuation of the full training loss over the last mlp_window evaluations: the
        -- variance of the residuals about a straight line (the slow descent is not noise)
        local n = math.min(cfg.mlp_window, #history)
        local ts, ls = {}, {}
        for i = #history - n + 1, #history do ts[#ts + 1], ls[#ls + 1] = i, history[i] end
        local tm, lm = 0, 0
        for i = 1, n do tm, lm = tm + ts[i] / n, lm + ls[i] / n end
        local stl, stt = 0, 0
        for i = 1, n do stl, stt = stl + (ts[i] - tm) * (ls[i] - lm), stt + (ts[i] - tm) ^ 2 end
        local slope = stt > 0 and stl / stt or 0
        local acc, raw = moments(), moments()
        for i = 1, n do
          acc:push(ls[i] - lm - slope * (ts[i] - tm))
          raw:push(ls[i])
        end
        rows[#rows + 1] = {schedule, width, lr, raw:mean(), raw:var(), acc:var(), n}
        xs[#xs + 1], ys[#ys + 1] = width, acc:var()
      end
      curves[#curves + 1] = {name = schedule == "fixed" and "lambda fixed" or "lambda ∝ 1/width",
        x = xs, y = ys, style = "linespoints"}
    end
    exp:csv("mlp_loss_variance.csv", {"schedule", "width", "lr", "loss_mean", "loss_var",
      "loss_var_detrended", "window"}, rows)
    exp:plot("line", {file = "fig_mlp_loss_variance", title = "two-layer tanh MLP, Fashion-MNIST: training-loss fluctuation",
      xlabel = "width", ylabel = "variance of the training loss about its trend", logx = true,
      logy = true, key = "top left", series = curves})
  end)
end

exp:finish()
print("results: " .. exp.dir)
if exp.results.var_rel_err_max then
  print(string.format("  max |Var(w)_sim / theory - 1| over lambda: %.3g", exp.results.var_rel_err_max))
end
if exp.results.two_d_rel_err_max then
  print(string.format("  2-d: max relative error of the variances: %.3g", exp.results.two_d_rel_err_max))
end
if exp.figure then print("figure: " .. exp.figure) end
