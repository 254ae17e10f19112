/* α-stable parameter fits.
 *
 *  - McCulloch (1986), "Simple consistent estimators of stable distribution parameters",
 *    Commun. Statist.–Simul. 15:1109–1136: five sample quantiles, α and β by inverting the
 *    quantile ratios ν_α, ν_β.  The tables (src/core/estim_mcculloch_table.c) are computed
 *    with noiselab's own stable quantile function on a finer grid than the 1986 ones (α step
 *    0.05, β step 0.1) and inverted by monotone cubic (Fritsch–Carlson) interpolation along
 *    iso-lines: for each β row solve ν_α(α, β_j) = ν̂_α, then solve the resulting ν_β(β) = |ν̂_β|.
 *    Negative β by the reflection X → −X (ν_β changes sign, the median changes sign), location
 *    from the median of the fitted standard S0 law — the two places where SciPy's
 *    levy_stable._fitstart went wrong (scipy issue 14470).
 *  - Koutrouvelis (1980), "Regression-type estimation of the parameters of stable laws",
 *    JASA 75:918–928, iterated, with the fixed grid t ∈ {0.1, 0.2, …, 1} of Kogon & Williams
 *    (1998) on data standardised by the current scale and location (re-centring steps shrink
 *    like 5/round after 5 rounds: full steps can cycle), and the S0 form of the
 *    argument regression (continuous at α = 1):
 *      log(−log|φ̂(t)|²) = log 2 + α log σ + α log t,
 *      arg φ̂(t) = μ0 t + β tan(πα/2) (σ^α t^α − σ t).
 *  - Maximum likelihood: GSL's Nelder–Mead simplex (nmsimplex2) on sin-mapped α, β, log σ and
 *    μ, data scaled to unit interquartile range, started from McCulloch.  The density during
 *    the search is the FFT inversion of the characteristic function (Mittnik, Doganoglu &
 *    Chenyao 1999) on a 2^13-point grid, h = 0.04, with the periodic images of the tails
 *    removed using the first-order tail law (Hurwitz-zeta sums); used for |z| ≤ 20 standard
 *    units, where its log density is within 2e−3 of nl_stable_logpdf for α ≥ 0.6 (within 1e−6
 *    near the centre), and nl_stable_logpdf beyond.
 *    (nl_stable_logpdf alone runs at ~1.5e4/s, too slow for ~300 likelihoods of n = 1000.)
 *    Standard errors: inverse of the central-difference Hessian of −log L (observed
 *    information) in the natural parameters.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_fft_complex.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_zeta.h>
#include "noiselab/estim.h"
#include "noiselab/stable.h"
#include "estim_mcculloch_table.h"

/* ------------------------------------------------------------------ helpers */

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* sample quantiles of type 7 (linear interpolation; numpy's default) at increasing p[] */
static nl_status quantiles7(const double *x, size_t n, const double *p, int np, double *q)
{
    double *v = malloc(n * sizeof *v);
    if (!v) return NL_ERR_NOMEM;
    memcpy(v, x, n * sizeof *v);
    qsort(v, n, sizeof *v, cmpd);
    for (int i = 0; i < np; i++) {
        double h = (double)(n - 1) * p[i];
        size_t lo = (size_t)floor(h), hi = lo + 1 < n ? lo + 1 : lo;
        q[i] = v[lo] + (h - (double)lo) * (v[hi] - v[lo]);
    }
    free(v);
    return NL_OK;
}

/* Monotone piecewise-cubic Hermite interpolation (Fritsch & Carlson 1980, with the
 * Fritsch–Butland harmonic-mean slopes) at xq; x strictly increasing, xq clamped to the range. */
static double pchip(const double *x, const double *y, int n, double xq)
{
    if (xq <= x[0]) return y[0];
    if (xq >= x[n - 1]) return y[n - 1];
    int lo = 0, hi = n - 1;
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (x[mid] <= xq) lo = mid;
        else hi = mid;
    }
    int i = lo;
    double h = x[i + 1] - x[i], del = (y[i + 1] - y[i]) / h;
    double d[2];
    for (int e = 0; e < 2; e++) {
        int k = i + e;
        if (k == 0 || k == n - 1) {
            d[e] = del;   /* ends: secant of the end interval */
            continue;
        }
        double s0 = (y[k] - y[k - 1]) / (x[k] - x[k - 1]), s1 = (y[k + 1] - y[k]) / (x[k + 1] - x[k]);
        if (s0 * s1 <= 0) d[e] = 0;
        else {
            double h0 = x[k] - x[k - 1], h1 = x[k + 1] - x[k];
            double w1 = 2 * h1 + h0, w2 = h1 + 2 * h0;
            d[e] = (w1 + w2) / (w1 / s0 + w2 / s1);
        }
    }
    double t = (xq - x[i]) / h, t2 = t * t, t3 = t2 * t;
    return (2 * t3 - 3 * t2 + 1) * y[i] + (t3 - 2 * t2 + t) * h * d[0] + (-2 * t3 + 3 * t2) * y[i + 1]
         + (t3 - t2) * h * d[1];
}

