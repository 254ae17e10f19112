/* α-stable density, distribution function, survival function and quantiles.
 *
 * Algorithm: Nolan (1997), "Numerical calculation of stable densities and distribution
 * functions", Commun. Statist.–Stochastic Models 13:759–774, Theorem 1.  In the standard S0
 * law with t = x − ζ > 0 (ζ = −β tan(πα/2)), θ0 = atan(β tan(πα/2))/α,
 *   g(θ) = t^{α/(α−1)} V(θ),  θ ∈ (−θ0, π/2),
 *   f(x) = α / (π |α−1| t) ∫ g e^{−g} dθ,
 *   F(x) = c1 + sign(1−α)/π ∫ e^{−g} dθ,  c1 = (π/2 − θ0)/π (α < 1) or 1 (α > 1);
 * for α = 1 (β > 0) g(θ) = e^{−πx/(2β)} (2/π)(π/2+βθ)/cos θ · exp((π/2+βθ) tan θ / β).
 * x < ζ by reflection f(x; α, β) = f(−x; α, −β).
 *
 * What is ours (and why it is accurate):
 *  - log g is computed in a form that stays well conditioned as α → 1: with
 *    R = t cos θ / (sin αθ + τ cos αθ) (τ = β tan(πα/2)),
 *      log g = (α/(α−1)) log R + log(√(1+τ²) cos((1−α)θ − atan τ)) − log cos θ,
 *    and near α = 1, R − 1 = N/D with N = z0 cos θ − sin αθ + 2τ sin((1+α)θ/2) sin((α−1)θ/2)
 *    (z0 the S0 coordinate), so α/(α−1)·log1p(N/D) is O(1) with no cancellation; α is never
 *    rounded to 1 and tan(πα/2) = cot(π(1−α)/2) is evaluated without rounding πα/2.
 *  - θ is measured from the endpoint nearer the peak of g e^{−g} (ψ = θ + θ0 or φ = π/2 − θ),
 *    with every trigonometric factor rewritten in that small variable, so peaks at 1e−200 from
 *    an endpoint (far tails, x near ζ) are resolved.  The peak (g = 1) is located by a
 *    safeguarded secant/bisection in s = log(ψ or φ), and the integral is done in s by
 *    adaptive Gauss–Kronrod 10/21 (GSL's nodes) with breakpoints at the peak ± c/slope, so
 *    the integrand's width is always resolved; the other half of the θ interval is done in the
 *    log-distance from the other end (algebraic end singularities g ~ u^p become smooth).
 *    The tails then need no separate series: heavy tails put the peak at φ ~ t^{−α}.
 *  - cdf and sf are each computed from the integral that is small in its own tail
 *    (∫e^{−g} or ∫−expm1(−g)), so both tails keep relative accuracy.
 *  - Speed: the integrand is evaluated 8 (AVX-512F) or 4 (AVX2) nodes at a time with SLEEF
 *    (stable_simd.h), all pieces of a pass in one batch, and the pdf and a tail probability in
 *    one pass (they share g); quantiles run Newton on cheaper integrals first (qsolve).
 *    make bench, one thread: pdf 2.1e5/s, cdf 1.9e5/s (1.6e4 and 1.8e4 with libm, one node at
 *    a time, G10/G20), quantile 4.9e4/s (1.8e3).
 *  - Exact closed forms: α = 2 (Gauss, variance 2σ²), α = 1 β = 0 (Cauchy), α = ½ β = ±1
 *    (Lévy).  Outside the support (α < 1, β = ±1) pdf = 0 and cdf/sf are exactly 0 or 1.
 * Accuracy verified against tests/reference/stable_reference.csv (mpmath, two methods agreeing
 * to 1e−14): see docs/levy.md for the table produced by tests/reference/stable_accuracy.lua. */
#include <float.h>
#include <math.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_sf_gamma.h>
#include "noiselab/stable.h"
#include "noiselab/vecmath.h"
#include "stable_internal.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif
#define PI2 1.57079632679489661923

