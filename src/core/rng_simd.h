/* Internal: Box–Muller (1958) over arrays, written once over the V* macros (see stable_simd.h)
 * and instantiated per ISA by kernels_avx2.c / kernels_avx512.c:
 *   z0 = sqrt(−2 log u1) cos(2π u2),  z1 = sqrt(−2 log u1) sin(2π u2),
 * SLEEF's 1-ulp log and sincos, exact sqrt. */
#include <stddef.h>
#include "rng_impl.h"

void SIMD_NAME(nl_box_muller)(const double *u1, const double *u2, double *z0, double *z1, size_t n)
{
    const VD m2 = VSET(-2.0), twopi = VSET(6.283185307179586476925286766559);
    for (size_t i = 0; i < n; i += VW) {
        /* a last partial vector is padded with ½ (the extra lanes are dropped) */
        double p1[VW], p2[VW], q0[VW], q1[VW];
        const double *a1 = u1 + i, *a2 = u2 + i;
        if (i + VW > n) {
            for (size_t k = 0; k < VW; k++) p1[k] = i + k < n ? u1[i + k] : 0.5, p2[k] = i + k < n ? u2[i + k] : 0.5;
            a1 = p1, a2 = p2;
        }
        VD r = VSQRT(VMUL(m2, VLOG(VLOAD(a1)))), s, c;
        VSINCOS(VMUL(twopi, VLOAD(a2)), s, c);
        if (i + VW <= n) {
            VSTORE(z0 + i, VMUL(r, c));
            VSTORE(z1 + i, VMUL(r, s));
        } else {
            VSTORE(q0, VMUL(r, c));
            VSTORE(q1, VMUL(r, s));
            for (size_t k = 0; i + k < n; k++) z0[i + k] = q0[k], z1[i + k] = q1[k];
        }
    }
}
