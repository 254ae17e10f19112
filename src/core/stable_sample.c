/* α-stable and Pareto samplers.
 *
 * Algorithm: Chambers, Mallows & Stuck (1976), "A method for simulating stable random
 * variables", JASA 71:340–344, in the corrected form of Weron (1996), "On the Chambers–Mallows–
 * Stuck method...", Stat. Probab. Lett. 28:165–171.  With Φ = π(U1 − ½), W = −log U2,
 * τ = β tan(πα/2), αθ0 = atan τ, standard S1 for α ≠ 1 is
 *   X1 = (1+τ²)^{1/(2α)} sin(αΦ + atan τ) / cos(Φ)^{1/α} · (cos((1−α)Φ − atan τ)/W)^{(1−α)/α}
 * and for α = 1
 *   X1 = (2/π)[(π/2 + βΦ) tan Φ − β log((π/2) W cos Φ / (π/2 + βΦ))].
 *
 * S0-native form (ours; algebra in docs/levy.md).  S0 = X1 − τ cancels catastrophically as
 * α → 1 (τ ~ 2β/(π(1−α)) while X0 stays O(1)).  Writing
 *   d = cos(αΦ)/cos Φ − 1 = 2 sin((1+α)Φ/2) sin((1−α)Φ/2) / cos Φ,
 *   K = ((1−α)/α) log( cos((1−α)Φ − atan τ) · sqrt(1+τ²) / (W cos Φ) ),
 * one has exactly X1 = sin(αΦ) e^K / cos Φ + τ (1 + d) e^K, hence
 *   X0 = sin(αΦ) e^K / cos Φ + τ (d e^K + expm1 K),
 * where every factor is computed to relative accuracy: d from the product of sines, expm1,
 * (1 − α) exact by Sterbenz, tan(πα/2) = cot(π(1−α)/2) (no rounding of πα/2 near the pole), and
 * for |τ| > 1 the cosine is cos(y − sπ/2) = s sin y with y = (1−α)Φ + atan(1/τ), so the product
 * cos(·)·sqrt(1+τ²) ~ 1 + (2|β|/π)Φ is formed without taking the log of a tiny number.  The
 * native form is used for 0.5 < α < 1.5; elsewhere X1 − τ has no cancellation.
 *
 * Verified (tests/levy_spec.lua): KS against our own cdf at n = 1e6 over an (α, β) grid incl.
 * α = 1 ± 1e−6 in S0, two-sample KS against GSL's gsl_ran_levy_skew; S0 variates at α = 1 ± 1e−12
 * agree with the α = 1 sampler on the same uniforms to ~1e−11 absolute.
 * Stream use: two uniforms per stable variate (U1 then U2), so fills are chunking-independent. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "noiselab/stable.h"
#include "stable_internal.h"
#include "noiselab/vecmath.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

double nl_stable_tan_pa2(double alpha)
{
    /* tan(πα/2) has period 2 in α: reduce to the argument nearest 0 so πx/2 is exact enough. */
    if (alpha == 1.0) return INFINITY;
    if (alpha < 0.5) return tan(M_PI * 0.5 * alpha);
    if (alpha <= 1.5) return 1.0 / tan(M_PI * 0.5 * (1.0 - alpha));
    return -tan(M_PI * 0.5 * (2.0 - alpha));
}

void nl_cms_plan_init(nl_cms_plan *p, double alpha, double beta, double scale, double loc,
                      int param)
{
    memset(p, 0, sizeof *p);
    p->alpha = alpha;
    p->beta = beta;
    p->scale = scale;
    p->shift = loc;
    if (alpha == 1.0) {
        p->kind = 1;
        /* S1 with scale σ: σX + (2/π)βσ log σ + μ1; S0 has no such term. */
        if (param == 1) p->shift = loc + (2.0 / M_PI) * beta * scale * log(scale);
        return;
    }
    p->tau = beta * nl_stable_tan_pa2(alpha);
    if (alpha == 2.0) p->tau = 0.0;
    p->at = atan(p->tau);
    p->big = fabs(p->tau) > 1.0;
    p->s = p->tau > 0 ? 1.0 : -1.0;
    p->atinv = p->big ? atan(1.0 / p->tau) : 0.0;
    p->om = 1.0 - alpha;
    p->ia = 1.0 / alpha;
    p->ex = p->om / alpha;
    p->logS = 0.5 * log1p(p->tau * p->tau) / alpha;
    p->hyp = hypot(1.0, p->tau);
    if (param == 1) p->kind = 0;
    else if (alpha > 0.5 && alpha < 1.5) {
        p->kind = 2;
        if (alpha < 1.0 && beta == 1.0) p->clamp = 1;
        if (alpha < 1.0 && beta == -1.0) p->clamp = -1;
    } else
        p->kind = 3;
}

