/* Vectorised exp, log and tanh over contiguous arrays through SLEEF (Shibata & Petrogalli,
 * "SLEEF: A Portable Vectorized Library of C Standard Mathematical Functions", IEEE TPDS 2020),
 * whose u10 functions are within 1.0 ulp, like glibc's scalar libm.  The ISA (AVX-512F, AVX2,
 * or the scalar libm fallback) is chosen once at run time.  `make bench`, exp on 1e7 doubles:
 * libm 207 M/s, SLEEF: see docs/performance.md.  Results can differ in the last bit between
 * ISAs, hence "bit-identical on the same machine and build". */
#include "noiselab/vecmath.h"
#include "vecmath_impl.h"
#include <math.h>

typedef enum { ISA_SCALAR, ISA_AVX2, ISA_AVX512 } isa_t;

int nl_cpu_avx2(void)
{
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return cached;
}

int nl_cpu_avx512(void)
{
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f");
    }
    return cached;
}

static isa_t detect(void)
{
    return nl_cpu_avx512() ? ISA_AVX512 : nl_cpu_avx2() ? ISA_AVX2 : ISA_SCALAR;
}

#define DISPATCH(NAME, T, FN, SCALAR)                                  \
    void NAME(const T *x, T *y, size_t n)                              \
    {                                                                  \
        switch (detect()) {                                            \
        case ISA_AVX512: FN##_avx512(x, y, n); return;                 \
        case ISA_AVX2: FN##_avx2(x, y, n); return;                     \
        default:                                                       \
            for (size_t i = 0; i < n; i++) y[i] = SCALAR(x[i]);        \
        }                                                              \
    }

DISPATCH(nl_vexp_f64, double, nl_exp_d, exp)
DISPATCH(nl_vlog_f64, double, nl_log_d, log)
DISPATCH(nl_vtanh_f64, double, nl_tanh_d, tanh)
DISPATCH(nl_vexp_f32, float, nl_exp_f, expf)
DISPATCH(nl_vlog_f32, float, nl_log_f, logf)
DISPATCH(nl_vtanh_f32, float, nl_tanh_f, tanhf)
