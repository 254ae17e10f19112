/* Vectorised exp, log and tanh over contiguous arrays through SLEEF (Shibata & Petrogalli,
 * "SLEEF: A Portable Vectorized Library of C Standard Mathematical Functions", IEEE TPDS 2020),
 * whose u10 functions are within 1.0 ulp, like glibc's scalar libm.  The ISA (AVX-512F, AVX2,
 * or the scalar libm fallback) is chosen once at run time.  `make bench`, exp on 1e7 doubles:
 * libm 207 M/s, SLEEF: see docs/performance.md.  Results can differ in the last bit between
 * ISAs, hence "bit-identical on the same machine and build". */
#include "noiselab/vecmath.h"
#include "vecmath_impl.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum { ISA_SCALAR, ISA_AVX2, ISA_AVX512 } isa_t;

/* NOISELAB_ISA=avx2 or =scalar caps the instruction set (read once), so that the specs can run
 * every code path on one machine. */
static int isa_cap(void)
{
    static int cap = -1;
    if (cap < 0) {
        const char *e = getenv("NOISELAB_ISA");
        cap = !e ? ISA_AVX512 : !strcmp(e, "scalar") ? ISA_SCALAR : !strcmp(e, "avx2") ? ISA_AVX2 : ISA_AVX512;
    }
    return cap;
}

int nl_cpu_avx2(void)
{
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = isa_cap() >= ISA_AVX2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return cached;
}

int nl_cpu_avx512(void)
{
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = isa_cap() >= ISA_AVX512 && __builtin_cpu_supports("avx512f");
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
