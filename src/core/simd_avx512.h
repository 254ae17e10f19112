/* Internal: the V* vector macros of the SIMD kernel templates (stable_simd.h, rng_simd.h) for
 * AVX-512F (8 lanes).  Include after the target pragma, <immintrin.h> and <sleef.h>. */
#ifndef NOISELAB_SIMD_AVX512_H
#define NOISELAB_SIMD_AVX512_H
#define VD2 Sleef___m512d_2 /* SLEEF's pair of vectors (sincos) */
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
#define VSINCOS35_FN Sleef_sincosd8_u35avx512f
#define VLOG35 Sleef_logd8_u10avx512f
#define VEXP Sleef_expd8_u10avx512f
#define VEXPM1 Sleef_expm1d8_u10avx512f
#define VSIN Sleef_sind8_u10avx512f
#define VLOG Sleef_logd8_u10avx512f
#define VSQRT _mm512_sqrt_pd
#define VSINCOS_FN Sleef_sincosd8_u10avx512f
#define VLOG1P Sleef_log1pd8_u10avx512f/* 32-bit integer lanes (2·VW of them) for Philox */
#define VI __m512i
#define VI_LOADU(p) _mm512_loadu_si512(p)
#define VI_SET32(x) _mm512_set1_epi32((int)(x))
#define VI_SET64(x) _mm512_set1_epi64((long long)(x))
#define VI_MULU32 _mm512_mul_epu32
#define VI_SRL64 _mm512_srli_epi64
#define VI_SLL64 _mm512_slli_epi64
#define VI_BLEND_ODD32(a, b) _mm512_mask_blend_epi32(0xAAAA, (a), (b)) /* odd 32-bit lanes from b */
#define VI_XOR _mm512_xor_si512
#define VI_AND _mm512_and_si512
#define VI_OR _mm512_or_si512
#define VI_UNPACKLO32 _mm512_unpacklo_epi32
#define VI_UNPACKHI32 _mm512_unpackhi_epi32
#define VI_AS_PD _mm512_castsi512_pd
#define VUNPACKLO _mm512_unpacklo_pd
#define VUNPACKHI _mm512_unpackhi_pd
/* p0..p3 hold, per 128-bit lane q, the pairs of blocks 4q, 4q+1, 4q+2, 4q+3: store all blocks
 * in order, block j at o[2j], o[2j + 1] */
#define VSTORE_BLOCKS(o, p0, p1, p2, p3)                                       \
    do {                                                                       \
        __m512d t0_ = _mm512_shuffle_f64x2(p0, p1, 0x44);                      \
        __m512d t1_ = _mm512_shuffle_f64x2(p2, p3, 0x44);                      \
        __m512d t2_ = _mm512_shuffle_f64x2(p0, p1, 0xEE);                      \
        __m512d t3_ = _mm512_shuffle_f64x2(p2, p3, 0xEE);                      \
        _mm512_storeu_pd((o) + 0, _mm512_shuffle_f64x2(t0_, t1_, 0x88));       \
        _mm512_storeu_pd((o) + 8, _mm512_shuffle_f64x2(t0_, t1_, 0xDD));       \
        _mm512_storeu_pd((o) + 16, _mm512_shuffle_f64x2(t2_, t3_, 0x88));      \
        _mm512_storeu_pd((o) + 24, _mm512_shuffle_f64x2(t2_, t3_, 0xDD));      \
    } while (0)
#include "simd_common.h"
#endif
