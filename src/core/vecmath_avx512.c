/* AVX-512F loops of vecmath.c (SLEEF u10: <= 1.0 ulp). */
#pragma GCC target("avx512f")
#include <immintrin.h>
#include <sleef.h>
#include "vecmath_impl.h"

NL_VEC_LOOP(nl_exp_d_avx512, double, 8, _mm512_loadu_pd, _mm512_storeu_pd, Sleef_expd8_u10avx512f)
NL_VEC_LOOP(nl_log_d_avx512, double, 8, _mm512_loadu_pd, _mm512_storeu_pd, Sleef_logd8_u10avx512f)
NL_VEC_LOOP(nl_tanh_d_avx512, double, 8, _mm512_loadu_pd, _mm512_storeu_pd, Sleef_tanhd8_u10avx512f)
NL_VEC_LOOP(nl_exp_f_avx512, float, 16, _mm512_loadu_ps, _mm512_storeu_ps, Sleef_expf16_u10avx512f)
NL_VEC_LOOP(nl_log_f_avx512, float, 16, _mm512_loadu_ps, _mm512_storeu_ps, Sleef_logf16_u10avx512f)
NL_VEC_LOOP(nl_tanh_f_avx512, float, 16, _mm512_loadu_ps, _mm512_storeu_ps, Sleef_tanhf16_u10avx512f)
