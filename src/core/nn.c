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
 *  - Speed paths (f32, AVX2+FMA detected at run time, results equal to the GEMM path up to
 *    rounding): packing-free register-blocked kernels for narrow Linear layers (gW += gyᵀx as
 *    rank-1 updates; y = x·Wᵀ through a transposed copy of W), the Conv2d weight gradient as
 *    dot products over NCHW gy (no permute, no packing), a fixed 2×2/stride-2 MaxPool, and the
 *    softmax exponentials through SLEEF (nl_vexp_*).  Against the OpenBLAS path: relative
 *    difference <= 1e-6 of max|y| (784→32/16/64 and odd shapes, checked against f64), MaxPool
 *    bit-identical (NaN and tie cases included).
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
#include "noiselab/vecmath.h"

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

/* ---- a packing-free kernel for the weight gradient of a narrow first layer ----------------
 * gW [out, in] += gyᵀ x with x [n, in], gy [n, out], out small (16…64: the first layer of the
 * small MLPs), in wide (784).  OpenBLAS spends about a fifth of this product packing x and gy
 * (measured with perf on 784-32-32-10, batch 100); as a sum of n rank-1 updates it needs no
 * packing: a 4 × 24 block of gW lives in 12 AVX2 registers while i runs over the batch, and the
 * x strip [n, 24] stays in L1 across the out/4 consecutive row blocks.  Measured on the bench
 * machine (one thread): 784×32, n = 100: 50 µs against OpenBLAS's 64 µs; 784×16: 25 against
 * 35 µs; equal at out = 128, so the gate below is out <= 64.  Sums run over i in order with
 * FMA, as OpenBLAS's kernel does (the parity tests hold to 1e-5 relative). */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define NN_HAVE_AVX2_KERNELS 1

