/* noiselab SDE ensembles (C core; no Lua).
 *
 *   Euler:  X ← X + b(X) dt + Σ_k f_k N_k,  f = σ√dt (Brownian), ε dt^{1/α} (α-stable, Pareto)
 *   SGD:    X ← X − φ_b(η(∇f(X) − Z)) = X + φ_b(η(b(X) + Z)),  Z = Σ_k scale_k N_k
 * with b = −∇f the drift and φ_b the optional truncation of the increment (by norm or per
 * coordinate; Wang, Oh, Rhee, ICLR 2022).  Many paths at once, each with its own generator
 * nl_rng_init(&g, seed, stream_base + path), drawing its noise in fixed blocks of
 * NL_SDE_BLOCK steps, so a path's trajectory depends on (seed, path, step) only — not on the
 * number of paths, their order, the drift mode (native or callback) or the thread count.
 *
 * Events: first exit from an interval (d = 1) or a ball (time, position, overshoot; the path
 * then stops), occupancy fractions of disjoint intervals of the first coordinate, trajectories
 * recorded every `stride` steps.  Outputs are caller-allocated; nl_sde_run allocates nothing
 * except per-thread noise buffers when threads > 1 (freed before it returns). */
#ifndef NOISELAB_SDE_H
#define NOISELAB_SDE_H
#include <stddef.h>
#include <stdint.h>
#include "noiselab/rng.h"
#include "noiselab/tensor.h"

#define NL_SDE_BLOCK 64      /* steps of noise drawn per refill (fixed: part of the stream) */
#define NL_SDE_MAXNOISE 4
#define NL_SDE_MAXWELLS 64
#define NL_SDE_MAXDIM 64

enum { NL_SDE_EULER = 0, NL_SDE_SGD = 1 };
enum { NL_SDE_DRIFT_ZERO = 0, NL_SDE_DRIFT_QUADRATIC, NL_SDE_DRIFT_DOUBLE_WELL,
       NL_SDE_DRIFT_MULTI_WELL, NL_SDE_DRIFT_CALLBACK };
enum { NL_SDE_NOISE_BROWNIAN = 0, NL_SDE_NOISE_STABLE, NL_SDE_NOISE_PARETO };
enum { NL_SDE_CLIP_NONE = 0, NL_SDE_CLIP_NORM, NL_SDE_CLIP_COORD };
enum { NL_SDE_EXIT_NONE = 0, NL_SDE_EXIT_INTERVAL, NL_SDE_EXIT_BALL };

typedef struct nl_sde_noise {
    int kind;         /* NL_SDE_NOISE_* */
    double scale;     /* σ (Brownian), ε (stable), Pareto scale (|Z| ≥ scale) */
    double alpha;     /* stable / Pareto index */
    double beta;      /* stable skewness (independent components only) */
    int isotropic;    /* stable: rotation-invariant d-dim SαS, X = sqrt(A)·G (sub-Gaussian) */
    int symmetric;    /* Pareto: random sign */
} nl_sde_noise;

/* Batched drift: x holds the n live states (n×d, row-major, in path order); write b (n×d).
 * Return 0, or non-zero to abort the run (nl_sde_run then returns NL_ERR_ARG). */
typedef int (*nl_sde_drift_fn)(void *ud, int64_t step, int64_t n, double *x, double *b);
/* Called from the calling thread with the fraction of path-steps done. */
typedef void (*nl_sde_progress_fn)(void *ud, double fraction);

typedef struct nl_sde_config {
    int d;
    int64_t paths, steps;
    int scheme;           /* NL_SDE_EULER | NL_SDE_SGD */
    double h;             /* dt (Euler) or η (SGD) */
    int clip;             /* NL_SDE_CLIP_* */
    double clip_b;
    /* drift */
    int drift;
    const double *H;      /* quadratic: d×d Hessian */
    const double *center; /* quadratic: d (may be NULL: 0) */
    double K;             /* double well: b(x) = −K(x − x³) per coordinate */
    int nwells;           /* multi-well: b(x) = −k_i (x − m_i) on [e_{i−1}, e_i) */
    const double *minima, *edges, *curv;
    nl_sde_drift_fn drift_fn;
    void *drift_ud;
    double *xlive;        /* callback mode: paths×d buffer the live states are packed into */
    /* noise */
    int nnoise;
    nl_sde_noise noise[NL_SDE_MAXNOISE];
    /* events */
    int exit;
    double lo, hi;              /* interval */
    const double *ball_center;  /* d (NULL: 0) */
    double radius;
    int nbasins;
    const double *basin_lo, *basin_hi;
    int64_t record_stride;      /* 0: no trajectory */
    /* randomness and execution */
    uint64_t seed, stream_base;
    int threads;                /* native drifts only; ≥ 1 */
    nl_sde_progress_fn progress;
    void *progress_ud;
} nl_sde_config;

typedef struct nl_sde_out {
    double *final;      /* paths×d: state at exit or at the end */
    double *exited;     /* paths: 1/0 (NULL if exit == NONE) */
    double *exit_time;  /* paths: steps·dt (Euler) or steps (SGD); NaN if not exited */
    double *exit_pos;   /* paths×d; NaN if not exited */
    double *overshoot;  /* paths: distance beyond the boundary; NaN if not exited */
    double *occupancy;  /* paths×nbasins: fraction of the steps taken spent in each basin */
    double *traj;       /* paths×nrec×d, NaN after the path stopped */
    int64_t fail_step;  /* set when the drift callback aborted */
} nl_sde_out;

/* 0 when the configuration is consistent; otherwise NL_ERR_ARG with a message in msg. */
nl_status nl_sde_check(const nl_sde_config *c, char *msg, size_t len);
int64_t nl_sde_nrecords(const nl_sde_config *c);
/* Work space (bytes) nl_sde_run needs: small for native drifts, per-path generators and noise
 * buffers for a callback drift (paths × (sizeof(nl_rng) + NL_SDE_BLOCK·units·8 + ...)). */
size_t nl_sde_work_bytes(const nl_sde_config *c);
/* x0: paths×d initial states. */
nl_status nl_sde_run(const nl_sde_config *c, const double *x0, const nl_sde_out *out,
                     void *work);

/* Drift of a native potential at n states (exposed for tests and for Lua: nl.sde.drift). */
nl_status nl_sde_drift_eval(const nl_sde_config *c, int64_t n, const double *x, double *b);

#endif
