/* AVX2 kernel of the Mohammadi accumulator: out[i] = log(|x[i]| + ε) four lanes at a time with
 * SLEEF's 1.0-ulp vector log.  Compiled for AVX2 by the pragma and called only after a runtime
 * CPU check (estim_mohammadi.c), so the library still runs on older CPUs.  Every value goes
 * through this same routine whatever the chunking (the tail of a buffer is padded), which is
 * what keeps the streaming result bit-identical to the whole-array one. */
#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC target("avx2,fma")
#include <immintrin.h>
#include <stddef.h>
#include <string.h>
#include <sleef.h>
#include "noiselab/estim.h"

void nl_estim_logabs_avx2(const double *x, double *out, size_t n);
void nl_estim_logabs_avx2(const double *x, double *out, size_t n)
{
    const __m256d eps = _mm256_set1_pd(NL_MOHAMMADI_EPS), sgn = _mm256_set1_pd(-0.0);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d v = _mm256_add_pd(_mm256_andnot_pd(sgn, _mm256_loadu_pd(x + i)), eps);
        _mm256_storeu_pd(out + i, Sleef_logd4_u10avx2(v));
    }
    if (i < n) {
        double b[4] = {1, 1, 1, 1}, o[4];
        memcpy(b, x + i, (n - i) * sizeof *b);
        __m256d v = _mm256_add_pd(_mm256_andnot_pd(sgn, _mm256_loadu_pd(b)), eps);
        _mm256_storeu_pd(o, Sleef_logd4_u10avx2(v));
        memcpy(out + i, o, (n - i) * sizeof *o);
    }
}
#endif
