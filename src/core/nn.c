/* noiselab neural-network kernels: dense, convolutional, pooling, activation, loss, noise and
 * optimizer kernels over raw arrays (see include/noiselab/nn.h for the layout conventions).
 *
 * Algorithms and sources:
 *  - Linear layers are one GEMM each (OpenBLAS sgemm/dgemm with the transposes chosen so no
 *    operand is copied): y = x Wᵀ (NoTrans, Trans), gx = gy W (NoTrans, NoTrans),
 *    gW += gyᵀ x (Trans, NoTrans), as in torch/nn's THNN Linear.
 *  - Conv2d is im2col + GEMM (Chellapilla et al. 2006; Caffe/THNN SpatialConvolutionMM), with
 *    the whole batch in one product: cols [C·kh·kw, N·Ho·Wo], y = W cols (permuted to NCHW);
 *    backward gW += gy colsᵀ and gx = col2im(Wᵀ gy).
 *  - Softmax cross-entropy from logits with the log-sum-exp shift (max subtracted), sums in
 *    double; MSE likewise accumulated in double.
 *  - SGD (momentum, dampening, Nesterov, L2 weight decay) and Adam follow PyTorch 1.13's
 *    torch.optim single-tensor code operation by operation, so an f32 step matches to rounding.
 *  - Noise: Gaussian by the generator's Box–Muller; α-stable and Pareto from noiselab/stable.h
 *    (Chambers–Mallows–Stuck; inverse cdf); the isotropic α-stable vector is the sub-Gaussian
 *    construction X = √A·G, A ~ S1(α/2, 1, cos(πα/4)^{2/α}, 0), G ~ N(0, 2σ²I)
 *    (Samorodnitsky & Taqqu 1994, Prop. 2.5.2), whose characteristic function is
 *    exp(−σ^α‖θ‖^α).
 *  - Truncation φ_b(w) = w·min(1, b/‖w‖) (norm) or clamp to [−b, b] (per coordinate), Wang,
 *    Oh & Rhee (ICLR 2022).
 * Accuracy verified (tests/nn_spec.lua, tests/optim_spec.lua): finite-difference gradients of
 * every layer and loss in f64 (relative error < 1e−6), PyTorch parity of outputs and gradients
 * to 1e−5 relative in f32, one optimizer step equal to PyTorch to 1e−6.
 *
 * The file includes itself twice to instantiate every kernel for float and double (the THNN
 * "generic" idiom, kept in one file). */
#ifndef NN_REAL

/* The elementwise loops (activations, optimizer updates, masks) must be vectorised, and GCC's
 * -O2 cost model ("very cheap") refuses loops of unknown length: ask for -O3 here only. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

#include "noiselab/nn.h"
#include <cblas.h>
#include <math.h>
#include <string.h>
#include "noiselab/stable.h"

nl_status nl_conv_geom_init(nl_conv_geom *g)
{
    if (g->N < 0 || g->C <= 0 || g->H <= 0 || g->W <= 0 || g->O <= 0 || g->kh <= 0 ||
        g->kw <= 0 || g->sh <= 0 || g->sw <= 0 || g->ph < 0 || g->pw < 0)
        return NL_ERR_ARG;
    int64_t hh = g->H + 2 * g->ph - g->kh, ww = g->W + 2 * g->pw - g->kw;
    if (hh < 0 || ww < 0) return NL_ERR_SHAPE;
    g->Ho = hh / g->sh + 1;
    g->Wo = ww / g->sw + 1;
    return NL_OK;
}

/* Label in 1..C as a 0-based class, or -1 if it is not an integer in range. */
static inline int64_t nn_label(const void *labels, nl_dtype ldt, int64_t i, int64_t C)
{
    double v = ldt == NL_F32 ? (double)((const float *)labels)[i] : ((const double *)labels)[i];
    if (!(v >= 1 && v <= (double)C) || v != floor(v)) return -1;
    return (int64_t)v - 1;
}

/* The first label that is not an integer in 1..C (0-based position), or -1 if all are valid:
 * the cross-entropy kernels validate every label before touching an output. */