__attribute__((target("avx2,fma"))) static void nn_gw_outer_avx2(const float *gy, const float *x,
    float *gW, int64_t n, int64_t o4, int64_t k8, int64_t in, int64_t out)
{
    int64_t k = 0;
    for (; k + 24 <= k8; k += 24) {
        for (int64_t j = 0; j < o4; j += 4) {
            float *g0 = gW + j * in + k, *g1 = g0 + in, *g2 = g1 + in, *g3 = g2 + in;
            __m256 c00 = _mm256_loadu_ps(g0), c01 = _mm256_loadu_ps(g0 + 8);
            __m256 c02 = _mm256_loadu_ps(g0 + 16), c10 = _mm256_loadu_ps(g1);
            __m256 c11 = _mm256_loadu_ps(g1 + 8), c12 = _mm256_loadu_ps(g1 + 16);
            __m256 c20 = _mm256_loadu_ps(g2), c21 = _mm256_loadu_ps(g2 + 8);
            __m256 c22 = _mm256_loadu_ps(g2 + 16), c30 = _mm256_loadu_ps(g3);
            __m256 c31 = _mm256_loadu_ps(g3 + 8), c32 = _mm256_loadu_ps(g3 + 16);
            const float *xr = x + k, *gr = gy + j;
            for (int64_t i = 0; i < n; i++, xr += in, gr += out) {
                __m256 a0 = _mm256_loadu_ps(xr), a1 = _mm256_loadu_ps(xr + 8);
                __m256 a2 = _mm256_loadu_ps(xr + 16), b = _mm256_broadcast_ss(gr);
                c00 = _mm256_fmadd_ps(b, a0, c00);
                c01 = _mm256_fmadd_ps(b, a1, c01);
                c02 = _mm256_fmadd_ps(b, a2, c02);
                b = _mm256_broadcast_ss(gr + 1);
                c10 = _mm256_fmadd_ps(b, a0, c10);
                c11 = _mm256_fmadd_ps(b, a1, c11);
                c12 = _mm256_fmadd_ps(b, a2, c12);
                b = _mm256_broadcast_ss(gr + 2);
                c20 = _mm256_fmadd_ps(b, a0, c20);
                c21 = _mm256_fmadd_ps(b, a1, c21);
                c22 = _mm256_fmadd_ps(b, a2, c22);
                b = _mm256_broadcast_ss(gr + 3);
                c30 = _mm256_fmadd_ps(b, a0, c30);
                c31 = _mm256_fmadd_ps(b, a1, c31);
                c32 = _mm256_fmadd_ps(b, a2, c32);
            }
            _mm256_storeu_ps(g0, c00);
            _mm256_storeu_ps(g0 + 8, c01);
            _mm256_storeu_ps(g0 + 16, c02);
            _mm256_storeu_ps(g1, c10);
            _mm256_storeu_ps(g1 + 8, c11);
            _mm256_storeu_ps(g1 + 16, c12);
            _mm256_storeu_ps(g2, c20);
            _mm256_storeu_ps(g2 + 8, c21);
            _mm256_storeu_ps(g2 + 16, c22);
            _mm256_storeu_ps(g3, c30);
            _mm256_storeu_ps(g3 + 8, c31);
            _mm256_storeu_ps(g3 + 16, c32);
        }
    }
    for (; k < k8; k += 8) /* the last 8 or 16 columns */
        for (int64_t j = 0; j < o4; j += 4) {
            float *g0 = gW + j * in + k, *g1 = g0 + in, *g2 = g1 + in, *g3 = g2 + in;
            __m256 c0 = _mm256_loadu_ps(g0), c1 = _mm256_loadu_ps(g1);
            __m256 c2 = _mm256_loadu_ps(g2), c3 = _mm256_loadu_ps(g3);
            const float *xr = x + k, *gr = gy + j;
            for (int64_t i = 0; i < n; i++, xr += in, gr += out) {
                __m256 a = _mm256_loadu_ps(xr);
                c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(gr), a, c0);
                c1 = _mm256_fmadd_ps(_mm256_broadcast_ss(gr + 1), a, c1);
                c2 = _mm256_fmadd_ps(_mm256_broadcast_ss(gr + 2), a, c2);
                c3 = _mm256_fmadd_ps(_mm256_broadcast_ss(gr + 3), a, c3);
            }
            _mm256_storeu_ps(g0, c0);
            _mm256_storeu_ps(g1, c1);
            _mm256_storeu_ps(g2, c2);
            _mm256_storeu_ps(g3, c3);
        }
}

/* wt [in, out] = Wᵀ for W [out, in]: 8 × 8 blocks transposed in registers (unpack, shuffle,
 * lane permute), the edges element by element. */
__attribute__((target("avx2,fma"))) static void nn_transpose_avx2(const float *W, float *wt,
                                                                  int64_t out, int64_t in)
{
    int64_t o8 = out & ~(int64_t)7, i8 = in & ~(int64_t)7;
    for (int64_t j = 0; j < o8; j += 8)
        for (int64_t k = 0; k < i8; k += 8) {
            const float *s = W + j * in + k;
            __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + in);
            __m256 r2 = _mm256_loadu_ps(s + 2 * in), r3 = _mm256_loadu_ps(s + 3 * in);
            __m256 r4 = _mm256_loadu_ps(s + 4 * in), r5 = _mm256_loadu_ps(s + 5 * in);
            __m256 r6 = _mm256_loadu_ps(s + 6 * in), r7 = _mm256_loadu_ps(s + 7 * in);
            __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
            __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
            __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
            __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
            __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
            __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
            __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
            __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
            float *d = wt + k * out + j;
            _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
            _mm256_storeu_ps(d + out, _mm256_permute2f128_ps(u1, u5, 0x20));
            _mm256_storeu_ps(d + 2 * out, _mm256_permute2f128_ps(u2, u6, 0x20));
            _mm256_storeu_ps(d + 3 * out, _mm256_permute2f128_ps(u3, u7, 0x20));
            _mm256_storeu_ps(d + 4 * out, _mm256_permute2f128_ps(u0, u4, 0x31));
            _mm256_storeu_ps(d + 5 * out, _mm256_permute2f128_ps(u1, u5, 0x31));
            _mm256_storeu_ps(d + 6 * out, _mm256_permute2f128_ps(u2, u6, 0x31));
            _mm256_storeu_ps(d + 7 * out, _mm256_permute2f128_ps(u3, u7, 0x31));
        }
    for (int64_t j = 0; j < out; j++) /* edges: k >= i8 for every row, j >= o8 for k < i8 */
        for (int64_t k = j < o8 ? i8 : 0; k < in; k++) wt[k * out + j] = W[j * in + k];
}