int nl_stable_init(nl_stable *d, double alpha, double beta, double scale, double loc, int param)
{
    if (!(alpha > 0.0 && alpha <= 2.0) || !(beta >= -1.0 && beta <= 1.0) || !(scale > 0.0) ||
        !isfinite(scale) || !isfinite(loc) || (param != 0 && param != 1))
        return -1;
    d->alpha = alpha;
    d->beta = beta;
    d->scale = scale;
    d->loc = loc;
    d->param = param;
    if (alpha == 1.0) {
        double sh = (2.0 / M_PI) * beta * scale * log(scale);
        d->zeta = 0.0;
        d->loc0 = param == 0 ? loc : loc + sh;
        d->loc1 = param == 1 ? loc : loc - sh;
    } else {
        double tau = alpha == 2.0 ? 0.0 : beta * nl_stable_tan_pa2(alpha);
        d->zeta = -tau;
        d->loc0 = param == 0 ? loc : loc + scale * tau;
        d->loc1 = param == 1 ? loc : loc - scale * tau;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* The integrand machinery for one standard law (α, β) on the side t > 0.                   */

typedef nl_side side;

static void side_init(side *S, double alpha, double beta)
{
    S->alpha = alpha;
    S->beta = beta;
    S->a1 = alpha == 1.0;
    S->om = 1.0 - alpha;
    if (S->a1) {
        S->inc = 1;
        S->w = M_PI;
        return;
    }
    S->inc = alpha < 1.0;
    S->ex = alpha / (alpha - 1.0);
    double tpa = nl_stable_tan_pa2(alpha);
    double tau = alpha == 2.0 ? 0.0 : beta * tpa;
    S->tau = tau;
    S->at = atan(tau);
    S->hyp = hypot(1.0, tau);
    S->loghyp = 0.5 * log1p(tau * tau);
    S->theta0 = S->at / alpha;
    /* c0 = π/2 − θ0 and w = π/2 + θ0, each without cancellation when θ0 → ±π/2. */
    if (fabs(tau) > 1.0) {
        double ai = atan(1.0 / tau); /* atan τ = sign(τ)π/2 − atan(1/τ) */
        if (tau > 0) {
            S->c0 = (ai - S->om * PI2) / alpha;
            S->w = M_PI - S->c0;
        } else {
            S->w = (-ai - S->om * PI2) / alpha;
            S->c0 = M_PI - S->w;
        }
    } else {
        S->c0 = PI2 - S->theta0;
        S->w = PI2 + S->theta0;
    }
    if (alpha < 1.0 && beta == 1.0) S->c0 = 0.0, S->w = M_PI;
    if (alpha < 1.0 && beta == -1.0) S->w = 0.0, S->c0 = M_PI;
    /* e0 = π − αw = (2−α)π/2 − atan τ: zero for β = −1, α > 1 */
    S->e0 = (alpha > 1.0 && beta == -1.0) ? 0.0 : (2.0 - alpha) * PI2 - S->at;
    S->near1 = fabs(S->om) < 0.1 && beta != 0.0;
}

/* log g at distance u from the mode's endpoint. */
static double side_lg(const side *S, double u)
{
    double su = sin(u);
    if (S->a1) {
        double b = S->beta, cu = cos(u), a, tn;
        if (S->mode == 0) {
            a = PI2 * (1.0 - b) + b * u;
            tn = -cu / su;
        } else {
            a = PI2 * (1.0 + b) - b * u;
            tn = cu / su;
        }
        return S->xb + log(a) - log(su) + a * tn / b;
    }
    double al = S->alpha, cth, sD, ct, th;
    if (S->mode == 0) {
        th = u - S->theta0;
        cth = S->theta0 >= 0 ? sin(S->c0 + u) : sin(S->w - u);
        sD = sin(al * u);
        ct = S->theta0 >= 0 ? sin(S->c0 + S->om * u) : sin(S->w - S->om * u);
    } else {
        th = PI2 - u;
        cth = su;
        double aw = al * S->w; /* sin(α(w − u)) and the cosine term, from the nearer of 0, π */
        sD = aw > PI2 ? sin(S->e0 + al * u) : sin(aw - al * u);
        ct = aw > PI2 ? sin(S->e0 - S->om * u) : sin(aw + S->om * u);
    }
    if (ct < DBL_MIN) ct = DBL_MIN;
    if (cth < DBL_MIN) cth = DBL_MIN;
    if (sD < DBL_MIN) sD = DBL_MIN;
    double lr;
    if (S->near1) {
        double a1 = S->z0 * cth, a2 = sin(al * th);
        double a3 = 2.0 * S->tau * sin(0.5 * (1.0 + al) * th) * sin(-0.5 * S->om * th);
        double D = S->hyp * sD;
        double r = (a1 - a2 + a3) / D;
        /* The N/D form errs by ~eps·(|a1|+|a2|+|a3|)/D in r, the direct log R by ~eps·(α/|α−1|)
         * in log g; take N/D only where R is near 1 and D is not small (near an end θ is
         * rounded, see the mode variable u, and D → 0). */
        int nd = fabs(r) < 0.5 && (fabs(a1) + fabs(a2) + fabs(a3)) < D;
        lr = nd ? log1p(r) : S->lt - S->loghyp + log(cth / sD);
    } else
        lr = S->lt - S->loghyp + log(cth / sD);
    return S->ex * lr + S->loghyp + log(ct / cth);
}

/* The integrands in s = log u, times the Jacobian u, of the kinds in S->kinds (bit k):
 * 0: g e^{−g} = e^{lg − g} (one exponential, and as accurate: the condition number of e^{−g} is g
 * either way), 1: e^{−g}, 2: −expm1(−g).  They share g, so the pdf and a tail probability cost
 * one pass.  v[k] is set for the requested kinds. */
static void side_integrand(const side *S, double s, double v[3])
{
    double u = exp(s), lg = u > 0.0 ? side_lg(S, u) : 0.0, g = exp(lg);
    for (int k = 0; k < 3; k++) {
        if (!(S->kinds >> k & 1)) continue;
        double t = k == 0 ? exp(lg - g) : k == 1 ? exp(-g) : -expm1(-g);
        v[k] = isfinite(t) && u > 0.0 ? t * u : 0.0;
    }
}

/* out[k·n + i] = integrand k at s[i]: 8 or 4 lanes at a time with SLEEF when the CPU has
 * AVX-512F or AVX2 (α ≠ 1). */
static void side_integrand_n(const side *S, const double *s, double *out, size_t n)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (!S->a1 && nl_cpu_avx512()) {
        nl_side_integrand_avx512(S, s, out, n);
        return;
    }
    if (!S->a1 && nl_cpu_avx2()) {
        nl_side_integrand_avx2(S, s, out, n);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++) {
        double v[3];
        side_integrand(S, s[i], v);
        for (int k = 0; k < 3; k++)
            if (S->kinds >> k & 1) out[k * n + i] = v[k];
    }
}

/* ψ-mode is chosen iff the peak lies in the lower half of (−θ0, π/2). */
static void side_choose_mode(side *S)
{
    S->mode = 0;
    double lg = side_lg(S, 0.5 * S->w);
    int below = S->inc ? lg > 0.0 : lg < 0.0;
    S->mode = below ? 0 : 1;
}

#define SMIN (-700.0)

/* Locate s* = log u* with lg(u*) = 0 in the current mode on (e^SMIN, w/2]. */
static double side_peak(const side *S, double *slope)
{
    double shi = log(0.5 * S->w), slo = SMIN;
    /* direction of lg in u for this mode */
    int incu = S->mode == 0 ? S->inc : !S->inc;
    double fhi = side_lg(S, exp(shi));
    double flo = side_lg(S, exp(slo));
    double sstar;
    if (!isfinite(fhi) && !isfinite(flo)) sstar = shi;
    if ((incu && flo >= 0.0) || (!incu && flo <= 0.0)) sstar = slo;
    else if ((incu && fhi <= 0.0) || (!incu && fhi >= 0.0)) sstar = shi;
    else {
        /* Illinois false position with bisection safeguard */
        double a = slo, b = shi, fa = flo, fb = fhi;
        if (!isfinite(fa)) fa = incu ? -1e300 : 1e300;
        if (!isfinite(fb)) fb = incu ? 1e300 : -1e300;
        int side_last = 0;
        /* the peak only places breakpoints: 1e-6 in log u is plenty */
        for (int it = 0; it < 200 && b - a > 1e-6 * (1.0 + fabs(a)); it++) {
            double m;
            if (it % 3 == 2 || fabs(fa) > 1e100 || fabs(fb) > 1e100) m = 0.5 * (a + b);
            else m = (a * fb - b * fa) / (fb - fa);
            if (!(m > a && m < b)) m = 0.5 * (a + b);
            double fm = side_lg(S, exp(m));
            if (!isfinite(fm)) fm = (fm > 0) ? 1e300 : -1e300;
            if ((fm < 0) == (fa < 0)) {
                a = m, fa = fm;
                if (side_last == -1) fb *= 0.5;
                side_last = -1;
            } else {
                b = m, fb = fm;
                if (side_last == 1) fa *= 0.5;
                side_last = 1;
            }
            if (fabs(fm) < 1e-2) { a = b = m; break; }
        }
        sstar = 0.5 * (a + b);
    }
    double h = 1e-3;
    double l1 = side_lg(S, exp(sstar + h)), l0 = side_lg(S, exp(sstar - h));
    double k = (l1 - l0) / (2 * h);
    if (!isfinite(k) || fabs(k) < 0.05) k = 0.05;
    *slope = fabs(k);
    return sstar;
}

/* Adaptive Gauss–Kronrod on the breakpoint pieces (bisecting a piece whose K21 and G10 disagree;
 * no extrapolation: GSL's QAGS epsilon algorithm proved unstable on these integrands).
 * The Gauss–Kronrod 10/21 pair: the 10 Gauss–Legendre nodes first, then the 11 Kronrod nodes.
 * Nodes and weights are GSL's own, read at first use: its qk21 rule probed with indicator
 * functions on [−1, 1] gives the 21 nodes and Kronrod weights, its fixed Gauss–Legendre table
 * the G10 weights.  A piece costs 10 evaluations when negligible and 21 with an error estimate
 * (G10 and G20 cost 30). */
typedef struct gk_rule {
    int ready;
    double x[21], wk[21], wg[10];
} gk_rule;
static _Thread_local gk_rule tl_gk;

typedef struct gk_probe {
    double x[21];
    int n, j;
} gk_probe;

static double gk_probe_fn(double x, void *vp)
{
    gk_probe *p = vp;
    if (p->j < 0) {
        if (p->n < 21) p->x[p->n++] = x;
        return 0.0;
    }
    return x == p->x[p->j] ? 1.0 : 0.0;
}

static int gk_rule_init(gk_rule *r)
{
    gk_probe p = {.n = 0, .j = -1};
    gsl_function F = {gk_probe_fn, &p};
    double wk[21], res, err, ra, rc;
    gsl_integration_qk21(&F, -1.0, 1.0, &res, &err, &ra, &rc);
    if (p.n != 21) return -1;
    for (p.j = 0; p.j < 21; p.j++) gsl_integration_qk21(&F, -1.0, 1.0, &wk[p.j], &err, &ra, &rc);
    gsl_integration_glfixed_table *t = gsl_integration_glfixed_table_alloc(10);
    if (!t) return -1;
    int ng = 0, nk = 10;
    for (int j = 0; j < 21; j++) {
        double xg = 0.0, wg = 0.0;
        int gauss = 0;
        for (size_t i = 0; i < 10 && !gauss; i++) {
            gsl_integration_glfixed_point(-1.0, 1.0, i, &xg, &wg, t);
            gauss = fabs(xg - p.x[j]) < 1e-14;
        }
        if (gauss && ng < 10) r->x[ng] = p.x[j], r->wk[ng] = wk[j], r->wg[ng] = wg, ng++;
        else if (!gauss && nk < 21) r->x[nk] = p.x[j], r->wk[nk] = wk[j], nk++;
    }
    gsl_integration_glfixed_table_free(t);
    if (ng != 10 || nk != 21) return -1;
    r->ready = 1;
    return 0;
}

#define GK_MAXP 40 /* pieces per batch */

/* For the np pieces [a[j], b[j]]: the integrands at their 10 Gauss nodes into f10[j][k·10 + i]
 * and the G10 estimates into g10[j][k].  One batch, so the vector lanes stay full. */
static void gk_gauss(const side *S, const double *a, const double *b, int np, double (*f10)[30],
                     double (*g10)[3])
{
    double sv[GK_MAXP * 10], fv[3 * GK_MAXP * 10];
    size_t n = (size_t)np * 10;
    if (np <= 0) return;
    for (int j = 0; j < np; j++)
        for (int i = 0; i < 10; i++) sv[j * 10 + i] = 0.5 * (a[j] + b[j]) + 0.5 * (b[j] - a[j]) * tl_gk.x[i];
    side_integrand_n(S, sv, fv, n);
    for (int j = 0; j < np; j++)
        for (int k = 0; k < 3; k++) {
            if (!(S->kinds >> k & 1)) continue;
            double sum = 0.0;
            for (int i = 0; i < 10; i++) {
                f10[j][k * 10 + i] = fv[k * n + j * 10 + i];
                sum += tl_gk.wg[i] * f10[j][k * 10 + i];
            }
            g10[j][k] = 0.5 * (b[j] - a[j]) * sum;
        }
}

/* The K21 estimates of the pieces listed in idx, from their Gauss values and 11 more
 * evaluations each, one batch. */
static void gk_kronrod(const side *S, const double *a, const double *b, const int *idx, int np,
                       double (*f10)[30], double (*k21)[3])
{
    double sv[GK_MAXP * 11], fv[3 * GK_MAXP * 11];
    size_t n = (size_t)np * 11;
    if (np <= 0) return;
    for (int m = 0; m < np; m++) {
        int j = idx[m];
        for (int i = 0; i < 11; i++) sv[m * 11 + i] = 0.5 * (a[j] + b[j]) + 0.5 * (b[j] - a[j]) * tl_gk.x[10 + i];
    }
    side_integrand_n(S, sv, fv, n);
    for (int m = 0; m < np; m++) {
        int j = idx[m];
        for (int k = 0; k < 3; k++) {
            if (!(S->kinds >> k & 1)) continue;
            double sum = 0.0;
            for (int i = 0; i < 10; i++) sum += tl_gk.wk[i] * f10[j][k * 10 + i];
            for (int i = 0; i < 11; i++) sum += tl_gk.wk[10 + i] * fv[k * n + m * 11 + i];
            k21[j][k] = 0.5 * (b[j] - a[j]) * sum;
        }
    }
}

/* Adds ∫ over the np pieces [a[j], b[j]] (G10 values given) of each requested integrand to acc.
 * A piece is done when every integrand is negligible there (|G10| ≤ 1e−2 of its tolerance) or
 * K21 agrees with G10 to rel of itself or to the absolute tolerance (K21, far more accurate than
 * G10, is kept); else it is bisected. */
static void adapt(const side *S, const double *a, const double *b, int np, double (*g10)[3],
                  double (*f10)[30], double rel, const double tolabs[3], int depth, double acc[3])
{
    int idx[GK_MAXP], nk = 0;
    for (int j = 0; j < np; j++) {
        int need = 0;
        for (int k = 0; k < 3; k++)
            if ((S->kinds >> k & 1) && fabs(g10[j][k]) > 1e-2 * tolabs[k]) need = 1;
        if (need) idx[nk++] = j;
        else
            for (int k = 0; k < 3; k++)
                if (S->kinds >> k & 1) acc[k] += g10[j][k];
    }
    if (!nk) return;
    double k21[GK_MAXP][3];
    gk_kronrod(S, a, b, idx, nk, f10, k21);
    for (int m = 0; m < nk; m++) {
        int j = idx[m], ok = 1;
        for (int k = 0; k < 3; k++)
            if ((S->kinds >> k & 1) && fabs(k21[j][k] - g10[j][k]) > rel * fabs(k21[j][k]) + tolabs[k]) ok = 0;
        if (ok || depth >= 14) {
            for (int k = 0; k < 3; k++)
                if (S->kinds >> k & 1) acc[k] += k21[j][k];
            continue;
        }
        double sa[2] = {a[j], 0.5 * (a[j] + b[j])}, sb[2] = {sa[1], b[j]}, sg[2][3], sf[2][30], half[3];
        gk_gauss(S, sa, sb, 2, sf, sg);
        for (int k = 0; k < 3; k++) half[k] = 0.5 * tolabs[k];
        adapt(S, sa, sb, 2, sg, sf, rel, half, depth + 1, acc);
    }
}

/* ∫ over the whole θ-interval of the requested integrands (bit set kinds), into res[k].  The
 * half of the interval holding the peak is integrated in s = log u of the current mode with
 * breakpoints at the peak ± 2^k/slope; the other half in s = log(distance from the other end),
 * because both ends can carry algebraic singularities (g ~ u^p): in log variables they become
 * smooth exponentials.  Tolerances (measured on the reference grid, tests/reference/): K21 and
 * G10 agreeing to 1e−9 of the piece or to 1e−11 of the whole integral over the piece count keeps
 * every reference point within its target.  Lower levels, for the search stages of the quantile:
 * ROUGH (1e−4, 1e−7) gives ~1e−7 relative, CRUDE (the G10 pieces, no refinement) ~1e−4 typically
 * and a few 10 % at worst. */
enum { ACCURATE, ROUGH, CRUDE };
static void side_integrate(side *S, double sstar, double slope, int kinds, int level, double res[3])
{
    S->kinds = kinds;
    for (int k = 0; k < 3; k++) res[k] = 0.0;
    if (!tl_gk.ready && gk_rule_init(&tl_gk)) {
        for (int k = 0; k < 3; k++) res[k] = NAN; /* out of memory: callers map NaN through */
        return;
    }
    const int mode0 = S->mode;
    double shalf = log(0.5 * S->w);
    double slo = sstar - 45.0 / (slope < 1.0 ? slope : 1.0) - 40.0;
    if (slo < SMIN - 50.0) slo = SMIN - 50.0;
    double pa[GK_MAXP + 1], pb[16];
    int na = 0, nb = 0;
    pa[na++] = slo;
    static const double m[] = {-32, -12, -4, -1.5, 0, 1.5, 4, 12, 32};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        double p = sstar + m[i] / slope;
        if (p > pa[na - 1] + 1e-12 && p < shalf - 1e-12) pa[na++] = p;
    }
    if (shalf > pa[na - 1]) pa[na++] = shalf;
    static const double d[] = {45, 12, 3, 0.5, 0};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) pb[nb++] = shalf - d[i];
    double ga[GK_MAXP][3], gb[16][3], fa[GK_MAXP][30], fb[16][30], total[3] = {0, 0, 0}, tol[3];
    gk_gauss(S, pa, pa + 1, na - 1, fa, ga);
    S->mode = !mode0;
    gk_gauss(S, pb, pb + 1, nb - 1, fb, gb);
    for (int k = 0; k < 3; k++) {
        if (!(kinds >> k & 1)) continue;
        for (int i = 0; i + 1 < na; i++) total[k] += fabs(ga[i][k]);
        for (int i = 0; i + 1 < nb; i++) total[k] += fabs(gb[i][k]);
        tol[k] = (level == ROUGH ? 1e-7 : 1e-11) * total[k] / (na + nb);
        if (level == CRUDE) {
            for (int i = 0; i + 1 < na; i++) res[k] += ga[i][k];
            for (int i = 0; i + 1 < nb; i++) res[k] += gb[i][k];
        }
    }
    S->mode = mode0;
    if (level == CRUDE) return;
    double rel = level == ROUGH ? 1e-4 : 1e-9;
    S->mode = !mode0;
    adapt(S, pb, pb + 1, nb - 1, gb, fb, rel, tol, 0, res);
    S->mode = mode0;
    adapt(S, pa, pa + 1, na - 1, ga, fa, rel, tol, 0, res);
}

