/* Philox4x32-10 for 2 × 16 consecutive counters at once with AVX-512F: the same arithmetic as
 * rng_avx2.c with sixteen lanes per register, turned into 64 uniforms in registers, bit-identical
 * to the scalar generator (tests/rng_spec.lua compares bulk fills with one-at-a-time draws).
 * Compiled for AVX-512F by the pragma and called only after a run-time CPU check. */
#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC target("avx512f")
#include <immintrin.h>
#include <Random123/philox.h>
#include "rng_impl.h"

/* 32x32 -> 64-bit products of all 16 lanes: low and high halves. */
static inline void mulhilo16(__m512i a, __m512i m, __m512i *lo, __m512i *hi)
{
    __m512i even = _mm512_mul_epu32(a, m);
    __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
    *lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
    *hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
}

/* ((hi << 32 | lo) >> 11 + ½)·2^−53 for eight 64-bit lanes, as rng_avx2.c's u53_open01. */
static inline __m512d u53_open01_16(__m512i hl)
{
    const __m512i bias = _mm512_set1_epi64(0x4330000000000000LL);
    const __m512d two52 = _mm512_set1_pd(0x1p52);
    __m512i k = _mm512_srli_epi64(hl, 11);
    __m512d lo = _mm512_sub_pd(_mm512_castsi512_pd(_mm512_or_si512(_mm512_and_si512(k, _mm512_set1_epi64(0xffffffffLL)), bias)), two52);
    __m512d hi = _mm512_sub_pd(_mm512_castsi512_pd(_mm512_or_si512(_mm512_srli_epi64(k, 32), bias)), two52);
    __m512d kd = _mm512_add_pd(_mm512_mul_pd(hi, _mm512_set1_pd(0x1p32)), lo);
    return _mm512_mul_pd(_mm512_add_pd(kd, _mm512_set1_pd(0.5)), _mm512_set1_pd(0x1p-53));
}

void nl_philox32_uniform64_avx512(uint64_t seed, uint64_t ctr_hi, uint64_t ctr_lo, double out[64])
{
    const __m512i m0 = _mm512_set1_epi32((int)PHILOX_M4x32_0), m1 = _mm512_set1_epi32((int)PHILOX_M4x32_1);
    __m512i x[2][4];
    for (int h = 0; h < 2; h++) {
        uint32_t c0[16], c1[16];
        for (int i = 0; i < 16; i++) {
            uint64_t c = ctr_lo + (uint64_t)(16 * h + i);
            c0[i] = (uint32_t)c;
            c1[i] = (uint32_t)(c >> 32);
        }
        x[h][0] = _mm512_loadu_si512(c0);
        x[h][1] = _mm512_loadu_si512(c1);
        x[h][2] = _mm512_set1_epi32((int)(uint32_t)ctr_hi);
        x[h][3] = _mm512_set1_epi32((int)(uint32_t)(ctr_hi >> 32));
    }
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; r++) {
        const __m512i key0 = _mm512_set1_epi32((int)k0), key1 = _mm512_set1_epi32((int)k1);
        for (int h = 0; h < 2; h++) {
            __m512i lo0, hi0, lo1, hi1;
            mulhilo16(x[h][0], m0, &lo0, &hi0);
            mulhilo16(x[h][2], m1, &lo1, &hi1);
            x[h][0] = _mm512_xor_si512(_mm512_xor_si512(hi1, x[h][1]), key0);
            x[h][2] = _mm512_xor_si512(_mm512_xor_si512(hi0, x[h][3]), key1);
            x[h][1] = lo1;
            x[h][3] = lo0;
        }
        k0 += PHILOX_W32_0;
        k1 += PHILOX_W32_1;
    }
    for (int h = 0; h < 2; h++) {
        double *o = out + 32 * h;
        /* uniform 2i from words (0, 1) of block i, 2i + 1 from words (2, 3): 64-bit lanes
         * hi:lo; per 128-bit lane q, a_lo holds blocks 4q, 4q+1 and a_hi blocks 4q+2, 4q+3 */
        __m512d ua_lo = u53_open01_16(_mm512_unpacklo_epi32(x[h][1], x[h][0]));
        __m512d ua_hi = u53_open01_16(_mm512_unpackhi_epi32(x[h][1], x[h][0]));
        __m512d ub_lo = u53_open01_16(_mm512_unpacklo_epi32(x[h][3], x[h][2]));
        __m512d ub_hi = u53_open01_16(_mm512_unpackhi_epi32(x[h][3], x[h][2]));
        __m512d p0 = _mm512_unpacklo_pd(ua_lo, ub_lo); /* blocks 0 | 4 | 8 | 12 */
        __m512d p1 = _mm512_unpackhi_pd(ua_lo, ub_lo); /* blocks 1 | 5 | 9 | 13 */
        __m512d p2 = _mm512_unpacklo_pd(ua_hi, ub_hi); /* blocks 2 | 6 | 10 | 14 */
        __m512d p3 = _mm512_unpackhi_pd(ua_hi, ub_hi); /* blocks 3 | 7 | 11 | 15 */
        __m512d t0 = _mm512_shuffle_f64x2(p0, p1, 0x44), t1 = _mm512_shuffle_f64x2(p2, p3, 0x44);
        __m512d t2 = _mm512_shuffle_f64x2(p0, p1, 0xEE), t3 = _mm512_shuffle_f64x2(p2, p3, 0xEE);
        _mm512_storeu_pd(o + 0, _mm512_shuffle_f64x2(t0, t1, 0x88));  /* blocks 0..3 */
        _mm512_storeu_pd(o + 8, _mm512_shuffle_f64x2(t0, t1, 0xDD));  /* blocks 4..7 */
        _mm512_storeu_pd(o + 16, _mm512_shuffle_f64x2(t2, t3, 0x88)); /* blocks 8..11 */
        _mm512_storeu_pd(o + 24, _mm512_shuffle_f64x2(t2, t3, 0xDD)); /* blocks 12..15 */
    }
}
#endif