/* y [n, out] (+)= x [n, in] · Wt [in, out] for rows i < n6 (multiple of 6) and columns
 * j < o16 (multiple of 16), as rank-1 updates: a 6 × 16 block of y in 12 registers while k
 * runs over in (x broadcast, a row of Wt loaded).  With Wt = Wᵀ transposed once per call
 * (in·out entries, 8 µs for 784×32) this forward product of a narrow first layer needs no
 * packing: 784 → 32, n = 100: 50 + 8 µs against OpenBLAS's 65 µs on the bench machine. */
__attribute__((target("avx2,fma"))) static void nn_fwd_outer_avx2(const float *x,
    const float *Wt, float *y, int64_t n6, int64_t o16, int64_t in, int64_t out, int accum)
{
    for (int64_t i = 0; i < n6; i += 6) {
        const float *x0 = x + i * in, *x1 = x0 + in, *x2 = x1 + in, *x3 = x2 + in, *x4 = x3 + in,
                    *x5 = x4 + in;
        for (int64_t j = 0; j < o16; j += 16) {
            float *y0 = y + i * out + j, *y1 = y0 + out, *y2 = y1 + out, *y3 = y2 + out,
                  *y4 = y3 + out, *y5 = y4 + out;
            __m256 z = _mm256_setzero_ps();
            __m256 c00 = accum ? _mm256_loadu_ps(y0) : z, c01 = accum ? _mm256_loadu_ps(y0 + 8) : z;
            __m256 c10 = accum ? _mm256_loadu_ps(y1) : z, c11 = accum ? _mm256_loadu_ps(y1 + 8) : z;
            __m256 c20 = accum ? _mm256_loadu_ps(y2) : z, c21 = accum ? _mm256_loadu_ps(y2 + 8) : z;
            __m256 c30 = accum ? _mm256_loadu_ps(y3) : z, c31 = accum ? _mm256_loadu_ps(y3 + 8) : z;
            __m256 c40 = accum ? _mm256_loadu_ps(y4) : z, c41 = accum ? _mm256_loadu_ps(y4 + 8) : z;
            __m256 c50 = accum ? _mm256_loadu_ps(y5) : z, c51 = accum ? _mm256_loadu_ps(y5 + 8) : z;
            const float *w = Wt + j;
            for (int64_t k = 0; k < in; k++, w += out) {
                __m256 b0 = _mm256_loadu_ps(w), b1 = _mm256_loadu_ps(w + 8), a;
                a = _mm256_broadcast_ss(x0 + k);
                c00 = _mm256_fmadd_ps(a, b0, c00);
                c01 = _mm256_fmadd_ps(a, b1, c01);
                a = _mm256_broadcast_ss(x1 + k);
                c10 = _mm256_fmadd_ps(a, b0, c10);
                c11 = _mm256_fmadd_ps(a, b1, c11);
                a = _mm256_broadcast_ss(x2 + k);
                c20 = _mm256_fmadd_ps(a, b0, c20);
                c21 = _mm256_fmadd_ps(a, b1, c21);
                a = _mm256_broadcast_ss(x3 + k);
                c30 = _mm256_fmadd_ps(a, b0, c30);
                c31 = _mm256_fmadd_ps(a, b1, c31);
                a = _mm256_broadcast_ss(x4 + k);
                c40 = _mm256_fmadd_ps(a, b0, c40);
                c41 = _mm256_fmadd_ps(a, b1, c41);
                a = _mm256_broadcast_ss(x5 + k);
                c50 = _mm256_fmadd_ps(a, b0, c50);
                c51 = _mm256_fmadd_ps(a, b1, c51);
            }
            _mm256_storeu_ps(y0, c00);
            _mm256_storeu_ps(y0 + 8, c01);
            _mm256_storeu_ps(y1, c10);
            _mm256_storeu_ps(y1 + 8, c11);
            _mm256_storeu_ps(y2, c20);
            _mm256_storeu_ps(y2 + 8, c21);
            _mm256_storeu_ps(y3, c30);
            _mm256_storeu_ps(y3 + 8, c31);
            _mm256_storeu_ps(y4, c40);
            _mm256_storeu_ps(y4 + 8, c41);
            _mm256_storeu_ps(y5, c50);
            _mm256_storeu_ps(y5 + 8, c51);
        }
    }
}

