#!/usr/bin/env python3
"""Reference values for tests/estim_spec.lua, computed independently of noiselab.

Writes (next to this script):
  estim_data_noise.npy   a 60 x 97 "gradient noise" matrix (Student-t(1.7) scaled per column,
                         ~4% exact zeros as from dead units), float64
  estim_data_sas.npy     20000 SaS(alpha=1.5) values (Chambers-Mallows-Stuck in NumPy)
  estim_data_skew.npy    2000 values of S1(alpha=1.5, beta=-0.7, scale=1, loc=5)
                         (scipy issue 14470 territory: negative beta, nonzero location)
  estim_data_negloc.npy  2000 values of S1(1.3, 0.4, scale 2, loc -10)   (issue 14470: loc < 0)
  estim_data_alpha1.npy  2000 values of S1(1.0, 0.5, scale 1, loc 3)     (issue 14470: alpha = 1)
  estim_reference.lua    the numbers below as a Lua table

The Mohammadi estimator is a transcription of the authors' code (Simsekli et al. 2019,
umutsimsekli/sgd_tail_index, utils.alpha_estimator / alpha_estimator2 and main.eval's choice
of m) into NumPy float64.  Everything else comes from SciPy.

Run:  /usr/bin/python3 tests/reference/estim_reference.py   (numpy, scipy; ~10 s)
"""
import math
import os

import numpy as np
import scipy
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
EPS = np.spacing(1)  # 2.220446049250313e-16, as the authors' code


def authors_m(N):
    """main.eval: the largest divisor of N in 1..int(sqrt(N))."""
    m = 1
    for i in range(1, 1 + int(math.sqrt(N))):
        if N % i == 0:
            m = i
    return m


def alpha_estimator(m, X):
    """utils.alpha_estimator (Corollary 2.4), X flattened to N x 1."""
    X = np.asarray(X, dtype=np.float64).reshape(-1)
    n = len(X) // m
    Y = X[: n * m].reshape(n, m).sum(axis=1)
    y = np.log(np.abs(Y) + EPS).mean()
    x = np.log(np.abs(X[: n * m]) + EPS).mean()
    return 1.0 / ((y - x) / math.log(m))


def alpha_estimator2(m, k, X):
    """utils.alpha_estimator2 (Corollary 2.2)."""
    X = np.asarray(X, dtype=np.float64).reshape(-1)
    n = len(X) // m
    Y = X[: n * m].reshape(n, m).sum(axis=1)
    ly = np.sort(np.log(np.abs(Y) + EPS))
    lx = np.sort(np.log(np.abs(X[: n * m]) + EPS))
    return 1.0 / ((ly[k - 1] - lx[m * k - 1]) / math.log(m))


def cms_sas(alpha, n, rng):
    """Symmetric alpha-stable (scale 1) by Chambers-Mallows-Stuck."""
    V = rng.uniform(-np.pi / 2, np.pi / 2, n)
    W = rng.exponential(1.0, n)
    if alpha == 1:
        return np.tan(V)
    return (np.sin(alpha * V) / np.cos(V) ** (1 / alpha)
            * (np.cos((1 - alpha) * V) / W) ** ((1 - alpha) / alpha))


def order_stats(x):
    d = np.sort(np.abs(x))[::-1]
    return d


def hill(d, k):
    L = np.log(d[: k + 1])
    return 1.0 / np.mean(L[:k] - L[k])


def pickands(d, k):
    xi = np.log((d[k - 1] - d[2 * k - 1]) / (d[2 * k - 1] - d[4 * k - 1])) / np.log(2)
    return 1.0 / xi


def moment(d, k):
    L = np.log(d[: k + 1])
    M1 = np.mean(L[:k] - L[k])
    M2 = np.mean((L[:k] - L[k]) ** 2)
    return 1.0 / (M1 + 1 - 0.5 / (1 - M1 * M1 / M2))


