/* Vectorised elementary functions over contiguous arrays (SLEEF, <= 1 ulp; see vecmath.c).
 * y may alias x. */
#ifndef NOISELAB_VECMATH_H
#define NOISELAB_VECMATH_H
#include <stddef.h>

void nl_vexp_f64(const double *x, double *y, size_t n);
void nl_vlog_f64(const double *x, double *y, size_t n);
void nl_vtanh_f64(const double *x, double *y, size_t n);
void nl_vexp_f32(const float *x, float *y, size_t n);
void nl_vlog_f32(const float *x, float *y, size_t n);
void nl_vtanh_f32(const float *x, float *y, size_t n);
#endif
