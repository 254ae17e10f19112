/* noiselab α-stable laws and Pareto tails (C core; no Lua).
 *
 * Parameterisations (DESIGN.md §4).  S1 (Samorodnitsky–Taqqu; GSL/SciPy default), α ≠ 1:
 *   φ(u) = exp(−σ^α|u|^α (1 − iβ sign(u) tan(πα/2)) + iμ1 u);
 * α = 1:  φ(u) = exp(−σ|u| (1 + iβ (2/π) sign(u) log|u|) + iμ1 u).
 * S0 (Nolan) differs only in the location:  μ0 = μ1 + βσ tan(πα/2)  (α ≠ 1),
 * μ0 = μ1 + β (2/π) σ log σ  (α = 1).  S0 is continuous in α at 1; S1 is not.
 * α = 2 is N(μ, 2σ²) whatever β.
 *
 * Sampling: Chambers–Mallows–Stuck (1976) with Weron's (1996) correction; the S0 sampler is a
 * rearrangement of the same formula that never forms X1 − β tan(πα/2), so it stays exact as
 * α → 1 (see src/core/stable_sample.c).
 * Densities and distribution functions: Nolan (1997) integral representation (see
 * src/core/stable_dist.c). */
#ifndef NOISELAB_STABLE_H
#define NOISELAB_STABLE_H
#include <stddef.h>
#include "noiselab/rng.h"

/* ---- samplers (the API other modules use; stable names) ---- */

/* One standard S1 variate (scale 1, location 0).  α ∈ (0, 2], β ∈ [−1, 1] (not checked). */
double nl_stable_rand(nl_rng *g, double alpha, double beta);
/* n variates of S<param>(α, β, scale, loc), param = 1 (S1) or 0 (S0).  Consumes two uniforms
 * per variate in order, so one fill of n equals consecutive fills summing to n.  Uses AVX2
 * (SLEEF) when the CPU has it, else libm; both paths agree to a few ulp. */
void nl_stable_fill(nl_rng *g, double alpha, double beta, double scale, double loc, int param,
                    double *out, size_t n);
/* One Pareto variate: P(|Z| > z) = (z/scale)^−α for z ≥ scale; symmetric: random sign. */
double nl_pareto_rand(nl_rng *g, double alpha, double scale, int symmetric);
void nl_pareto_fill(nl_rng *g, double alpha, double scale, int symmetric, double *out, size_t n);

/* Pareto distribution functions (closed forms; src/core/pareto.c). */
double nl_pareto_pdf(double alpha, double scale, int symmetric, double x);
double nl_pareto_logpdf(double alpha, double scale, int symmetric, double x);
double nl_pareto_cdf(double alpha, double scale, int symmetric, double x);
double nl_pareto_sf(double alpha, double scale, int symmetric, double x);
double nl_pareto_quantile(double alpha, double scale, int symmetric, double p);
double nl_pareto_isf(double alpha, double scale, int symmetric, double q);

/* tan(πα/2) without the rounding of πα/2 near the pole at α = 1 (exact to ~1 ulp). */
double nl_stable_tan_pa2(double alpha);

/* ---- distribution functions ---- */

/* A law with its precomputed constants.  Build with nl_stable_init (validates). */
typedef struct nl_stable {
    double alpha, beta, scale, loc;
    int param;            /* 1 = S1, 0 = S0 */
    double loc0;          /* the S0 location of the same law */
    double loc1;          /* the S1 location of the same law */
    double zeta;          /* −β tan(πα/2) (0 for α = 1): the S1 "shift" of the standard law */
} nl_stable;

/* 0 on success, −1 if a parameter is out of its domain (α ∉ (0,2], β ∉ [−1,1], scale ≤ 0 or
 * not finite, loc not finite, param ∉ {0,1}). */
int nl_stable_init(nl_stable *d, double alpha, double beta, double scale, double loc, int param);

double nl_stable_pdf(const nl_stable *d, double x);
double nl_stable_logpdf(const nl_stable *d, double x);
double nl_stable_cdf(const nl_stable *d, double x);
double nl_stable_sf(const nl_stable *d, double x);
/* Quantiles: quantile(p) solves cdf(x) = p; isf(q) solves sf(x) = q (accurate upper tail).
 * Return NaN for p outside [0, 1]; the support's ends at p = 0 / 1. */
double nl_stable_quantile(const nl_stable *d, double p);
double nl_stable_isf(const nl_stable *d, double q);
void nl_stable_cf(const nl_stable *d, double u, double *re, double *im);
/* Mean (NaN if it does not exist: α ≤ 1), variance (+inf for α < 2). */
double nl_stable_mean(const nl_stable *d);
double nl_stable_var(const nl_stable *d);
double nl_stable_mode(const nl_stable *d);
void nl_stable_support(const nl_stable *d, double *lo, double *hi);

#endif