static double tan_pa2(double alpha)
{
    return nl_stable_tan_pa2(alpha);
}

/* tan(πα/2)·(s^α − s) for s > 0, continuous at α = 1 (limit −(2/π) s log s). */
static double s0_arg_term(double alpha, double s)
{
    double ls = log(s);
    if (fabs(alpha - 1) < 1e-9) return -2.0 / M_PI * s * ls;
    return tan_pa2(alpha) * s * expm1((alpha - 1) * ls);
}

/* S0 location from S1 and back, for the law (α, β, σ). */
static double loc1_to_0(double a, double b, double s, double mu1)
{
    if (a == 1) return mu1 + b * (2 / M_PI) * s * log(s);
    return mu1 + b * s * tan_pa2(a);
}
static double loc0_to_1(double a, double b, double s, double mu0)
{
    if (a == 1) return mu0 - b * (2 / M_PI) * s * log(s);
    return mu0 - b * s * tan_pa2(a);
}

/* ------------------------------------------------------------------ McCulloch */

static double mc_alpha_grid(int i) { return i == 10 ? 1.0 : 0.5 + 0.05 * i; }

/* (α, |β|) from (ν_α, |ν_β|) by iso-line inversion; returns α, β ≥ 0. */
static void mc_invert(double va, double vb, double *alpha, double *beta)
{
    double ag[NL_MC_NA], bg[NL_MC_NB], aj[NL_MC_NB], vbj[NL_MC_NB];
    for (int i = 0; i < NL_MC_NA; i++) ag[i] = mc_alpha_grid(i);
    for (int j = 0; j < NL_MC_NB; j++) bg[j] = 0.1 * j;
    for (int j = 0; j < NL_MC_NB; j++) {
        double xr[NL_MC_NA], yr[NL_MC_NA];
        for (int i = 0; i < NL_MC_NA; i++) {   /* ν_α decreases in α: reverse it */
            xr[i] = nl_mc_nu_alpha[j][NL_MC_NA - 1 - i];
            yr[i] = ag[NL_MC_NA - 1 - i];
        }
        aj[j] = pchip(xr, yr, NL_MC_NA, va);
        vbj[j] = pchip(ag, nl_mc_nu_beta[j], NL_MC_NA, aj[j]);
    }
    /* ν_β increases in β except at α ≈ 0.5 near β = 1, where it peaks at β ≈ 0.9: invert the
     * increasing prefix.  At α = 2 every row gives ν_β = 0 and β stays 0 (not identifiable). */
    double b = 0;
    int np = 1;
    while (np < NL_MC_NB && vbj[np] > vbj[np - 1] + 1e-12) np++;
    if (np >= 2) b = pchip(vbj, bg, np, vb);   /* clamps to the prefix */
    /* α on the iso-line at β: interpolate the α_j across rows */
    *alpha = pchip(bg, aj, NL_MC_NB, b);
    *beta = b;
}

/* f(α, |β|) for a table f[β][α] */
static double mc_lookup(const double tab[NL_MC_NB][NL_MC_NA], double alpha, double b)
{
    double ag[NL_MC_NA], bg[NL_MC_NB], col[NL_MC_NB];
    for (int i = 0; i < NL_MC_NA; i++) ag[i] = mc_alpha_grid(i);
    for (int j = 0; j < NL_MC_NB; j++) {
        bg[j] = 0.1 * j;
        col[j] = pchip(ag, tab[j], NL_MC_NA, alpha);
    }
    return pchip(bg, col, NL_MC_NB, b);
}