/* The last R < 6 rows of the product above (R a compile-time constant at each call, so the
 * accumulator arrays are unrolled into registers). */
__attribute__((target("avx2,fma"), always_inline)) static inline void nn_fwd_rows_avx2(
    const float *x, const float *Wt, float *y, const int R, int64_t o16, int64_t in,
    int64_t out, int accum)
{
    for (int64_t j = 0; j < o16; j += 16) {
        __m256 c0[6], c1[6];
        for (int r = 0; r < R; r++) {
            c0[r] = accum ? _mm256_loadu_ps(y + r * out + j) : _mm256_setzero_ps();
            c1[r] = accum ? _mm256_loadu_ps(y + r * out + j + 8) : _mm256_setzero_ps();
        }
        const float *w = Wt + j;
        for (int64_t k = 0; k < in; k++, w += out) {
            __m256 b0 = _mm256_loadu_ps(w), b1 = _mm256_loadu_ps(w + 8);
            for (int r = 0; r < R; r++) {
                __m256 a = _mm256_broadcast_ss(x + r * in + k);
                c0[r] = _mm256_fmadd_ps(a, b0, c0[r]);
                c1[r] = _mm256_fmadd_ps(a, b1, c1[r]);
            }
        }
        for (int r = 0; r < R; r++) {
            _mm256_storeu_ps(y + r * out + j, c0[r]);
            _mm256_storeu_ps(y + r * out + j + 8, c1[r]);
        }
    }
}

__attribute__((target("avx2,fma"))) static void nn_fwd_tail_avx2(const float *x,
    const float *Wt, float *y, int64_t R, int64_t o16, int64_t in, int64_t out, int accum)
{
    switch (R) {
    case 1: nn_fwd_rows_avx2(x, Wt, y, 1, o16, in, out, accum); break;
    case 2: nn_fwd_rows_avx2(x, Wt, y, 2, o16, in, out, accum); break;
    case 3: nn_fwd_rows_avx2(x, Wt, y, 3, o16, in, out, accum); break;
    case 4: nn_fwd_rows_avx2(x, Wt, y, 4, o16, in, out, accum); break;
    case 5: nn_fwd_rows_avx2(x, Wt, y, 5, o16, in, out, accum); break;
    default: break;
    }
}

/* Conv2d weight gradient straight from NCHW gy, without permuting it or packing:
 * gW[o, q] += Σ_s Σ_p gy[s, o, p] · cols[q, s·P + p], a block of RO × RQ dot products (rows
 * of gy and of cols are both contiguous over p) kept in registers across all samples and
 * reduced once.  OpenBLAS's product of the permuted [O, N·P] gy with the [K, N·P] im2col
 * matrix packs both long operands; on LeNet's first conv (O = 10, K = 25, N·P = 11520) the
 * permute and packing made the no-gx backward ~450 µs (perf, bench machine). */