/* The three integrals share one peak search: compute what is asked. */
typedef struct stdres {
    double pdf, cdf, sf;
} stdres;

/* W_ROUGH, W_CRUDE: the integrals at a lower level (see side_integrate). */
enum { W_PDF = 1, W_CDF = 2, W_SF = 4, W_ROUGH = 8, W_CRUDE = 16 };

static int what_level(int what)
{
    return (what & W_CRUDE) ? CRUDE : (what & W_ROUGH) ? ROUGH : ACCURATE;
}

/* The request for the mirrored law f(x; α, β) = f(−x; α, −β): cdf and sf swap. */
static int reflect_what(int what)
{
    return (what & ~(W_CDF | W_SF)) | ((what & W_CDF) ? W_SF : 0) | ((what & W_SF) ? W_CDF : 0);
}

/* Standard S0 law (α ≠ 1), z0 given with t = z0 + τ (t passed separately for accuracy). */
static void std_eval_a(double alpha, double beta, double z0, double t, int what, stdres *r)
{
    if (t < 0) {
        stdres q;
        std_eval_a(alpha, -beta, -z0, -t, reflect_what(what), &q);
        r->pdf = q.pdf;
        r->cdf = q.sf;
        r->sf = q.cdf;
        return;
    }
    side S;
    side_init(&S, alpha, beta);
    if (t == 0.0) {
        /* Nolan: f(ζ) = Γ(1+1/α) cos θ0 / (π (1+ζ²)^{1/(2α)}), F(ζ) = (π/2 − θ0)/π */
        r->pdf = gsl_sf_gamma(1.0 + 1.0 / alpha) * cos(S.theta0) / (M_PI * pow(S.hyp, 1.0 / alpha));
        r->cdf = S.c0 / M_PI;
        r->sf = S.w / M_PI;
        if (alpha < 1.0 && beta == -1.0) r->pdf = 0.0;
        return;
    }
    if (alpha < 1.0 && beta == -1.0) {
        /* t > 0 lies right of the upper end of the support */
        r->pdf = 0.0, r->cdf = 1.0, r->sf = 0.0;
        return;
    }
    S.t = t;
    S.lt = log(t);
    S.z0 = z0;
    side_choose_mode(&S);
    double slope, sstar = side_peak(&S, &slope);
    /* kind 1 (∫e^{−g}) is the small tail: the cdf for α < 1, the sf for α > 1.  For α > 1 with
     * F(ζ) = c0/π ≥ ½ the cdf is ≥ ½ on this side, so 1 − sf is as accurate and its integrand
     * (e^{−g}, negligible where g is large) is cheaper than −expm1(−g). */
    int cdf_by_sf = alpha > 1.0 && (what & W_CDF) && S.c0 >= PI2;
    int want_e = (what & (alpha < 1.0 ? W_CDF : W_SF)) || cdf_by_sf;
    int want_m = (what & (alpha < 1.0 ? W_SF : W_CDF)) && !cdf_by_sf;
    double I[3];
    side_integrate(&S, sstar, slope, ((what & W_PDF) ? 1 : 0) | (want_e ? 2 : 0) | (want_m ? 4 : 0),
                   what_level(what), I);
    if (what & W_PDF) {
        double omt = fabs(S.om) * t; /* t is exact to the input's digits (long double) */
        r->pdf = alpha / (M_PI * omt) * I[0];
    }
    if (what & (W_CDF | W_SF)) {
        double ie = I[1], im = I[2];
        if (alpha < 1.0) {
            r->cdf = (S.c0 + ie) / M_PI;
            r->sf = im / M_PI;
        } else {
            r->sf = ie / M_PI;
            r->cdf = cdf_by_sf ? 1.0 - r->sf : (S.c0 + im) / M_PI;
        }
        if (r->cdf > 1.0) r->cdf = 1.0;
        if (r->sf > 1.0) r->sf = 1.0;
    }
}

