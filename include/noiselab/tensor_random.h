/* Random fills of tensors from an explicit generator (see rng.h). */
#ifndef NOISELAB_TENSOR_RANDOM_H
#define NOISELAB_TENSOR_RANDOM_H
#include "noiselab/rng.h"
#include "noiselab/tensor.h"

void nl_fill_uniform(const nl_tensor *t, nl_rng *g, double a, double b);
void nl_fill_normal(const nl_tensor *t, nl_rng *g, double mean, double std);
void nl_fill_exponential(const nl_tensor *t, nl_rng *g, double rate);
/* Integers uniform on [lo, hi] inclusive. */
void nl_fill_integers(const nl_tensor *t, nl_rng *g, int64_t lo, int64_t hi);
void nl_fill_permutation(const nl_tensor *t, nl_rng *g, int one_based);
#endif
