#!/usr/bin/env python3
"""Reference values of α-stable pdf / cdf / sf for tests/levy_spec.lua.

Usage:  nice -n 19 /usr/bin/python3 tests/reference/stable_reference.py [out.csv] [--jobs N]
Writes tests/reference/stable_reference.csv (committed).  Needs mpmath only.

Two independent high-precision methods per point; a value is kept only where they agree to a
relative 1e-14 (the C code is then tested against method A's value):

  A. Nolan (1997) Theorem 1, integral over θ of g e^{-g} (pdf), e^{-g} and 1 - e^{-g} (cdf, sf),
     in mpmath with the peak of the integrand (g = 1) located by bisection in log-distance from
     the nearer end of the θ interval, quadrature (tanh-sinh) split at the peak and at
     peak·e^{±m/k} (k = d log g / d log u), and the working precision raised so that θ keeps
     the peak's distance from the end to 40 digits.  This is the textbook V(θ), not the
     rearranged form used in src/core/stable_dist.c.
  B. One of, in this order of preference:
     - closed forms: α = 2 (Gauss, variance 2), α = 1 β = 0 (Cauchy), α = 1/2 β = ±1 (Lévy);
     - the series from expanding the characteristic function (Zolotarev 1986 §2.4; Nolan 2020
       §3.9): in powers of t^{-α} (convergent for α < 1, asymptotic for α > 1, used only when
       its smallest term is below 1e-30 of the sum), or in powers of t (α > 1, convergent);
       each summed at a precision raised by the digits lost to cancellation;
     - Gil-Pelaez / Fourier inversion of the characteristic function by Gauss-Legendre on
       sub-intervals shorter than a period (only where that needs < 600 sub-intervals).

Parameterisations: S1 and S0 of DESIGN.md §4; x in S0 means t = x + β tan(πα/2) in S1.
The grid: α × β × x of issue 3, plus ζ ± 10^-k (k = 1, 6, 12) in S0; in S1 (where ζ ↔ 0) the
smaller set x ∈ {0, ±1e-8, ±1e-3, ±1, ±10, ±1e3}; β = 0 and α = 2 rows only in S0 (S0 = S1 there).
Points where neither method B applies (light far tails of β = ±1 laws, large |x| for α near 1)
are absent: docs/levy.md lists how many points were kept.
"""
import math
import os
import sys
import time

import mpmath as mp

ALPHAS = [0.2, 0.3, 0.5, 0.8, 0.9, 0.99, 0.999, 1.0, 1.001, 1.01, 1.1, 1.3, 1.5, 1.8, 1.95,
          1.99, 2.0]
BETAS = [-1.0, -0.5, 0.0, 0.5, 1.0]
XS = [0.0] + [s * v for v in (1e-3, 0.1, 1.0, 3.0, 10.0, 100.0, 1e3) for s in (-1, 1)]
KZ0 = [1, 6, 12]
KZ1 = [8]
XS1 = [0.0] + [s * v for v in (1e-3, 1.0, 10.0, 1e3) for s in (-1, 1)]
BASE_DPS = 22
AGREE = mp.mpf("1e-14")


def tau_of(a, b):
    if a == 1:
        return None
    return mp.mpf(b) * mp.tan(mp.pi * mp.mpf(a) / 2)