/* Standard α = 1 law (S0 = S1 at scale 1), β ≠ 0. */
static void std_eval_1(double beta, double x, int what, stdres *r)
{
    if (beta < 0) {
        stdres q;
        std_eval_1(-beta, -x, reflect_what(what), &q);
        r->pdf = q.pdf, r->cdf = q.sf, r->sf = q.cdf;
        return;
    }
    side S;
    side_init(&S, 1.0, beta);
    S.xb = -M_PI * x / (2.0 * beta) + log(2.0 / M_PI);
    side_choose_mode(&S);
    double slope, sstar = side_peak(&S, &slope);
    double I[3];
    side_integrate(&S, sstar, slope,
                   ((what & W_PDF) ? 1 : 0) | ((what & W_CDF) ? 2 : 0) | ((what & W_SF) ? 4 : 0),
                   what_level(what), I);
    r->pdf = I[0] / (2.0 * beta);
    r->cdf = I[1] / M_PI;
    r->sf = I[2] / M_PI;
}

/* ---------------------------------------------------------------------------------------- */

/* Evaluate at x for the law d; what = bit set.  Closed forms first. */
static void eval(const nl_stable *d, double x, int what, stdres *r)
{
    double a = d->alpha, b = d->beta, sc = d->scale;
    r->pdf = r->cdf = r->sf = NAN;
    if (isnan(x)) return;
    if (a == 2.0) {
        double z = (x - d->loc0) / sc;
        r->pdf = exp(-0.25 * z * z) / (2.0 * sqrt(M_PI) * sc);
        r->cdf = 0.5 * erfc(-0.5 * z);
        r->sf = 0.5 * erfc(0.5 * z);
        return;
    }
    if (a == 1.0 && b == 0.0) {
        double z = (x - d->loc0) / sc;
        r->pdf = 1.0 / (M_PI * sc * (1.0 + z * z));
        /* atan-based forms that keep relative accuracy in each tail */
        r->cdf = z < 0 ? atan2(1.0, -z) / M_PI : 1.0 - atan2(1.0, z) / M_PI;
        r->sf = z > 0 ? atan2(1.0, z) / M_PI : 1.0 - atan2(1.0, -z) / M_PI;
        if (z < -1) r->cdf = atan(-1.0 / z) / M_PI;
        if (z > 1) r->sf = atan(1.0 / z) / M_PI;
        return;
    }
    if (a == 0.5 && (b == 1.0 || b == -1.0)) {
        /* Lévy: S1 location μ1, f = sqrt(σ/2π) y^{−3/2} e^{−σ/(2y)}, y = b(x − μ1) */
        double y = b * (x - d->loc1);
        double pdf, lo, up; /* lo = P(b(X−μ1) ≤ y), up = P(> y) */
        if (y <= 0) pdf = 0.0, lo = 0.0, up = 1.0;
        else if (isinf(y)) pdf = 0.0, lo = 1.0, up = 0.0;
        else {
            double v = sqrt(sc / (2.0 * y));
            pdf = sqrt(sc / (2.0 * M_PI)) * pow(y, -1.5) * exp(-sc / (2.0 * y));
            lo = erfc(v);
            up = erf(v);
        }
        r->pdf = pdf;
        r->cdf = b > 0 ? lo : up;
        r->sf = b > 0 ? up : lo;
        return;
    }
    if (isinf(x)) {
        r->pdf = 0.0;
        r->cdf = x > 0 ? 1.0 : 0.0;
        r->sf = x > 0 ? 0.0 : 1.0;
        return;
    }
    if (a == 1.0) {
        double z = (x - d->loc0) / sc;
        std_eval_1(b, z, what, r);
    } else {
        /* z0: S0 coordinate, t = z0 − ζ = z0 + τ, formed in long double so that x near ζ
         * keeps its digits (the reference is exact for the double x). */
        /* τ = β tan(πα/2) in long double, reduced like nl_stable_tan_pa2 (3 more digits
         * for x − ζ next to ζ, where the light tail of a β = ±1 law amplifies them) */
        const long double PI_L = 3.14159265358979323846264338327950288L;
        long double al = a, tau;
        if (a < 0.5) tau = (long double)b * tanl(0.5L * PI_L * al);
        else if (a <= 1.5) tau = (long double)b / tanl(0.5L * PI_L * (1.0L - al));
        else tau = -(long double)b * tanl(0.5L * PI_L * (2.0L - al));
        long double z0, t;
        if (d->param == 0) {
            z0 = ((long double)x - (long double)d->loc) / (long double)sc;
            t = z0 + tau;
        } else {
            t = ((long double)x - (long double)d->loc) / (long double)sc;
            z0 = t - tau;
        }
        std_eval_a(a, b, (double)z0, (double)t, what, r);
    }
    if (what & W_PDF) r->pdf /= sc;
    if (!(r->pdf >= 0.0)) r->pdf = (what & W_PDF) ? 0.0 : r->pdf;
}

