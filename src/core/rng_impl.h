/* Internal to rng*.c: the vectorised Philox block generator. */
#ifndef NOISELAB_RNG_IMPL_H
#define NOISELAB_RNG_IMPL_H
#include <stdint.h>

/* Blocks for counters (ctr_hi, ctr_lo + i), i = 0..7, block i in out[4i .. 4i+3]. */
void nl_philox8_avx2(uint64_t seed, uint64_t ctr_hi, uint64_t ctr_lo, uint32_t out[32]);
#endif
