/* Internal to rng*.c: the vectorised Philox block generator. */
#ifndef NOISELAB_RNG_IMPL_H
#define NOISELAB_RNG_IMPL_H
#include <stdint.h>

/* The blocks for counters (ctr_hi, ctr_lo + i), i = 0..7, as 16 uniforms on (0, 1): block i
 * gives out[2i] (words 0, 1) and out[2i + 1] (words 2, 3), bit-identical to the scalar path. */
void nl_philox8_uniform16_avx2(uint64_t seed, uint64_t ctr_hi, uint64_t ctr_lo, double out[16]);
#endif
