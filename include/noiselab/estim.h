/* noiselab estimators: tail index, stable fits, noise statistics (C core; no Lua).
 *
 * Conventions: functions return nl_status; outputs are written through caller-provided
 * pointers / preallocated arrays; scratch memory is either caller-provided or malloc'd and
 * freed before returning (never kept, never leaked on error).
 *
 * Data passed to the whole-array estimators are plain double arrays (the bindings make them
 * contiguous f64).  Non-finite values are the caller's business unless a function says
 * otherwise (the Mohammadi accumulator counts them itself).
 *
 * ---------------------------------------------------------------------------------------
 * Mohammadi, Mohammadpour & Ogata (2015), "On estimating the tail index and the spectral
 * measure of multivariate α-stable distributions", Metrika 78:549–561, Corollary 2.4, as
 * implemented by Simsekli, Sagun & Gürbüzbalaban (2019, code umutsimsekli/sgd_tail_index,
 * utils.alpha_estimator):  with K = K1·K2 values X_1..X_K in the GIVEN order and block sums
 * Y_i = Σ_{j=1..K1} X_{(i−1)K1+j},
 *     1/α̂ = ( mean_i log(|Y_i| + ε) − mean_k log(|X_k| + ε) ) / log K1,   ε = 2.2204460492503131e−16
 * (ε = np.spacing(1) added inside the logs, exactly as the reference code).
 * Default K1 (no drop flags): the largest divisor of N not above √N (integer square root; the
 * reference's int(math.sqrt(N)) agrees for N < 2^52).  N prime gives K1 = 1, where the
 * estimator is undefined: NL_ERR_ARG.
 * If a given k1 does not divide the count, the trailing incomplete block is left out of BOTH
 * means (info.n_tail reports how many values that was); the reference code would refuse.
 *
 * Drop flags (NL_TAIL_DROP_ZEROS: exact zeros are skipped; NL_TAIL_DROP_NONFINITE: NaN/±Inf are
 * skipped): the number of values that survive is not known before the data have been seen, so
 * the default block length is then K1 = ⌊√n_total⌋ with n_total the number of values that will
 * be pushed (dropped ones included), and the trailing incomplete block is left out.  This rule
 * is the same for the whole-array function and the streaming accumulator, so both give the
 * same number.  (To get "the faithful estimator on the array with zeros removed", remove them
 * first and call without flags.)
 * Without NL_TAIL_DROP_NONFINITE a NaN/Inf makes the result NL_ERR_ARG, with info.n_nonfinite
 * saying how many there were.
 *
 * Accuracy: block sums and the two log sums are compensated (Knuth TwoSum) sums, accumulated in
 * exactly the same order whatever the chunking, so the streaming result is bit-identical to
 * the whole-array one.  f32 input is widened to double element by element (the reference
 * code sums in the tensor's dtype; with f32 noise it differs from ours at ~1e−7 relative).
 * --------------------------------------------------------------------------------------- */
#ifndef NOISELAB_ESTIM_H
#define NOISELAB_ESTIM_H
#include <stddef.h>
#include <stdint.h>
#include "noiselab/tensor.h"

#define NL_MOHAMMADI_EPS 2.220446049250313e-16

enum { NL_TAIL_DROP_ZEROS = 1, NL_TAIL_DROP_NONFINITE = 2 };

/* What every tail-index estimate reports. Fields that do not apply are 0 (counts) or NaN. */
typedef struct nl_tail_info {
    uint64_t n;            /* values seen (dropped ones included) */
    uint64_t n_used;       /* values entering the estimate */
    uint64_t n_zero;       /* exact zeros among the values seen */
    uint64_t n_nonfinite;  /* NaN/±Inf among the values seen */
    double zero_fraction;  /* n_zero / n */
    uint64_t k;            /* order-statistic estimators: number of upper order statistics;
                              mohammadi_os: the rank k of the block-sum order statistic */
    uint64_t k1, k2;       /* Mohammadi: block length and number of blocks */
    uint64_t n_tail;       /* Mohammadi: values of a trailing incomplete block left out */
    double se;             /* standard error of α̂ (NaN if none is known) */
    double ci_lo, ci_hi;   /* interval for α̂ (NaN if none) */
} nl_tail_info;

void nl_tail_info_clear(nl_tail_info *info);

