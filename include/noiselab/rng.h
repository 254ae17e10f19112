/* noiselab random numbers: Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy
 * as 1, 2, 3", SC 2011) through Random123's header-only implementation.
 *
 * A generator is (key, stream, counter).  Every output is a pure function of those three, so
 * any draw is addressable: a stream is an independent, non-overlapping sequence (the stream
 * number occupies the upper 64 bits of the 128-bit counter) and nl_philox_at() gives the block
 * at an arbitrary counter, which is how path-parallel code (SDEs) makes a path's noise depend on
 * (seed, path, step) only.
 *
 * Draws consume a stream of 32-bit words in order; a uniform double takes two words (53 bits),
 * a normal pair takes four (Box-Muller).  Because every sampler consumes words in order, filling
 * 20 values at once gives the same numbers as two fills of 10 (no chunking dependence). */
#ifndef NOISELAB_RNG_H
#define NOISELAB_RNG_H
#include <stddef.h>
#include <stdint.h>

typedef struct nl_rng {
    uint64_t seed;        /* the 64-bit key */
    uint64_t stream;      /* upper half of the counter */
    uint64_t counter;     /* lower half of the counter: blocks produced so far */
    uint32_t buf[4];      /* the current block */
    int pos;              /* next unread word of buf (4 = empty) */
    int has_spare;        /* a cached second normal of a Box-Muller pair */
    double spare;
} nl_rng;

/* The serialisable state (what g:state() returns and g:restore() takes). */
#define NL_RNG_STATE_WORDS 9

void nl_rng_init(nl_rng *g, uint64_t seed, uint64_t stream);
/* One Philox4x32-10 block for (seed, counter hi:lo); pure function, no state. */
void nl_philox_at(uint64_t seed, uint64_t ctr_hi, uint64_t ctr_lo, uint32_t out[4]);

uint32_t nl_rng_u32(nl_rng *g);
uint64_t nl_rng_u64(nl_rng *g);
/* Uniform on the open interval (0, 1): (k + 0.5) 2^-53, never 0 or 1, so log() is safe. */
double nl_rng_uniform(nl_rng *g);
double nl_rng_normal(nl_rng *g);
double nl_rng_exponential(nl_rng *g);
/* Uniform integer in [0, n), unbiased (Lemire's multiply-and-reject). n >= 1. */
uint64_t nl_rng_below(nl_rng *g, uint64_t n);

void nl_rng_uniform_fill(nl_rng *g, double *out, size_t n);
void nl_rng_normal_fill(nl_rng *g, double *out, size_t n);
void nl_rng_exponential_fill(nl_rng *g, double *out, size_t n);

void nl_rng_get_state(const nl_rng *g, uint64_t words[NL_RNG_STATE_WORDS]);
int nl_rng_set_state(nl_rng *g, const uint64_t words[NL_RNG_STATE_WORDS]); /* 0 ok, -1 invalid */

#endif
