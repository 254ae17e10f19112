/* The SIMD kernel templates (stable_simd.h: CMS sampler and Nolan's integrand; rng_simd.h:
 * Philox and Box–Muller) for AVX2 + FMA: four double lanes, SLEEF's avx2 functions.  Compiled
 * for AVX2 by the pragma and called only after a run-time CPU check. */
#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC target("avx2,fma")
#include <immintrin.h>
#include <sleef.h>

#include "simd_avx2.h"
#include "stable_simd.h"
#include "rng_simd.h"
#endif