# ---------------------------------------------------------------- method A: Nolan's integral
def nolan(a, b, t):
    """Standard S1 law (scale 1, loc 0) at S1 coordinate t (mpf).  Returns (pdf, cdf, sf)."""
    a = mp.mpf(a)
    b = mp.mpf(b)
    if a != 1:
        if t < 0:
            p, c, s = nolan(a, -b, -t)
            return p, s, c
        th0 = mp.atan(b * mp.tan(mp.pi * a / 2)) / a
        lo, hi = -th0, mp.pi / 2
        if t == 0:
            pdf = mp.gamma(1 + 1 / a) * mp.cos(th0) / (mp.pi * (1 + mp.tan(mp.pi * a / 2) ** 2 * b * b) ** (1 / (2 * a)))
            c = (mp.pi / 2 - th0) / mp.pi
            return pdf, c, 1 - c
        if hi - lo <= 0:
            return mp.mpf(0), mp.mpf(1), mp.mpf(0)   # right of the support (α < 1, β = -1)
        ca = mp.cos(a * th0)

        def lg(th):
            cth = mp.cos(th)
            sd = mp.sin(a * (th0 + th))
            c2 = mp.cos(a * th0 + (a - 1) * th)
            if cth <= 0 or sd <= 0 or c2 <= 0:
                raise ValueError("endpoint not resolved at this precision")
            v = ca ** (1 / (a - 1)) * (cth / sd) ** (a / (a - 1)) * c2 / cth
            return a / (a - 1) * mp.log(t) + mp.log(v)
        inc = a < 1
        pref = a / (mp.pi * abs(a - 1) * t)
    else:
        if b == 0:
            raise ValueError("Cauchy: closed form only")
        if b < 0:
            p, c, s = nolan(a, -b, -t)
            return p, s, c
        lo, hi = -mp.pi / 2, mp.pi / 2

        def lg(th):
            if mp.cos(th) <= 0 or mp.pi / 2 + b * th <= 0:
                raise ValueError("endpoint not resolved at this precision")
            return (-mp.pi * t / (2 * b) + mp.log(2 / mp.pi) + mp.log(mp.pi / 2 + b * th)
                    - mp.log(mp.cos(th)) + (mp.pi / 2 + b * th) * mp.tan(th) / b)
        inc = True
        pref = 1 / (2 * b)
    w = hi - lo
    # mode: distance measured from the end nearer the peak
    mid = lo + w / 2
    lmid = lg(mid)
    lower = (lmid > 0) if inc else (lmid < 0)
    incu = inc if lower else (not inc)

    def theta(u):
        return lo + u if lower else hi - u

    def lgu(u):
        with mp.workdps(BASE_DPS + 10 + max(0, int(-mp.log10(u)))):
            try:
                return lg(theta(u))
            except (ZeroDivisionError, ValueError):
                up = (u > w / 2) == incu
                return mp.inf if up else -mp.inf

    # bisection on s = log10(u) in [-340, log10(w/2)]
    s_lo, s_hi = mp.mpf(-340), mp.log10(w / 2)
    f_lo = lgu(mp.mpf(10) ** s_lo)
    f_hi = lgu(mp.mpf(10) ** s_hi)
    if (f_lo > 0) == incu and (f_hi > 0) == incu:
        sstar = s_lo
    elif (f_lo > 0) != incu and (f_hi > 0) != incu:
        sstar = s_hi
    else:
        for _ in range(70):
            m = (s_lo + s_hi) / 2
            fm = lgu(mp.mpf(10) ** m)
            if (fm > 0) == incu:
                s_hi = m
            else:
                s_lo = m
        sstar = (s_lo + s_hi) / 2
    ustar = mp.mpf(10) ** sstar
    h = mp.mpf("1e-6")
    k = abs(lgu(ustar * mp.e ** h) - lgu(ustar * mp.e ** (-h))) / (2 * h)
    if not k > mp.mpf("0.05"):
        k = mp.mpf("0.05")
    dps = BASE_DPS + 10 + max(0, int(-sstar))
    with mp.workdps(dps):
        pts = [mp.mpf(0)]
        for mm in (-48, -12, -4, -1, 0, 1, 4, 12, 48):
            u = ustar * mp.e ** (mp.mpf(mm) / k)
            if pts[-1] < u < w:
                pts.append(u)
        pts.append(w)

        def integ(kind):
            def fu(u):
                if u <= 0 or u >= w:
                    return mp.mpf(0)
                try:
                    l = lg(theta(u))
                except (ZeroDivisionError, ValueError):
                    l = None
                if l is None or mp.isinf(l) or mp.isnan(l):
                    up = (u > w / 2) == incu    # the end where log g -> +inf
                    return mp.mpf(0) if kind == 0 else mp.mpf(0 if (kind == 1) == up else 1)
                if l > 10:   # g > e^10: e^{-g} < 1e-9566, exactly negligible at this precision
                    return mp.mpf(0) if kind != 2 else mp.mpf(1)
                g = mp.e ** l
                if kind == 0:
                    return mp.e ** (l - g)
                if kind == 1:
                    return mp.e ** (-g)
                return -mp.expm1(-g)
            return mp.quad(fu, pts)
        I0, I1, I2 = integ(0), integ(1), integ(2)
        pdf = pref * I0
        if a == 1:
            return +pdf, I1 / mp.pi, I2 / mp.pi
        c1 = (mp.pi / 2 - th0) / mp.pi
        if a < 1:
            return +pdf, c1 + I1 / mp.pi, I2 / mp.pi
        return +pdf, c1 + I2 / mp.pi, I1 / mp.pi


