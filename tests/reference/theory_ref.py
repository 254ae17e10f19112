#!/usr/bin/python3
"""Reference values for tests/theory_spec.lua, computed independently of noiselab.

  - Kesten tail index of 1-d online SGD: root beta of E|1 - c chi2_S|^beta = 1, c = a*lr/S,
    with mpmath (arbitrary exponent range, so no log shift; quad split at the kink 1/c;
    findroot with the secant method started from the bisection bracket).
  - c_alpha: 1 / (2 * int_0^inf (1 - cos y) y^(-1-alpha) dy) (mpmath quadosc), i.e. the
    constant that makes c_alpha |y|^(-1-alpha) the Levy density of exp(-|u|^alpha); compared
    with Gamma(1+alpha) sin(pi alpha/2)/pi in C.
  - Ziyin et al. Thm 2 closed form (numpy, eigen-decomposition) and the exact discrete
    stationary covariance by a Kronecker solve written directly in numpy (E[A_hat X A_hat] by
    averaging over the data rows), for a small fixed data set stored in the output.
  - 1-d L2: the optimal weight decay by scipy.optimize.minimize_scalar (bounded) on the test
    loss, an independent optimiser.
Writes tests/reference/theory_ref.lua.  Run: /usr/bin/python3 tests/reference/theory_ref.py
"""
import math, os
import numpy as np
import mpmath as mp
from scipy.optimize import minimize_scalar

mp.mp.dps = 30
out = []

def lua_num(x):
    return repr(float(x)) if math.isfinite(x) else ("math.huge" if x > 0 else "-math.huge")

# ---- tail index ----
def logmom(c, S, beta):
    S = mp.mpf(S); c = mp.mpf(c); beta = mp.mpf(beta)
    f = lambda x: abs(1 - c * x) ** beta * x ** (S / 2 - 1) * mp.e ** (-x / 2) / (2 ** (S / 2) * mp.gamma(S / 2))
    k = 1 / c
    pk = max(k + 1, 2 * beta + S)
    pts = [0, k, pk, pk + 40 * mp.sqrt(2 * (beta + S)) + 80, mp.inf]
    return mp.log(mp.quad(f, pts))

def tail_index(a, lr, S):
    c = a * lr / S
    lo, hi = mp.mpf('1e-6'), mp.mpf(1)
    while logmom(c, S, hi) < 0:
        hi *= 2
    lo = hi / 2
    while logmom(c, S, lo) > 0:
        lo /= 2
    for _ in range(40):  # bisection to a tight bracket, then secant polish
        mid = (lo + hi) / 2
        if logmom(c, S, mid) < 0: lo = mid
        else: hi = mid
    return float(mp.findroot(lambda b: logmom(c, S, b), (lo, hi), solver='anderson', tol=1e-25))

tails = []
for S in (1, 2, 10, 50):
    for lr in (0.1, 0.5, 1.0, 1.5):
        c = lr / S
        # stationary only if E log|1 - c chi2| < 0
        el = mp.quad(lambda x: mp.log(abs(1 - c * x)) * x ** (mp.mpf(S) / 2 - 1) * mp.e ** (-x / 2) / (2 ** (mp.mpf(S) / 2) * mp.gamma(mp.mpf(S) / 2)), [0, 1 / c, mp.inf])
        if el >= 0:
            tails.append((S, lr, float('nan'))); continue
        tails.append((S, lr, tail_index(1.0, lr, S)))
out.append("tail_index = {")
for S, lr, b in tails:
    out.append("  {S = %d, lr = %s, beta = %s}," % (S, lua_num(lr), "0/0" if math.isnan(b) else lua_num(b)))
out.append("},")

