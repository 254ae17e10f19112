/* noiselab neural-network kernels (C core; no Lua).
 *
 * The layout of torch/nn's THNN: one kernel per layer and direction over raw contiguous
 * row-major arrays, a fixed argument order (input, output / gradOutput, gradInput, weights,
 * buffers, sizes, options), no hidden allocation — every buffer is owned by the caller (the Lua
 * layer keeps them across steps).  Every kernel exists for float (_f32) and double (_f64).
 *
 * Conventions (PyTorch semantics):
 *   Linear   x [n, in], W [out, in], b [out]; y = x Wᵀ + b.
 *   Conv2d   x [N, C, H, W] (NCHW), W [O, C, kh, kw], b [O]; y [N, O, Ho, Wo],
 *            Ho = (H + 2 ph − kh) / sh + 1 (floor), cross-correlation like torch.
 *   MaxPool2d argmax indices are flat offsets inside one (sample, channel) plane; the first
 *            maximum wins on ties; padding counts as −inf.
 *   Cross-entropy from logits z [n, C] with labels 1..C (stored as f32 or f64 numbers).
 * Backward kernels *accumulate* parameter gradients (gW += …, gb += …) and *overwrite*
 * gradInput; gradInput may be NULL when the caller does not need it. */
#ifndef NOISELAB_NN_H
#define NOISELAB_NN_H
#include <stddef.h>
#include <stdint.h>
#include "noiselab/rng.h"
#include "noiselab/tensor.h"

typedef enum { NL_ACT_NONE = 0, NL_ACT_RELU, NL_ACT_TANH, NL_ACT_SIGMOID, NL_ACT_ELU } nl_act;

/* Geometry of a 2-d convolution or pooling window over NCHW data. */
typedef struct nl_conv_geom {
    int64_t N, C, H, W;   /* input */
    int64_t O;            /* output channels (conv); = C for pooling */
    int64_t kh, kw, sh, sw, ph, pw;
    int64_t Ho, Wo;       /* output plane, filled by nl_conv_geom_init */
} nl_conv_geom;
/* Fills Ho, Wo; NL_ERR_ARG if a size is non-positive or the window does not fit. */
nl_status nl_conv_geom_init(nl_conv_geom *g);

/* Whether nl_nn_linear_forward_* uses its wt scratch for this layer (f32, 16 <= out <= 64,
 * in >= 96, AVX2 with FMA); otherwise wt may be NULL. */
int nl_nn_linear_wants_scratch(nl_dtype dt, int64_t in, int64_t out);

typedef enum { NL_TRUNC_NONE = 0, NL_TRUNC_NORM, NL_TRUNC_COORD } nl_trunc;
typedef enum { NL_NOISE_GAUSSIAN = 0, NL_NOISE_STABLE, NL_NOISE_PARETO } nl_noise_kind;