static nl_status mcculloch_from_q(const double *q, int param, nl_stable_fit *fit)
{
    double iqr = q[3] - q[1], r90 = q[4] - q[0];
    if (!(iqr > 0) || !(r90 > 0)) return NL_ERR_ARG;
    double va = r90 / iqr, vb = (q[4] + q[0] - 2 * q[2]) / r90;
    double sgn = vb < 0 ? -1.0 : 1.0;
    double a, b;
    mc_invert(va, fabs(vb), &a, &b);
    double sigma = iqr / mc_lookup(nl_mc_phi3, a, b);
    double mu0 = q[2] - sigma * sgn * mc_lookup(nl_mc_med, a, b);
    b *= sgn;
    if (b == 0) b = 0.0;   /* no −0 */
    fit->alpha = a;
    fit->beta = b;
    fit->scale = sigma;
    fit->param = param;
    fit->loc = param ? loc0_to_1(a, b, sigma, mu0) : mu0;
    return NL_OK;
}

static void fit_clear(nl_stable_fit *fit, int param)
{
    fit->alpha = fit->beta = fit->scale = fit->loc = NAN;
    fit->param = param;
    for (int i = 0; i < 4; i++) fit->se[i] = NAN;
    fit->loglik = NAN;
    fit->iterations = 0;
}

nl_status nl_fit_stable_mcculloch(const double *x, size_t n, int param, nl_stable_fit *fit)
{
    fit_clear(fit, param);
    if (n < 5) return NL_ERR_ARG;
    static const double p[5] = {0.05, 0.25, 0.5, 0.75, 0.95};
    double q[5];
    nl_status s = quantiles7(x, n, p, 5, q);
    if (s != NL_OK) return s;
    return mcculloch_from_q(q, param, fit);
}

/* ------------------------------------------------------------------ Koutrouvelis (ECF) */

#define ECF_NT 10

/* least squares y = c0 + c1 w (through the origin if c0 fixed) */
static void ecf_cf(const double *x, size_t n, double m, double s, double *re, double *im)
{
    for (int k = 0; k < ECF_NT; k++) { re[k] = 0; im[k] = 0; }
    /* e^{i t_k z} for t_k = 0.1 k by repeated rotation with e^{i 0.1 z}: one sincos per value
     * instead of ten (rounding grows by ~1 ulp per step, 1e−15 after ten) */
    for (size_t i = 0; i < n; i++) {
        double z = (x[i] - m) / s, s1, c1;
        sincos(0.1 * z, &s1, &c1);
        double ck = c1, sk = s1;
        for (int k = 0; k < ECF_NT; k++) {
            re[k] += ck;
            im[k] += sk;
            double cn = ck * c1 - sk * s1;
            sk = sk * c1 + ck * s1;
            ck = cn;
        }
    }
    for (int k = 0; k < ECF_NT; k++) { re[k] /= (double)n; im[k] /= (double)n; }
}

