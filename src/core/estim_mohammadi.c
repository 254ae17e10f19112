/* Stable-specific tail-index estimators.
 *
 * 1. Mohammadi, Mohammadpour & Ogata (2015), Metrika 78:549–561, Corollary 2.4, with the exact
 *    semantics of Simsekli, Sagun & Gürbüzbalaban's code (utils.alpha_estimator: blocks of K1
 *    consecutive entries in the given order, ε = 2.2e−16 inside the logs, K1 = largest divisor
 *    of N not above √N).  Streaming: each value goes through the same compensated sums in the
 *    same order whatever the chunk boundaries, so pushing in chunks is bit-identical to one
 *    push of the whole array.  Verified against an independent NumPy transcription of the
 *    reference code (tests/reference/estim_reference.py) to ≤ 1e−13 relative on fixed data.
 *    log(|x|+ε) of the data is taken in bulk with SLEEF's AVX2 log (1 ulp; estim_avx2.c).
 * 2. The order-statistic form (their Corollary 2.2; utils.alpha_estimator2).
 * 3. The log-moment estimator for SαS laws: for X ~ SαS, E log|X| = (1/α − 1)γ_E + log σ and
 *    Var log|X| = π²/6 · (1/α² + 1/2) (Zolotarev 1986; used e.g. by Ma & Nikias 1995).
 *
 * See include/noiselab/estim.h for the contracts (K1 rules with drop flags, errors). */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "noiselab/estim.h"
#include "noiselab/vecmath.h"

void nl_tail_info_clear(nl_tail_info *info)
{
    memset(info, 0, sizeof *info);
    info->zero_fraction = NAN;
    info->se = NAN;
    info->ci_lo = NAN;
    info->ci_hi = NAN;
}

static uint64_t isqrt_u64(uint64_t n)
{
    uint64_t r = (uint64_t)sqrt((double)n);
    while (r > 0 && r > n / r) r--;            /* r² > n, written without overflow */
    while ((r + 1) <= n / (r + 1)) r++;        /* (r+1)² ≤ n */
    return r;
}

uint64_t nl_mohammadi_default_k1(uint64_t n)
{
    if (n == 0) return 0;
    for (uint64_t m = isqrt_u64(n); m >= 1; m--)
        if (n % m == 0) return m;
    return 1;
}

/* Compensated summation with Knuth's branch-free TwoSum: s + c carries the sum to ~1 ulp
 * whatever the order of magnitudes (as Neumaier's variant, without its data-dependent branch,
 * which mispredicts on noise and cost 2× in the streaming loop). */
static inline void nsum(double *s, double *c, double v)
{
    double t = *s + v;
    double z = t - *s;
    *c += (*s - (t - z)) + (v - z);
    *s = t;
}

nl_status nl_mohammadi_init(nl_mohammadi_acc *a, uint64_t n_total, uint64_t k1, int flags)
{
    memset(a, 0, sizeof *a);
    a->n_total = n_total;
    a->flags = flags & (NL_TAIL_DROP_ZEROS | NL_TAIL_DROP_NONFINITE);
    if (k1 == 0) {
        if (n_total == 0) return NL_ERR_ARG;   /* neither a count nor a block length */
        k1 = a->flags ? isqrt_u64(n_total) : nl_mohammadi_default_k1(n_total);
    }
    a->k1 = k1;
    if (k1 < 2) return NL_ERR_ARG;             /* log K1 = 0: no estimate */
    return NL_OK;
}

/* log(|x| + ε) for a buffer: SLEEF AVX2 when the CPU has it (≈4× libm), else libm.  The choice
 * is made once per process, so all values of one estimate go through the same routine. */
#if defined(__x86_64__) && defined(__GNUC__)
void nl_estim_logabs_avx2(const double *x, double *out, size_t n);
#endif
static void logabs(const double *x, double *out, size_t n)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (nl_cpu_avx2()) {
        nl_estim_logabs_avx2(x, out, n);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++) out[i] = log(fabs(x[i]) + NL_MOHAMMADI_EPS);
}

#define MOH_BUF 512

/* Feed raw values: count, drop, take logs in bulk, then run the block logic in order. */
static void moh_feed(nl_mohammadi_acc *a, const double *x, size_t n)
{
    double v[MOH_BUF], l[MOH_BUF];
    size_t i = 0;
    while (i < n) {
        size_t m = 0;
        for (; i < n && m < MOH_BUF; i++) {
            double xi = x[i];
            a->n_seen++;
            if (!isfinite(xi)) {
                a->n_nonfinite++;   /* dropped, or the result reports the error */
                continue;
            }
            if (xi == 0) {
                a->n_zero++;
                if (a->flags & NL_TAIL_DROP_ZEROS) continue;
            }
            v[m++] = xi;
        }
        logabs(v, l, m);
        /* the running sums live in locals inside the loop (through *a they would go through
         * memory every value: store-forwarding latency on the dependency chain) */
        double bs = a->bsum, bc = a->bsum_c, lb = a->lb, lc = a->lb_c;
        uint64_t inb = a->in_block;
        const uint64_t k1 = a->k1;
        for (size_t j = 0; j < m; j++) {
            nsum(&bs, &bc, v[j]);
            nsum(&lb, &lc, l[j]);
            if (++inb == k1) {
                double y = bs + bc;
                nsum(&a->ly, &a->ly_c, log(fabs(y) + NL_MOHAMMADI_EPS));
                nsum(&a->lx, &a->lx_c, lb + lc);
                bs = bc = lb = lc = 0;
                inb = 0;
                a->n_blocks++;
            }
        }
        a->bsum = bs;
        a->bsum_c = bc;
        a->lb = lb;
        a->lb_c = lc;
        a->in_block = inb;
    }
}

