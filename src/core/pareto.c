/* Pareto laws: P(|Z| > z) = (z/scale)^−α for z ≥ scale; with symmetric != 0 the sign is ±
 * with probability ½ each.  Closed forms (the quantiles are the generalised inverses
 * inf{x : cdf(x) ≥ p} and inf{x : sf(x) ≤ q}); log/expm1/log1p keep both tails relative.
 * Verified in tests/levy_spec.lua against the formulas evaluated directly in Lua. */
#include <math.h>
#include "noiselab/stable.h"

/* P(|Z| > z) = (z/s)^-α, z ≥ s; symmetric: half of it on each side. */
double nl_pareto_pdf(double alpha, double scale, int symmetric, double x)
{
    const struct { double alpha, scale; int symmetric; } P = {alpha, scale, symmetric}, *p = &P;
    double z = p->symmetric ? fabs(x) : x;
    if (isnan(x)) return NAN;
    if (!(z >= p->scale)) return 0.0;
    double f = p->alpha / p->scale * exp(-(p->alpha + 1) * log(z / p->scale));
    return p->symmetric ? 0.5 * f : f;
}

double nl_pareto_logpdf(double alpha, double scale, int symmetric, double x)
{
    const struct { double alpha, scale; int symmetric; } P = {alpha, scale, symmetric}, *p = &P;
    double z = p->symmetric ? fabs(x) : x;
    if (isnan(x)) return NAN;
    if (!(z >= p->scale) || isinf(z)) return -INFINITY;
    return log(p->alpha / p->scale) - (p->alpha + 1) * log(z / p->scale) - (p->symmetric ? M_LN2 : 0);
}

/* upper tail P(Z > x) */
double nl_pareto_sf(double alpha, double scale, int symmetric, double x)
{
    const struct { double alpha, scale; int symmetric; } P = {alpha, scale, symmetric}, *p = &P;
    if (isnan(x)) return NAN;
    if (!p->symmetric) return x <= p->scale ? 1.0 : exp(-p->alpha * log(x / p->scale));
    if (x >= p->scale) return 0.5 * exp(-p->alpha * log(x / p->scale));
    if (x > -p->scale) return 0.5;
    return 1.0 - 0.5 * exp(-p->alpha * log(-x / p->scale));
}

double nl_pareto_cdf(double alpha, double scale, int symmetric, double x)
{
    const struct { double alpha, scale; int symmetric; } P = {alpha, scale, symmetric}, *p = &P;
    if (isnan(x)) return NAN;
    if (!p->symmetric) return x <= p->scale ? 0.0 : -expm1(-p->alpha * log(x / p->scale));
    if (x <= -p->scale) return 0.5 * exp(-p->alpha * log(-x / p->scale));
    if (x < p->scale) return 0.5;
    return 1.0 - 0.5 * exp(-p->alpha * log(x / p->scale));
}

/* generalised inverses inf{x : cdf(x) ≥ p} and inf{x : sf(x) ≤ q} */
double nl_pareto_quantile(double alpha, double scale, int symmetric, double pr)
{
    const struct { double alpha, scale; int symmetric; } P = {alpha, scale, symmetric}, *p = &P;
    if (!(pr >= 0 && pr <= 1)) return NAN;
    if (!p->symmetric) return pr == 1 ? INFINITY : p->scale * exp(-log1p(-pr) / p->alpha);
    if (pr == 0) return -INFINITY;
    if (pr <= 0.5) return -p->scale * exp(-log(2 * pr) / p->alpha);
    if (pr == 1) return INFINITY;
    return p->scale * exp(-log(2 * (1 - pr)) / p->alpha);
}

double nl_pareto_isf(double alpha, double scale, int symmetric, double q)
{
    const struct { double alpha, scale; int symmetric; } P = {alpha, scale, symmetric}, *p = &P;
    if (!(q >= 0 && q <= 1)) return NAN;
    if (!p->symmetric) return q == 0 ? INFINITY : p->scale * exp(-log(q) / p->alpha);
    if (q == 0) return INFINITY;
    if (q < 0.5) return p->scale * exp(-log(2 * q) / p->alpha);
    if (q == 1) return -INFINITY;
    return -p->scale * exp(-log(2 * (1 - q)) / p->alpha);
}