static inline double cms_costerm(const nl_cms_plan *p, double phi)
{
    /* cos(Φ − α(Φ + θ0)) = cos((1−α)Φ − atan τ) */
    return p->big ? p->s * sin(p->om * phi + p->atinv) : cos(p->om * phi - p->at);
}

double nl_cms_one(const nl_cms_plan *p, double u1, double u2)
{
    double phi = M_PI * (u1 - 0.5);
    double w = -log(u2);
    if (p->kind == 1) {
        double b = p->beta, h = M_PI * 0.5 + b * phi;
        double x = h * tan(phi);
        if (b != 0.0) x -= b * log(M_PI * 0.5 * w * cos(phi) / h);
        return (2.0 / M_PI) * x;
    }
    double c = cos(phi), ct = cms_costerm(p, phi);
    if (p->kind == 2) {
        double d = 2.0 * sin(0.5 * (1.0 + p->alpha) * phi) * sin(0.5 * p->om * phi) / c;
        double em = expm1(p->ex * log(ct * p->hyp / (w * c)));
        double eK = 1.0 + em;
        double x = sin(p->alpha * phi) * eK / c + p->tau * (d * eK + em);
        if (p->clamp > 0 && x < -p->tau) x = -p->tau;
        if (p->clamp < 0 && x > -p->tau) x = -p->tau;
        return x;
    }
    double x = sin(p->alpha * phi + p->at) *
               exp(p->logS - p->ia * log(c) + p->ex * log(ct / w));
    return p->kind == 3 ? x - p->tau : x;
}

#if defined(__x86_64__) && defined(__GNUC__)
#define NL_HAVE_AVX2_PATH 1
#endif

double nl_stable_rand(nl_rng *g, double alpha, double beta)
{
    nl_cms_plan p;
    nl_cms_plan_init(&p, alpha, beta, 1.0, 0.0, 1);
    double u1 = nl_rng_uniform(g);
    double u2 = nl_rng_uniform(g);
    return nl_cms_one(&p, u1, u2);
}

#define CMS_BLOCK 256

void nl_stable_fill(nl_rng *g, double alpha, double beta, double scale, double loc, int param,
                    double *out, size_t n)
{
    nl_cms_plan p;
    nl_cms_plan_init(&p, alpha, beta, scale, loc, param);
    double u[2 * CMS_BLOCK], u1[CMS_BLOCK], u2[CMS_BLOCK];
    while (n > 0) {
        size_t m = n < CMS_BLOCK ? n : CMS_BLOCK;
        nl_rng_uniform_fill(g, u, 2 * m);
        for (size_t i = 0; i < m; i++) {
            u1[i] = u[2 * i];
            u2[i] = u[2 * i + 1];
        }
#ifdef NL_HAVE_AVX2_PATH
        if (nl_cpu_avx512()) {
            nl_cms_avx512(&p, u1, u2, out, m);
        } else if (nl_cpu_avx2()) {
            nl_cms_avx2(&p, u1, u2, out, m);
        } else
#endif
        {
            for (size_t i = 0; i < m; i++) out[i] = p.scale * nl_cms_one(&p, u1[i], u2[i]) + p.shift;
        }
        out += m;
        n -= m;
    }
}

/* Pareto by inversion: |Z| = scale·U^(−1/α); the sign (if symmetric) from a second uniform. */
double nl_pareto_rand(nl_rng *g, double alpha, double scale, int symmetric)
{
    double z = scale * exp(-log(nl_rng_uniform(g)) / alpha);
    if (symmetric && nl_rng_uniform(g) < 0.5) z = -z;
    return z;
}

void nl_pareto_fill(nl_rng *g, double alpha, double scale, int symmetric, double *out, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = nl_pareto_rand(g, alpha, scale, symmetric);
}