nl_status nl_fit_stable_ecf(const double *x, size_t n, int param, int fix, const double *fixed,
                            nl_stable_fit *fit)
{
    fit_clear(fit, param);
    if (n < 10) return NL_ERR_ARG;
    nl_stable_fit st;
    nl_status s = nl_fit_stable_mcculloch(x, n, 0, &st);
    if (s != NL_OK) return s;
    double a = (fix & NL_FIX_ALPHA) ? fixed[0] : st.alpha;
    double b = (fix & NL_FIX_BETA) ? fixed[1] : st.beta;
    double sc = (fix & NL_FIX_SCALE) ? fixed[2] : st.scale;
    double m0 = st.loc;   /* S0 location */
    if (fix & NL_FIX_LOC) m0 = param ? loc1_to_0(a, b, sc, fixed[3]) : fixed[3];
    double re[ECF_NT], im[ECF_NT];
    int it;
    for (it = 1; it <= 300; it++) {
        ecf_cf(x, n, m0, sc, re, im);
        /* regression 1 on standardised data: y_k = log 2 + α log σ' + α log t_k */
        double sw = 0, sy = 0, sww = 0, swy = 0;
        int m = 0;
        double wv[ECF_NT], yv[ECF_NT];
        for (int k = 0; k < ECF_NT; k++) {
            double mod2 = re[k] * re[k] + im[k] * im[k];
            if (!(mod2 > 0 && mod2 < 1)) continue;
            wv[m] = log(0.1 * (k + 1));
            yv[m] = log(-log(mod2));
            sw += wv[m]; sy += yv[m]; sww += wv[m] * wv[m]; swy += wv[m] * yv[m];
            m++;
        }
        if (m < 3) return NL_ERR_NOCONV;
        double an = a, sp = 1;
        if (!(fix & NL_FIX_ALPHA) && !(fix & NL_FIX_SCALE)) {
            an = (m * swy - sw * sy) / (m * sww - sw * sw);
            double c0 = (sy - an * sw) / m;
            if (!(an > 0)) an = 0.1;
            if (an > 2) an = 2;
            sp = exp((c0 - log(2.0)) / an);
        } else if (fix & NL_FIX_ALPHA) {
            if (!(fix & NL_FIX_SCALE)) {
                double c0 = (sy - an * sw) / m;   /* = log 2 + α log σ' */
                sp = exp((c0 - log(2.0)) / an);
            }
        } else {   /* scale fixed: σ' = 1, slope through (0, log 2) */
            double num = 0, den = 0;
            for (int k = 0; k < m; k++) { num += wv[k] * (yv[k] - log(2.0)); den += wv[k] * wv[k]; }
            an = num / den;
            if (!(an > 0)) an = 0.1;
            if (an > 2) an = 2;
        }
        /* regression 2 (S0 form) on the same data: z_k = μ0' t + β g(t),
         * g(t) = tan(πα/2)(σ'^α t^α − σ' t) */
        double stt = 0, stg = 0, sgg = 0, stz = 0, sgz = 0;
        for (int k = 0; k < ECF_NT; k++) {
            double t = 0.1 * (k + 1);
            double z = atan2(im[k], re[k]);
            double g = s0_arg_term(an, sp * t);
            stt += t * t; stg += t * g; sgg += g * g; stz += t * z; sgz += g * z;
        }
        double bn = b, mp = 0;
        if (fix & NL_FIX_LOC) {
            /* the location is tied: μ0 fixed (S0) or μ0 = μ1 + βσ tan(πα/2) (S1) */
            if (param == 0 || an == 1) {
                double mfix = param ? loc1_to_0(an, b, sc * sp, fixed[3]) : fixed[3];
                mp = (mfix - m0) / sc;
                if (!(fix & NL_FIX_BETA)) bn = (sgz - mp * stg) / sgg;
            } else {
                /* z − a t = β (g + c t) with a = (μ1 − m0)/sc, c = σ' tan(πα/2) */
                double av = (fixed[3] - m0) / sc, cv = sp * tan_pa2(an);
                if (!(fix & NL_FIX_BETA)) {
                    double num = 0, den = 0;
                    for (int k = 0; k < ECF_NT; k++) {
                        double t = 0.1 * (k + 1), z = atan2(im[k], re[k]);
                        double r = s0_arg_term(an, sp * t) + cv * t;
                        num += r * (z - av * t);
                        den += r * r;
                    }
                    bn = num / den;
                }
                if (bn > 1) bn = 1;
                if (bn < -1) bn = -1;
                mp = av + bn * cv;
            }
        } else if (fix & NL_FIX_BETA) {
            mp = (stz - bn * stg) / stt;
        } else {
            double det = stt * sgg - stg * stg;
            if (!(fabs(det) > 0)) return NL_ERR_NOCONV;
            mp = (sgg * stz - stg * sgz) / det;
            bn = (stt * sgz - stg * stz) / det;
        }
        if (bn > 1) bn = 1;
        if (bn < -1) bn = -1;
        if (!isfinite(an) || !isfinite(sp) || !isfinite(mp) || !isfinite(bn)) return NL_ERR_NOCONV;
        /* the fixed point is σ' = 1, μ0' = 0; full steps can cycle (seen in ~2% of n = 1000
         * samples, amplitude ~0.01 in α), so after 5 rounds the re-centring steps shrink like
         * 5/it, which makes (μ0, σ) and with them (α, β) converge */
        double w = it > 5 ? 5.0 / it : 1.0;
        double m_new = m0 + w * sc * mp, s_new = (fix & NL_FIX_SCALE) ? sc : sc * pow(sp, w);
        double change = fabs(an - a) + fabs(bn - b) + w * (fabs(sp - 1) + fabs(mp));
        a = an;
        b = bn;
        m0 = m_new;
        sc = s_new;
        if (change < 1e-9) break;
    }
    if (it > 300) return NL_ERR_NOCONV;
    fit->alpha = a;
    fit->beta = b;
    fit->scale = sc;
    fit->loc = param ? loc0_to_1(a, b, sc, m0) : m0;
    if ((fix & NL_FIX_LOC)) fit->loc = fixed[3];
    fit->iterations = it;
    return NL_OK;
}

/* ------------------------------------------------------------------ FFT density */

#define FFT_N 8192
#define FFT_H 0.04
#define FFT_ZMAX 20.0   /* grid used for |z| ≤ 20; beyond, nl_stable_logpdf */