#define NL_NN_DECLARE(T, S)                                                                     \
    /* y = x Wᵀ + b (b may be NULL); act applied in place afterwards (fused bias + ReLU).     \
     * wt: scratch of in·out entries (or NULL; see nl_nn_linear_wants_scratch) that lets the   \
     * f32 kernel for narrow layers run without packing; equal to the GEMM up to rounding. */  \
    void nl_nn_linear_forward_##S(const T *x, T *y, const T *W, const T *b, T *wt, int64_t n,  \
                                  int64_t in, int64_t out, nl_act act, double alpha);          \
    /* gx = gy W (if gx), gW += gyᵀ x, gb += Σ_rows gy (if gb). */                              \
    void nl_nn_linear_backward_##S(const T *x, const T *gy, T *gx, const T *W, T *gW, T *gb,   \
                                   int64_t n, int64_t in, int64_t out);                        \
    void nl_nn_act_forward_##S(nl_act act, const T *x, T *y, int64_t n, double alpha);        \
    /* needs x for ReLU/ELU and y for Tanh/Sigmoid/ELU; gx may alias gy. */                    \
    void nl_nn_act_backward_##S(nl_act act, const T *x, const T *y, const T *gy, T *gx,       \
                                int64_t n, double alpha);                                      \
    /* Softmax cross-entropy.  per_sample[i] = −log softmax(z_i)[label_i]; returns            \
     * NL_ERR_ARG with *bad = 0-based row of the first label that is not an integer in         \
     * 1..C.  *sum = Σ per_sample (accumulated in double). */                                  \
    nl_status nl_nn_xent_forward_##S(const T *z, const void *labels, nl_dtype ldt,             \
                                     T *per_sample, int64_t n, int64_t C, double *sum,         \
                                     int64_t *bad);                                            \
    /* gz = scale (softmax(z) − onehot(label)). */                                             \
    nl_status nl_nn_xent_backward_##S(const T *z, const void *labels, nl_dtype ldt, T *gz,     \
                                      int64_t n, int64_t C, double scale, int64_t *bad);       \
    /* Σ (x − t)² over the n·d entries; per_sample[i] = Σ_j (x_ij − t_ij)² (if not NULL). */ \
    double nl_nn_mse_forward_##S(const T *x, const T *t, T *per_sample, int64_t n, int64_t d); \
    /* gx = 2 scale (x − t). */                                                                 \
    void nl_nn_mse_backward_##S(const T *x, const T *t, T *gx, int64_t count, double scale);   \
    /* cols has (C·kh·kw + O)·N·Ho·Wo entries: the im2col matrix [C·kh·kw, N·Ho·Wo] of the     \
     * batch (kept for the weight gradient), then scratch [O, N·Ho·Wo]. */                     \
    void nl_nn_conv2d_forward_##S(const T *x, T *y, const T *W, const T *b, T *cols,           \
                                  const nl_conv_geom *g);                                      \
    /* cols from the forward pass (its scratch part is reused); gcols [C·kh·kw, N·Ho·Wo] is    \
     * scratch, needed only when gx is wanted (gx may be NULL). */                             \
    void nl_nn_conv2d_backward_##S(const T *gy, T *gx, const T *W, T *gW, T *gb, T *cols,      \
                                   T *gcols, const nl_conv_geom *g);                           \
    void nl_nn_maxpool2d_forward_##S(const T *x, T *y, int32_t *idx, const nl_conv_geom *g);   \
    void nl_nn_maxpool2d_backward_##S(const T *gy, T *gx, const int32_t *idx,                  \
                                      const nl_conv_geom *g);                                  \
    /* Dropout mask: m_i = 1/(1−p) with probability 1−p, else 0 (one uniform per entry). */    \
    void nl_nn_dropout_mask_##S(nl_rng *rng, T *m, int64_t n, double p);                       \
    /* e_i = mean + sd·N(0,1). */                                                               \
    void nl_nn_normal_fill_##S(nl_rng *rng, T *e, int64_t n, double mean, double sd);          \
    void nl_nn_mul_##S(const T *a, const T *b, T *out, int64_t n);                             \
    void nl_nn_add_##S(const T *a, const T *b, T *out, int64_t n);                             \
    /* Copy the [n, d] rows of x M times one after the other into out [M·n, d]. */             \
    void nl_nn_tile_##S(const T *x, T *out, int64_t count, int64_t M);                        \
    /* ---- optimizers over the flat parameter vector ---- */                                  \
    /* PyTorch SGD in one pass: d = g + wd p; buf = mom buf + (1 − damp) d (buf = d on the    \
     * first step); d = nesterov ? d + mom buf : buf; p −= lr d.  buf may be NULL if mom = 0. */ \
    void nl_nn_sgd_step_##S(T *p, const T *g, T *buf, int64_t n, double lr, double mom,         \
                            double damp, double wd, int nesterov, int first);                  \
    /* PyTorch Adam (L2 weight decay added to the gradient), t = step number from 1. */        \
    void nl_nn_adam_step_##S(T *p, const T *g, T *m, T *v, int64_t n, double lr, double b1,    \
                             double b2, double eps, double wd, int64_t t);                     \
    /* The same update split for modifiers, on a scratch direction d:                          \
     * prepare: d = g + wd p;  sgd_dir/adam_dir: d becomes the step (lr included);            \
     * truncate: φ_b;  apply: p −= d. */                                                       \
    void nl_nn_opt_prepare_##S(const T *p, const T *g, T *d, int64_t n, double wd);            \
    void nl_nn_sgd_dir_##S(T *d, T *buf, int64_t n, double lr, double mom, double damp,        \
                           int nesterov, int first);                                           \
    void nl_nn_adam_dir_##S(T *d, T *m, T *v, int64_t n, double lr, double b1, double b2,      \
                            double eps, int64_t t);                                            \
    /* Returns the step norm before truncation. */                                             \
    double nl_nn_truncate_##S(T *d, int64_t n, nl_trunc mode, double b);                       \
    void nl_nn_apply_step_##S(T *p, const T *d, int64_t n);                                    \
    /* d −= Z with Z i.i.d. per coordinate (isotropic = 0) or a rotation-invariant vector      \
     * (isotropic = 1): Gaussian N(0, scale²); symmetric α-stable S1(α, 0, scale) (isotropic: \
     * sub-Gaussian, E e^{i<θ,Z>} = exp(−scale^α |θ|^α)); symmetric Pareto P(|Z|>z) =        \
     * (z/scale)^−α (isotropic: Pareto radius, uniform direction). */                          \
    void nl_nn_noise_sub_##S(nl_rng *rng, T *d, int64_t n, nl_noise_kind kind, double alpha,   \
                             double scale, int isotropic);

NL_NN_DECLARE(float, f32)
NL_NN_DECLARE(double, f64)
#undef NL_NN_DECLARE

#endif