/* Largest divisor of n not above √n (1 for n prime, 0 for n = 0). */
uint64_t nl_mohammadi_default_k1(uint64_t n);

/* ---- streaming Mohammadi accumulator ---- */
typedef struct nl_mohammadi_acc {
    uint64_t n_total;      /* values announced (0 = unknown; then k1 must be given) */
    uint64_t k1;           /* block length in use */
    int flags;             /* NL_TAIL_DROP_* */
    uint64_t n_seen, n_zero, n_nonfinite;
    uint64_t n_blocks;     /* completed blocks */
    uint64_t in_block;     /* values in the current (incomplete) block */
    double bsum, bsum_c;   /* compensated sum of the current block */
    double lb, lb_c;       /* Σ log(|x|+ε) of the current block */
    double lx, lx_c;       /* Σ log(|x|+ε) over completed blocks */
    double ly, ly_c;       /* Σ log(|Y|+ε) over completed blocks */
} nl_mohammadi_acc;

/* n_total: number of values that will be pushed (0 if unknown; then k1 must be > 0).
 * k1: block length, 0 = default (see above).  flags: NL_TAIL_DROP_* (1 = drop zeros, so the
 * old "int drop_zeros" argument still reads right).  NL_ERR_ARG if no K1 ≥ 2 can be had. */
nl_status nl_mohammadi_init(nl_mohammadi_acc *a, uint64_t n_total, uint64_t k1, int flags);
void nl_mohammadi_push(nl_mohammadi_acc *a, const double *x, size_t n);
void nl_mohammadi_push_f32(nl_mohammadi_acc *a, const float *x, size_t n);
/* Elements of a tensor (any dtype, any strides) in row-major order. */
void nl_mohammadi_push_tensor(nl_mohammadi_acc *a, const nl_tensor *t);
/* α̂ and info from what was pushed.  NL_ERR_ARG if: n_total was given and a different count
 * was pushed; fewer than one complete block (or fewer than 2 blocks); non-finite values without
 * NL_TAIL_DROP_NONFINITE; the log difference is 0 (α̂ infinite).  info is filled in every case. */
nl_status nl_mohammadi_result(const nl_mohammadi_acc *a, double *alpha, nl_tail_info *info);

/* Whole array: same as init(n, k1, flags) + push + result. */
nl_status nl_tail_mohammadi(const double *x, size_t n, uint64_t k1, int flags, double *alpha,
                            nl_tail_info *info);
nl_status nl_tail_mohammadi_f32(const float *x, size_t n, uint64_t k1, int flags,
                                double *alpha, nl_tail_info *info);

/* Order-statistic variant (Mohammadi et al. 2015, Corollary 2.2; utils.alpha_estimator2 of the
 * reference code):  1/α̂ = (L_Y(k) − L_X(K1·k)) / log K1, where L_Y(k) is the k-th smallest
 * log(|Y_i|+ε) and L_X(j) the j-th smallest log(|X|+ε) over the K1·K2 values used.
 * k = 0 picks the median rank k = ⌈K2/2⌉ (then K1·k is the median of the X's).  Same K1 and
 * flags rules as nl_tail_mohammadi.  Needs n scratch doubles (malloc'd, freed). */
nl_status nl_tail_mohammadi_os(const double *x, size_t n, uint64_t k1, uint64_t k, int flags,
                               double *alpha, nl_tail_info *info);

/* ---- order statistics of |x| ---- */
/* out[i] = |x|, sorted decreasingly (out[0] the largest), by an LSD radix sort on the IEEE bit
 * patterns (|x| ≥ 0 sorts like its bits as an unsigned integer).  x must be NaN-free; n values,
 * out has n slots; scratch malloc'd and freed.  ~20 ns/value. */
nl_status nl_sort_abs_desc(const double *x, size_t n, double *out);
/* The m largest |x| sorted decreasingly into out[0..m−1]: Hoare selection then a sort of the
 * m, O(n + m log m) (a full sort when m > n/8).  NaN-free x; scratch malloc'd and freed. */
nl_status nl_top_abs_desc(const double *x, size_t n, size_t m, double *out);
/* Number of strictly positive values in a decreasing array d[0..n-1] (d[i] ≥ 0). */
size_t nl_count_positive_desc(const double *d, size_t n);

