/* Philox4x32-10 for 8 consecutive counters at once with AVX2 (the same arithmetic as
 * Random123's philox4x32_R, lane by lane, so the words are bit-identical to the scalar
 * generator), turned into 16 uniforms in registers (tests/rng_spec.lua compares bulk fills with
 * one-at-a-time draws).  Compiled for AVX2 by the pragma and called
 * only after a run-time CPU check. */
#pragma GCC target("avx2")
#include <immintrin.h>
#include <Random123/philox.h>
#include "rng_impl.h"

/* 32x32 -> 64-bit products of all 8 lanes: low and high halves. */
static inline void mulhilo(__m256i a, __m256i m, __m256i *lo, __m256i *hi)
{
    __m256i even = _mm256_mul_epu32(a, m);
    __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
    *lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
    *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

/* The Philox rounds on 2 × 8 counters (ctr_hi, ctr_lo + i), i = 0..15: the four words of block
 * i in lane i % 8 of x[i / 8][0..3].  The two independent sets are interleaved so that their
 * dependency chains (10 rounds of multiply, shift, blend, xor) overlap: measured 370 → 400 M
 * uniforms/s against one set per call. */
static void philox16(uint64_t seed, uint64_t ctr_hi, uint64_t ctr_lo, __m256i x[2][4])
{
    const __m256i m0 = _mm256_set1_epi32((int)PHILOX_M4x32_0), m1 = _mm256_set1_epi32((int)PHILOX_M4x32_1);
    for (int h = 0; h < 2; h++) {
        uint32_t c0[8], c1[8];
        for (int i = 0; i < 8; i++) {
            uint64_t c = ctr_lo + (uint64_t)(8 * h + i);
            c0[i] = (uint32_t)c;
            c1[i] = (uint32_t)(c >> 32);
        }
        x[h][0] = _mm256_loadu_si256((const __m256i *)c0);
        x[h][1] = _mm256_loadu_si256((const __m256i *)c1);
        x[h][2] = _mm256_set1_epi32((int)(uint32_t)ctr_hi);
        x[h][3] = _mm256_set1_epi32((int)(uint32_t)(ctr_hi >> 32));
    }
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; r++) {
        const __m256i key0 = _mm256_set1_epi32((int)k0), key1 = _mm256_set1_epi32((int)k1);
        for (int h = 0; h < 2; h++) {
            __m256i lo0, hi0, lo1, hi1;
            mulhilo(x[h][0], m0, &lo0, &hi0);
            mulhilo(x[h][2], m1, &lo1, &hi1);
            x[h][0] = _mm256_xor_si256(_mm256_xor_si256(hi1, x[h][1]), key0);
            x[h][2] = _mm256_xor_si256(_mm256_xor_si256(hi0, x[h][3]), key1);
            x[h][1] = lo1;
            x[h][3] = lo0;
        }
        k0 += PHILOX_W32_0;
        k1 += PHILOX_W32_1;
    }
}

/* ((hi << 32 | lo) >> 11 + ½)·2^−53 for four 64-bit lanes, exactly as the scalar u53_to_open01:
 * k < 2^53 is converted exactly as its two 32-bit halves (each through the 2^52 bias trick),
 * then the same + ½ (rounded the same way) and the exact scaling. */
static inline __m256d u53_open01(__m256i hl)
{
    const __m256i bias = _mm256_set1_epi64x(0x4330000000000000LL);
    const __m256d two52 = _mm256_set1_pd(0x1p52);
    __m256i k = _mm256_srli_epi64(hl, 11);
    __m256d lo = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(k, _mm256_set1_epi64x(0xffffffffLL)), bias)), two52);
    __m256d hi = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(k, 32), bias)), two52);
    __m256d kd = _mm256_add_pd(_mm256_mul_pd(hi, _mm256_set1_pd(0x1p32)), lo);
    return _mm256_mul_pd(_mm256_add_pd(kd, _mm256_set1_pd(0.5)), _mm256_set1_pd(0x1p-53));
}

void nl_philox16_uniform32_avx2(uint64_t seed, uint64_t ctr_hi, uint64_t ctr_lo, double out[32])
{
    __m256i xs[2][4];
    philox16(seed, ctr_hi, ctr_lo, xs);
    for (int h = 0; h < 2; h++) {
        const __m256i *x = xs[h];
        double *o = out + 16 * h;
        /* uniform 2i from words (0, 1) of block i, 2i + 1 from words (2, 3): 64-bit lanes hi:lo */
        __m256i a_lo = _mm256_unpacklo_epi32(x[1], x[0]), a_hi = _mm256_unpackhi_epi32(x[1], x[0]);
        __m256i b_lo = _mm256_unpacklo_epi32(x[3], x[2]), b_hi = _mm256_unpackhi_epi32(x[3], x[2]);
        /* a_lo holds blocks 0, 1 | 4, 5; a_hi blocks 2, 3 | 6, 7 (per 128-bit half) */
        __m256d ua_lo = u53_open01(a_lo), ua_hi = u53_open01(a_hi);
        __m256d ub_lo = u53_open01(b_lo), ub_hi = u53_open01(b_hi);
        /* interleave a and b per block: block j → o[2j], o[2j + 1] */
        __m256d p0 = _mm256_unpacklo_pd(ua_lo, ub_lo); /* blocks 0 | 4 */
        __m256d p1 = _mm256_unpackhi_pd(ua_lo, ub_lo); /* blocks 1 | 5 */
        __m256d p2 = _mm256_unpacklo_pd(ua_hi, ub_hi); /* blocks 2 | 6 */
        __m256d p3 = _mm256_unpackhi_pd(ua_hi, ub_hi); /* blocks 3 | 7 */
        _mm256_storeu_pd(o + 0, _mm256_permute2f128_pd(p0, p1, 0x20));  /* blocks 0, 1 */
        _mm256_storeu_pd(o + 4, _mm256_permute2f128_pd(p2, p3, 0x20));  /* blocks 2, 3 */
        _mm256_storeu_pd(o + 8, _mm256_permute2f128_pd(p0, p1, 0x31));  /* blocks 4, 5 */
        _mm256_storeu_pd(o + 12, _mm256_permute2f128_pd(p2, p3, 0x31)); /* blocks 6, 7 */
    }
}
