/* Philox4x32-10 generator (Salmon, Moraes, Dror, Shaw, SC 2011) via Random123, with
 * Box-Muller normals and inversion exponentials.  See include/noiselab/rng.h for the
 * addressing scheme.  Validated: the Random123 known-answer vector for philox4x32-10 is checked
 * in tests/rng_spec.lua; moments and KS tests of the samplers there too. */
#include "noiselab/rng.h"
#include "rng_impl.h"
#include "noiselab/vecmath.h"
#include <math.h>
#include <Random123/philox.h>

void nl_philox_at(uint64_t seed, uint64_t ctr_hi, uint64_t ctr_lo, uint32_t out[4])
{
    philox4x32_ctr_t c = {{(uint32_t)ctr_lo, (uint32_t)(ctr_lo >> 32), (uint32_t)ctr_hi,
                           (uint32_t)(ctr_hi >> 32)}};
    philox4x32_key_t k = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
    philox4x32_ctr_t r = philox4x32(c, k);
    out[0] = r.v[0];
    out[1] = r.v[1];
    out[2] = r.v[2];
    out[3] = r.v[3];
}

void nl_rng_init(nl_rng *g, uint64_t seed, uint64_t stream)
{
    g->seed = seed;
    g->stream = stream;
    g->counter = 0;
    g->pos = 4;
    g->has_spare = 0;
    g->spare = 0.0;
    g->buf[0] = g->buf[1] = g->buf[2] = g->buf[3] = 0;
}

static void refill(nl_rng *g)
{
    nl_philox_at(g->seed, g->stream, g->counter, g->buf);
    g->counter++;
    g->pos = 0;
}

uint32_t nl_rng_u32(nl_rng *g)
{
    if (g->pos >= 4) refill(g);
    return g->buf[g->pos++];
}

uint64_t nl_rng_u64(nl_rng *g)
{
    uint64_t hi = nl_rng_u32(g);
    return (hi << 32) | nl_rng_u32(g);
}

/* 53 random bits k -> (k + 1/2) 2^-53: symmetric, strictly inside (0, 1). */
static inline double u53_to_open01(uint64_t hi32, uint64_t lo32)
{
    uint64_t k = ((hi32 << 32) | lo32) >> 11;
    return ((double)k + 0.5) * 0x1p-53;
}

double nl_rng_uniform(nl_rng *g)
{
    uint64_t hi = nl_rng_u32(g);
    return u53_to_open01(hi, nl_rng_u32(g));
}