# ---------------------------------------------------------------- method B
def closed(a, b, t):
    if a == 2:
        return (mp.e ** (-t * t / 4) / (2 * mp.sqrt(mp.pi)), mp.erfc(-t / 2) / 2, mp.erfc(t / 2) / 2)
    if a == 1 and b == 0:
        return (1 / (mp.pi * (1 + t * t)), mp.mpf(1) / 2 + mp.atan(t) / mp.pi,
                mp.mpf(1) / 2 - mp.atan(t) / mp.pi)
    if a == 0.5 and abs(b) == 1:
        y = b * t  # S1 Lévy at scale 1: support y > 0
        if y <= 0:
            lo, up, pdf = mp.mpf(0), mp.mpf(1), mp.mpf(0)
        else:
            v = mp.sqrt(1 / (2 * y))
            pdf = mp.sqrt(1 / (2 * mp.pi)) * y ** mp.mpf(-1.5) * mp.e ** (-1 / (2 * y))
            lo, up = mp.erfc(v), mp.erf(v)
        return (pdf, lo, up) if b > 0 else (pdf, up, lo)
    return None


def series_large(a, b, t, lost=0):
    """Powers of t^{-α}; t > 0.  Returns (pdf, cdf, sf) or None."""
    a = mp.mpf(a)
    tau = mp.mpf(b) * mp.tan(mp.pi * a / 2)
    c = mp.sqrt(1 + tau * tau)
    ang = mp.pi * a / 2 + mp.atan(tau)
    # estimate term magnitudes in floating point (log space)
    lt = math.log(float(t)) if float(t) > 0 else -745.0
    lc = math.log(float(c))
    af = float(a)
    logs = []
    kmax = 4000
    for k in range(1, kmax + 1):
        lm = k * lc + math.lgamma(k * af + 1) - math.lgamma(k + 1) - (k * af + 1) * lt
        logs.append(lm)
        if k > 5 and lm < logs[0] - 80:
            break
        if af > 1 and k > 3 and lm > logs[-2]:
            break   # asymptotic series starts to diverge
    else:
        return None
    if logs[-1] > logs[0] - 70:
        return None  # smallest term not small enough
    lmax = max(logs)
    extra = int(max(0, (lmax - logs[0]) / math.log(10))) + 10 + lost
    n = len(logs) - (1 if a > 1 else 0)
    with mp.workdps(BASE_DPS + extra):
        tau = mp.mpf(b) * mp.tan(mp.pi * mp.mpf(a) / 2)
        c = mp.sqrt(1 + tau * tau)
        ang = mp.pi * a / 2 + mp.atan(tau)
        p = s = mp.mpf(0)
        for k in range(1, n + 1):
            sg = 1 if k % 2 else -1
            sk = mp.sin(k * ang)
            common = sg * c ** k / mp.factorial(k) * sk
            p += common * mp.gamma(k * a + 1) * t ** (-k * a - 1)
            s += common * mp.gamma(k * a) * t ** (-k * a)
        p /= mp.pi
        s /= mp.pi
        return +p, 1 - s, +s


