/* Internal: the vector kernels of the stable module, written once over the V* macros below and
 * instantiated per instruction set by kernels_avx2.c (4 lanes) and kernels_avx512.c (8 lanes)
 * with the macros of simd_avx2.h / simd_avx512.h.  Each instantiating file is compiled for its
 * ISA by a pragma and called only after a run-time CPU check, so the library stays generic
 * x86-64.
 *
 * The macros: VD (vector of doubles), VM (lane mask), VW (lanes), SIMD_NAME(f)
 * (the ISA-suffixed name), VSET, VLOAD, VSTORE, VADD, VSUB, VMUL, VDIV, VFMA(a,b,c) = a·b + c,
 * VFNMA(a,b,c) = c − a·b, VFMS(a,b,c) = a·b − c, VMAX, VMIN, VNEG, VABS, VLT, VGT (ordered
 * compares → VM), VMAND, VSEL(m, yes, no), VANY(m), VKEEP(m, v) (v where m, else 0), and SLEEF
 * wrappers: VSIN35, VCOS35, VSINCOS35(x, sin, cos) (assigns both), VLOG35, VEXP, VEXPM1, VSIN, VLOG,
 * VLOG1P, VSINCOS, VSQRT (the 35 ones within 3.5 ulp, the others 1 ulp, VSQRT exact).
 *
 * Kernels:
 *  - CMS sampler (stable_sample.c's nl_cms_one, the same formulas lane by lane).  The sampler
 *    may use the 3.5-ulp functions: each variate stays within a few 1e−16 relative (measured
 *    agreement with the scalar libm path on 1000 variates per law: ≤ 2e−15 relative except
 *    where X itself is a cancellation near 0, ≤ 1e−16 absolute there).
 *  - Nolan's integrand (stable_dist.c's side_lg and side_integrand).  1-ulp functions
 *    throughout: log g is multiplied by α/(α−1), so the 3.5-ulp variants would cost digits near
 *    α = 1.  Blends replace the scalar code's per-node branches (N/D form of log R near α = 1,
 *    clamps at DBL_MIN, non-finite values → 0). */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include "stable_internal.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

void SIMD_NAME(nl_cms)(const nl_cms_plan *p, const double *u1, const double *u2, double *out, size_t n)
{
    const VD half = VSET(0.5), pi = VSET(M_PI), one = VSET(1.0);
    const VD scale = VSET(p->scale), shift = VSET(p->shift);
    for (size_t i = 0; i < n; i += VW) {
        /* a last partial vector is padded with ½ (the extra lanes are dropped): every variate
         * comes from the vector formula, so the output does not depend on how a fill is cut */
        double p1[VW], p2[VW], po[VW];
        const double *a1 = u1 + i, *a2 = u2 + i;
        if (i + VW > n) {
            for (size_t k = 0; k < VW; k++) p1[k] = i + k < n ? u1[i + k] : 0.5, p2[k] = i + k < n ? u2[i + k] : 0.5;
            a1 = p1, a2 = p2;
        }
        VD phi = VMUL(pi, VSUB(VLOAD(a1), half));
        VD w = VNEG(VLOG35(VLOAD(a2)));
        VD x;
        if (p->kind == 1) {
            const VD b = VSET(p->beta);
            VD h = VFMA(b, phi, VSET(M_PI * 0.5));
            VD sn, cs;
            VSINCOS35(phi, sn, cs);
            x = VDIV(VMUL(h, sn), cs);
            if (p->beta != 0.0) {
                VD a = VDIV(VMUL(VMUL(VSET(M_PI * 0.5), w), cs), h);
                x = VFNMA(b, VLOG35(a), x);
            }
            x = VMUL(VSET(2.0 / M_PI), x);
        } else {
            VD c = VCOS35(phi), ct;
            const VD om = VSET(p->om);
            if (p->big)
                ct = VMUL(VSET(p->s), VSIN35(VFMA(om, phi, VSET(p->atinv))));
            else
                ct = VCOS35(VFMS(om, phi, VSET(p->at)));
            const VD al = VSET(p->alpha);
            if (p->kind == 2) {
                VD d = VMUL(VSIN35(VMUL(VSET(0.5 * (1.0 + p->alpha)), phi)),
                            VSIN35(VMUL(VSET(0.5 * p->om), phi)));
                d = VDIV(VADD(d, d), c);
                VD arg = VDIV(VMUL(ct, VSET(p->hyp)), VMUL(w, c));
                VD em = VEXPM1(VMUL(VSET(p->ex), VLOG35(arg)));
                VD eK = VADD(one, em);
                VD t = VFMA(d, eK, em);
                x = VDIV(VMUL(VSIN35(VMUL(al, phi)), eK), c);
                x = VFMA(VSET(p->tau), t, x);
                if (p->clamp > 0) x = VMAX(x, VSET(-p->tau));
                if (p->clamp < 0) x = VMIN(x, VSET(-p->tau));
            } else {
                VD e = VFNMA(VSET(p->ia), VLOG35(c), VSET(p->logS));
                e = VFMA(VSET(p->ex), VLOG35(VDIV(ct, w)), e);
                x = VMUL(VSIN35(VFMA(al, phi, VSET(p->at))), VEXP(e));
                if (p->kind == 3) x = VSUB(x, VSET(p->tau));
            }
        }
        VD res = VFMA(scale, x, shift);
        if (i + VW <= n) VSTORE(out + i, res);
        else {
            VSTORE(po, res);
            for (size_t k = 0; i + k < n; k++) out[i + k] = po[k];
        }
    }
}

