/* Internal to vecmath*.c: the per-ISA loops, each file compiled for its own ISA by a pragma
 * and called only after a run-time CPU check (so the binary stays generic x86-64). */
#ifndef NOISELAB_VECMATH_IMPL_H
#define NOISELAB_VECMATH_IMPL_H
#include <stddef.h>

/* Full vectors through FN; the tail (fewer than W values) padded with 1s into one vector. */
#define NL_VEC_LOOP(NAME, T, W, LOAD, STORE, FN)                                  \
    void NAME(const T *x, T *y, size_t n)                                         \
    {                                                                             \
        size_t i = 0;                                                             \
        for (; i + W <= n; i += W) STORE(y + i, FN(LOAD(x + i)));                 \
        if (i < n) {                                                              \
            T buf[W];                                                             \
            for (size_t k = 0; k < W; k++) buf[k] = i + k < n ? x[i + k] : (T)1;  \
            STORE(buf, FN(LOAD(buf)));                                            \
            for (size_t k = 0; i + k < n; k++) y[i + k] = buf[k];                 \
        }                                                                         \
    }

#define NL_VEC_DECLARE(SUFFIX)                                   \
    void nl_exp_d_##SUFFIX(const double *x, double *y, size_t n); \
    void nl_log_d_##SUFFIX(const double *x, double *y, size_t n); \
    void nl_tanh_d_##SUFFIX(const double *x, double *y, size_t n); \
    void nl_exp_f_##SUFFIX(const float *x, float *y, size_t n);    \
    void nl_log_f_##SUFFIX(const float *x, float *y, size_t n);    \
    void nl_tanh_f_##SUFFIX(const float *x, float *y, size_t n);
NL_VEC_DECLARE(avx2)
NL_VEC_DECLARE(avx512)
#endif