def series_small(a, b, t, lost=0):
    """α > 1: powers of t (convergent).  Returns (pdf, cdf, sf) or None."""
    a = mp.mpf(a)
    tau = mp.mpf(b) * mp.tan(mp.pi * a / 2)
    c = mp.sqrt(1 + tau * tau)
    at = mp.atan(tau)
    at_ = abs(float(t))
    af, lc = float(a), math.log(float(c))
    logs = []
    for k in range(0, 6000):
        lm = (k * math.log(at_) if at_ > 0 else (0.0 if k == 0 else -1e300)) + \
            math.lgamma((k + 1) / af) - math.lgamma(k + 1) - (k + 1) / af * lc
        logs.append(lm)
        if k > 5 and lm < max(logs) - 85 and lm < logs[0] - 85:
            break
    else:
        return None
    if len(logs) > 1500:
        return None
    extra = int(max(0, (max(logs) - logs[0]) / math.log(10))) + 10 + lost
    with mp.workdps(BASE_DPS + extra):
        tau = mp.mpf(b) * mp.tan(mp.pi * mp.mpf(a) / 2)
        c = mp.sqrt(1 + tau * tau)
        at = mp.atan(tau)
        th0 = at / a
        lam = c * mp.expj(-at)
        p = F = mp.mpf(0)
        for k in range(0, len(logs)):
            gk = mp.gamma((k + 1) / a) * lam ** (-(k + 1) / a)
            p += mp.re((-1j * t) ** k / mp.factorial(k) * gk)
            F += mp.re((-1j) ** k * t ** (k + 1) / mp.factorial(k + 1) * gk)
        p /= mp.pi * a
        F = (mp.pi / 2 - th0) / mp.pi + F / (mp.pi * a)
        return +p, +F, 1 - F


def cf_inversion(a, b, t):
    """Fourier / Gil-Pelaez inversion by Gauss-Legendre on short sub-intervals."""
    a = mp.mpf(a)
    if a != 1:
        # phase u t - τ u^α written in the S0 coordinate z0 = t - τ: u z0 + τ(u - u^α), and
        # τ(u - u^α) = -τ u expm1((α-1) log u) stays O(log u) as α -> 1 (slow oscillation)
        tau = mp.mpf(b) * mp.tan(mp.pi * a / 2)
        z0 = t - tau
        phase = lambda u: u * z0 - tau * u * mp.expm1((a - 1) * mp.log(u))
    else:
        phase = lambda u: u * t + 2 / mp.pi * b * u * mp.log(u)
        z0 = t
        tau = mp.mpf(0)
    U = (mp.mpf(BASE_DPS + 8) * mp.log(10)) ** (1 / a)
    rate = abs(z0) + abs(tau * (a - 1)) * (abs(mp.log(U)) + 2) * 2 + 2 / mp.pi * abs(b) * (abs(mp.log(U)) + 2) + 1
    nsub = int(U * rate / 2) + 8
    if nsub > 400:
        return None
    # geometric first cells resolve u^α and u log u near 0
    edges = [mp.mpf(0)] + [U / nsub * mp.mpf(2) ** (-j) for j in range(40, 0, -1)] + \
        [U * i / nsub for i in range(1, nsub + 1)]
    fp = lambda u: mp.e ** (-u ** a) * mp.cos(phase(u)) if u > 0 else mp.mpf(1)
    fc = lambda u: mp.e ** (-u ** a) * mp.sin(phase(u)) / u if u > 0 else mp.mpf(0)
    pdf = mp.quad(fp, edges, method="gauss-legendre") / mp.pi
    F = mp.mpf(1) / 2 + mp.quad(fc, edges, method="gauss-legendre") / mp.pi
    return +pdf, +F, 1 - F


def method_b(a, b, t, lost=0):
    """lost: extra digits for results much smaller than the terms (precision choice only)."""
    r = closed(a, b, t)
    if r is not None:
        return r, "closed"
    if a != 1 and t != 0:
        tt, bb, flip = (t, b, False) if t > 0 else (-t, -b, True)
        r = series_large(a, bb, tt, lost)
        if r is not None:
            return ((r[0], r[2], r[1]) if flip else r), "series_large"
    if a > 1:
        r = series_small(a, b, t, lost)
        if r is not None:
            return r, "series_small"
    r = cf_inversion(a, b, t)
    if r is not None:
        return r, "cf_inversion"
    return None, "none"


