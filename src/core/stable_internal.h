/* Internal to the stable_*.c files: the per-(α, β, param) constants of the CMS sampler, and
 * the per-(α, β, x) state of Nolan's integrand (stable_dist.c, stable_simd.h). */
#ifndef NOISELAB_STABLE_INTERNAL_H
#define NOISELAB_STABLE_INTERNAL_H
#include <stddef.h>

typedef struct nl_cms_plan {
    int kind;          /* 0: α ≠ 1 standard S1 formula; 1: α = 1; 2: α ≠ 1 native S0 formula;
                          3: α ≠ 1, S0 as X1 − τ (α far from 1, no cancellation) */
    double alpha, beta;
    double tau;        /* β tan(πα/2) */
    double at;         /* atan(τ) = α θ0 */
    int big;           /* |τ| > 1: cos term written as s·sin(·) (see stable_sample.c) */
    double s, atinv;   /* sign(τ), atan(1/τ) */
    double om, ia, ex; /* 1 − α, 1/α, (1 − α)/α */
    double logS;       /* log(1 + τ²)/(2α) */
    double hyp;        /* sqrt(1 + τ²) */
    double scale, shift; /* out = scale·X + shift */
    int clamp;         /* +1: X ≥ −τ, −1: X ≤ −τ (native S0, α < 1, |β| = 1) */
} nl_cms_plan;

void nl_cms_plan_init(nl_cms_plan *p, double alpha, double beta, double scale, double loc,
                      int param);
/* X from U1 (→ Φ) and U2 (→ W = −log U2), standard (scale 1, loc 0) in the plan's form. */
double nl_cms_one(const nl_cms_plan *p, double u1, double u2);
/* out[i] = scale·X(u1[i], u2[i]) + shift; SLEEF vector kernels (stable_simd.h).  Only call the
 * _avx2 one if the CPU has AVX2+FMA, the _avx512 one if it has AVX-512F. */
void nl_cms_avx2(const nl_cms_plan *p, const double *u1, const double *u2, double *out, size_t n);
void nl_cms_avx512(const nl_cms_plan *p, const double *u1, const double *u2, double *out, size_t n);

/* Nolan's integrand for one standard law (α, β) on the side t = x − ζ > 0 (see stable_dist.c). */
typedef struct nl_side {
    double alpha, beta;
    int a1;            /* α == 1 */
    int inc;           /* g increases with ψ (α ≤ 1) */
    int near1;         /* use the N/D form of log R */
    double tau, at, theta0, w, c0, e0, hyp, loghyp, om, ex;
    double t, lt, z0;  /* t = x − ζ > 0 and the S0 coordinate */
    double xb;         /* α = 1: −πx/(2β) + log(2/π) */
    int mode;          /* 0: ψ from −θ0, 1: φ from π/2 */
    int kinds;         /* integrands, bit k: 0 g e^{−g}; 1 e^{−g}; 2 −expm1(−g) */
} nl_side;

/* out[k·n + i] = integrand k (each k in S->kinds) at s[i] (u = e^s from the mode's endpoint),
 * α ≠ 1; the same CPU conditions. */
void nl_side_integrand_avx2(const nl_side *S, const double *s, double *out, size_t n);
void nl_side_integrand_avx512(const nl_side *S, const double *s, double *out, size_t n);
#endif