__attribute__((target("avx2,fma"), always_inline)) static inline void nn_conv_gw_block(
    const float *gy, const float *cols, float *gW, int64_t o0, int64_t q0, const int RO,
    const int RQ, int64_t s0, int64_t s1, int64_t N, int64_t O, int64_t K, int64_t P)
{
    const int64_t NP = N * P, P8 = P & ~(int64_t)7;
    __m256 acc[2][4];
    float tail[2][4];
    for (int a = 0; a < RO; a++)
        for (int b = 0; b < RQ; b++) {
            acc[a][b] = _mm256_setzero_ps();
            tail[a][b] = 0;
        }
    for (int64_t s = s0; s < s1; s++) {
        const float *gr[2], *cr[4];
        for (int a = 0; a < RO; a++) gr[a] = gy + (s * O + o0 + a) * P;
        for (int b = 0; b < RQ; b++) cr[b] = cols + (q0 + b) * NP + s * P;
        for (int64_t p = 0; p < P8; p += 8) {
            __m256 cv[4];
            for (int b = 0; b < RQ; b++) cv[b] = _mm256_loadu_ps(cr[b] + p);
            for (int a = 0; a < RO; a++) {
                __m256 gv = _mm256_loadu_ps(gr[a] + p);
                for (int b = 0; b < RQ; b++) acc[a][b] = _mm256_fmadd_ps(gv, cv[b], acc[a][b]);
            }
        }
        for (int64_t p = P8; p < P; p++)
            for (int a = 0; a < RO; a++)
                for (int b = 0; b < RQ; b++) tail[a][b] += gr[a][p] * cr[b][p];
    }
    for (int a = 0; a < RO; a++)
        for (int b = 0; b < RQ; b++) {
            __m128 v = _mm_add_ps(_mm256_castps256_ps128(acc[a][b]),
                                  _mm256_extractf128_ps(acc[a][b], 1));
            v = _mm_add_ps(v, _mm_movehl_ps(v, v));
            v = _mm_add_ss(v, _mm_movehdup_ps(v));
            gW[(o0 + a) * K + q0 + b] += _mm_cvtss_f32(v) + tail[a][b];
        }
}

__attribute__((target("avx2,fma"))) static void nn_conv_gw_avx2(const float *gy,
    const float *cols, float *gW, int64_t N, int64_t O, int64_t K, int64_t P)
{
    /* samples in chunks whose slice of cols (K·P floats each) stays within ~128 KB, so the
     * O/2 passes over it hit L2 instead of memory (cols is 1.15 MB on LeNet's first conv) */
    int64_t S = (int64_t)(32768 / (K * P > 0 ? K * P : 1));
    if (S < 1) S = 1;
    for (int64_t s0 = 0; s0 < N; s0 += S) {
        int64_t s1 = s0 + S < N ? s0 + S : N;
        for (int64_t o0 = 0; o0 < O; o0 += 2) {
            int ro = O - o0 >= 2 ? 2 : 1;
            int64_t q0 = 0;
            for (; q0 + 4 <= K; q0 += 4) {
                if (ro == 2)
                    nn_conv_gw_block(gy, cols, gW, o0, q0, 2, 4, s0, s1, N, O, K, P);
                else
                    nn_conv_gw_block(gy, cols, gW, o0, q0, 1, 4, s0, s1, N, O, K, P);
            }
            for (; q0 < K; q0++) {
                if (ro == 2)
                    nn_conv_gw_block(gy, cols, gW, o0, q0, 2, 1, s0, s1, N, O, K, P);
                else
                    nn_conv_gw_block(gy, cols, gW, o0, q0, 1, 1, s0, s1, N, O, K, P);
            }
        }
    }
}
#endif

/* y (+)= x Wᵀ in single precision (accum: y already holds the bias); wt (in·out scratch, may
 * be NULL) enables the kernel above. */
int nl_nn_linear_wants_scratch(nl_dtype dt, int64_t in, int64_t out)
{
#ifdef NN_HAVE_AVX2_KERNELS
    return dt == NL_F32 && out >= 16 && out <= 64 && in >= 96 && nl_cpu_avx2();
#else
    (void)dt, (void)in, (void)out;
    return 0;
#endif
}