void nl_mohammadi_push(nl_mohammadi_acc *a, const double *x, size_t n)
{
    moh_feed(a, x, n);
}

void nl_mohammadi_push_f32(nl_mohammadi_acc *a, const float *x, size_t n)
{
    double b[MOH_BUF];
    for (size_t i = 0; i < n; i += MOH_BUF) {
        size_t m = n - i < MOH_BUF ? n - i : MOH_BUF;
        for (size_t j = 0; j < m; j++) b[j] = (double)x[i + j];
        moh_feed(a, b, m);
    }
}

void nl_mohammadi_push_tensor(nl_mohammadi_acc *a, const nl_tensor *t)
{
    int64_t numel = nl_numel(t);
    if (numel == 0) return;
    if (nl_is_contiguous(t)) {
        if (t->dtype == NL_F64) nl_mohammadi_push(a, (const double *)nl_data(t), (size_t)numel);
        else nl_mohammadi_push_f32(a, (const float *)nl_data(t), (size_t)numel);
        return;
    }
    /* Strided walk in row-major order: an odometer over all but the last dimension, each
     * innermost row gathered into a buffer. */
    int nd = t->ndim;
    int64_t idx[NL_MAXDIM] = {0};
    int64_t last = nd > 0 ? t->shape[nd - 1] : 1, ls = nd > 0 ? t->stride[nd - 1] : 0;
    double b[MOH_BUF];
    for (;;) {
        int64_t off = t->offset;
        for (int d = 0; d < nd - 1; d++) off += idx[d] * t->stride[d];
        for (int64_t j0 = 0; j0 < last; j0 += MOH_BUF) {
            int64_t m = last - j0 < MOH_BUF ? last - j0 : MOH_BUF;
            if (t->dtype == NL_F64) {
                const double *p = (const double *)t->storage->data + off;
                for (int64_t j = 0; j < m; j++) b[j] = p[(j0 + j) * ls];
            } else {
                const float *p = (const float *)t->storage->data + off;
                for (int64_t j = 0; j < m; j++) b[j] = (double)p[(j0 + j) * ls];
            }
            moh_feed(a, b, (size_t)m);
        }
        int d = nd - 2;
        for (; d >= 0; d--) {
            if (++idx[d] < t->shape[d]) break;
            idx[d] = 0;
        }
        if (d < 0) break;
    }
}

nl_status nl_mohammadi_result(const nl_mohammadi_acc *a, double *alpha, nl_tail_info *info)
{
    nl_tail_info_clear(info);
    info->n = a->n_seen;
    info->n_zero = a->n_zero;
    info->n_nonfinite = a->n_nonfinite;
    info->zero_fraction = a->n_seen ? (double)a->n_zero / (double)a->n_seen : NAN;
    info->k1 = a->k1;
    info->k2 = a->n_blocks;
    info->n_used = a->n_blocks * a->k1;
    info->n_tail = a->in_block;
    *alpha = NAN;
    if (a->k1 < 2) return NL_ERR_ARG;
    if (a->n_total && a->n_seen != a->n_total) return NL_ERR_ARG;
    if (a->n_nonfinite && !(a->flags & NL_TAIL_DROP_NONFINITE)) return NL_ERR_ARG;
    if (a->n_blocks < 1) return NL_ERR_ARG;
    double K2 = (double)a->n_blocks, K = K2 * (double)a->k1;
    double my = (a->ly + a->ly_c) / K2, mx = (a->lx + a->lx_c) / K;
    double diff = (my - mx) / log((double)a->k1);
    if (diff == 0 || !isfinite(diff)) return NL_ERR_ARG;
    *alpha = 1.0 / diff;
    return NL_OK;
}

/* The one-shot estimators' answer when the accumulator cannot start (n too small, bad k1). */
static nl_status mohammadi_fail(const nl_mohammadi_acc *a, size_t n, nl_status s, double *alpha,
                                nl_tail_info *info)
{
    nl_tail_info_clear(info);
    info->n = n;
    info->k1 = a->k1;
    *alpha = NAN;
    return s;
}

nl_status nl_tail_mohammadi(const double *x, size_t n, uint64_t k1, int flags, double *alpha,
                            nl_tail_info *info)
{
    nl_mohammadi_acc a;
    nl_status s = nl_mohammadi_init(&a, n, k1, flags);
    if (s != NL_OK) return mohammadi_fail(&a, n, s, alpha, info);
    nl_mohammadi_push(&a, x, n);
    return nl_mohammadi_result(&a, alpha, info);
}

