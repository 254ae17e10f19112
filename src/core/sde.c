/* noiselab SDE ensembles: Euler–Maruyama for dX = b(X)dt + σ dB + ε dL^α and the truncated
 * SGD-like map X ← X − φ_b(η(∇f(X) − Z)) over many paths.
 *
 * Method.  Euler steps with increments σ√dt·N(0,1) for Brownian motion and ε·dt^{1/α}·S for an
 * α-stable Lévy motion (S standard S1, Chambers–Mallows–Stuck via nl_stable_fill); the
 * isotropic d-dim SαS increment is the sub-Gaussian construction X = sqrt(A)·G,
 * G ~ N(0, 2I), A ~ S1(α/2, 1, cos(πα/4)^{2/α}) (Samorodnitsky & Taqqu 1994, §2.5), whose
 * characteristic function is exp(−‖θ‖^α).  The truncated map is that of Wang, Oh, Rhee
 * (ICLR 2022): φ_b(w) = w·min(1, b/‖w‖) (norm) or clamp to [−b, b] per coordinate.
 *
 * Reproducibility.  Path p uses nl_rng_init(&g, seed, stream_base + p) and draws its noise in
 * blocks of NL_SDE_BLOCK steps (components in the order given, each block filled with the
 * samplers' fill functions, whose results depend only on the words consumed).  Native drifts
 * run path-major (a path's whole trajectory in registers), callback drifts step-major (all
 * live paths per step); both make exactly the same fills and the same arithmetic per step, so
 * they agree bit for bit (tested), and neither depends on the number of paths or threads.
 *
 * Verified (tests/sde_spec.lua, docs/sde.md): Brownian OU mean/variance within 4 se of the exact
 * Euler-chain law; α-stable OU stationary quantiles (α = 1.5 with β = 0 and 0.5, isotropic 2-d
 * α = 1.2 and its projections) within 4 binomial se of SciPy's levy_stable at the predicted
 * scale ε(αθ)^{−1/α}; exit times of SαS gradient flow within 3.5 % of the Imkeller–Pavlyukevich
 * law, log-log slope −1.53 for α = 1.5; truncated-exit slopes 1.33 / 1.54 / 1.84 for
 * 1 + l*(α − 1) = 1.3 / 1.6 / 1.9. */
#include "noiselab/sde.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "noiselab/stable.h"

#define NB NL_SDE_BLOCK
#define LANES_W 8 /* noise blocks in the work space: one per lane of run_paths_1d */

/* ---------- noise plan ---------- */

typedef struct comp {
    int kind, iso;
    double alpha, beta, sym;
    double fac;      /* multiplies the unit variate (σ√dt, ε dt^{1/α}, η·scale, ...) */
    double ascale;   /* isotropic: scale of A */
    double shift;    /* added per step and coordinate: the S1 α = 1, β ≠ 0 log term (below) */
    int units, off;  /* values per step, offset of this component's block in the buffer */
} comp;

typedef struct plan {
    int d, ncomp, units; /* units: values per step over all components */
    comp c[NL_SDE_MAXNOISE];
} plan;

static int comp_units(const nl_sde_noise *n, int d)
{
    if (n->kind == NL_SDE_NOISE_STABLE && n->isotropic && n->alpha < 2) return d + 1;
    return d;
}

static void make_plan(const nl_sde_config *c, plan *p)
{
    p->d = c->d;
    p->ncomp = c->nnoise;
    p->units = 0;
    for (int k = 0; k < c->nnoise; k++) {
        const nl_sde_noise *n = &c->noise[k];
        comp *q = &p->c[k];
        q->kind = n->kind;
        q->iso = n->isotropic;
        q->alpha = n->alpha;
        q->beta = n->beta;
        q->sym = n->symmetric;
        q->units = comp_units(n, c->d);
        q->off = p->units * NB;
        p->units += q->units;
        double a = n->kind == NL_SDE_NOISE_BROWNIAN ? 2.0 : n->alpha;
        if (c->scheme == NL_SDE_EULER)
            q->fac = n->scale * pow(c->h, 1.0 / a);
        else
            q->fac = n->scale * c->h;
        /* S1 is not strictly stable at α = 1: the Lévy motion with L_1 ~ S1(1, β, 1, 0) has
         * L_dt = dt·L_1 + (2/π)β dt log dt (compare the characteristic exponents), so the Euler
         * increment carries that deterministic term (for the SGD map Z is just scale·S) */
        q->shift = 0;
        if (n->kind == NL_SDE_NOISE_STABLE && n->alpha == 1 && n->beta != 0 && !n->isotropic &&
            c->scheme == NL_SDE_EULER)
            q->shift = n->scale * (2 / M_PI) * n->beta * c->h * log(c->h);
        if (n->kind == NL_SDE_NOISE_STABLE && n->isotropic) {
            /* X = sqrt(A)·√2·N; for α = 2 it is √2·N (A ≡ 1) */
            q->fac *= M_SQRT2;
            q->ascale = n->alpha < 2 ? pow(cos(M_PI * n->alpha / 4), 2 / n->alpha) : 1;
        }
    }
}

