/* Internal: the V* vector macros of the SIMD kernel templates (stable_simd.h, rng_simd.h) for
 * AVX2 + FMA (4 lanes).  Include after the target pragma, <immintrin.h> and <sleef.h>. */
#ifndef NOISELAB_SIMD_AVX2_H
#define NOISELAB_SIMD_AVX2_H
#define VD2 Sleef___m256d_2 /* SLEEF's pair of vectors (sincos) */
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
#define VSINCOS35_FN Sleef_sincosd4_u35avx2
#define VLOG35 Sleef_logd4_u35avx2
#define VEXP Sleef_expd4_u10avx2
#define VEXPM1 Sleef_expm1d4_u10avx2
#define VSIN Sleef_sind4_u10avx2
#define VLOG Sleef_logd4_u10avx2
#define VSQRT _mm256_sqrt_pd
#define VSINCOS_FN Sleef_sincosd4_u10avx2
#define VLOG1P Sleef_log1pd4_u10avx2/* 32-bit integer lanes (2·VW of them) for Philox */
#define VI __m256i
#define VI_LOADU(p) _mm256_loadu_si256((const __m256i *)(p))
#define VI_SET32(x) _mm256_set1_epi32((int)(x))
#define VI_SET64(x) _mm256_set1_epi64x((long long)(x))
#define VI_MULU32 _mm256_mul_epu32
#define VI_SRL64 _mm256_srli_epi64
#define VI_SLL64 _mm256_slli_epi64
#define VI_BLEND_ODD32(a, b) _mm256_blend_epi32((a), (b), 0xAA) /* odd 32-bit lanes from b */
#define VI_XOR _mm256_xor_si256
#define VI_AND _mm256_and_si256
#define VI_OR _mm256_or_si256
#define VI_UNPACKLO32 _mm256_unpacklo_epi32
#define VI_UNPACKHI32 _mm256_unpackhi_epi32
#define VI_AS_PD _mm256_castsi256_pd
#define VUNPACKLO _mm256_unpacklo_pd
#define VUNPACKHI _mm256_unpackhi_pd
/* p0..p3 hold, per 128-bit lane q, the pairs of blocks 4q, 4q+1, 4q+2, 4q+3: store all blocks
 * in order, block j at o[2j], o[2j + 1] */
#define VSTORE_BLOCKS(o, p0, p1, p2, p3)                                  \
    do {                                                                  \
        _mm256_storeu_pd((o) + 0, _mm256_permute2f128_pd(p0, p1, 0x20));  \
        _mm256_storeu_pd((o) + 4, _mm256_permute2f128_pd(p2, p3, 0x20));  \
        _mm256_storeu_pd((o) + 8, _mm256_permute2f128_pd(p0, p1, 0x31));  \
        _mm256_storeu_pd((o) + 12, _mm256_permute2f128_pd(p2, p3, 0x31)); \
    } while (0)
#include "simd_common.h"
#endif