uint64_t nl_rng_below(nl_rng *g, uint64_t n)
{
    /* Lemire (2019), "Fast random integer generation in an interval", 64-bit form. */
    uint64_t x = nl_rng_u64(g);
    __uint128_t m = (__uint128_t)x * n;
    uint64_t l = (uint64_t)m;
    if (l < n) {
        uint64_t t = -n % n;
        while (l < t) {
            x = nl_rng_u64(g);
            m = (__uint128_t)x * n;
            l = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

/* Bulk path with exactly the words the one-at-a-time path would use: buffered words are
 * consumed first, then whole blocks straight from the counter (64 doubles per 32 blocks with
 * AVX-512F, 32 per 16 with AVX2, else 2 per block), and the remainder one at a time again. */
void nl_rng_uniform_fill(nl_rng *g, double *out, size_t n)
{
    size_t i = 0;
    if (g->pos % 2 != 0) { /* after an odd number of u32 draws: pairs straddle blocks */
        for (; i < n; i++) out[i] = nl_rng_uniform(g);
        return;
    }
    while (i < n && g->pos != 4) out[i++] = nl_rng_uniform(g);
    if (nl_cpu_avx512()) {
        for (; i + 2 * NL_PHILOX_BLOCKS_AVX512 <= n; i += 2 * NL_PHILOX_BLOCKS_AVX512, g->counter += NL_PHILOX_BLOCKS_AVX512)
            nl_philox_uniforms_avx512(g->seed, g->stream, g->counter, out + i);
    }
    if (nl_cpu_avx2()) {
        for (; i + 2 * NL_PHILOX_BLOCKS_AVX2 <= n; i += 2 * NL_PHILOX_BLOCKS_AVX2, g->counter += NL_PHILOX_BLOCKS_AVX2)
            nl_philox_uniforms_avx2(g->seed, g->stream, g->counter, out + i);
    } else {
        uint32_t w[4];
        for (; i + 2 <= n; i += 2, g->counter++) {
            nl_philox_at(g->seed, g->stream, g->counter, w);
            out[i] = u53_to_open01(w[0], w[1]);
            out[i + 1] = u53_to_open01(w[2], w[3]);
        }
    }
    for (; i < n; i++) out[i] = nl_rng_uniform(g);
}

/* Box-Muller (1958): two uniforms -> two independent N(0,1).  Chosen over the polar method
 * because it consumes a fixed number of words per pair, which keeps every draw addressable.
 * n pairs at a time through the widest SLEEF kernel the CPU has (rng_simd.h), else libm; the
 * one-at-a-time normal goes through the same kernel, so bulk and single draws agree bit for bit
 * (make bench: normals went from 23 to ~200 M/s with the vector kernels). */
static void box_muller_n(const double *u1, const double *u2, double *z0, double *z1, size_t n)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (nl_cpu_avx512()) {
        nl_box_muller_avx512(u1, u2, z0, z1, n);
        return;
    }
    if (nl_cpu_avx2()) {
        nl_box_muller_avx2(u1, u2, z0, z1, n);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++) {
        double r = sqrt(-2.0 * log(u1[i])), s, c;
        sincos(2.0 * M_PI * u2[i], &s, &c);
        z0[i] = r * c;
        z1[i] = r * s;
    }
}

double nl_rng_normal(nl_rng *g)
{
    if (g->has_spare) {
        g->has_spare = 0;
        return g->spare;
    }
    double u1 = nl_rng_uniform(g), u2 = nl_rng_uniform(g), z0, z1;
    box_muller_n(&u1, &u2, &z0, &z1, 1);
    g->spare = z1;
    g->has_spare = 1;
    return z0;
}

void nl_rng_normal_fill(nl_rng *g, double *out, size_t n)
{
    size_t i = 0;
    if (n > 0 && g->has_spare) {
        g->has_spare = 0;
        out[i++] = g->spare;
    }
    /* uniforms in bulk, two per pair (consecutive words, as for single draws), then the
     * transform on de-interleaved copies */
    enum { PAIRS = 256 };
    double u1[PAIRS], u2[PAIRS], z0[PAIRS], z1[PAIRS];
    while (i + 1 < n) {
        size_t pairs = (n - i) / 2 < PAIRS ? (n - i) / 2 : PAIRS;
        nl_rng_uniform_fill(g, out + i, 2 * pairs);
        for (size_t k = 0; k < pairs; k++) u1[k] = out[i + 2 * k], u2[k] = out[i + 2 * k + 1];
        box_muller_n(u1, u2, z0, z1, pairs);
        for (size_t k = 0; k < pairs; k++) out[i + 2 * k] = z0[k], out[i + 2 * k + 1] = z1[k];
        i += 2 * pairs;
    }
    if (i < n) out[i] = nl_rng_normal(g);
}

double nl_rng_exponential(nl_rng *g)
{
    /* Inversion on the open interval: -log(U) is finite and > 0. */
    return -log(nl_rng_uniform(g));
}

void nl_rng_exponential_fill(nl_rng *g, double *out, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = nl_rng_exponential(g);
}

void nl_rng_get_state(const nl_rng *g, uint64_t w[NL_RNG_STATE_WORDS])
{
    union { double d; uint64_t u; } sp = {g->spare};
    w[0] = g->seed;
    w[1] = g->stream;
    w[2] = g->counter;
    w[3] = ((uint64_t)g->buf[0] << 32) | g->buf[1];
    w[4] = ((uint64_t)g->buf[2] << 32) | g->buf[3];
    w[5] = (uint64_t)g->pos;
    w[6] = (uint64_t)g->has_spare;
    w[7] = sp.u;
    /* A check word so that a corrupted state table is detected on restore. */
    w[8] = w[0] ^ (w[1] * 0x9E3779B97F4A7C15ull) ^ (w[2] * 0xC2B2AE3D27D4EB4Full) ^ w[5] ^ w[6];
}

int nl_rng_set_state(nl_rng *g, const uint64_t w[NL_RNG_STATE_WORDS])
{
    if (w[5] > 4 || w[6] > 1) return -1;
    uint64_t check = w[0] ^ (w[1] * 0x9E3779B97F4A7C15ull) ^ (w[2] * 0xC2B2AE3D27D4EB4Full) ^
                     w[5] ^ w[6];
    if (check != w[8]) return -1;
    union { uint64_t u; double d; } sp = {w[7]};
    g->seed = w[0];
    g->stream = w[1];
    g->counter = w[2];
    g->buf[0] = (uint32_t)(w[3] >> 32);
    g->buf[1] = (uint32_t)w[3];
    g->buf[2] = (uint32_t)(w[4] >> 32);
    g->buf[3] = (uint32_t)w[4];
    g->pos = (int)w[5];
    g->has_spare = (int)w[6];
    g->spare = sp.d;
    return 0;
}