static int64_t nn_first_bad_label(const void *labels, nl_dtype ldt, int64_t n, int64_t C)
{
    for (int64_t i = 0; i < n; i++)
        if (nn_label(labels, ldt, i, C) < 0) return i;
    return -1;
}

#define NN_CHUNK 256

#define NN_REAL float
#define NN_S f32
#define NN_GEMM cblas_sgemm
#define NN_EXP expf
#define NN_EXPM1 expm1f
#define NN_TANH tanhf
#include "nn.c"
#undef NN_REAL
#undef NN_S
#undef NN_GEMM
#undef NN_EXP
#undef NN_EXPM1
#undef NN_TANH

#define NN_REAL double
#define NN_S f64
#define NN_GEMM cblas_dgemm
#define NN_EXP exp
#define NN_EXPM1 expm1
#define NN_TANH tanh
#include "nn.c"

#else /* ---------------- generic part: NN_REAL, NN_S ---------------- */

#define T NN_REAL
#define NN_CAT2(a, b) a##_##b
#define NN_CAT(a, b) NN_CAT2(a, b)
#define FN(name) NN_CAT(name, NN_S)

void FN(nl_nn_act_forward)(nl_act act, const T *x, T *y, int64_t n, double alpha)
{
    switch (act) {
    case NL_ACT_NONE:
        if (y != x) memmove(y, x, (size_t)n * sizeof(T));
        break;
    case NL_ACT_RELU:
        for (int64_t i = 0; i < n; i++) {
            T v = x[i];
            y[i] = v > 0 ? v : (T)0;
        }
        break;
    case NL_ACT_TANH:
        for (int64_t i = 0; i < n; i++) y[i] = NN_TANH(x[i]);
        break;
    case NL_ACT_SIGMOID:
        for (int64_t i = 0; i < n; i++) y[i] = (T)1 / ((T)1 + NN_EXP(-x[i]));
        break;
    case NL_ACT_ELU: {
        T a = (T)alpha;
        for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : a * NN_EXPM1(x[i]);
        break;
    }
    }
}

void FN(nl_nn_act_backward)(nl_act act, const T *x, const T *y, const T *gy, T *gx, int64_t n,
                            double alpha)
{
    switch (act) {
    case NL_ACT_NONE:
        if (gx != gy) memmove(gx, gy, (size_t)n * sizeof(T));
        break;
    case NL_ACT_RELU:
        /* both operands loaded unconditionally so the select vectorises */
        for (int64_t i = 0; i < n; i++) {
            T g = gy[i], v = x[i];
            gx[i] = v > 0 ? g : (T)0;
        }
        break;
    case NL_ACT_TANH:
        for (int64_t i = 0; i < n; i++) gx[i] = gy[i] * ((T)1 - y[i] * y[i]);
        break;
    case NL_ACT_SIGMOID:
        for (int64_t i = 0; i < n; i++) gx[i] = gy[i] * y[i] * ((T)1 - y[i]);
        break;
    case NL_ACT_ELU: {
        /* d/dx α(eˣ − 1) = α eˣ, computed from x (PyTorch's elu_backward on the input). */
        T a = (T)alpha;
        for (int64_t i = 0; i < n; i++) gx[i] = x[i] > 0 ? gy[i] : gy[i] * a * NN_EXP(x[i]);
        break;
    }
    }
}

void FN(nl_nn_linear_forward)(const T *x, T *y, const T *W, const T *b, int64_t n, int64_t in,
                              int64_t out, nl_act act, double alpha)
{
    if (n == 0) return;
    if (b) {
        for (int64_t i = 0; i < n; i++) memcpy(y + i * out, b, (size_t)out * sizeof(T));
    }
    if (in > 0)
        NN_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)out, (int)in, 1, x,
                (int)in, W, (int)in, b ? 1 : 0, y, (int)out);
    else if (!b)
        memset(y, 0, (size_t)(n * out) * sizeof(T));
    if (act != NL_ACT_NONE) FN(nl_nn_act_forward)(act, y, y, n * out, alpha);
}