/* Fill one block (NB steps) of every component from g, in component order. */
static void refill(const plan *p, nl_rng *g, double *buf)
{
    int d = p->d;
    for (int k = 0; k < p->ncomp; k++) {
        const comp *q = &p->c[k];
        double *o = buf + q->off;
        switch (q->kind) {
        case NL_SDE_NOISE_BROWNIAN:
            nl_rng_normal_fill(g, o, (size_t)NB * d);
            break;
        case NL_SDE_NOISE_STABLE:
            if (q->iso) {
                if (q->alpha < 2) {
                    nl_stable_fill(g, q->alpha / 2, 1.0, q->ascale, 0.0, 1, o, NB);
                    nl_rng_normal_fill(g, o + NB, (size_t)NB * d);
                } else {
                    nl_rng_normal_fill(g, o, (size_t)NB * d);
                }
            } else {
                nl_stable_fill(g, q->alpha, q->beta, 1.0, 0.0, 1, o, (size_t)NB * d);
            }
            break;
        default:
            nl_pareto_fill(g, q->alpha, 1.0, (int)q->sym, o, (size_t)NB * d);
        }
    }
}

/* z = Σ_k fac_k · noise_k at step j of the block */
static inline void noise_at(const plan *p, const double *buf, int j, double *z)
{
    int d = p->d;
    for (int i = 0; i < d; i++) z[i] = 0;
    for (int k = 0; k < p->ncomp; k++) {
        const comp *q = &p->c[k];
        const double *o = buf + q->off;
        if (q->kind == NL_SDE_NOISE_STABLE && q->iso && q->alpha < 2) {
            double s = q->fac * sqrt(o[j]);
            const double *gn = o + NB + (size_t)j * d;
            for (int i = 0; i < d; i++) z[i] += s * gn[i];
        } else {
            const double *v = o + (size_t)j * d;
            for (int i = 0; i < d; i++) z[i] += q->fac * v[i] + q->shift;
        }
    }
}

/* ---------- drifts ---------- */

static inline double multi_well_1(const nl_sde_config *c, double x)
{
    int i = 0, n = c->nwells - 1;
    while (i < n && x >= c->edges[i]) i++;
    return -c->curv[i] * (x - c->minima[i]);
}

static void drift_one(const nl_sde_config *c, const double *x, double *b)
{
    int d = c->d;
    switch (c->drift) {
    case NL_SDE_DRIFT_QUADRATIC:
        for (int i = 0; i < d; i++) {
            double s = 0;
            for (int j = 0; j < d; j++)
                s += c->H[i * d + j] * (x[j] - (c->center ? c->center[j] : 0.0));
            b[i] = -s;
        }
        break;
    case NL_SDE_DRIFT_DOUBLE_WELL:
        for (int i = 0; i < d; i++) b[i] = -c->K * (x[i] - x[i] * x[i] * x[i]);
        break;
    case NL_SDE_DRIFT_MULTI_WELL:
        for (int i = 0; i < d; i++) b[i] = multi_well_1(c, x[i]);
        break;
    default:
        for (int i = 0; i < d; i++) b[i] = 0;
    }
}

nl_status nl_sde_drift_eval(const nl_sde_config *c, int64_t n, const double *x, double *b)
{
    if (c->drift == NL_SDE_DRIFT_CALLBACK || c->d < 1 || c->d > NL_SDE_MAXDIM) return NL_ERR_ARG;
    for (int64_t p = 0; p < n; p++) drift_one(c, x + p * c->d, b + p * c->d);
    return NL_OK;
}

/* ---------- checks ---------- */