double nl_stable_pdf(const nl_stable *d, double x)
{
    stdres r;
    eval(d, x, W_PDF, &r);
    return r.pdf;
}

double nl_stable_logpdf(const nl_stable *d, double x)
{
    if (d->alpha == 2.0) {
        double z = (x - d->loc0) / d->scale;
        return -0.25 * z * z - log(2.0 * sqrt(M_PI) * d->scale);
    }
    if (d->alpha == 1.0 && d->beta == 0.0) {
        double z = (x - d->loc0) / d->scale;
        return -log(M_PI * d->scale) - log1p(z * z);
    }
    if (d->alpha == 0.5 && fabs(d->beta) == 1.0) {
        double y = d->beta * (x - d->loc1), sc = d->scale;
        if (!(y > 0) || isinf(y)) return -INFINITY;
        return 0.5 * log(sc / (2.0 * M_PI)) - 1.5 * log(y) - sc / (2.0 * y);
    }
    return log(nl_stable_pdf(d, x));
}

double nl_stable_cdf(const nl_stable *d, double x)
{
    stdres r;
    eval(d, x, W_CDF, &r);
    return r.cdf;
}

double nl_stable_sf(const nl_stable *d, double x)
{
    stdres r;
    eval(d, x, W_SF, &r);
    return r.sf;
}

