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
#include <float.h>
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

/* Nolan's integrand (stable_dist.c: side_lg and side_integrand, the same formulas) four nodes at
 * a time, α ≠ 1.  SLEEF's 1-ulp functions throughout: log g is multiplied by α/(α−1), so the
 * 3.5-ulp variants would cost digits near α = 1.  Blends replace the scalar code's per-node
 * branches (N/D form of log R near α = 1, clamps at DBL_MIN, non-finite values → 0). */
static inline __m256d vsel(__m256d mask, __m256d yes, __m256d no)
{
    return _mm256_blendv_pd(no, yes, mask);
}

void nl_side_integrand_avx2(const nl_side *S, const double *s, double *out, size_t n)
{
    const __m256d al = _mm256_set1_pd(S->alpha), om = _mm256_set1_pd(S->om);
    const __m256d tiny = _mm256_set1_pd(DBL_MIN), zero = _mm256_setzero_pd();
    const __m256d lh = _mm256_set1_pd(S->loghyp), ltmh = _mm256_set1_pd(S->lt - S->loghyp);
    const __m256d ex = _mm256_set1_pd(S->ex), absmask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
    const __m256d inf = _mm256_set1_pd(INFINITY);
    const int pos0 = S->theta0 >= 0, far = S->alpha * S->w > 0.5 * M_PI;
    const __m256d c0 = _mm256_set1_pd(S->c0), w = _mm256_set1_pd(S->w), e0 = _mm256_set1_pd(S->e0);
    const __m256d aw = _mm256_set1_pd(S->alpha * S->w), th0 = _mm256_set1_pd(S->theta0);
    const __m256d pi2 = _mm256_set1_pd(0.5 * M_PI);
    for (size_t i = 0; i < n; i += 4) {
        /* a last partial vector repeats its last node (the extra lanes are dropped) */
        double pad[4];
        const double *si = s + i;
        if (i + 4 > n) {
            for (size_t k = 0; k < 4; k++) pad[k] = s[i + k < n ? i + k : n - 1];
            si = pad;
        }
        __m256d sv = _mm256_loadu_pd(si), u = Sleef_expd4_u10avx2(sv), th, cth, sD, ct;
        if (S->mode == 0) {
            th = _mm256_sub_pd(u, th0);
            cth = Sleef_sind4_u10avx2(pos0 ? _mm256_add_pd(c0, u) : _mm256_sub_pd(w, u));
            sD = Sleef_sind4_u10avx2(_mm256_mul_pd(al, u));
            ct = Sleef_sind4_u10avx2(pos0 ? _mm256_fmadd_pd(om, u, c0) : _mm256_fnmadd_pd(om, u, w));
        } else {
            th = _mm256_sub_pd(pi2, u);
            cth = Sleef_sind4_u10avx2(u);
            sD = Sleef_sind4_u10avx2(far ? _mm256_fmadd_pd(al, u, e0) : _mm256_fnmadd_pd(al, u, aw));
            ct = Sleef_sind4_u10avx2(far ? _mm256_fnmadd_pd(om, u, e0) : _mm256_fmadd_pd(om, u, aw));
        }
        ct = _mm256_max_pd(ct, tiny);
        cth = _mm256_max_pd(cth, tiny);
        sD = _mm256_max_pd(sD, tiny);
        /* log R and log(cos((1−α)θ − atan τ)/cos θ), two logarithms of ratios (each ratio is
         * exact to half an ulp, so as accurate as differences of three logarithms) */
        __m256d lr = _mm256_add_pd(ltmh, Sleef_logd4_u10avx2(_mm256_div_pd(cth, sD)));
        if (S->near1) {
            __m256d a1 = _mm256_mul_pd(_mm256_set1_pd(S->z0), cth);
            __m256d a2 = Sleef_sind4_u10avx2(_mm256_mul_pd(al, th));
            __m256d a3 = _mm256_mul_pd(
                _mm256_mul_pd(_mm256_set1_pd(2.0 * S->tau),
                              Sleef_sind4_u10avx2(_mm256_mul_pd(_mm256_set1_pd(0.5 * (1.0 + S->alpha)), th))),
                Sleef_sind4_u10avx2(_mm256_mul_pd(_mm256_set1_pd(-0.5 * S->om), th)));
            __m256d D = _mm256_mul_pd(_mm256_set1_pd(S->hyp), sD);
            __m256d r = _mm256_div_pd(_mm256_add_pd(_mm256_sub_pd(a1, a2), a3), D);
            __m256d size = _mm256_add_pd(_mm256_add_pd(_mm256_and_pd(a1, absmask), _mm256_and_pd(a2, absmask)),
                                         _mm256_and_pd(a3, absmask));
            __m256d nd = _mm256_and_pd(_mm256_cmp_pd(_mm256_and_pd(r, absmask), _mm256_set1_pd(0.5), _CMP_LT_OQ),
                                       _mm256_cmp_pd(size, D, _CMP_LT_OQ));
            if (_mm256_movemask_pd(nd)) lr = vsel(nd, Sleef_log1pd4_u10avx2(r), lr);
        }
        __m256d lg = _mm256_add_pd(_mm256_fmadd_pd(ex, lr, lh), Sleef_logd4_u10avx2(_mm256_div_pd(ct, cth)));
        __m256d g = Sleef_expd4_u10avx2(lg), v[3];
        /* finite values where u > 0, else 0 (NaN compares false) */
        __m256d upos = _mm256_cmp_pd(u, zero, _CMP_GT_OQ);
        if (S->kinds & 2) v[1] = Sleef_expd4_u10avx2(_mm256_sub_pd(zero, g));
        if (S->kinds & 1) /* g e^{−g}: reuse e^{−g} when it is computed anyway */
            v[0] = (S->kinds & 2) ? _mm256_mul_pd(g, v[1]) : Sleef_expd4_u10avx2(_mm256_sub_pd(lg, g));
        if (S->kinds & 4) v[2] = _mm256_sub_pd(zero, Sleef_expm1d4_u10avx2(_mm256_sub_pd(zero, g)));
        for (int k = 0; k < 3; k++) {
            if (!(S->kinds >> k & 1)) continue;
            __m256d ok = _mm256_and_pd(_mm256_cmp_pd(_mm256_and_pd(v[k], absmask), inf, _CMP_LT_OQ), upos);
            __m256d res = _mm256_and_pd(ok, _mm256_mul_pd(v[k], u));
            if (i + 4 <= n) _mm256_storeu_pd(out + k * n + i, res);
            else {
                _mm256_storeu_pd(pad, res);
                for (size_t j = 0; i + j < n; j++) out[k * n + i + j] = pad[j];
            }
        }
    }
}
#endif