nl_status nl_sde_check(const nl_sde_config *c, char *msg, size_t len)
{
#define BAD(...) do { snprintf(msg, len, __VA_ARGS__); return NL_ERR_ARG; } while (0)
    if (c->d < 1 || c->d > NL_SDE_MAXDIM) BAD("dimension must be in [1, %d], got %d", NL_SDE_MAXDIM, c->d);
    if (c->paths < 1) BAD("paths must be >= 1, got %lld", (long long)c->paths);
    if (c->steps < 0) BAD("steps must be >= 0, got %lld", (long long)c->steps);
    if (!(c->h > 0) || !isfinite(c->h))
        BAD("%s must be a finite number > 0, got %g", c->scheme == NL_SDE_EULER ? "dt" : "eta", c->h);
    if (c->clip != NL_SDE_CLIP_NONE && (!(c->clip_b > 0) || !isfinite(c->clip_b)))
        BAD("clip level b must be > 0, got %g", c->clip_b);
    if (c->nnoise < 0 || c->nnoise > NL_SDE_MAXNOISE) BAD("at most %d noise components", NL_SDE_MAXNOISE);
    for (int k = 0; k < c->nnoise; k++) {
        const nl_sde_noise *n = &c->noise[k];
        if (!(n->scale >= 0) || !isfinite(n->scale))
            BAD("noise %d: scale must be finite and >= 0, got %g", k + 1, n->scale);
        if (n->kind == NL_SDE_NOISE_STABLE) {
            if (!(n->alpha > 0 && n->alpha <= 2)) BAD("noise %d: alpha must be in (0, 2], got %g", k + 1, n->alpha);
            if (!(n->beta >= -1 && n->beta <= 1)) BAD("noise %d: beta must be in [-1, 1], got %g", k + 1, n->beta);
            if (n->isotropic && n->beta != 0) BAD("noise %d: an isotropic stable law is symmetric (beta = 0), got beta = %g", k + 1, n->beta);
        } else if (n->kind == NL_SDE_NOISE_PARETO) {
            if (!(n->alpha > 0) || !isfinite(n->alpha)) BAD("noise %d: Pareto alpha must be > 0, got %g", k + 1, n->alpha);
        } else if (n->kind != NL_SDE_NOISE_BROWNIAN) BAD("noise %d: unknown kind", k + 1);
    }
    if (c->drift == NL_SDE_DRIFT_MULTI_WELL) {
        if (c->nwells < 1 || c->nwells > NL_SDE_MAXWELLS) BAD("multi_well needs 1..%d minima, got %d", NL_SDE_MAXWELLS, c->nwells);
        for (int i = 0; i + 1 < c->nwells; i++) {
            if (!(c->edges[i] > c->minima[i] && c->edges[i] < c->minima[i + 1]))
                BAD("multi_well: edge %d (%g) must lie between minima %d (%g) and %d (%g)", i + 1,
                    c->edges[i], i + 1, c->minima[i], i + 2, c->minima[i + 1]);
        }
        for (int i = 0; i < c->nwells; i++)
            if (!(c->curv[i] > 0) || !isfinite(c->curv[i])) BAD("multi_well: curvature %d must be > 0, got %g", i + 1, c->curv[i]);
    }
    if (c->drift == NL_SDE_DRIFT_DOUBLE_WELL && !isfinite(c->K)) BAD("K must be finite, got %g", c->K);
    if (c->drift == NL_SDE_DRIFT_CALLBACK && (!c->drift_fn || !c->xlive)) BAD("callback drift without a function");
    if (c->exit == NL_SDE_EXIT_INTERVAL) {
        if (c->d != 1) BAD("an interval exit needs d = 1 (got d = %d); use a ball", c->d);
        if (!(c->lo < c->hi)) BAD("exit interval must have lo < hi, got {%g, %g}", c->lo, c->hi);
    }
    if (c->exit == NL_SDE_EXIT_BALL && (!(c->radius > 0) || !isfinite(c->radius)))
        BAD("exit ball radius must be > 0, got %g", c->radius);
    if (c->nbasins < 0 || c->nbasins > NL_SDE_MAXWELLS) BAD("at most %d basins, got %d", NL_SDE_MAXWELLS, c->nbasins);
    for (int i = 0; i < c->nbasins; i++) {
        if (!(c->basin_lo[i] < c->basin_hi[i])) BAD("basin %d must have lo < hi, got {%g, %g}", i + 1, c->basin_lo[i], c->basin_hi[i]);
        for (int j = 0; j < i; j++)
            if (c->basin_lo[i] < c->basin_hi[j] && c->basin_lo[j] < c->basin_hi[i])
                BAD("basins %d {%g, %g} and %d {%g, %g} overlap", j + 1, c->basin_lo[j],
                    c->basin_hi[j], i + 1, c->basin_lo[i], c->basin_hi[i]);
    }
    if (c->record_stride < 0) BAD("record stride must be >= 1, got %lld", (long long)c->record_stride);
    if (c->threads < 1) BAD("threads must be >= 1, got %d", c->threads);
    return NL_OK;
#undef BAD
}