static void nn_fwd_f32(const float *x, const float *W, float *y, float *wt, int64_t n,
                       int64_t in, int64_t out, int accum)
{
#ifdef NN_HAVE_AVX2_KERNELS
    if (wt && n >= 6 && nl_nn_linear_wants_scratch(NL_F32, in, out)) {
        nn_transpose_avx2(W, wt, out, in);
        int64_t n6 = n - n % 6, o16 = out & ~(int64_t)15;
        nn_fwd_outer_avx2(x, wt, y, n6, o16, in, out, accum);
        nn_fwd_tail_avx2(x + n6 * in, wt, y + n6 * out, n - n6, o16, in, out, accum);
        if (o16 < out) /* the last columns */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)(out - o16),
                        (int)in, 1, x, (int)in, W + o16 * in, (int)in, accum ? 1 : 0, y + o16,
                        (int)out);
        return;
    }
#else
    (void)wt;
#endif
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)out, (int)in, 1, x,
                (int)in, W, (int)in, accum ? 1 : 0, y, (int)out);
}
static void nn_fwd_f64(const double *x, const double *W, double *y, double *wt, int64_t n,
                       int64_t in, int64_t out, int accum)
{
    (void)wt;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)out, (int)in, 1, x,
                (int)in, W, (int)in, accum ? 1 : 0, y, (int)out);
}

/* gW += gyᵀ x in single precision: the kernel above where it is faster, OpenBLAS for the rest
 * (rows past a multiple of 4, columns past a multiple of 8, other shapes). */
static void nn_gw_f32(const float *gy, const float *x, float *gW, int64_t n, int64_t in,
                      int64_t out)
{
#ifdef NN_HAVE_AVX2_KERNELS
    if (out >= 4 && out <= 64 && in >= 96 && nl_cpu_avx2()) {
        int64_t o4 = out & ~(int64_t)3, k8 = in & ~(int64_t)7;
        nn_gw_outer_avx2(gy, x, gW, n, o4, k8, in, out);
        if (k8 < in)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)o4, (int)(in - k8), (int)n,
                        1, gy, (int)out, x + k8, (int)in, 1, gW + k8, (int)in);
        if (o4 < out)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)(out - o4), (int)in,
                        (int)n, 1, gy + o4, (int)out, x, (int)in, 1, gW + o4 * in, (int)in);
        return;
    }
#endif
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)out, (int)in, (int)n, 1, gy,
                (int)out, x, (int)in, 1, gW, (int)in);
}
static void nn_gw_f64(const double *gy, const double *x, double *gW, int64_t n, int64_t in,
                      int64_t out)
{
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)out, (int)in, (int)n, 1, gy,
                (int)out, x, (int)in, 1, gW, (int)in);
}

#define NN_CHUNK 256

#define NN_REAL float
#define NN_S f32
#define NN_GEMM cblas_sgemm
#define NN_EXP expf
#define NN_EXPM1 expm1f
#define NN_TANH tanhf
#define NN_VEXP nl_vexp_f32
#include "nn.c"
#undef NN_REAL
#undef NN_S
#undef NN_GEMM
#undef NN_EXP
#undef NN_EXPM1
#undef NN_TANH
#undef NN_VEXP

#define NN_REAL double
#define NN_S f64
#define NN_GEMM cblas_dgemm
#define NN_EXP exp
#define NN_EXPM1 expm1
#define NN_TANH tanh
#define NN_VEXP nl_vexp_f64
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

