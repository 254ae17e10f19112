/* Vectorised elementary functions over contiguous arrays (SLEEF, <= 1 ulp; see vecmath.c).
 * y may alias x. */
#ifndef NOISELAB_VECMATH_H
#define NOISELAB_VECMATH_H
#include <stddef.h>

/* Run-time CPU features, detected once per process: AVX2 with FMA, and AVX-512F.  Every
 * ISA-specific path in the core (vecmath, rng, stable, estim, nn) asks these.  The environment
 * variable NOISELAB_ISA=avx2 or =scalar caps them (to test or compare the other paths). */
int nl_cpu_avx2(void);
int nl_cpu_avx512(void);

void nl_vexp_f64(const double *x, double *y, size_t n);
void nl_vlog_f64(const double *x, double *y, size_t n);
void nl_vtanh_f64(const double *x, double *y, size_t n);
void nl_vexp_f32(const float *x, float *y, size_t n);
void nl_vlog_f32(const float *x, float *y, size_t n);
void nl_vtanh_f32(const float *x, float *y, size_t n);
#endif