int64_t nl_sde_nrecords(const nl_sde_config *c)
{
    return c->record_stride > 0 ? c->steps / c->record_stride + 1 : 0;
}

static size_t units_total(const nl_sde_config *c)
{
    size_t u = 0;
    for (int k = 0; k < c->nnoise; k++) u += (size_t)comp_units(&c->noise[k], c->d);
    return u;
}

size_t nl_sde_work_bytes(const nl_sde_config *c)
{
    size_t u = units_total(c), d = (size_t)c->d, P = (size_t)c->paths;
    size_t one = (u * NB * LANES_W + 4 * d + (size_t)c->nbasins + 8) * sizeof(double);
    if (c->drift != NL_SDE_DRIFT_CALLBACK) return one;
    /* per path: generator, noise block, state, drift, basin counts, live index */
    return one + P * (sizeof(nl_rng) + (u * NB + 2 * d + (size_t)c->nbasins) * sizeof(double) +
                      sizeof(int64_t));
}

/* ---------- per-path bookkeeping shared by both drivers ---------- */

static inline int outside(const nl_sde_config *c, const double *x, double *over)
{
    if (c->exit == NL_SDE_EXIT_INTERVAL) {
        if (x[0] >= c->hi) { *over = x[0] - c->hi; return 1; }
        if (x[0] <= c->lo) { *over = c->lo - x[0]; return 1; }
        if (x[0] != x[0]) { *over = NAN; return 1; }
        return 0;
    }
    if (c->exit == NL_SDE_EXIT_BALL) {
        double r2 = 0;
        for (int i = 0; i < c->d; i++) {
            double t = x[i] - (c->ball_center ? c->ball_center[i] : 0.0);
            r2 += t * t;
        }
        if (!(r2 < c->radius * c->radius)) { *over = sqrt(r2) - c->radius; return 1; }
    }
    return 0;
}

static inline void count_basins(const nl_sde_config *c, double x0, double *cnt)
{
    for (int i = 0; i < c->nbasins; i++)
        if (x0 >= c->basin_lo[i] && x0 < c->basin_hi[i]) { cnt[i] += 1; break; }
}

static inline void increment(const nl_sde_config *c, const double *b, const double *z, double *x)
{
    int d = c->d;
    double dl[NL_SDE_MAXDIM];
    for (int i = 0; i < d; i++) dl[i] = c->h * b[i] + z[i];
    if (c->clip == NL_SDE_CLIP_NORM && d > 1) {
        double n2 = 0;
        for (int i = 0; i < d; i++) n2 += dl[i] * dl[i];
        if (n2 > c->clip_b * c->clip_b) {
            double s = c->clip_b / sqrt(n2);
            for (int i = 0; i < d; i++) dl[i] *= s;
        }
    } else if (c->clip != NL_SDE_CLIP_NONE) { /* per coordinate; in 1-d the same as norm */
        for (int i = 0; i < d; i++) dl[i] = dl[i] > c->clip_b ? c->clip_b : dl[i] < -c->clip_b ? -c->clip_b : dl[i];
    }
    for (int i = 0; i < d; i++) x[i] += dl[i];
}

static void finish_path(const nl_sde_config *c, const nl_sde_out *out, int64_t p,
                        const double *x, int64_t taken, int exited, double over,
                        const double *cnt)
{
    int d = c->d;
    memcpy(out->final + p * d, x, sizeof(double) * (size_t)d);
    if (c->exit != NL_SDE_EXIT_NONE) {
        if (out->exited) out->exited[p] = exited;
        double t = c->scheme == NL_SDE_EULER ? (double)taken * c->h : (double)taken;
        if (out->exit_time) out->exit_time[p] = exited ? t : NAN;
        if (out->overshoot) out->overshoot[p] = exited ? over : NAN;
        if (out->exit_pos)
            for (int i = 0; i < d; i++) out->exit_pos[p * d + i] = exited ? x[i] : NAN;
    }
    if (out->occupancy)
        for (int i = 0; i < c->nbasins; i++)
            out->occupancy[p * c->nbasins + i] = taken > 0 ? cnt[i] / (double)taken : NAN;
    if (out->traj && exited) {
        int64_t nrec = nl_sde_nrecords(c);
        int64_t first = taken / c->record_stride + 1; /* records after the stop */
        for (int64_t r = first; r < nrec; r++)
            for (int i = 0; i < d; i++) out->traj[(p * nrec + r) * d + i] = NAN;
    }
}