/* Estimators on d = |x| sorted decreasingly (d[0] largest).  For one k, α̂ in *alpha and, when
 * se != NULL, its asymptotic standard error (NaN if unknown).  Domains:
 *   Hill (1975):      1/α̂ = (1/k) Σ_{i<k} log d[i] − log d[k];                1 ≤ k ≤ n−1, d[k] > 0.
 *                     se = α̂/√k.
 *   Pickands (1975):  ξ̂ = log((d[k−1]−d[2k−1]) / (d[2k−1]−d[4k−1])) / log 2, α̂ = 1/ξ̂;  1 ≤ k ≤ n/4.
 *                     se from Dekkers & de Haan (1989): ξ √(ξ²(2^{2ξ+1}+1)) / (2(2^ξ−1) log 2 √k), α̂²·that.
 *   moment (Dekkers, Einmahl & de Haan 1989): M_j = (1/k) Σ_{i<k} (log d[i] − log d[k])^j,
 *                     γ̂ = M1 + 1 − ½/(1 − M1²/M2), α̂ = 1/γ̂;                      1 ≤ k ≤ n−1, d[k] > 0.
 *                     se (γ > 0): √(1+γ²)/√k in γ, α̂²·that.
 * NL_ERR_ARG when k is out of range or the needed order statistics are 0. */
typedef enum { NL_TAIL_HILL = 0, NL_TAIL_PICKANDS = 1, NL_TAIL_MOMENT = 2 } nl_tail_os_method;
nl_status nl_tail_os_k(const double *d, size_t n, nl_tail_os_method m, size_t k, double *alpha,
                       double *se);
/* α̂ for k = 1..kmax at once into alpha[0..kmax−1] (NaN where undefined), O(n) after the sort.
 * kmax ≤ n−1 (Pickands: ≤ n/4). */
nl_status nl_tail_os_all(const double *d, size_t n, nl_tail_os_method m, size_t kmax,
                         double *alpha);

/* Double bootstrap choice of k for Hill (Danielsson, de Haan, Peng & de Vries 2001, J.
 * Multivariate Anal. 76:226–248): n1 = ⌊n^{1−eps}⌋ (eps default 0.1 via eps ≤ 0), n2 = ⌊n1²/n⌋,
 * B resamples of each size, Q(m, k) = mean over resamples of (M_k − 2γ_k²)², k_i = argmin Q,
 * k̂ = (k1²/k2) · ((log k1)² / (2 log n1 − log k1)²)^{(log n1 − log k1)/log n1}, clamped to
 * [1, n−1].  Works on raw x (|x| is taken; NaN-free).  rng drives the resampling. */
struct nl_rng;
nl_status nl_tail_dbs_k(const double *x, size_t n, int B, double eps, struct nl_rng *g,
                        size_t *k_out);

/* Log-moment estimator for symmetric stable data: Var log|X| = π²/6 (1/α² + 1/2), so
 * α̂ = (6 V̂/π² − 1/2)^{−1/2}, V̂ the sample variance (divisor n−1) of log|x| over nonzero x.
 * se by the delta method: (3/π²) α̂³ √((m4 − V̂²)/n).  Zeros: NL_ERR_ARG unless
 * NL_TAIL_DROP_ZEROS; NaN/Inf: NL_ERR_ARG unless NL_TAIL_DROP_NONFINITE.  NL_ERR_NOCONV if
 * 6V̂/π² ≤ 1/2 (no α solves it). Needs n ≥ 3 used values. */
nl_status nl_tail_logmoment(const double *x, size_t n, int flags, double *alpha,
                            nl_tail_info *info);

/* ---- moments and tests ---- */
/* Online moments (Welford 1962; Pébay 2008 update for 3rd/4th central moments). */
typedef struct nl_moments {
    uint64_t n;
    double mean, m2, m3, m4;   /* central sums Σ(x−mean)^j */
    double min, max;
} nl_moments;
void nl_moments_init(nl_moments *m);
void nl_moments_push(nl_moments *m, double x);
void nl_moments_push_array(nl_moments *m, const double *x, size_t n);
/* Combine b into a (Chan et al. 1979 / Pébay 2008). */
void nl_moments_merge(nl_moments *a, const nl_moments *b);
double nl_moments_var(const nl_moments *m, double ddof);
double nl_moments_skewness(const nl_moments *m);  /* biased g1 = m3/m2^{3/2} (SciPy default) */
double nl_moments_kurtosis(const nl_moments *m);  /* biased excess g2 = m4/m2² − 3 */