void FN(nl_nn_linear_backward)(const T *x, const T *gy, T *gx, const T *W, T *gW, T *gb,
                               int64_t n, int64_t in, int64_t out)
{
    if (n == 0) return;
    if (gx) {
        if (out > 0)
            NN_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)in, (int)out, 1, gy,
                    (int)out, W, (int)in, 0, gx, (int)in);
        else
            memset(gx, 0, (size_t)(n * in) * sizeof(T));
    }
    if (gW && in > 0 && out > 0)
        NN_GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, (int)out, (int)in, (int)n, 1, gy,
                (int)out, x, (int)in, 1, gW, (int)in);
    if (gb) {
        for (int64_t i = 0; i < n; i++) {
            const T *r = gy + i * out;
            for (int64_t j = 0; j < out; j++) gb[j] += r[j];
        }
    }
}

/* max of a row of C >= 1 logits (the shift that keeps the exponentials finite) */
static double FN(nn_row_max)(const T *r, int64_t C)
{
    double m = r[0];
    for (int64_t j = 1; j < C; j++)
        if (r[j] > m) m = r[j];
    return m;
}

nl_status FN(nl_nn_xent_forward)(const T *z, const void *labels, nl_dtype ldt, T *per_sample,
                                 int64_t n, int64_t C, double *sum, int64_t *bad)
{
    if ((*bad = nn_first_bad_label(labels, ldt, n, C)) >= 0) return NL_ERR_ARG;
    double s = 0;
    for (int64_t i = 0; i < n; i++) {
        const T *r = z + i * C;
        int64_t k = nn_label(labels, ldt, i, C);
        double m = FN(nn_row_max)(r, C);
        /* exponentials in the working precision (expf for f32: ~1 ulp, as PyTorch), their
         * sum and the logarithm in double */
        double e = 0;
        T mt = (T)m;
        for (int64_t j = 0; j < C; j++) e += (double)NN_EXP(r[j] - mt);
        double li = m + log(e) - (double)r[k];
        if (per_sample) per_sample[i] = (T)li;
        s += li;
    }
    *sum = s;
    return NL_OK;
}

nl_status FN(nl_nn_xent_backward)(const T *z, const void *labels, nl_dtype ldt, T *gz, int64_t n,
                                  int64_t C, double scale, int64_t *bad)
{
    if ((*bad = nn_first_bad_label(labels, ldt, n, C)) >= 0) return NL_ERR_ARG;
    for (int64_t i = 0; i < n; i++) {
        const T *r = z + i * C;
        T *g = gz + i * C;
        int64_t k = nn_label(labels, ldt, i, C);
        double m = FN(nn_row_max)(r, C);
        /* softmax_j = exp(z_j − m) / e: one exponential per entry, kept in g */
        double e = 0;
        T mt = (T)m;
        for (int64_t j = 0; j < C; j++) {
            g[j] = NN_EXP(r[j] - mt);
            e += (double)g[j];
        }
        T c = (T)(scale / e);
        for (int64_t j = 0; j < C; j++) g[j] *= c;
        g[k] -= (T)scale;
    }
    return NL_OK;
}

double FN(nl_nn_mse_forward)(const T *x, const T *t, T *per_sample, int64_t n, int64_t d)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) {
        double si = 0;
        for (int64_t j = 0; j < d; j++) {
            double e = (double)x[i * d + j] - (double)t[i * d + j];
            si += e * e;
        }
        if (per_sample) per_sample[i] = (T)si;
        s += si;
    }
    return s;
}

void FN(nl_nn_mse_backward)(const T *x, const T *t, T *gx, int64_t count, double scale)
{
    T c = (T)(2 * scale);
    for (int64_t i = 0; i < count; i++) gx[i] = c * (x[i] - t[i]);
}

/* cols[(c,ki,kj), col0 + (oh,ow)] = x[c, oh·sh − ph + ki, ow·sw − pw + kj] (0 outside); the
 * rows of cols are ld long (all samples side by side), this sample's block starts at col0. */
