/* AVX2 + FMA version of the CMS kernel in stable_sample.c (same formulas, four lanes at a time,
 * SLEEF vector math: sin/cos/log with 3.5-ulp bounds, exp/expm1 with 1 ulp — the 3.5-ulp
 * variants are 30 % faster and leave each variate within a few 1e-16 relative).  Compiled for
 * AVX2 by the pragma below and only called after a runtime check (__builtin_cpu_supports), so the
 * library still runs on older CPUs.  Measured agreement with the scalar libm path on 1000
 * variates per law: ≤ 2e-15 relative except where X itself is a cancellation near 0 (≤ 1e-12
 * relative there, i.e. ~1e-16 absolute). */
#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC target("avx2,fma")
#include <immintrin.h>
#include <math.h>
#include <sleef.h>
#include "stable_internal.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

void nl_cms_avx2(const nl_cms_plan *p, const double *u1, const double *u2, double *out, size_t n)
{
    const __m256d half = _mm256_set1_pd(0.5), pi = _mm256_set1_pd(M_PI);
    const __m256d one = _mm256_set1_pd(1.0);
    const __m256d scale = _mm256_set1_pd(p->scale), shift = _mm256_set1_pd(p->shift);
    const __m256d sgn = _mm256_set1_pd(-0.0);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d phi = _mm256_mul_pd(pi, _mm256_sub_pd(_mm256_loadu_pd(u1 + i), half));
        __m256d w = _mm256_xor_pd(Sleef_logd4_u35avx2(_mm256_loadu_pd(u2 + i)), sgn);
        __m256d x;
        if (p->kind == 1) {
            const __m256d b = _mm256_set1_pd(p->beta);
            __m256d h = _mm256_fmadd_pd(b, phi, _mm256_set1_pd(M_PI * 0.5));
            Sleef___m256d_2 sc = Sleef_sincosd4_u35avx2(phi);
            x = _mm256_div_pd(_mm256_mul_pd(h, sc.x), sc.y);
            if (p->beta != 0.0) {
                __m256d a = _mm256_div_pd(
                    _mm256_mul_pd(_mm256_mul_pd(_mm256_set1_pd(M_PI * 0.5), w), sc.y), h);
                x = _mm256_fnmadd_pd(b, Sleef_logd4_u35avx2(a), x);
            }
            x = _mm256_mul_pd(_mm256_set1_pd(2.0 / M_PI), x);
        } else {
            __m256d c = Sleef_cosd4_u35avx2(phi), ct;
            const __m256d om = _mm256_set1_pd(p->om);
            if (p->big)
                ct = _mm256_mul_pd(_mm256_set1_pd(p->s),
                                   Sleef_sind4_u35avx2(_mm256_fmadd_pd(om, phi, _mm256_set1_pd(p->atinv))));
            else
                ct = Sleef_cosd4_u35avx2(_mm256_fmsub_pd(om, phi, _mm256_set1_pd(p->at)));
            const __m256d al = _mm256_set1_pd(p->alpha);
            if (p->kind == 2) {
                __m256d d = _mm256_mul_pd(
                    Sleef_sind4_u35avx2(_mm256_mul_pd(_mm256_set1_pd(0.5 * (1.0 + p->alpha)), phi)),
                    Sleef_sind4_u35avx2(_mm256_mul_pd(_mm256_set1_pd(0.5 * p->om), phi)));
                d = _mm256_div_pd(_mm256_add_pd(d, d), c);
                __m256d arg = _mm256_div_pd(_mm256_mul_pd(ct, _mm256_set1_pd(p->hyp)),
                                            _mm256_mul_pd(w, c));
                __m256d em = Sleef_expm1d4_u10avx2(
                    _mm256_mul_pd(_mm256_set1_pd(p->ex), Sleef_logd4_u35avx2(arg)));
                __m256d eK = _mm256_add_pd(one, em);
                __m256d t = _mm256_fmadd_pd(d, eK, em);
                x = _mm256_div_pd(_mm256_mul_pd(Sleef_sind4_u35avx2(_mm256_mul_pd(al, phi)), eK), c);
                x = _mm256_fmadd_pd(_mm256_set1_pd(p->tau), t, x);
                if (p->clamp > 0) x = _mm256_max_pd(x, _mm256_set1_pd(-p->tau));
                if (p->clamp < 0) x = _mm256_min_pd(x, _mm256_set1_pd(-p->tau));
            } else {
                __m256d e = _mm256_fnmadd_pd(_mm256_set1_pd(p->ia), Sleef_logd4_u35avx2(c),
                                             _mm256_set1_pd(p->logS));
                e = _mm256_fmadd_pd(_mm256_set1_pd(p->ex),
                                    Sleef_logd4_u35avx2(_mm256_div_pd(ct, w)), e);
                x = _mm256_mul_pd(Sleef_sind4_u35avx2(_mm256_fmadd_pd(al, phi, _mm256_set1_pd(p->at))),
                                  Sleef_expd4_u10avx2(e));
                if (p->kind == 3) x = _mm256_sub_pd(x, _mm256_set1_pd(p->tau));
            }
        }
        _mm256_storeu_pd(out + i, _mm256_fmadd_pd(scale, x, shift));
    }
    for (; i < n; i++) out[i] = p->scale * nl_cms_one(p, u1[i], u2[i]) + p->shift;
}
#endif