/* Two-pass moments of an array (more accurate than the online form).  NaN for n < 1 or
 * zero variance. */
double nl_skewness(const double *x, size_t n);
double nl_kurtosis(const double *x, size_t n);

/* Jarque–Bera: JB = n/6 (g1² + g2²/4), p = P(χ²_2 > JB) = exp(−JB/2). n ≥ 2, var > 0. */
nl_status nl_jarque_bera(const double *x, size_t n, double *stat, double *p);

/* Two-sided one-sample Kolmogorov–Smirnov statistic of sorted data xs against cdf values
 * F[i] = F(xs[i]) (increasing xs): D = max_i max(i/n − F[i−1], F[i−1] − (i−1)/n). */
double nl_ks_stat(const double *F_sorted, size_t n);
/* P(D_n ≥ d): twice the exact one-sided Smirnov tail when that is < 1e−3 (error O(p²)); else
 * exact by Marsaglia, Tsang & Wang (2003, J. Stat. Softw. 8(18)) when the matrix order
 * 2⌈nd⌉ − 1 ≤ 199; else the Smirnov form again if < 0.05; else Kolmogorov's limit Q(t) at
 * t = (√n + 0.12 + 0.11/√n)·d (Stephens 1970).  Against SciPy's kstwo: ≤ 1e−6 / 1e−5 / 2e−3
 * relative in those regions. */
double nl_ks_pvalue(size_t n, double d);

/* ---- stable fits ---- */
typedef enum { NL_FIT_MCCULLOCH = 0, NL_FIT_ECF = 1, NL_FIT_MLE = 2 } nl_fit_method;
enum { NL_FIX_ALPHA = 1, NL_FIX_BETA = 2, NL_FIX_SCALE = 4, NL_FIX_LOC = 8 };
typedef struct nl_stable_fit {
    double alpha, beta, scale, loc;   /* in the requested parameterisation */
    int param;                        /* 0 = S0, 1 = S1 */
    double se[4];                     /* MLE: standard errors (NaN otherwise / when fixed) */
    double loglik;                    /* MLE: log-likelihood at the optimum (NaN otherwise) */
    int iterations;
} nl_stable_fit;

/* McCulloch (1986) quantile estimator.  Sample quantiles (linear interpolation, type 7) at
 * .05 .25 .5 .75 .95; α and |β| from ν_α = (q95−q05)/(q75−q25), ν_β = (q95+q05−2q50)/(q95−q05)
 * by inverting tables of the same ratios for the standard S0 law (computed with noiselab's
 * stable quantile function by tests/reference/estim_mcculloch_tables.lua), sign(β) = sign(ν_β);
 * σ = (q75−q25)/φ3(α,β); S0 location μ0 = q50 − σ·median0(α,β).  α is clamped to the table
 * range [0.5, 2] (reported as is).  x: n ≥ 5 finite values; scratch malloc'd. */
nl_status nl_fit_stable_mcculloch(const double *x, size_t n, int param, nl_stable_fit *fit);
/* Koutrouvelis (1980) characteristic-function regression on t = 0.1…1 (Kogon & Williams 1998),
 * iterated on data standardised by the current σ, μ0 until the parameters change by < 1e−9
 * (≤ 300 rounds; re-centring damped after 5).  fix/fixed as for the MLE.  NL_ERR_NOCONV if
 * it does not settle. */
nl_status nl_fit_stable_ecf(const double *x, size_t n, int param, int fix, const double *fixed,
                            nl_stable_fit *fit);
/* Maximum likelihood: Nelder–Mead (GSL nmsimplex2) on transformed parameters
 * (α = 1.05 + 0.95 sin a ∈ [0.1, 2], β = sin b, log σ, μ0 — the S0 location unless the location
 * is fixed), started at McCulloch on data scaled to unit IQR; FFT density during the search (see
 * estim_fit.c).  fix = NL_FIX_* bits with the fixed values in fixed[4] = {α, β, σ, μ} (in
 * param's parameterisation; fixed may be NULL when fix = 0).  se from the central-difference
 * Hessian of −log L (observed information; S1 location by the delta method).  NL_ERR_NOCONV if
 * the simplex does not converge in 3000 iterations. */
nl_status nl_fit_stable_mle(const double *x, size_t n, int param, int fix, const double *fixed,
                            nl_stable_fit *fit);

#endif