static void FN(nn_im2col)(const T *x, T *cols, int64_t ld, const nl_conv_geom *g)
{
    for (int64_t c = 0; c < g->C; c++)
        for (int64_t ki = 0; ki < g->kh; ki++)
            for (int64_t kj = 0; kj < g->kw; kj++) {
                T *row = cols + ((c * g->kh + ki) * g->kw + kj) * ld;
                const T *plane = x + c * g->H * g->W;
                for (int64_t oh = 0; oh < g->Ho; oh++) {
                    int64_t ih = oh * g->sh - g->ph + ki;
                    T *dst = row + oh * g->Wo;
                    if (ih < 0 || ih >= g->H) {
                        memset(dst, 0, (size_t)g->Wo * sizeof(T));
                        continue;
                    }
                    const T *src = plane + ih * g->W;
                    if (g->sw == 1 && g->pw == 0) {
                        /* rows are short (Wo = 8…24 in LeNet): an inline loop beats a
                         * memcpy call per row */
                        const T *sp = src + kj;
                        for (int64_t ow = 0; ow < g->Wo; ow++) dst[ow] = sp[ow];
                        continue;
                    }
                    for (int64_t ow = 0; ow < g->Wo; ow++) {
                        int64_t iw = ow * g->sw - g->pw + kj;
                        dst[ow] = (iw >= 0 && iw < g->W) ? src[iw] : 0;
                    }
                }
            }
}

/* gx[c, ih, iw] = Σ gcols[(c,ki,kj), (oh,ow)] over the taps that read it (one sample). */
static void FN(nn_col2im)(const T *gcols, int64_t ld, T *gx, const nl_conv_geom *g)
{
    memset(gx, 0, (size_t)(g->C * g->H * g->W) * sizeof(T));
    for (int64_t c = 0; c < g->C; c++)
        for (int64_t ki = 0; ki < g->kh; ki++)
            for (int64_t kj = 0; kj < g->kw; kj++) {
                const T *row = gcols + ((c * g->kh + ki) * g->kw + kj) * ld;
                T *plane = gx + c * g->H * g->W;
                for (int64_t oh = 0; oh < g->Ho; oh++) {
                    int64_t ih = oh * g->sh - g->ph + ki;
                    if (ih < 0 || ih >= g->H) continue;
                    const T *src = row + oh * g->Wo;
                    T *dst = plane + ih * g->W;
                    if (g->sw == 1 && g->pw == 0) {
                        for (int64_t ow = 0; ow < g->Wo; ow++) dst[ow + kj] += src[ow];
                        continue;
                    }
                    for (int64_t ow = 0; ow < g->Wo; ow++) {
                        int64_t iw = ow * g->sw - g->pw + kj;
                        if (iw >= 0 && iw < g->W) dst[iw] += src[ow];
                    }
                }
            }
}

/* Σ a[i] with eight partial sums: a single running sum is a serial dependence chain that
 * the compiler may not reorder; eight independent ones vectorise. */
static T FN(nn_sum)(const T *a, int64_t n)
{
    T acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) acc[j] += a[i + j];
    T s = 0;
    for (; i < n; i++) s += a[i];
    for (int j = 0; j < 8; j++) s += acc[j];
    return s;
}

/* The whole batch in one GEMM: cols [K, N·P] holds every sample's patches side by side, so
 * W [O, K] × cols is one product with a long inner dimension for BLAS (per-sample products of
 * 10 × 25 × 576 are too small for it); the result [O, N·P] is then permuted to [N, O, P]. */
void FN(nl_nn_conv2d_forward)(const T *x, T *y, const T *W, const T *b, T *cols,
                              const nl_conv_geom *g)
{
    const int64_t P = g->Ho * g->Wo, K = g->C * g->kh * g->kw, NP = g->N * P;
    if (NP == 0) return;
    T *yt = cols + K * NP;
    for (int64_t s = 0; s < g->N; s++)
        FN(nn_im2col)(x + s * g->C * g->H * g->W, cols + s * P, NP, g);
    NN_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)g->O, (int)NP, (int)K, 1, W, (int)K,
            cols, (int)NP, 0, yt, (int)NP);
    for (int64_t s = 0; s < g->N; s++)
        for (int64_t o = 0; o < g->O; o++) {
            const T *src = yt + o * NP + s * P;
            T *dst = y + (s * g->O + o) * P;
            T bo = b ? b[o] : 0;
            for (int64_t p = 0; p < P; p++) dst[p] = src[p] + bo;
        }
}

