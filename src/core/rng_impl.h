/* Internal to rng*.c: the vectorised Philox block generator. */
#ifndef NOISELAB_RNG_IMPL_H
#define NOISELAB_RNG_IMPL_H
#include <stddef.h>
#include <stdint.h>

/* The Philox blocks for counters (ctr_hi, ctr_lo + i), i < NL_PHILOX_BLOCKS_<ISA>, as uniforms on
 * (0, 1) (rng_simd.h): block i gives out[2i] (words 0, 1) and out[2i + 1] (words 2, 3),
 * bit-identical to the scalar path. */
#define NL_PHILOX_BLOCKS_AVX2 16
#define NL_PHILOX_BLOCKS_AVX512 32
void nl_philox_uniforms_avx2(uint64_t seed, uint64_t ctr_hi, uint64_t ctr_lo, double *out);
void nl_philox_uniforms_avx512(uint64_t seed, uint64_t ctr_hi, uint64_t ctr_lo, double *out);
/* Box–Muller on arrays (rng_simd.h): z0[i], z1[i] from u1[i], u2[i].  Only call the _avx2 one
 * if the CPU has AVX2+FMA, the _avx512 one if it has AVX-512F. */
void nl_box_muller_avx2(const double *u1, const double *u2, double *z0, double *z1, size_t n);
void nl_box_muller_avx512(const double *u1, const double *u2, double *z0, double *z1, size_t n);
#endif