void FN(nl_nn_linear_forward)(const T *x, T *y, const T *W, const T *b, T *wt, int64_t n,
                              int64_t in, int64_t out, nl_act act, double alpha)
{
    if (n == 0) return;
    if (b) {
        for (int64_t i = 0; i < n; i++) memcpy(y + i * out, b, (size_t)out * sizeof(T));
    }
    if (in > 0)
        FN(nn_fwd)(x, W, y, wt, n, in, out, b != NULL);
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
    if (gW && in > 0 && out > 0) FN(nn_gw)(gy, x, gW, n, in, out);
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

/* The exponentials of the softmax go through SLEEF's vector exp (nl_vexp_*, <= 1 ulp, like
 * the scalar libm call it replaces): rows of shifted logits z_j − max are gathered into
 * blocks of about NN_XCHUNK entries and exponentiated in one call (C = 10 in the benchmarks,
 * too short a row for one call each). */
#ifndef NN_XCHUNK_DEFINED
#define NN_XCHUNK_DEFINED
#define NN_XCHUNK 1024
#endif

nl_status FN(nl_nn_xent_forward)(const T *z, const void *labels, nl_dtype ldt, T *per_sample,
                                 int64_t n, int64_t C, double *sum, int64_t *bad)
{
    if ((*bad = nn_first_bad_label(labels, ldt, n, C)) >= 0) return NL_ERR_ARG;
    T buf[NN_XCHUNK];
    double mx[NN_XCHUNK];
    double s = 0;
    /* rows per block (one row split into column chunks when C > NN_XCHUNK) */
    int64_t rows = C <= NN_XCHUNK ? NN_XCHUNK / C : 1;
    for (int64_t i0 = 0; i0 < n; i0 += rows) {
        int64_t nr = n - i0 < rows ? n - i0 : rows;
        if (C <= NN_XCHUNK) {
            for (int64_t r = 0; r < nr; r++) {
                const T *zr = z + (i0 + r) * C;
                mx[r] = FN(nn_row_max)(zr, C);
                T mt = (T)mx[r];
                for (int64_t j = 0; j < C; j++) buf[r * C + j] = zr[j] - mt;
            }
            NN_VEXP(buf, buf, (size_t)(nr * C));
        }
        for (int64_t r = 0; r < nr; r++) {
            int64_t i = i0 + r;
            const T *zr = z + i * C;
            int64_t k = nn_label(labels, ldt, i, C);
            /* exponentials in the working precision, their sum and the logarithm in double */
            double e = 0, m;
            if (C <= NN_XCHUNK) {
                m = mx[r];
                for (int64_t j = 0; j < C; j++) e += (double)buf[r * C + j];
            } else {
                m = FN(nn_row_max)(zr, C);
                T mt = (T)m;
                for (int64_t j0 = 0; j0 < C; j0 += NN_XCHUNK) {
                    int64_t nc = C - j0 < NN_XCHUNK ? C - j0 : NN_XCHUNK;
                    for (int64_t j = 0; j < nc; j++) buf[j] = zr[j0 + j] - mt;
                    NN_VEXP(buf, buf, (size_t)nc);
                    for (int64_t j = 0; j < nc; j++) e += (double)buf[j];
                }
            }
            double li = m + log(e) - (double)zr[k];
            if (per_sample) per_sample[i] = (T)li;
            s += li;
        }
    }
    *sum = s;
    return NL_OK;
}

nl_status FN(nl_nn_xent_backward)(const T *z, const void *labels, nl_dtype ldt, T *gz, int64_t n,
                                  int64_t C, double scale, int64_t *bad)
{
    if ((*bad = nn_first_bad_label(labels, ldt, n, C)) >= 0) return NL_ERR_ARG;
    /* softmax_j = exp(z_j − m) / e: the shifted logits go into gz, one vector exp over all
     * of it, then each row is normalised */
    for (int64_t i = 0; i < n; i++) {
        const T *r = z + i * C;
        T *g = gz + i * C;
        T mt = (T)FN(nn_row_max)(r, C);
        for (int64_t j = 0; j < C; j++) g[j] = r[j] - mt;
    }
    NN_VEXP(gz, gz, (size_t)(n * C));
    for (int64_t i = 0; i < n; i++) {
        T *g = gz + i * C;
        int64_t k = nn_label(labels, ldt, i, C);
        double e = 0;
        for (int64_t j = 0; j < C; j++) e += (double)g[j];
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
    int direct = 0; /* gW from gy in NCHW by the kernel above (f32 with AVX2) */
#ifdef NN_HAVE_AVX2_KERNELS
    direct = sizeof(T) == sizeof(float) && nl_cpu_avx2();
#endif
    int permute = gx || (gW && !direct);
    for (int64_t s = 0; s < g->N; s++)
        for (int64_t o = 0; o < g->O; o++) {
            const T *src = gy + (s * g->O + o) * P;
            if (permute) memcpy(gyt + o * NP + s * P, src, (size_t)P * sizeof(T));
            if (gb) gb[o] += FN(nn_sum)(src, P);
        }
    if (gW) {
#ifdef NN_HAVE_AVX2_KERNELS
        if (direct)
            nn_conv_gw_avx2((const float *)gy, (const float *)cols, (float *)gW, g->N, g->O, K,
                            P);
        else
#endif
            NN_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, (int)g->O, (int)K, (int)NP, 1,
                    gyt, (int)NP, cols, (int)NP, 1, gW, (int)K);
    }
    if (gx) {
        NN_GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)NP, (int)g->O, 1, W, (int)K,
                gyt, (int)NP, 0, gcols, (int)NP);
        for (int64_t s = 0; s < g->N; s++)
            FN(nn_col2im)(gcols + s * P, NP, gx + s * g->C * g->H * g->W, g);
    }
}