typedef struct fftdens {
    double alpha, beta;
    double *f;      /* FFT_N values of the standard S0 density at (k − N/2) h */
    double *work;   /* 2 FFT_N doubles */
    nl_stable exact;
} fftdens;

/* The periodic images Σ_{m≠0} f(x + mL) that the DFT adds to f(x), from the first-order tail
 * law f(y) ≈ α C_α (1 ± β) |y|^{−α−1} (C_α = Γ(α) sin(πα/2)/π): the sums over m are Hurwitz
 * zeta values, Σ_{m≥1} (mL ± x)^{−α−1} = L^{−α−1} ζ(α+1, 1 ± x/L).  All images matter: for
 * α = 1 the ones beyond m = 3 still add 7e−6 to every grid value. */
static double images(double alpha, double beta, double x, double L)
{
    if (alpha >= 2) return 0;
    /* the tail law is centred on the S1 location: measure from it (it is −β tan(πα/2) in
     * S0 coordinates; near α = 1 that shift is huge and we keep x, the error being O(shift/L)) */
    double tn = tan_pa2(alpha);
    if (fabs(tn) < 20) x += beta * tn;
    double c = alpha * gsl_sf_gamma(alpha) * sin(M_PI * alpha / 2) / M_PI * pow(L, -alpha - 1);
    return c * ((1 + beta) * gsl_sf_hzeta(alpha + 1, 1 + x / L)
                + (1 - beta) * gsl_sf_hzeta(alpha + 1, 1 - x / L));
}

static int fft_density(fftdens *D, double alpha, double beta)
{
    const int N = FFT_N;
    const double h = FFT_H, s = 2 * M_PI / (N * h);
    double *c = D->work;
    /* φ0(t) = exp(−|t|^α + i sign(t) ph(|t|)) of the standard S0 law; φ(−t) = conj φ(t), and
     * beyond |t|^α > 745 it underflows to 0. */
    double tn = (fabs(alpha - 1) < 1e-9 || alpha == 2) ? 0 : tan_pa2(alpha);
    for (int j = 0; j < 2 * N; j++) c[j] = 0;
    c[N] = 1;   /* j = N/2: t = 0 */
    for (int j = 1; j < N / 2; j++) {
        double t = j * s, mag = pow(t, alpha);
        if (mag > 745) break;
        double ph;
        if (alpha == 2) ph = 0;
        else if (fabs(alpha - 1) < 1e-9) ph = -beta * (2 / M_PI) * t * log(t);
        else ph = -mag * beta * tn * expm1((1 - alpha) * log(t));
        double e = exp(-mag), sn, cs;
        sincos(ph, &sn, &cs);
        double sg = (j & 1) ? -1.0 : 1.0;   /* (−1)^{j+N/2}, N/2 even */
        c[2 * (N / 2 + j)] = sg * e * cs;
        c[2 * (N / 2 + j) + 1] = sg * e * sn;
        c[2 * (N / 2 - j)] = sg * e * cs;
        c[2 * (N / 2 - j) + 1] = -sg * e * sn;
    }
    if (gsl_fft_complex_radix2_forward(c, 1, (size_t)N) != GSL_SUCCESS) return -1;
    /* the images are smooth on |x| ≤ FFT_ZMAX ≪ L: quartic interpolation through 5 values */
    double L = N * h, xm = FFT_ZMAX + 4 * h, ix[5], iy[5];
    for (int m = 0; m < 5; m++) {
        ix[m] = -xm + m * xm / 2;
        iy[m] = images(alpha, beta, ix[m], L);
    }
    int k0 = N / 2 - (int)(xm / h) - 1, k1 = N / 2 + (int)(xm / h) + 1;
    for (int k = 0; k < N; k++) D->f[k] = 0;
    for (int k = k0; k <= k1; k++) {
        double sg = (k & 1) ? -1.0 : 1.0;
        double x = (k - N / 2) * h, im = 0;
        for (int m = 0; m < 5; m++) {
            double w = 1;
            for (int q = 0; q < 5; q++)
                if (q != m) w *= (x - ix[q]) / (ix[m] - ix[q]);
            im += w * iy[m];
        }
        D->f[k] = sg * c[2 * k] * s / (2 * M_PI) - im;
    }
    D->alpha = alpha;
    D->beta = beta;
    return 0;
}

/* log density of the standard S0 law at z: cubic interpolation on the grid where the grid
 * value is well above its error, exact evaluation elsewhere. */