void SIMD_NAME(nl_side_integrand)(const nl_side *S, const double *s, double *out, size_t n)
{
    const VD al = VSET(S->alpha), om = VSET(S->om), tiny = VSET(DBL_MIN), zero = VSET(0.0);
    const VD lh = VSET(S->loghyp), ltmh = VSET(S->lt - S->loghyp), ex = VSET(S->ex);
    const VD inf = VSET(INFINITY);
    const int pos0 = S->theta0 >= 0, far = S->alpha * S->w > 0.5 * M_PI;
    const VD c0 = VSET(S->c0), w = VSET(S->w), e0 = VSET(S->e0);
    const VD aw = VSET(S->alpha * S->w), th0 = VSET(S->theta0), pi2 = VSET(0.5 * M_PI);
    for (size_t i = 0; i < n; i += VW) {
        /* a last partial vector repeats its last node (the extra lanes are dropped) */
        double pad[VW];
        const double *si = s + i;
        if (i + VW > n) {
            for (size_t k = 0; k < VW; k++) pad[k] = s[i + k < n ? i + k : n - 1];
            si = pad;
        }
        VD u = VEXP(VLOAD(si)), th, cth, sD, ct;
        if (S->mode == 0) {
            th = VSUB(u, th0);
            cth = VSIN(pos0 ? VADD(c0, u) : VSUB(w, u));
            sD = VSIN(VMUL(al, u));
            ct = VSIN(pos0 ? VFMA(om, u, c0) : VFNMA(om, u, w));
        } else {
            th = VSUB(pi2, u);
            cth = VSIN(u);
            sD = VSIN(far ? VFMA(al, u, e0) : VFNMA(al, u, aw));
            ct = VSIN(far ? VFNMA(om, u, e0) : VFMA(om, u, aw));
        }
        ct = VMAX(ct, tiny);
        cth = VMAX(cth, tiny);
        sD = VMAX(sD, tiny);
        /* log R and log(cos((1−α)θ − atan τ)/cos θ), two logarithms of ratios (each ratio is
         * exact to half an ulp, so as accurate as differences of three logarithms) */
        VD lr = VADD(ltmh, VLOG(VDIV(cth, sD)));
        if (S->near1) {
            VD a1 = VMUL(VSET(S->z0), cth);
            VD a2 = VSIN(VMUL(al, th));
            VD a3 = VMUL(VMUL(VSET(2.0 * S->tau), VSIN(VMUL(VSET(0.5 * (1.0 + S->alpha)), th))),
                         VSIN(VMUL(VSET(-0.5 * S->om), th)));
            VD D = VMUL(VSET(S->hyp), sD);
            VD r = VDIV(VADD(VSUB(a1, a2), a3), D);
            VD size = VADD(VADD(VABS(a1), VABS(a2)), VABS(a3));
            VM nd = VMAND(VLT(VABS(r), VSET(0.5)), VLT(size, D));
            if (VANY(nd)) lr = VSEL(nd, VLOG1P(r), lr);
        }
        VD lg = VADD(VFMA(ex, lr, lh), VLOG(VDIV(ct, cth)));
        VD g = VEXP(lg), v[3];
        /* finite values where u > 0, else 0 (NaN compares false) */
        VM upos = VGT(u, zero);
        if (S->kinds & 2) v[1] = VEXP(VNEG(g));
        if (S->kinds & 1) /* g e^{−g}: reuse e^{−g} when it is computed anyway */
            v[0] = (S->kinds & 2) ? VMUL(g, v[1]) : VEXP(VSUB(lg, g));
        if (S->kinds & 4) v[2] = VNEG(VEXPM1(VNEG(g)));
        for (int k = 0; k < 3; k++) {
            if (!(S->kinds >> k & 1)) continue;
            VD res = VKEEP(VMAND(VLT(VABS(v[k]), inf), upos), VMUL(v[k], u));
            if (i + VW <= n) VSTORE(out + k * n + i, res);
            else {
                VSTORE(pad, res);
                for (size_t j = 0; i + j < n; j++) out[k * n + i + j] = pad[j];
            }
        }
    }
}