void FN(nl_nn_conv2d_backward)(const T *gy, T *gx, const T *W, T *gW, T *gb, T *cols, T *gcols,
                               const nl_conv_geom *g)
{
    const int64_t P = g->Ho * g->Wo, K = g->C * g->kh * g->kw, NP = g->N * P;
    if (NP == 0) return;
    T *gyt = cols + K * NP; /* gy permuted to [O, N·P] */
    for (int64_t s = 0; s < g->N; s++)
        for (int64_t o = 0; o < g->O; o++) {
            const T *src = gy + (s * g->O + o) * P;
            memcpy(gyt + o * NP + s * P, src, (size_t)P * sizeof(T));
            if (gb) gb[o] += FN(nn_sum)(src, P);
        }
    if (gW)
        NN_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, (int)g->O, (int)K, (int)NP, 1, gyt,
                (int)NP, cols, (int)NP, 1, gW, (int)K);
    if (gx) {
        NN_GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)NP, (int)g->O, 1, W, (int)K,
                gyt, (int)NP, 0, gcols, (int)NP);
        for (int64_t s = 0; s < g->N; s++)
            FN(nn_col2im)(gcols + s * P, NP, gx + s * g->C * g->H * g->W, g);
    }
}

void FN(nl_nn_maxpool2d_forward)(const T *x, T *y, int32_t *idx, const nl_conv_geom *g)
{
    const int64_t planes = g->N * g->C, H = g->H, W = g->W, Ho = g->Ho, Wo = g->Wo;
    for (int64_t pl = 0; pl < planes; pl++) {
        const T *xp = x + pl * H * W;
        T *yp = y + pl * Ho * Wo;
        int32_t *ip = idx + pl * Ho * Wo;
        for (int64_t oh = 0; oh < Ho; oh++) {
            int64_t h0 = oh * g->sh - g->ph, h1 = h0 + g->kh;
            if (h0 < 0) h0 = 0;
            if (h1 > H) h1 = H;
            for (int64_t ow = 0; ow < Wo; ow++) {
                int64_t w0 = ow * g->sw - g->pw, w1 = w0 + g->kw;
                if (w0 < 0) w0 = 0;
                if (w1 > W) w1 = W;
                /* first maximum wins; a NaN wins over everything (as PyTorch).  The
                 * comparisons are written for conditional moves: on real data "v > best"
                 * is unpredictable and branches cost more than the loads. */
                int64_t bi = h0 * W + w0;
                T best = xp[bi];
                int nan = 0;
                for (int64_t ih = h0; ih < h1; ih++) {
                    const T *row = xp + ih * W;
                    for (int64_t iw = w0; iw < w1; iw++) {
                        T v = row[iw];
                        int gt = v > best;
                        best = gt ? v : best;
                        bi = gt ? ih * W + iw : bi;
                        nan |= v != v;
                    }
                }
                if (nan) { /* rare: the first NaN of the window */
                    for (int64_t ih = h0; ih < h1 && nan; ih++)
                        for (int64_t iw = w0; iw < w1; iw++)
                            if (xp[ih * W + iw] != xp[ih * W + iw]) {
                                bi = ih * W + iw;
                                best = xp[bi];
                                nan = 0;
                                break;
                            }
                }
                yp[oh * Wo + ow] = best;
                ip[oh * Wo + ow] = (int32_t)bi;
            }
        }
    }
}

void FN(nl_nn_maxpool2d_backward)(const T *gy, T *gx, const int32_t *idx, const nl_conv_geom *g)
{
    int64_t planes = g->N * g->C, P = g->Ho * g->Wo, HW = g->H * g->W;
    memset(gx, 0, (size_t)(planes * HW) * sizeof(T));
    for (int64_t pl = 0; pl < planes; pl++) {
        T *gp = gx + pl * HW;
        const T *gyp = gy + pl * P;
        const int32_t *ip = idx + pl * P;
        for (int64_t p = 0; p < P; p++) gp[ip[p]] += gyp[p];
    }
}

void FN(nl_nn_dropout_mask)(nl_rng *rng, T *m, int64_t n, double p)
{
    double u[NN_CHUNK];
    T keep = p < 1 ? (T)(1 / (1 - p)) : 0;
    for (int64_t i = 0; i < n; i += NN_CHUNK) {
        int64_t k = n - i < NN_CHUNK ? n - i : NN_CHUNK;
        nl_rng_uniform_fill(rng, u, (size_t)k);
        for (int64_t j = 0; j < k; j++) m[i + j] = u[j] >= p ? keep : 0;
    }
}