static double fft_logpdf_std(fftdens *D, double z)
{
    const int N = FFT_N;
    double u = z / FFT_H + N / 2;
    if (fabs(z) <= FFT_ZMAX) {
        int k = (int)floor(u);
        double t = u - k;
        const double *f = D->f + k - 1;
        /* 4-point Lagrange (cubic) through f[k−1..k+2] */
        double v = -t * (t - 1) * (t - 2) / 6 * f[0] + (t + 1) * (t - 1) * (t - 2) / 2 * f[1]
                 - (t + 1) * t * (t - 2) / 2 * f[2] + (t + 1) * t * (t - 1) / 6 * f[3];
        if (v > 1e-9) return log(v);
    }
    return nl_stable_logpdf(&D->exact, z);
}

/* ------------------------------------------------------------------ MLE */

typedef struct mle_ctx {
    const double *x;  /* data scaled to unit IQR */
    size_t n;
    int param, fix;
    int search_param; /* parameterisation of th[3] during the search: S0 unless loc is fixed */
    double fixed[4];  /* in scaled units */
    int free_idx[4], nfree;
    fftdens D;
    int bad;
} mle_ctx;

/* natural (α, β, σ, μ in param) from the free vector v */
static void mle_unpack(const mle_ctx *c, const gsl_vector *v, double th[4])
{
    for (int j = 0; j < 4; j++) th[j] = c->fixed[j];
    for (int f = 0; f < c->nfree; f++) {
        int j = c->free_idx[f];
        double u = gsl_vector_get(v, (size_t)f);
        if (j == 0) th[0] = 1.05 + 0.95 * sin(u);
        else if (j == 1) th[1] = sin(u);
        else if (j == 2) th[2] = exp(u);
        else th[3] = u;
    }
}

static double negll_p(mle_ctx *c, const double th[4], int param)
{
    double a = th[0], b = th[1], s = th[2];
    if (!(a > 0.1 && a <= 2 && b >= -1 && b <= 1 && s > 0)) return INFINITY;
    double mu0 = param ? loc1_to_0(a, b, s, th[3]) : th[3];
    if (c->D.alpha != a || c->D.beta != b) {
        if (fft_density(&c->D, a, b) != 0) return INFINITY;
        /* the standard S0 law, built as S1 with μ1 = −β tan(πα/2) (α ≠ 1; S0 = S1 at σ = 1,
         * α = 1) — the S1 path of nl_stable_* is the one verified against SciPy */
        if (nl_stable_init(&c->D.exact, a, b, 1.0, a == 1 ? 0.0 : -b * tan_pa2(a), 1) != 0)
            return INFINITY;
    }
    double sum = 0, ls = log(s);
    for (size_t i = 0; i < c->n; i++) sum += fft_logpdf_std(&c->D, (c->x[i] - mu0) / s) - ls;
    return isfinite(sum) ? -sum : INFINITY;
}

static double negll(mle_ctx *c, const double th[4])
{
    return negll_p(c, th, c->param);
}

/* the search works on the S0 location when it is free: the S1 location jumps by βσ tan(πα/2)
 * as α crosses 1, which no simplex can follow */
static double mle_f(const gsl_vector *v, void *p)
{
    mle_ctx *c = p;
    double th[4];
    mle_unpack(c, v, th);
    return negll_p(c, th, c->search_param);
}