void nl_stable_support(const nl_stable *d, double *lo, double *hi)
{
    *lo = -INFINITY, *hi = INFINITY;
    if (d->alpha < 1.0 && fabs(d->beta) == 1.0) {
        /* S1 support edge is μ1 (β = 1: [μ1, ∞)) */
        if (d->beta > 0) *lo = d->loc1;
        else *hi = d->loc1;
    }
}

void nl_stable_cf(const nl_stable *d, double u, double *re, double *im)
{
    double a = d->alpha, b = d->beta, sc = d->scale;
    double au = fabs(sc * u), sg = (u > 0) - (u < 0);
    double mag, ph;
    if (a == 1.0) {
        /* S1: exp(−σ|u|(1 + iβ(2/π) sign(u) log|u|) + iμ1 u), with log|σu| form */
        mag = -au;
        ph = d->loc1 * u;
        if (au > 0) ph -= au * b * (2.0 / M_PI) * sg * log(fabs(u));
    } else {
        /* S0 form: exp(−|σu|^α [1 + iβ tan(πα/2) sign(u)(|σu|^{1−α} − 1)] + iμ0 u), stable as α → 1 */
        double p = pow(au, a);
        mag = -p;
        double tp = a == 2.0 ? 0.0 : nl_stable_tan_pa2(a);
        double q = au > 0 ? expm1((1.0 - a) * log(au)) : -1.0;
        ph = d->loc0 * u - p * b * tp * sg * q;
    }
    double m = exp(mag);
    *re = m * cos(ph);
    *im = m * sin(ph);
}