void FN(nl_nn_normal_fill)(nl_rng *rng, T *e, int64_t n, double mean, double sd)
{
    double z[NN_CHUNK];
    for (int64_t i = 0; i < n; i += NN_CHUNK) {
        int64_t k = n - i < NN_CHUNK ? n - i : NN_CHUNK;
        nl_rng_normal_fill(rng, z, (size_t)k);
        for (int64_t j = 0; j < k; j++) e[i + j] = (T)(mean + sd * z[j]);
    }
}

void FN(nl_nn_mul)(const T *a, const T *b, T *out, int64_t n)
{
    for (int64_t i = 0; i < n; i++) out[i] = a[i] * b[i];
}

void FN(nl_nn_add)(const T *a, const T *b, T *out, int64_t n)
{
    for (int64_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

void FN(nl_nn_tile)(const T *x, T *out, int64_t count, int64_t M)
{
    for (int64_t r = 0; r < M; r++) memcpy(out + r * count, x, (size_t)count * sizeof(T));
}

void FN(nl_nn_sgd_step)(T *p, const T *g, T *buf, int64_t n, double lr, double mom, double damp,
                        double wd, int nesterov, int first)
{
    T l = (T)lr, w = (T)wd, mu = (T)mom, dm = (T)(1 - damp);
    if (mom == 0 || !buf) {
        if (wd == 0)
            for (int64_t i = 0; i < n; i++) p[i] -= l * g[i];
        else
            for (int64_t i = 0; i < n; i++) p[i] -= l * (g[i] + w * p[i]);
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        T d = wd == 0 ? g[i] : g[i] + w * p[i];
        T bb = first ? d : mu * buf[i] + dm * d;
        buf[i] = bb;
        d = nesterov ? d + mu * bb : bb;
        p[i] -= l * d;
    }
}

void FN(nl_nn_adam_step)(T *p, const T *g, T *m, T *v, int64_t n, double lr, double b1,
                         double b2, double eps, double wd, int64_t t)
{
    double bc1 = 1 - pow(b1, (double)t), bc2 = 1 - pow(b2, (double)t);
    T step = (T)(lr / bc1), bc2s = (T)sqrt(bc2), c1 = (T)(1 - b1), c2 = (T)(1 - b2);
    T B1 = (T)b1, B2 = (T)b2, E = (T)eps, w = (T)wd;
    for (int64_t i = 0; i < n; i++) {
        T d = wd == 0 ? g[i] : g[i] + w * p[i];
        m[i] = m[i] * B1 + c1 * d;
        v[i] = v[i] * B2 + c2 * d * d;
        T denom = (T)sqrt(v[i]) / bc2s + E;
        p[i] -= step * (m[i] / denom);
    }
}

void FN(nl_nn_opt_prepare)(const T *p, const T *g, T *d, int64_t n, double wd)
{
    T w = (T)wd;
    if (wd == 0)
        memcpy(d, g, (size_t)n * sizeof(T));
    else
        for (int64_t i = 0; i < n; i++) d[i] = g[i] + w * p[i];
}

void FN(nl_nn_sgd_dir)(T *d, T *buf, int64_t n, double lr, double mom, double damp, int nesterov,
                       int first)
{
    T l = (T)lr, mu = (T)mom, dm = (T)(1 - damp);
    for (int64_t i = 0; i < n; i++) {
        T di = d[i];
        if (mom != 0 && buf) {
            T bb = first ? di : mu * buf[i] + dm * di;
            buf[i] = bb;
            di = nesterov ? di + mu * bb : bb;
        }
        d[i] = l * di;
    }
}

void FN(nl_nn_adam_dir)(T *d, T *m, T *v, int64_t n, double lr, double b1, double b2, double eps,
                        int64_t t)
{
    double bc1 = 1 - pow(b1, (double)t), bc2 = 1 - pow(b2, (double)t);
    T step = (T)(lr / bc1), bc2s = (T)sqrt(bc2), c1 = (T)(1 - b1), c2 = (T)(1 - b2);
    T B1 = (T)b1, B2 = (T)b2, E = (T)eps;
    for (int64_t i = 0; i < n; i++) {
        T gi = d[i];
        m[i] = m[i] * B1 + c1 * gi;
        v[i] = v[i] * B2 + c2 * gi * gi;
        T denom = (T)sqrt(v[i]) / bc2s + E;
        d[i] = step * (m[i] / denom);
    }
}

double FN(nl_nn_truncate)(T *d, int64_t n, nl_trunc mode, double b)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (double)d[i] * (double)d[i];
    double norm = sqrt(s);
    if (mode == NL_TRUNC_NORM) {
        if (norm > b) {
            T c = (T)(b / norm);
            for (int64_t i = 0; i < n; i++) d[i] *= c;
        }
    } else if (mode == NL_TRUNC_COORD) {
        T B = (T)b;
        for (int64_t i = 0; i < n; i++) d[i] = d[i] > B ? B : (d[i] < -B ? -B : d[i]);
    }
    return norm;
}

void FN(nl_nn_apply_step)(T *p, const T *d, int64_t n)
{
    for (int64_t i = 0; i < n; i++) p[i] -= d[i];
}

void FN(nl_nn_noise_sub)(nl_rng *rng, T *d, int64_t n, nl_noise_kind kind, double alpha,
                         double scale, int isotropic)
{
    double z[NN_CHUNK];
    if (!isotropic || kind == NL_NOISE_GAUSSIAN) {
        for (int64_t i = 0; i < n; i += NN_CHUNK) {
            int64_t k = n - i < NN_CHUNK ? n - i : NN_CHUNK;
            if (kind == NL_NOISE_GAUSSIAN) {
                nl_rng_normal_fill(rng, z, (size_t)k);
                for (int64_t j = 0; j < k; j++) z[j] *= scale;
            } else if (kind == NL_NOISE_STABLE) {
                nl_stable_fill(rng, alpha, 0, scale, 0, 1, z, (size_t)k);
            } else {
                nl_pareto_fill(rng, alpha, scale, 1, z, (size_t)k);
            }
            for (int64_t j = 0; j < k; j++) d[i + j] -= (T)z[j];
        }
        return;
    }
    if (kind == NL_NOISE_STABLE) {
        /* Sub-Gaussian SαS vector: √A · G, G ~ N(0, 2σ²I). */
        double a = 1;
        if (alpha < 2) {
            double sa = pow(cos(M_PI * alpha / 4), 2 / alpha);
            nl_stable_fill(rng, alpha / 2, 1, sa, 0, 1, &a, 1);
        }
        double c = sqrt(a) * sqrt(2.0) * scale;
        for (int64_t i = 0; i < n; i += NN_CHUNK) {
            int64_t k = n - i < NN_CHUNK ? n - i : NN_CHUNK;
            nl_rng_normal_fill(rng, z, (size_t)k);
            for (int64_t j = 0; j < k; j++) d[i + j] -= (T)(c * z[j]);
        }
        return;
    }
    /* Isotropic Pareto: radius R with P(R > r) = (r/scale)^−α, direction G/‖G‖.  The normals
     * are drawn twice from the same generator state (a copy), first for the norm, then to
     * apply, so no buffer of length n is needed. */
    double r;
    nl_pareto_fill(rng, alpha, scale, 0, &r, 1);
    nl_rng probe = *rng;
    double s = 0;
    for (int64_t i = 0; i < n; i += NN_CHUNK) {
        int64_t k = n - i < NN_CHUNK ? n - i : NN_CHUNK;
        nl_rng_normal_fill(&probe, z, (size_t)k);
        for (int64_t j = 0; j < k; j++) s += z[j] * z[j];
    }
    double c = s > 0 ? r / sqrt(s) : 0;
    for (int64_t i = 0; i < n; i += NN_CHUNK) {
        int64_t k = n - i < NN_CHUNK ? n - i : NN_CHUNK;
        nl_rng_normal_fill(rng, z, (size_t)k);
        for (int64_t j = 0; j < k; j++) d[i + j] -= (T)(c * z[j]);
    }
}

#undef T
#undef FN
#undef NN_CAT
#undef NN_CAT2

#endif
