/* Random fills of tensors.  Values are drawn in double in row-major element order (whatever
 * the strides), so the same generator state gives the same numbers for a contiguous tensor,
 * a transposed one, an f32 one (then rounded) or several smaller fills of the same total. */
#include "noiselab/tensor.h"
#include "noiselab/rng.h"
#include "noiselab/tensor_random.h"

typedef void (*fill_fn)(nl_rng *g, double *out, size_t n);

static void fill_with(const nl_tensor *t, nl_rng *g, fill_fn fn, double scale, double shift)
{
    enum { CHUNK = 1024 };
    double buf[CHUNK];
    int64_t n = nl_numel(t);
    int fast = nl_is_contiguous(t);
    for (int64_t s = 0; s < n; s += CHUNK) {
        int64_t m = n - s < CHUNK ? n - s : CHUNK;
        fn(g, buf, (size_t)m);
        if (fast && t->dtype == NL_F64) {
            double *o = (double *)nl_data(t) + s;
            for (int64_t j = 0; j < m; j++) o[j] = buf[j] * scale + shift;
        } else if (fast) {
            float *o = (float *)nl_data(t) + s;
            for (int64_t j = 0; j < m; j++) o[j] = (float)(buf[j] * scale + shift);
        } else {
            for (int64_t j = 0; j < m; j++) nl_set_flat(t, s + j, buf[j] * scale + shift);
        }
    }
}

void nl_fill_uniform(const nl_tensor *t, nl_rng *g, double a, double b)
{
    fill_with(t, g, nl_rng_uniform_fill, b - a, a);
}

void nl_fill_normal(const nl_tensor *t, nl_rng *g, double mean, double std)
{
    fill_with(t, g, nl_rng_normal_fill, std, mean);
}

void nl_fill_exponential(const nl_tensor *t, nl_rng *g, double rate)
{
    fill_with(t, g, nl_rng_exponential_fill, 1.0 / rate, 0.0);
}

void nl_fill_integers(const nl_tensor *t, nl_rng *g, int64_t lo, int64_t hi)
{
    int64_t n = nl_numel(t);
    uint64_t range = (uint64_t)(hi - lo) + 1;
    for (int64_t i = 0; i < n; i++) nl_set_flat(t, i, (double)(lo + (int64_t)nl_rng_below(g, range)));
}

/* Fisher-Yates (Durstenfeld) shuffle of 0..n-1 into t (1-based values when one_based). */
void nl_fill_permutation(const nl_tensor *t, nl_rng *g, int one_based)
{
    int64_t n = nl_numel(t);
    for (int64_t i = 0; i < n; i++) nl_set_flat(t, i, (double)(i + one_based));
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)nl_rng_below(g, (uint64_t)i + 1);
        double a = nl_get_flat(t, i), b = nl_get_flat(t, j);
        nl_set_flat(t, i, b);
        nl_set_flat(t, j, a);
    }
}