static inline void record(const nl_sde_config *c, const nl_sde_out *out, int64_t p,
                          int64_t step, const double *x)
{
    if (out->traj && step % c->record_stride == 0) {
        int64_t nrec = nl_sde_nrecords(c);
        memcpy(out->traj + (p * nrec + step / c->record_stride) * c->d, x,
               sizeof(double) * (size_t)c->d);
    }
}

/* ---------- path-major driver (native drifts) ---------- */

typedef struct job {
    const nl_sde_config *c;
    const plan *pl;
    const double *x0;
    const nl_sde_out *out;
    int64_t p0, p1;
    double *buf;
    int report;
} job;

/* Fast driver for d = 1 without recording (the benchmarks and exit studies).  One path's
 * Euler recursion is a latency-bound chain (x → x³ → b → x: ~30 cycles), so LANES paths are
 * advanced in lockstep to overlap their chains.  Each lane starts a path at a block boundary
 * (k ≡ 0 mod NB), so every path makes exactly the same refills as in run_path: results are
 * identical.  A lane whose path exits mid-block idles until the block ends. */
#define LANES 8
static double run_paths_1d(const nl_sde_config *c, const plan *pl, const double *x0,
                           const nl_sde_out *out, int64_t p0, int64_t p1, double *bufs,
                           int report, double total)
{
    nl_rng g[LANES];
    double x[LANES], over[LANES], cnt[LANES][NL_SDE_MAXWELLS + 1];
    int64_t k[LANES], pid[LANES];
    int on[LANES];
    const int nb = c->nbasins, ex = c->exit != NL_SDE_EXIT_NONE;
    const double h = c->h, lo = ex ? c->lo : -INFINITY, hi = ex ? c->hi : INFINITY;
    const int single = pl->ncomp == 1 && pl->units == 1 && pl->c[0].shift == 0;
    const double f0 = pl->ncomp ? pl->c[0].fac : 0;
    const size_t bsz = (size_t)pl->units * NB;
    const int drift = c->drift, clip = c->clip != NL_SDE_CLIP_NONE;
    const double K = c->K, H0 = c->drift == NL_SDE_DRIFT_QUADRATIC ? c->H[0] : 0,
                 c0 = c->drift == NL_SDE_DRIFT_QUADRATIC && c->center ? c->center[0] : 0,
                 cb = c->clip_b;
    const int64_t steps = c->steps;
    int64_t next = p0;
    double done = 0, nextrep = 1 << 22;
    for (int l = 0; l < LANES; l++) on[l] = 0;
    for (;;) {
        /* (re)start idle lanes at this block boundary */
        int any = 0;
        for (int l = 0; l < LANES; l++) {
            while (!on[l] && next < p1) {
                int64_t p = next++;
                nl_rng_init(&g[l], c->seed, c->stream_base + (uint64_t)p);
                x[l] = x0[p];
                k[l] = 0;
                pid[l] = p;
                for (int i = 0; i < nb; i++) cnt[l][i] = 0;
                if (ex && outside(c, &x[l], &over[l])) {
                    finish_path(c, out, p, &x[l], 0, 1, over[l], cnt[l]);
                    continue;
                }
                if (steps == 0) { finish_path(c, out, p, &x[l], 0, 0, 0, cnt[l]); continue; }
                on[l] = 1;
            }
            if (on[l]) { any = 1; refill(pl, &g[l], bufs + l * bsz); }
        }
        if (!any) break;
        for (int j = 0; j < NB; j++) {
            for (int l = 0; l < LANES; l++) {
                if (!on[l]) continue;
                double xl = x[l], b;
                switch (drift) {
                case NL_SDE_DRIFT_QUADRATIC: b = -(H0 * (xl - c0)); break;
                case NL_SDE_DRIFT_DOUBLE_WELL: b = -K * (xl - xl * xl * xl); break;
                case NL_SDE_DRIFT_MULTI_WELL: b = multi_well_1(c, xl); break;
                default: b = 0;
                }
                const double *buf = bufs + l * bsz;
                double z;
                if (single) z = f0 * buf[j];
                else noise_at(pl, buf, j, &z);
                double dl = h * b + z;
                if (clip) dl = dl > cb ? cb : dl < -cb ? -cb : dl;
                xl += dl;
                x[l] = xl;
                k[l]++;
                if (nb) count_basins(c, xl, cnt[l]);
                if (!(xl > lo && xl < hi) && ex && outside(c, &x[l], &over[l])) {
                    finish_path(c, out, pid[l], &x[l], k[l], 1, over[l], cnt[l]);
                    done += (double)k[l];
                    on[l] = 0;
                } else if (k[l] == steps) {
                    finish_path(c, out, pid[l], &x[l], k[l], 0, 0, cnt[l]);
                    done += (double)k[l];
                    on[l] = 0;
                }
            }
        }
        if (report && c->progress && done >= nextrep) {
            c->progress(c->progress_ud, done / total);
            nextrep = done + (1 << 22);
        }
    }
    return done;
}