nl_status nl_fit_stable_mle(const double *x, size_t n, int param, int fix, const double *fixed,
                            nl_stable_fit *fit)
{
    fit_clear(fit, param);
    if (n < 10) return NL_ERR_ARG;
    static const double p3[3] = {0.25, 0.5, 0.75};
    double q[3];
    nl_status s = quantiles7(x, n, p3, 3, q);
    if (s != NL_OK) return s;
    double iqr = q[2] - q[0], med = q[1];
    if (!(iqr > 0)) return NL_ERR_ARG;
    mle_ctx c;
    memset(&c, 0, sizeof c);
    c.n = n;
    c.param = param;
    c.fix = fix;
    double *xs = malloc(n * sizeof *xs);
    c.D.f = malloc(FFT_N * sizeof *c.D.f);
    c.D.work = malloc(2 * FFT_N * sizeof *c.D.work);
    if (!xs || !c.D.f || !c.D.work) { free(xs); free(c.D.f); free(c.D.work); return NL_ERR_NOMEM; }
    for (size_t i = 0; i < n; i++) xs[i] = (x[i] - med) / iqr;
    c.x = xs;
    c.D.alpha = NAN;
    /* start: McCulloch on the scaled data (S0), then the fixed values */
    nl_stable_fit st;
    s = nl_fit_stable_mcculloch(xs, n, 0, &st);
    nl_status ret = NL_OK;
    gsl_multimin_fminimizer *mz = NULL;
    gsl_vector *v = NULL, *step = NULL;
    if (s != NL_OK) { ret = s; goto done; }
    c.search_param = (fix & NL_FIX_LOC) ? param : 0;
    double start[4] = {st.alpha, st.beta, st.scale, c.search_param ? loc0_to_1(st.alpha, st.beta, st.scale, st.loc) : st.loc};
    if (start[0] > 1.98) start[0] = 1.98;
    if (start[0] < 0.2) start[0] = 0.2;
    if (start[1] > 0.98) start[1] = 0.98;
    if (start[1] < -0.98) start[1] = -0.98;
    double fx[4];
    if (fixed) memcpy(fx, fixed, sizeof fx);
    else for (int j = 0; j < 4; j++) fx[j] = NAN;
    if (fix & NL_FIX_SCALE) fx[2] /= iqr;
    if (fix & NL_FIX_LOC) fx[3] = (fx[3] - med) / iqr;   /* exact for S0, and S1 with α ≠ 1 */
    for (int j = 0; j < 4; j++) {
        if (fix & (1 << j)) c.fixed[j] = fx[j];
        else {
            c.fixed[j] = start[j];
            c.free_idx[c.nfree++] = j;
        }
    }
    if (c.nfree == 0) {
        fit->alpha = fx[0];
        fit->beta = fx[1];
        fit->scale = fx[2] * iqr;
        fit->loc = fx[3] * iqr + med;
        fit->loglik = -negll(&c, c.fixed) - (double)n * log(iqr);
        goto done;
    }
    v = gsl_vector_alloc((size_t)c.nfree);
    step = gsl_vector_alloc((size_t)c.nfree);
    mz = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, (size_t)c.nfree);
    if (!v || !step || !mz) { ret = NL_ERR_NOMEM; goto done; }
    for (int f = 0; f < c.nfree; f++) {
        int j = c.free_idx[f];
        double u = j == 0 ? asin((start[0] - 1.05) / 0.95) : j == 1 ? asin(start[1])
                 : j == 2 ? log(start[2]) : start[3];
        gsl_vector_set(v, (size_t)f, u);
        gsl_vector_set(step, (size_t)f, j == 3 ? 0.1 : 0.1);
    }
    gsl_multimin_function F = {mle_f, (size_t)c.nfree, &c};
    if (gsl_multimin_fminimizer_set(mz, &F, v, step) != GSL_SUCCESS || !isfinite(mz->fval)) {
        ret = NL_ERR_NOCONV;
        goto done;
    }
    int it, status = GSL_CONTINUE;
    for (it = 1; it <= 3000 && status == GSL_CONTINUE; it++) {
        int st2 = gsl_multimin_fminimizer_iterate(mz);
        double size = gsl_multimin_fminimizer_size(mz);
        if (st2 != GSL_SUCCESS) {
            /* no further progress possible (the interpolated density is smooth only to ~1e−9):
             * accept a simplex that is already small */
            status = size < 1e-4 ? GSL_SUCCESS : st2;
            break;
        }
        status = gsl_multimin_test_size(size, 1e-6);
    }
    /* a simplex that stalls just above the tolerance (flat, slightly noisy objective) is a
     * converged one for our purposes */
    if (status == GSL_CONTINUE && gsl_multimin_fminimizer_size(mz) < 1e-4) status = GSL_SUCCESS;
    if (status != GSL_SUCCESS) { ret = NL_ERR_NOCONV; goto done; }
    double th[4];
    mle_unpack(&c, mz->x, th);
    fit->iterations = it;
    fit->loglik = -mz->fval - (double)n * log(iqr);
    /* observed information in the search parameters (S0 location when it is free: the S1
     * likelihood is discontinuous in α at 1), scaled units; the S1 location's se then follows
     * by the delta method through μ1 = μ0 − βσ tan(πα/2) (or the α = 1 form). */
    {
        int nf = c.nfree;
        double hstep[4] = {1e-3, 1e-3, 1e-3 * th[2], 1e-3 * th[2]};
        double ctr[4];
        memcpy(ctr, th, sizeof ctr);
        if (ctr[0] + hstep[0] > 2) ctr[0] = 2 - hstep[0];   /* keep the stencil in the domain */
        if (ctr[1] + hstep[1] > 1) ctr[1] = 1 - hstep[1];
        if (ctr[1] - hstep[1] < -1) ctr[1] = -1 + hstep[1];
        gsl_matrix *H = gsl_matrix_alloc((size_t)nf, (size_t)nf);
        if (!H) { ret = NL_ERR_NOMEM; goto done; }
        int sp = c.search_param;
        double f0 = negll_p(&c, ctr, sp);
        for (int a1 = 0; a1 < nf; a1++)
            for (int a2 = a1; a2 < nf; a2++) {
                int i = c.free_idx[a1], j = c.free_idx[a2];
                double t[4], val;
                if (i == j) {
                    memcpy(t, ctr, sizeof t); t[i] += hstep[i];
                    double fp = negll_p(&c, t, sp);
                    memcpy(t, ctr, sizeof t); t[i] -= hstep[i];
                    double fm = negll_p(&c, t, sp);
                    val = (fp - 2 * f0 + fm) / (hstep[i] * hstep[i]);
                } else {
                    double fpp, fpm, fmp, fmm;
                    memcpy(t, ctr, sizeof t); t[i] += hstep[i]; t[j] += hstep[j]; fpp = negll_p(&c, t, sp);
                    memcpy(t, ctr, sizeof t); t[i] += hstep[i]; t[j] -= hstep[j]; fpm = negll_p(&c, t, sp);
                    memcpy(t, ctr, sizeof t); t[i] -= hstep[i]; t[j] += hstep[j]; fmp = negll_p(&c, t, sp);
                    memcpy(t, ctr, sizeof t); t[i] -= hstep[i]; t[j] -= hstep[j]; fmm = negll_p(&c, t, sp);
                    val = (fpp - fpm - fmp + fmm) / (4 * hstep[i] * hstep[j]);
                }
                gsl_matrix_set(H, (size_t)a1, (size_t)a2, val);
                gsl_matrix_set(H, (size_t)a2, (size_t)a1, val);
            }
        if (gsl_linalg_cholesky_decomp1(H) == GSL_SUCCESS) {
            gsl_linalg_cholesky_invert(H);
            for (int a1 = 0; a1 < nf; a1++) {
                int i = c.free_idx[a1];
                double var = gsl_matrix_get(H, (size_t)a1, (size_t)a1);
                double se = var > 0 ? sqrt(var) : NAN;
                if (i >= 2) se *= iqr;
                fit->se[i] = se;
            }
            if (sp == 0 && param == 1 && !(fix & NL_FIX_LOC)) {
                /* gradient of μ1 (data units) w.r.t. the free scaled parameters */
                double g[4] = {0, 0, 0, 0};
                for (int a1 = 0; a1 < nf; a1++) {
                    int i = c.free_idx[a1];
                    double tp[4], tm[4], h = hstep[i];
                    memcpy(tp, ctr, sizeof tp); memcpy(tm, ctr, sizeof tm);
                    tp[i] += h; tm[i] -= h;
                    double up = loc0_to_1(tp[0], tp[1], tp[2] * iqr, tp[3] * iqr + med);
                    double um = loc0_to_1(tm[0], tm[1], tm[2] * iqr, tm[3] * iqr + med);
                    g[a1] = (up - um) / (2 * h);
                }
                double var = 0;
                for (int a1 = 0; a1 < nf; a1++)
                    for (int a2 = 0; a2 < nf; a2++)
                        var += g[a1] * gsl_matrix_get(H, (size_t)a1, (size_t)a2) * g[a2];
                fit->se[3] = var > 0 ? sqrt(var) : NAN;
            }
        }
        gsl_matrix_free(H);
    }
    fit->alpha = th[0];
    fit->beta = th[1];
    fit->scale = th[2] * iqr;
    /* back to data units: the S0 location scales affinely; S1 via S0 */
    if (c.search_param == 0 && param == 1) {
        fit->loc = loc0_to_1(th[0], th[1], fit->scale, th[3] * iqr + med);
    } else if (param && th[0] == 1) {
        double mu0 = loc1_to_0(th[0], th[1], th[2], th[3]) * iqr + med;
        fit->loc = loc0_to_1(th[0], th[1], fit->scale, mu0);
    } else {
        fit->loc = th[3] * iqr + med;
    }
done:
    if (mz) gsl_multimin_fminimizer_free(mz);
    if (v) gsl_vector_free(v);
    if (step) gsl_vector_free(step);
    free(xs);
    free(c.D.f);
    free(c.D.work);
    return ret;
}
