/* AVX2 + FMA loops of vecmath.c (SLEEF u10: <= 1.0 ulp). */
#pragma GCC target("avx2,fma")
#include <immintrin.h>
#include <sleef.h>
#include "vecmath_impl.h"

NL_VEC_LOOP(nl_exp_d_avx2, double, 4, _mm256_loadu_pd, _mm256_storeu_pd, Sleef_expd4_u10avx2)
NL_VEC_LOOP(nl_log_d_avx2, double, 4, _mm256_loadu_pd, _mm256_storeu_pd, Sleef_logd4_u10avx2)
NL_VEC_LOOP(nl_tanh_d_avx2, double, 4, _mm256_loadu_pd, _mm256_storeu_pd, Sleef_tanhd4_u10avx2)
NL_VEC_LOOP(nl_exp_f_avx2, float, 8, _mm256_loadu_ps, _mm256_storeu_ps, Sleef_expf8_u10avx2)
NL_VEC_LOOP(nl_log_f_avx2, float, 8, _mm256_loadu_ps, _mm256_storeu_ps, Sleef_logf8_u10avx2)
NL_VEC_LOOP(nl_tanh_f_avx2, float, 8, _mm256_loadu_ps, _mm256_storeu_ps, Sleef_tanhf8_u10avx2)