static void run_path(const nl_sde_config *c, const plan *pl, const double *x0,
                     const nl_sde_out *out, int64_t p, double *buf)
{
    int d = c->d;
    nl_rng g;
    nl_rng_init(&g, c->seed, c->stream_base + (uint64_t)p);
    double x[NL_SDE_MAXDIM], b[NL_SDE_MAXDIM], z[NL_SDE_MAXDIM], over = 0;
    double cnt[NL_SDE_MAXWELLS + 1];
    for (int i = 0; i < c->nbasins; i++) cnt[i] = 0;
    memcpy(x, x0 + p * d, sizeof(double) * (size_t)d);
    record(c, out, p, 0, x);
    int exited = c->exit != NL_SDE_EXIT_NONE && outside(c, x, &over);
    int64_t k = 0;
    while (!exited && k < c->steps) {
        int j = (int)(k % NB);
        if (j == 0) refill(pl, &g, buf);
        drift_one(c, x, b);
        noise_at(pl, buf, j, z);
        increment(c, b, z, x);
        k++;
        if (c->nbasins) count_basins(c, x[0], cnt);
        record(c, out, p, k, x);
        if (c->exit != NL_SDE_EXIT_NONE && outside(c, x, &over)) exited = 1;
    }
    finish_path(c, out, p, x, k, exited, over, cnt);
}

static int use_fast_1d(const nl_sde_config *c, const nl_sde_out *out)
{
    return c->d == 1 && !out->traj && c->exit != NL_SDE_EXIT_BALL;
}

static void *run_job(void *arg)
{
    job *j = arg;
    const nl_sde_config *c = j->c;
    double total = (double)(j->p1 - j->p0) * (double)(c->steps > 0 ? c->steps : 1);
    if (use_fast_1d(c, j->out)) {
        run_paths_1d(c, j->pl, j->x0, j->out, j->p0, j->p1, j->buf, j->report, total);
        return NULL;
    }
    double done = 0, next = 1 << 22;
    for (int64_t p = j->p0; p < j->p1; p++) {
        run_path(c, j->pl, j->x0, j->out, p, j->buf);
        done += (double)(c->steps > 0 ? c->steps : 1);
        if (j->report && c->progress && done >= next) {
            c->progress(c->progress_ud, done / total);
            next = done + (1 << 22);
        }
    }
    return NULL;
}

/* ---------- step-major driver (callback drift) ---------- */

