/* The SIMD kernel templates (stable_simd.h: CMS sampler and Nolan's integrand; rng_simd.h:
 * Philox and Box–Muller) for AVX-512F: eight double lanes, SLEEF's avx512f functions.  The
 * logarithm is the 1-ulp one even where 3.5 ulp would do: SLEEF's Sleef_logd8_u35avx512f ran
 * at 47 M/s against 1283 M/s for the u10 one on our EPYC (one thread, arguments in (0, 1)).
 * Compiled for AVX-512F by the pragma and called only after a run-time CPU check. */
#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC target("avx512f")
#include <immintrin.h>
#include <sleef.h>

#include "simd_avx512.h"
#include "stable_simd.h"
#include "rng_simd.h"
#endif