double nl_stable_mean(const nl_stable *d)
{
    if (d->alpha <= 1.0) return NAN;
    return d->loc1; /* E X = μ1 for α > 1 */
}

double nl_stable_var(const nl_stable *d)
{
    if (d->alpha < 2.0) return INFINITY;
    return 2.0 * d->scale * d->scale;
}

/* ---------------------------------------------------------------------------------------- */
/* Quantiles: safeguarded Newton on h(x) = log P(x) − log p (P = cdf or sf), with a bracket kept
 * in y = asinh((x − μ0)/σ) so that bisection and expansion steps are geometric in the tails.
 * Start: in a tail, the power law P ≈ C_α (1 ± β) (σ/|x − μ1|)^α, C_α = Γ(α) sin(πα/2)/π
 * (Samorodnitsky & Taqqu 1994, Prop. 1.2.15); else μ0.  Three stages of integral accuracy (crude,
 * rough, accurate: see side_integrate and qsolve), the last one run until the step is below 1e−9
 * of x: the error after a Newton step dx is ~ (f′/2f)·dx², so that last iterate is good to ~1e−15.
 * pdf and P of an iterate are one pass over the integrand. */
static double qstart(const nl_stable *d, double p, int right_tail)
{
    double a = d->alpha, coef = right_tail ? 1.0 + d->beta : 1.0 - d->beta;
    if (a < 2.0 && p < 0.05 && coef > 0.0) {
        double z = d->scale * pow(gsl_sf_gamma(a) * sin(0.5 * M_PI * a) / M_PI * coef / p, 1.0 / a);
        return right_tail ? d->loc1 + z : d->loc1 - z;
    }
    return d->loc0;
}