static nl_status run_callback(const nl_sde_config *c, const plan *pl, const double *x0,
                              const nl_sde_out *out, void *work)
{
    int d = c->d, nb = c->nbasins;
    int64_t P = c->paths;
    size_t u = (size_t)pl->units;
    char *w = work;
    double *zs = (double *)w;                       /* d: one noise vector */
    w += (u * NB * LANES_W + 4 * (size_t)d + (size_t)nb + 8) * sizeof(double);
    nl_rng *gs = (nl_rng *)w;           w += (size_t)P * sizeof(nl_rng);
    double *bufs = (double *)w;         w += (size_t)P * u * NB * sizeof(double);
    double *xs = (double *)w;           w += (size_t)P * d * sizeof(double);
    double *bb = (double *)w;           w += (size_t)P * d * sizeof(double);
    double *cnt = (double *)w;          w += (size_t)P * nb * sizeof(double);
    int64_t *live = (int64_t *)w;
    int64_t n = 0;
    double over;
    for (int64_t p = 0; p < P; p++) {
        nl_rng_init(&gs[p], c->seed, c->stream_base + (uint64_t)p);
        memcpy(xs + p * d, x0 + p * d, sizeof(double) * (size_t)d);
        for (int i = 0; i < nb; i++) cnt[p * nb + i] = 0;
        record(c, out, p, 0, xs + p * d);
        if (c->exit != NL_SDE_EXIT_NONE && outside(c, xs + p * d, &over))
            finish_path(c, out, p, xs + p * d, 0, 1, over, cnt + p * nb);
        else
            live[n++] = p;
    }
    double done = 0, total = (double)P * (double)(c->steps > 0 ? c->steps : 1), next = 1 << 22;
    for (int64_t k = 0; k < c->steps && n > 0; k++) {
        for (int64_t i = 0; i < n; i++)
            memcpy(c->xlive + i * d, xs + live[i] * d, sizeof(double) * (size_t)d);
        if (c->drift_fn(c->drift_ud, k + 1, n, c->xlive, bb)) {
            ((nl_sde_out *)out)->fail_step = k + 1;
            return NL_ERR_ARG;
        }
        int j = (int)(k % NB);
        int64_t m = 0;
        for (int64_t i = 0; i < n; i++) {
            int64_t p = live[i];
            double *x = xs + p * d, *buf = bufs + (size_t)p * u * NB;
            if (j == 0) refill(pl, &gs[p], buf);
            noise_at(pl, buf, j, zs);
            increment(c, bb + i * d, zs, x);
            if (nb) count_basins(c, x[0], cnt + p * nb);
            record(c, out, p, k + 1, x);
            if (c->exit != NL_SDE_EXIT_NONE && outside(c, x, &over))
                finish_path(c, out, p, x, k + 1, 1, over, cnt + p * nb);
            else
                live[m++] = p; /* stable compaction: path order is kept */
        }
        done += (double)n;
        n = m;
        if (c->progress && done >= next) {
            c->progress(c->progress_ud, done / total);
            next = done + (1 << 22);
        }
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t p = live[i];
        finish_path(c, out, p, xs + p * d, c->steps, 0, 0, cnt + p * nb);
    }
    return NL_OK;
}

nl_status nl_sde_run(const nl_sde_config *c, const double *x0, const nl_sde_out *out, void *work)
{
    char msg[256];
    nl_status st = nl_sde_check(c, msg, sizeof msg);
    if (st) return st;
    plan pl;
    make_plan(c, &pl);
    ((nl_sde_out *)out)->fail_step = 0;
    if (c->drift == NL_SDE_DRIFT_CALLBACK) return run_callback(c, &pl, x0, out, work);
    int T = c->threads;
    if (T > c->paths) T = (int)c->paths;
    if (T <= 1) {
        job j = {c, &pl, x0, out, 0, c->paths, work, 1};
        run_job(&j);
        if (c->progress) c->progress(c->progress_ud, 1.0);
        return NL_OK;
    }
    /* threads: contiguous ranges of paths; thread 0 is the caller (it reports progress) */
    job jobs[64];
    pthread_t th[64];
    if (T > 64) T = 64;
    size_t bufbytes = ((size_t)pl.units * NB * LANES_W + 1) * sizeof(double);
    int started = 0;
    nl_status rc = NL_OK;
    for (int t = 0; t < T; t++) {
        jobs[t] = (job){c, &pl, x0, out, c->paths * t / T, c->paths * (t + 1) / T,
                        t == 0 ? work : malloc(bufbytes), t == 0};
        if (!jobs[t].buf) { rc = NL_ERR_NOMEM; break; }
        if (t > 0) {
            if (pthread_create(&th[t], NULL, run_job, &jobs[t])) { free(jobs[t].buf); rc = NL_ERR_NOMEM; break; }
            started = t;
        }
    }
    if (rc == NL_OK) run_job(&jobs[0]);
    for (int t = 1; t <= started; t++) {
        pthread_join(th[t], NULL);
        free(jobs[t].buf);
    }
    if (rc == NL_OK && c->progress) c->progress(c->progress_ud, 1.0);
    return rc;
}