def rel(x, y):
    if x == y:
        return mp.mpf(0)
    return abs(x - y) / max(abs(x), abs(y))


def points():
    out = []
    for a in ALPHAS:
        for b in BETAS:
            for param in (0, 1):
                if param == 1 and (b == 0 or a == 2):
                    continue
                xs = list(XS)
                if param == 0 and a != 1 and b != 0 and a != 2:
                    z = -tau_of(a, b)
                    for k in KZ0:
                        for sg in (-1, 1):
                            xs.append(float(z + sg * mp.mpf(10) ** (-k)))
                if param == 1:
                    xs = XS1 + [sg * 10.0 ** (-k) for k in KZ1 for sg in (-1, 1)]
                for x in xs:
                    out.append((a, b, param, x))
    return out


def one(pt):
    a, b, param, x = pt
    mp.mp.dps = BASE_DPS
    xm = mp.mpf(x)
    t = xm + tau_of(a, b) if (param == 0 and a != 1) else xm
    try:
        if a == 2 or (a == 1 and b == 0):
            A = closed(a, b, t)
        else:
            A = nolan(a, b, t)
    except Exception as e:  # noqa
        return None
    small = min([abs(v) for v in A if v != 0] + [mp.mpf(1)])
    B, how = method_b(a, b, t, int(max(0, -mp.log10(small))) + 2)
    if a == 2 or (a == 1 and b == 0):
        B, how = cf_inversion(a, b, t), "cf_inversion"
    if B is None:
        return None
    keep = []
    for i in range(3):
        va, vb = A[i], B[i]
        ok = (va == vb) or (rel(va, vb) <= AGREE)
        keep.append(mp.nstr(va, 20, min_fixed=0, max_fixed=0, strip_zeros=False) if ok else "")
    if not any(keep):
        return None
    return (a, b, param, x, keep[0], keep[1], keep[2], how)


def main():
    out = "tests/reference/stable_reference.csv"
    jobs = 1
    args = sys.argv[1:]
    if "--jobs" in args:
        i = args.index("--jobs")
        jobs = int(args[i + 1])
        del args[i:i + 2]
    if args:
        out = args[0]
    pts = points()
    # deterministic shuffle: a partial run (interrupted) is still a spread-out sample
    import random
    random.Random(1).shuffle(pts)
    t0 = time.time()
    kept = []
    part = open(out + ".part", "w")
    if jobs > 1:
        from multiprocessing import Pool
        pool = Pool(jobs)
        it = pool.imap_unordered(one, pts, chunksize=1)
    else:
        it = map(one, pts)
    for i, r in enumerate(it):
        if r is not None:
            kept.append(r)
            part.write(repr(r) + "\n")
            part.flush()
        if i % 100 == 99:
            print("%d/%d points, %.0f s" % (i + 1, len(pts), time.time() - t0), file=sys.stderr, flush=True)
    part.close()
    kept.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
    with open(out, "w") as f:
        f.write("# alpha,beta,param(0=S0,1=S1),x,pdf,cdf,sf,methodB  -- scale 1, loc 0; "
                "empty = the two methods disagreed or B unavailable\n")
        f.write("alpha,beta,param,x,pdf,cdf,sf,method\n")
        for r in kept:
            a, b, param, x, p, c, s, how = r
            f.write("%r,%r,%d,%r,%s,%s,%s,%s\n" % (a, b, param, x, p, c, s, how))
    os.remove(out + ".part")
    npdf = sum(1 for r in kept if r[4])
    print("points %d, rows kept %d (pdf %d, cdf %d, sf %d) in %.0f s" %
          (len(pts), len(kept), npdf, sum(1 for r in kept if r[5]), sum(1 for r in kept if r[6]),
           time.time() - t0), file=sys.stderr)


if __name__ == "__main__":
    main()