/* The 2×2, stride-2, unpadded window (LeNet's): a fixed four-way compare per output, with
 * no window clipping and no inner loops, written branch-free (selects) so it vectorises along
 * the output row.  Same rule as the general loop: the first maximum in row-major window
 * order wins, and the first NaN wins over everything. */
static void FN(nn_maxpool_2x2)(const T *x, T *y, int32_t *idx, const nl_conv_geom *g)
{
    const int64_t planes = g->N * g->C, H = g->H, W = g->W, Ho = g->Ho, Wo = g->Wo;
    for (int64_t pl = 0; pl < planes; pl++) {
        const T *xp = x + pl * H * W;
        T *yp = y + pl * Ho * Wo;
        int32_t *ip = idx + pl * Ho * Wo;
        for (int64_t oh = 0; oh < Ho; oh++) {
            const T *r0 = xp + 2 * oh * W, *r1 = r0 + W;
            T *yo = yp + oh * Wo;
            int32_t *io = ip + oh * Wo;
            const int32_t base = (int32_t)(2 * oh * W), w32 = (int32_t)W;
            int nan = 0;
            for (int64_t ow = 0; ow < Wo; ow++) {
                T a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
                int32_t i0 = base + 2 * (int32_t)ow;
                T best = a;
                int32_t bi = i0;
                int gt = b > best;
                best = gt ? b : best;
                bi = gt ? i0 + 1 : bi;
                gt = c > best;
                best = gt ? c : best;
                bi = gt ? i0 + w32 : bi;
                gt = d > best;
                best = gt ? d : best;
                bi = gt ? i0 + w32 + 1 : bi;
                nan |= (a != a) | (b != b) | (c != c) | (d != d);
                yo[ow] = best;
                io[ow] = bi;
            }
            if (nan) /* rare: redo the row's NaN windows with the first NaN */
                for (int64_t ow = 0; ow < Wo; ow++) {
                    int32_t i0 = base + 2 * (int32_t)ow;
                    const int32_t off[4] = {i0, i0 + 1, i0 + w32, i0 + w32 + 1};
                    for (int k = 0; k < 4; k++)
                        if (xp[off[k]] != xp[off[k]]) {
                            yo[ow] = xp[off[k]];
                            io[ow] = off[k];
                            break;
                        }
                }
        }
    }
}

void FN(nl_nn_maxpool2d_forward)(const T *x, T *y, int32_t *idx, const nl_conv_geom *g)
{
    const int64_t planes = g->N * g->C, H = g->H, W = g->W, Ho = g->Ho, Wo = g->Wo;
    if (g->kh == 2 && g->kw == 2 && g->sh == 2 && g->sw == 2 && g->ph == 0 && g->pw == 0) {
        FN(nn_maxpool_2x2)(x, y, idx, g);
        return;
    }
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