static double qsolve(const nl_stable *d, double p, int upper)
{
    double lo_x, hi_x;
    nl_stable_support(d, &lo_x, &hi_x);
    if (!(p >= 0.0 && p <= 1.0)) return NAN;
    if (p == 0.0) return upper ? hi_x : lo_x;
    if (p == 1.0) return upper ? lo_x : hi_x;
    const double c = d->loc0, s = d->scale, lp = log(p);
    const double YMAX = asinh(DBL_MAX / (fabs(c) / s + 1.0) / 2.0);
    const double yl0 = isfinite(lo_x) ? asinh((lo_x - c) / s) : -INFINITY;
    const double yh0 = isfinite(hi_x) ? asinh((hi_x - c) / s) : INFINITY;
    double yl = yl0, yh = yh0;
    double x = qstart(d, p, upper), y = asinh((x - c) / s);
    if (!(y > yl && y < yh)) y = isfinite(yl) ? yl + 1.0 : yh - 1.0, x = c + s * sinh(y);
    /* stage 0: crude integrals until the step is below 1e−3 of x; 1: rough, 1e−6; 2: accurate,
     * 1e−9, then done.  A stage change reopens the bracket (the cheaper P may misplace it). */
    static const int stage_what[3] = {W_CRUDE, W_ROUGH, 0};
    static const double stage_step[3] = {1e-3, 1e-6, 1e-9};
    int stage = 0, stage_it = 0;
    stdres r;
    for (int it = 0; it < 200; it++, stage_it++) {
        if (stage < 2 && stage_it >= 30) stage++, stage_it = 0, yl = yl0, yh = yh0;
        eval(d, x, (upper ? W_SF : W_CDF) | W_PDF | stage_what[stage], &r);
        double P = upper ? r.sf : r.cdf, f = r.pdf, h = log(P) - lp;
        if (P == p) {
            if (stage == 2) return x;
            stage++, stage_it = 0, yl = yl0, yh = yh0;
            continue;
        }
        /* bracket: cdf increases in x, sf decreases */
        if (upper ? (P < p) : (P > p)) yh = y;
        else yl = y;
        double xn = NAN;
        if (f > 0 && isfinite(h) && P > 0) {
            double dx = -h * P / f; /* Newton on log P */
            if (upper) dx = -dx;
            xn = x + dx;
            if (fabs(dx) <= stage_step[stage] * fabs(x) + 1e-30 * s) {
                if (stage == 2) return xn;
                stage++, stage_it = 0, yl = yl0, yh = yh0;
            }
        }
        double yn = isfinite(xn) ? asinh((xn - c) / s) : NAN;
        if (!(yn > yl && yn < yh)) {
            if (isfinite(yl) && isfinite(yh)) yn = 0.5 * (yl + yh);
            else if (isfinite(yl)) { /* the root is right of yl: expand geometrically */
                if (yl >= YMAX) return INFINITY;
                yn = fmin(yl + fmax(1.0, fabs(yl)), YMAX);
            } else {
                if (yh <= -YMAX) return -INFINITY;
                yn = fmax(yh - fmax(1.0, fabs(yh)), -YMAX);
            }
        }
        if (stage == 2 && yh - yl < 1e-15 * (fabs(yl) + fabs(yh))) return c + s * sinh(0.5 * (yl + yh));
        y = yn;
        x = c + s * sinh(y);
    }
    return x;
}

double nl_stable_quantile(const nl_stable *d, double p)
{
    if (!(p >= 0.0 && p <= 1.0)) return NAN;
    if (p > 0.5) return qsolve(d, 1.0 - p, 1);
    return qsolve(d, p, 0);
}

double nl_stable_isf(const nl_stable *d, double q)
{
    if (!(q >= 0.0 && q <= 1.0)) return NAN;
    if (q > 0.5) return qsolve(d, 1.0 - q, 0);
    return qsolve(d, q, 1);
}

/* Mode: golden-section search on log f around the best of a coarse scan (f is unimodal:
 * Yamazato 1978).  Symmetric laws: the centre exactly. */
double nl_stable_mode(const nl_stable *d)
{
    if (d->beta == 0.0 || d->alpha == 2.0) return d->loc0;
    double lo, hi;
    nl_stable_support(d, &lo, &hi);
    double c = d->loc0, s = d->scale, best = c, fb = -INFINITY;
    for (int i = -40; i <= 40; i++) {
        double x = c + s * 0.1 * i;
        if (x <= lo || x >= hi) continue;
        double f = nl_stable_pdf(d, x);
        if (f > fb) fb = f, best = x;
    }
    double a = best - 0.1 * s, b = best + 0.1 * s;
    if (a < lo) a = lo;
    if (b > hi) b = hi;
    const double gr = 0.6180339887498949;
    double x1 = b - gr * (b - a), x2 = a + gr * (b - a);
    double f1 = nl_stable_pdf(d, x1), f2 = nl_stable_pdf(d, x2);
    for (int it = 0; it < 100 && b - a > 1e-10 * (fabs(a) + s); it++) {
        if (f1 > f2) {
            b = x2, x2 = x1, f2 = f1;
            x1 = b - gr * (b - a);
            f1 = nl_stable_pdf(d, x1);
        } else {
            a = x1, x1 = x2, f1 = f2;
            x2 = a + gr * (b - a);
            f2 = nl_stable_pdf(d, x2);
        }
    }
    return 0.5 * (a + b);
}
