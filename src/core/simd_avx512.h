/* Internal: the V* vector macros of the SIMD kernel templates (stable_simd.h, rng_simd.h) for
 * AVX-512F (8 lanes).  Include after the target pragma, <immintrin.h> and <sleef.h>. */
#ifndef NOISELAB_SIMD_AVX512_H
#define NOISELAB_SIMD_AVX512_H
#define VD __m512d
#define VM __mmask8
#define VW 8
#define SIMD_NAME(f) f##_avx512
#define VSET _mm512_set1_pd
#define VLOAD _mm512_loadu_pd
#define VSTORE _mm512_storeu_pd
#define VADD _mm512_add_pd
#define VSUB _mm512_sub_pd
#define VMUL _mm512_mul_pd
#define VDIV _mm512_div_pd
#define VFMA _mm512_fmadd_pd
#define VFNMA _mm512_fnmadd_pd
#define VFMS _mm512_fmsub_pd
#define VMAX _mm512_max_pd
#define VMIN _mm512_min_pd
#define VNEG(x) _mm512_castsi512_pd(_mm512_xor_si512(_mm512_castpd_si512(x), _mm512_set1_epi64((long long)0x8000000000000000ULL)))
#define VABS(x) _mm512_castsi512_pd(_mm512_and_si512(_mm512_castpd_si512(x), _mm512_set1_epi64(0x7fffffffffffffffLL)))
#define VLT(a, b) _mm512_cmp_pd_mask((a), (b), _CMP_LT_OQ)
#define VGT(a, b) _mm512_cmp_pd_mask((a), (b), _CMP_GT_OQ)
#define VMAND(a, b) ((__mmask8)((a) & (b)))
#define VSEL(m, yes, no) _mm512_mask_blend_pd((m), (no), (yes))
#define VANY(m) ((m) != 0)
#define VKEEP(m, v) _mm512_maskz_mov_pd((m), (v))
#define VSIN35 Sleef_sind8_u35avx512f
#define VCOS35 Sleef_cosd8_u35avx512f
#define VSINCOS35(arg, s, c)                             \
    do {                                               \
        Sleef___m512d_2 sc_ = Sleef_sincosd8_u35avx512f(arg); \
        (s) = sc_.x;                                   \
        (c) = sc_.y;                                   \
    } while (0)
#define VLOG35 Sleef_logd8_u10avx512f
#define VEXP Sleef_expd8_u10avx512f
#define VEXPM1 Sleef_expm1d8_u10avx512f
#define VSIN Sleef_sind8_u10avx512f
#define VLOG Sleef_logd8_u10avx512f
#define VSQRT _mm512_sqrt_pd
#define VSINCOS(arg, s, c)                          \
    do {                                            \
        Sleef___m512d_2 sc_ = Sleef_sincosd8_u10avx512f(arg); \
        (s) = sc_.x;                                \
        (c) = sc_.y;                                \
    } while (0)
#define VLOG1P Sleef_log1pd8_u10avx512f
#endif