def lua(v):
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {lua(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "{" + ", ".join(lua(x) for x in v) + "}"
    if isinstance(v, str):
        return '"' + v + '"'
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    v = float(v)
    if math.isnan(v):
        return "0/0"
    if math.isinf(v):
        return "math.huge" if v > 0 else "-math.huge"
    return repr(v)


def main():
    rng = np.random.default_rng(20261123)
    out = {"numpy": np.__version__, "scipy": scipy.__version__}

    # ---- gradient-noise-like matrix: P = 60 minibatches x M = 97 parameters ----
    P, M = 60, 97
    scales = np.exp(rng.normal(0, 1.0, M))
    U = rng.standard_t(1.7, size=(P, M)) * scales
    dead = rng.random((P, M)) < 0.04
    U[dead] = 0.0
    U[:, 5] = 0.0  # a parameter that never gets gradient
    np.save(os.path.join(HERE, "estim_data_noise.npy"), U)
    flat = U.reshape(-1)  # minibatch-major, as torch's view(-1, 1)
    N = flat.size
    m = authors_m(N)
    moh = {"N": N, "k1": m, "alpha": alpha_estimator(m, flat),
           "zero_fraction": float(np.mean(flat == 0))}
    # documented noiselab variants
    nz = flat[flat != 0]
    k1z = int(math.isqrt(N))  # drop flags: K1 = floor(sqrt(n_total)), trailing block left out
    moh["drop_zeros"] = {"k1": k1z, "k2": len(nz) // k1z, "alpha": alpha_estimator(k1z, nz)}
    moh["k1_37"] = {"k1": 37, "k2": N // 37, "alpha": alpha_estimator(37, flat)}  # 5820 = 37*157 + 11
    K2 = N // m
    kos = (K2 + 1) // 2
    moh["os"] = {"k": kos, "alpha": alpha_estimator2(m, kos, flat)}
    moh["os_k7"] = {"k": 7, "alpha": alpha_estimator2(m, 7, flat)}
    out["mohammadi"] = moh

    # ---- SaS(1.5) sample: every estimator at fixed k, stats vs SciPy ----
    x = cms_sas(1.5, 20000, rng)
    np.save(os.path.join(HERE, "estim_data_sas.npy"), x)
    d = order_stats(x)
    os_ref = {}
    for k in (10, 100, 1000):
        os_ref[f"k{k}"] = {"hill": hill(d, k), "pickands": pickands(d, k), "moment": moment(d, k)}
    out["os"] = os_ref
    lx = np.log(np.abs(x))
    out["logmoment"] = 1 / math.sqrt(6 * lx.var(ddof=1) / math.pi ** 2 - 0.5)
    N2 = x.size
    out["sas_mohammadi"] = {"k1": authors_m(N2), "alpha": alpha_estimator(authors_m(N2), x)}
    xs = x[:1000]
    jb = stats.jarque_bera(xs)
    out["stats"] = {"skew": stats.skew(xs), "kurt": stats.kurtosis(xs),
                    "jb": jb.statistic, "jb_p": jb.pvalue}
    g = rng.normal(0.3, 2.0, 500)
    out["gauss500"] = [float(v) for v in g]
    jbg = stats.jarque_bera(g)
    ksn = stats.kstest(g, "norm", args=(g.mean(), g.std()))
    ksl = stats.kstest(g, "logistic", args=(0.3, 1.1))
    out["gauss_stats"] = {"skew": stats.skew(g), "kurt": stats.kurtosis(g), "jb": jbg.statistic,
                          "jb_p": jbg.pvalue, "ks_norm_D": ksn.statistic, "ks_norm_p": ksn.pvalue,
                          "ks_logis_D": ksl.statistic, "ks_logis_p": ksl.pvalue}
    kp = []
    for n, dd in [(10, 0.3), (100, 0.05), (100, 0.1), (500, 0.04), (1000, 0.03), (1000, 0.1),
                  (5000, 0.02), (20000, 0.005), (20000, 0.012), (20000, 0.03), (100000, 0.01)]:
        kp.append([n, dd, stats.kstwo.sf(dd, n)])
    out["ks_pvalues"] = kp

    # ---- McCulloch: SciPy's _fitstart on the same data (S1 output), incl. issue 14470 ----
    y = stats.levy_stable.rvs(1.5, -0.7, loc=5.0, scale=1.0, size=2000, random_state=rng)
    np.save(os.path.join(HERE, "estim_data_skew.npy"), y)
    # _fitstart returns (alpha, beta, loc, scale) in S1; reorder to (alpha, beta, scale, loc)
    a_, b_, l_, s_ = stats.levy_stable._fitstart(y)
    fs_skew = (a_, b_, s_, l_)
    a_, b_, l_, s_ = stats.levy_stable._fitstart(x)
    fs_sas = (a_, b_, s_, l_)
    # the other two cases of scipy issue 14470: negative location, alpha = 1
    yneg = stats.levy_stable.rvs(1.3, 0.4, loc=-10.0, scale=2.0, size=2000, random_state=rng)
    np.save(os.path.join(HERE, "estim_data_negloc.npy"), yneg)
    y1 = stats.levy_stable.rvs(1.0, 0.5, loc=3.0, scale=1.0, size=2000, random_state=rng)
    np.save(os.path.join(HERE, "estim_data_alpha1.npy"), y1)
    a_, b_, l_, s_ = stats.levy_stable._fitstart(yneg)
    fs_neg = (a_, b_, s_, l_)
    a_, b_, l_, s_ = stats.levy_stable._fitstart(y1)
    fs_a1 = (a_, b_, s_, l_)
    mirror = (stats.levy_stable._fitstart(y)[0], stats.levy_stable._fitstart(-y)[0])
    out["mcculloch"] = {
        "negloc_truth": [1.3, 0.4, 2.0, -10.0], "negloc_scipy": list(fs_neg),
        "alpha1_truth": [1.0, 0.5, 1.0, 3.0], "alpha1_scipy": list(fs_a1),
        "mirror_scipy_alpha": list(mirror),
        "skew_truth": [1.5, -0.7, 1.0, 5.0], "skew_scipy": list(fs_skew),
        "sas_truth": [1.5, 0.0, 1.0, 0.0], "sas_scipy": list(fs_sas),
        "quantiles_skew": list(np.percentile(y, [5, 25, 50, 75, 95])),
    }

    with open(os.path.join(HERE, "estim_reference.lua"), "w") as f:
        f.write("-- generated by tests/reference/estim_reference.py: do not edit\n")
        f.write("return " + lua(out) + "\n")
    print("wrote estim_reference.lua; mohammadi", moh["alpha"], "scipy fitstart skew", fs_skew)


if __name__ == "__main__":
    main()
