/* Internal: the V* vector macros of the SIMD kernel templates (stable_simd.h, rng_simd.h) for
 * AVX2 + FMA (4 lanes).  Include after the target pragma, <immintrin.h> and <sleef.h>. */
#ifndef NOISELAB_SIMD_AVX2_H
#define NOISELAB_SIMD_AVX2_H
#define VD __m256d
#define VM __m256d
#define VW 4
#define SIMD_NAME(f) f##_avx2
#define VSET _mm256_set1_pd
#define VLOAD _mm256_loadu_pd
#define VSTORE _mm256_storeu_pd
#define VADD _mm256_add_pd
#define VSUB _mm256_sub_pd
#define VMUL _mm256_mul_pd
#define VDIV _mm256_div_pd
#define VFMA _mm256_fmadd_pd
#define VFNMA _mm256_fnmadd_pd
#define VFMS _mm256_fmsub_pd
#define VMAX _mm256_max_pd
#define VMIN _mm256_min_pd
#define VNEG(x) _mm256_xor_pd((x), _mm256_set1_pd(-0.0))
#define VABS(x) _mm256_andnot_pd(_mm256_set1_pd(-0.0), (x))
#define VLT(a, b) _mm256_cmp_pd((a), (b), _CMP_LT_OQ)
#define VGT(a, b) _mm256_cmp_pd((a), (b), _CMP_GT_OQ)
#define VMAND _mm256_and_pd
#define VSEL(m, yes, no) _mm256_blendv_pd((no), (yes), (m))
#define VANY(m) (_mm256_movemask_pd(m) != 0)
#define VKEEP(m, v) _mm256_and_pd((m), (v))
#define VSIN35 Sleef_sind4_u35avx2
#define VCOS35 Sleef_cosd4_u35avx2
#define VSINCOS35(arg, s, c)                          \
    do {                                            \
        Sleef___m256d_2 sc_ = Sleef_sincosd4_u35avx2(arg); \
        (s) = sc_.x;                                \
        (c) = sc_.y;                                \
    } while (0)
#define VLOG35 Sleef_logd4_u35avx2
#define VEXP Sleef_expd4_u10avx2
#define VEXPM1 Sleef_expm1d4_u10avx2
#define VSIN Sleef_sind4_u10avx2
#define VLOG Sleef_logd4_u10avx2
#define VSQRT _mm256_sqrt_pd
#define VSINCOS(arg, s, c)                          \
    do {                                            \
        Sleef___m256d_2 sc_ = Sleef_sincosd4_u10avx2(arg); \
        (s) = sc_.x;                                \
        (c) = sc_.y;                                \
    } while (0)
#define VLOG1P Sleef_log1pd4_u10avx2
#endif