# ---- c_alpha ----
out.append("c_alpha = {")
for al in (0.5, 1.0, 1.3, 1.5, 1.8):
    # split: the integrable singularity at 0 by tanh-sinh on [0, 1]; the tail as
    # 1/alpha - int_1^inf cos(y) y^(-1-alpha) dy with the oscillatory part by quadosc
    # 1 - cos y = 2 sin^2(y/2) (no cancellation); its y^2/2 part is integrated in closed form,
    # (1/2) int_0^1 y^(1-alpha) dy = 1/(2(2-alpha)), leaving a remainder ~ y^(3-alpha) that
    # tanh-sinh integrates to full precision
    I0 = mp.quad(lambda y: (2 * mp.sin(y / 2) ** 2 - y * y / 2) * y ** (-1 - al), [0, 1]) + 1 / (2 * (2 - mp.mpf(al)))
    I1 = 1 / mp.mpf(al) - mp.quadosc(lambda y: mp.cos(y) * y ** (-1 - al), [1, mp.inf], period=2 * mp.pi)
    I = I0 + I1
    out.append("  {alpha = %s, c = %s}," % (lua_num(al), lua_num(1 / (2 * I))))
out.append("},")

# ---- Thm 2 closed form ----
A = np.array([[1.0, 0.3], [0.3, 0.5]])
def thm2(A, s2, S, lr, mu):
    w, Q = np.linalg.eigh(A)
    c = (1 - mu) / (1 + mu) + 1 / S
    g = 2 * (1 - mu) - c * lr * w
    if np.any(g <= 0): return None
    T = lr * np.sum(w / g)
    if T / S >= 1: return None
    return (lr * s2 / S) / (1 - T / S) * (Q @ np.diag(1 / g) @ Q.T)
out.append("thm2 = {")
for mu in (0.0, 0.5, 0.9):
    for lr in (0.1, 0.5, 1.0, 1.5):
        Sg = thm2(A, 0.7, 8, lr, mu)
        if Sg is None:
            out.append("  {mu = %s, lr = %s, S = 8, sigma2 = 0.7, diverges = true}," % (lua_num(mu), lua_num(lr)))
        else:
            out.append("  {mu = %s, lr = %s, S = 8, sigma2 = 0.7, Sigma = {{%s, %s}, {%s, %s}}}," % (
                lua_num(mu), lua_num(lr), *map(lua_num, Sg.ravel())))
out.append("},")
out.append("thm2_A = {{1.0, 0.3}, {0.3, 0.5}},")

# ---- exact stationary covariance for a finite data set (numpy Kronecker solve) ----
rng = np.random.default_rng(20220125)
N, d = 40, 2
X = rng.normal(size=(N, d)) @ np.array([[1.0, 0.0], [0.4, 0.6]])
y = X @ np.array([0.5, -1.0]) + 0.8 * rng.normal(size=N)

def exact_data(X, y, S, lr, mu, gam):
    N, d = X.shape
    Abar = X.T @ X / N
    B = Abar + gam * np.eye(d)
    ws = np.linalg.solve(B, X.T @ y / N)
    r = X @ ws - y
    G = X * r[:, None] + gam * ws            # per-sample gradients at w*, mean zero
    V = G.T @ G / N / S
    n = 2 * d
    # second moment map on the joint state z = (e, m): z' = M z + b
    # M = [[I - lr Y, -lr mu I], [Y, mu I]], Y = A_hat + gam I, batch of S with replacement.
    def EMPM(P):
        # expectation by exact enumeration of the single-sample moments:
        # E[Y X Y] = B X B + (1/S)(mean_i a_i X a_i - Abar X Abar)
        def EYXY(Xm):
            four = sum(np.outer(X[i], X[i]) @ Xm @ np.outer(X[i], X[i]) for i in range(N)) / N
            return B @ Xm @ B + (four - Abar @ Xm @ Abar) / S
        I = np.eye(d)
        # write M = M0 + v (x) (Y - B) E1 with E[Y - B] = 0: E[M P M^T] = Mb P Mb^T + fluct.
        Mb = np.block([[I - lr * B, -lr * mu * I], [B, mu * I]])
        res = Mb @ P @ Mb.T
        P11 = P[:d, :d]
        fl = EYXY(P11) - B @ P11 @ B          # Cov part of Y P11 Y
        res[:d, :d] += lr * lr * fl
        res[:d, d:] += -lr * fl
        res[d:, :d] += -lr * fl
        res[d:, d:] += fl
        return res
    K = np.zeros((n * n, n * n))
    for k in range(n * n):
        E = np.zeros(n * n); E[k] = 1
        P = E.reshape(n, n)
        K[:, k] = (P - EMPM(P)).ravel()
    Q = np.block([[lr * lr * V, -lr * V], [-lr * V, V]])
    P = np.linalg.solve(K, Q.ravel()).reshape(n, n)
    return P[:d, :d], ws

