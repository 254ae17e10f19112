/* Philox4x32-10 for 8 consecutive counters at once with AVX2 (the same arithmetic as
 * Random123's philox4x32_R, lane by lane, so the words are bit-identical to the scalar
 * generator; tests/rng_spec.lua compares both).  Compiled for AVX2 by the pragma and called
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

void nl_philox8_avx2(uint64_t seed, uint64_t ctr_hi, uint64_t ctr_lo, uint32_t out[32])
{
    uint32_t c0[8], c1[8];
    for (int i = 0; i < 8; i++) {
        uint64_t c = ctr_lo + (uint64_t)i;
        c0[i] = (uint32_t)c;
        c1[i] = (uint32_t)(c >> 32);
    }
    __m256i x0 = _mm256_loadu_si256((const __m256i *)c0);
    __m256i x1 = _mm256_loadu_si256((const __m256i *)c1);
    __m256i x2 = _mm256_set1_epi32((int)(uint32_t)ctr_hi);
    __m256i x3 = _mm256_set1_epi32((int)(uint32_t)(ctr_hi >> 32));
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    const __m256i m0 = _mm256_set1_epi32((int)PHILOX_M4x32_0), m1 = _mm256_set1_epi32((int)PHILOX_M4x32_1);
    for (int r = 0; r < 10; r++) {
        __m256i lo0, hi0, lo1, hi1;
        mulhilo(x0, m0, &lo0, &hi0);
        mulhilo(x2, m1, &lo1, &hi1);
        __m256i y0 = _mm256_xor_si256(_mm256_xor_si256(hi1, x1), _mm256_set1_epi32((int)k0));
        __m256i y2 = _mm256_xor_si256(_mm256_xor_si256(hi0, x3), _mm256_set1_epi32((int)k1));
        x0 = y0;
        x1 = lo1;
        x2 = y2;
        x3 = lo0;
        k0 += PHILOX_W32_0;
        k1 += PHILOX_W32_1;
    }
    uint32_t w[4][8];
    _mm256_storeu_si256((__m256i *)w[0], x0);
    _mm256_storeu_si256((__m256i *)w[1], x1);
    _mm256_storeu_si256((__m256i *)w[2], x2);
    _mm256_storeu_si256((__m256i *)w[3], x3);
    for (int i = 0; i < 8; i++)
        for (int k = 0; k < 4; k++) out[4 * i + k] = w[k][i];
}