nl_status nl_tail_mohammadi_f32(const float *x, size_t n, uint64_t k1, int flags,
                                double *alpha, nl_tail_info *info)
{
    nl_mohammadi_acc a;
    nl_status s = nl_mohammadi_init(&a, n, k1, flags);
    if (s != NL_OK) return mohammadi_fail(&a, n, s, alpha, info);
    nl_mohammadi_push_f32(&a, x, n);
    return nl_mohammadi_result(&a, alpha, info);
}

/* k-th smallest (0-based) of v[0..n-1] by Hoare's selection (reorders v; NaN-free input);
 * defined in estim_tail.c. */
double nl_estim_select_kth(double *v, size_t n, size_t k);

nl_status nl_tail_mohammadi_os(const double *x, size_t n, uint64_t k1, uint64_t k, int flags,
                               double *alpha, nl_tail_info *info)
{
    nl_tail_info_clear(info);
    info->n = n;
    *alpha = NAN;
    flags &= NL_TAIL_DROP_ZEROS | NL_TAIL_DROP_NONFINITE;
    if (k1 == 0) k1 = flags ? isqrt_u64(n) : nl_mohammadi_default_k1(n);
    info->k1 = k1;
    if (k1 < 2 || n == 0) return NL_ERR_ARG;
    double *lx = malloc(n * sizeof *lx);
    double *ly = malloc((n / k1 + 1) * sizeof *ly);
    if (!lx || !ly) { free(lx); free(ly); return NL_ERR_NOMEM; }
    size_t nx = 0, ny = 0, inb = 0;
    double bs = 0, bc = 0;
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        if (!isfinite(v)) { info->n_nonfinite++; continue; }
        if (v == 0) { info->n_zero++; if (flags & NL_TAIL_DROP_ZEROS) continue; }
        nsum(&bs, &bc, v);
        lx[nx++] = log(fabs(v) + NL_MOHAMMADI_EPS);
        if (++inb == k1) {
            ly[ny++] = log(fabs(bs + bc) + NL_MOHAMMADI_EPS);
            bs = bc = 0;
            inb = 0;
        }
    }
    info->zero_fraction = (double)info->n_zero / (double)n;
    info->n_tail = inb;
    nx -= inb;   /* the trailing incomplete block is left out */
    info->k2 = ny;
    info->n_used = nx;
    nl_status st = NL_OK;
    if (info->n_nonfinite && !(flags & NL_TAIL_DROP_NONFINITE)) st = NL_ERR_ARG;
    else if (ny < 1) st = NL_ERR_ARG;
    else {
        if (k == 0) k = (ny + 1) / 2;
        info->k = k;
        if (k > ny) st = NL_ERR_ARG;
        else {
            double yk = nl_estim_select_kth(ly, ny, k - 1);
            double xk = nl_estim_select_kth(lx, nx, k1 * k - 1);
            double diff = (yk - xk) / log((double)k1);
            if (diff == 0 || !isfinite(diff)) st = NL_ERR_ARG;
            else *alpha = 1.0 / diff;
        }
    }
    free(lx);
    free(ly);
    return st;
}

nl_status nl_tail_logmoment(const double *x, size_t n, int flags, double *alpha,
                            nl_tail_info *info)
{
    nl_tail_info_clear(info);
    info->n = n;
    *alpha = NAN;
    double s = 0, c = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        if (!isfinite(v)) { info->n_nonfinite++; continue; }
        if (v == 0) { info->n_zero++; continue; }
        nsum(&s, &c, log(fabs(v)));
        m++;
    }
    info->zero_fraction = n ? (double)info->n_zero / (double)n : NAN;
    info->n_used = m;
    if (info->n_nonfinite && !(flags & NL_TAIL_DROP_NONFINITE)) return NL_ERR_ARG;
    if (info->n_zero && !(flags & NL_TAIL_DROP_ZEROS)) return NL_ERR_ARG;
    if (m < 3) return NL_ERR_ARG;
    double mean = (s + c) / (double)m;
    double s2 = 0, c2 = 0, s4 = 0, c4 = 0;
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        if (!isfinite(v) || v == 0) continue;
        double d = log(fabs(v)) - mean, d2 = d * d;
        nsum(&s2, &c2, d2);
        nsum(&s4, &c4, d2 * d2);
    }
    double V = (s2 + c2) / (double)(m - 1);
    double m2 = (s2 + c2) / (double)m, m4 = (s4 + c4) / (double)m;
    double r = 6.0 * V / (M_PI * M_PI) - 0.5;
    if (!(r > 0)) return NL_ERR_NOCONV;
    double a = 1.0 / sqrt(r);
    *alpha = a;
    double q = m4 - m2 * m2;
    info->se = q > 0 ? 3.0 / (M_PI * M_PI) * a * a * a * sqrt(q / (double)m) : NAN;
    return NL_OK;
}