out.append("data_X = {" + ", ".join("{%s, %s}" % (lua_num(a), lua_num(b)) for a, b in X) + "},")
out.append("data_y = {" + ", ".join(lua_num(v) for v in y) + "},")
out.append("exact_data = {")
for (S, lr, mu, gam) in ((4, 0.3, 0.0, 0.0), (4, 0.8, 0.0, 0.1), (10, 0.5, 0.5, 0.0), (2, 0.05, 0.5, -0.05),
                         (2, 0.2, 0.9, -0.05)):
    Sg, ws = exact_data(X, y, S, lr, mu, gam)
    if np.linalg.eigvalsh(Sg).min() < 0:   # no stationary law: the solve gives a non-PSD matrix
        out.append("  {S = %d, lr = %s, mu = %s, gamma = %s, diverges = true}," % (S, lua_num(lr), lua_num(mu), lua_num(gam)))
        continue
    out.append("  {S = %d, lr = %s, mu = %s, gamma = %s, Sigma = {{%s, %s}, {%s, %s}}, wstar = {%s, %s}}," % (
        S, lua_num(lr), lua_num(mu), lua_num(gam), *map(lua_num, Sg.ravel()), *map(lua_num, ws)))
out.append("},")

# ---- noise covariance of the data set at a given w ----
w = np.array([0.2, 0.1]); S = 5
g = X * (X @ w - y)[:, None]
C = g.T @ g / (S * N) - np.outer(g.mean(0), g.mean(0)) / S
out.append("noise_cov_data = {w = {0.2, 0.1}, S = 5, C = {{%s, %s}, {%s, %s}}}," % tuple(map(lua_num, C.ravel())))

# ---- 1-d L2 ----
def l2loss(a, u, gam, lr, S, s2):
    K = a + gam
    den = 2 * K - lr * K * K - 2 * lr * a * a / S
    if K <= 0 or den <= 0: return math.inf
    b2 = gam * gam * u * u / (K * K)
    Sg = lr * (2 * a * a * b2 + a * s2) / S / den
    return 0.5 * a * (Sg + b2)
out.append("l2 = {")
for lr in (0.2, 0.5, 1.0, 1.3, 1.6):
    a, u, S, s2 = 1.0, 1.0, 10.0, 1.0
    disc = 1 - 2 * lr * lr * a * a / S
    Klo, Khi = (1 - math.sqrt(disc)) / lr, (1 + math.sqrt(disc)) / lr
    r = minimize_scalar(lambda g: l2loss(a, u, g, lr, S, s2), bounds=(Klo - a + 1e-9, Khi - a - 1e-9),
                        method='bounded', options={'xatol': 1e-12})
    out.append("  {a = 1, u = 1, S = 10, sigma2 = 1, lr = %s, gamma = %s, loss = %s}," % (
        lua_num(lr), lua_num(r.x), lua_num(r.fun)))
out.append("},")

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "theory_ref.lua")
with open(path, "w") as f:
    f.write("-- generated by tests/reference/theory_ref.py (mpmath, numpy, scipy); do not edit\n")
    f.write("return {\n" + "\n".join(out) + "\n}\n")
print("wrote", path)
