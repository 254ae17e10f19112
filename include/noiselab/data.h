/* noiselab data sets: IDX files (LeCun's MNIST format, as shipped by Fashion-MNIST) read
 * through zlib, index helpers for minibatch iterators, and synthetic data sets.
 *
 * Pure C, no Lua.  Outputs are tensors the caller allocated with the right shape; readers
 * stream through a fixed stack buffer and never hold a hidden heap block.  Readers fill `err`
 * with a message that names the file and what is wrong with it (bad magic number, wrong
 * dimensions, truncated data, gzip/CRC damage, labels out of range). */
#ifndef NOISELAB_DATA_H
#define NOISELAB_DATA_H
#include <stddef.h>
#include <stdint.h>
#include "noiselab/rng.h"
#include "noiselab/tensor.h"

/* IDX header: magic = 0x0000TTNN with TT the element type (0x08 = unsigned byte) and NN the
 * number of dimensions; then NN big-endian uint32 sizes. */
#define NL_IDX_MAXDIM 4
typedef struct nl_idx_header {
    uint32_t magic;
    int type;  /* 0x08 ubyte, 0x09 sbyte, 0x0B short, 0x0C int, 0x0D float, 0x0E double */
    int ndim;
    int64_t dims[NL_IDX_MAXDIM];
} nl_idx_header;

/* Read and check the header of an (optionally gzip-compressed) IDX file.  want_ndim > 0
 * requires that number of dimensions and unsigned-byte elements. */
nl_status nl_idx_read_header(const char *path, int want_ndim, nl_idx_header *h, char *err,
                             size_t errlen);

/* Read the first n items (n <= dims[0]) of an ubyte IDX file of images into out (f32 or f64,
 * contiguous, numel = n * item size; any shape).  Each pixel p becomes
 * ((p / 255) - mean) / std  (mean = 0, std = 1 for plain [0,1] scaling).  When n == dims[0]
 * the whole file is read to its end, so the gzip CRC is checked and trailing bytes are an
 * error. */
nl_status nl_idx_read_images(const char *path, int64_t n, const nl_tensor *out, double mean,
                             double std, char *err, size_t errlen);

/* Read the first n labels of an ubyte IDX1 file into out (f32/f64, contiguous, numel n) as
 * label + base (base = 1: classes 1..10).  Labels >= nclasses are an error (nclasses <= 0:
 * no check). */
nl_status nl_idx_read_labels(const char *path, int64_t n, const nl_tensor *out, double base,
                             int nclasses, char *err, size_t errlen);

/* ---- indices (0-based, written as floats into an f64 or f32 contiguous tensor) ---- */
/* A uniformly random permutation of 0..n-1 (Fisher-Yates, Durstenfeld 1964), n = numel(out). */
nl_status nl_data_permutation(const nl_tensor *out, nl_rng *g);
/* numel(out) indices drawn uniformly from 0..n-1 with replacement. */
nl_status nl_data_sample_indices(const nl_tensor *out, int64_t n, nl_rng *g);
/* For every element of labels (classes base..base+nclasses-1) in positions [from, to) (0-based),
 * draw a different class uniformly among the other nclasses-1. */
nl_status nl_data_relabel(const nl_tensor *labels, int64_t from, int64_t to, int nclasses,
                          double base, nl_rng *g);

/* ---- synthetic sets (f64 or f32 outputs; all randomness from g) ---- */
/* Sinusoid regression of Camuto et al. (2021): t_i = i / n, i = 0..n-1, and
 * y(t) = sum_k sin(2 pi k t + 2 pi phi_k), phi_k ~ U(0,1) drawn in the order of ks.
 * t, y: numel n; phases (may be NULL): numel nk receives the phi_k. */
nl_status nl_data_sinusoids(const nl_tensor *t, const nl_tensor *y, const double *ks, int nk,
                            const nl_tensor *phases, nl_rng *g);

/* Linear regression with Gaussian inputs (Ziyin et al. 2022): rows x_i = L z_i, z_i ~ N(0, I)
 * where L L^T = cov (Cholesky, GSL), y_i = u^T x_i + noise * e_i, e_i ~ N(0,1).
 * x: n x d (f32/f64, contiguous), y: numel n, cov: d x d f64 symmetric positive definite
 * (contiguous), u: numel d.  work: d x d f64 scratch (receives L).  Draw order: per row, d
 * normals for z then one for e. */
nl_status nl_data_linear_regression(const nl_tensor *x, const nl_tensor *y, const nl_tensor *cov,
                                    const nl_tensor *u, double noise, const nl_tensor *work,
                                    nl_rng *g, char *err, size_t errlen);

/* Gaussian mixture: label c_i ~ weights (cumulative draw; weights numel K, need not sum to 1),
 * x_i = means[c_i] + sigma * z_i.  x: n x d, labels: numel n (written as c + 1: 1..K),
 * means: K x d. */
nl_status nl_data_gaussian_mixture(const nl_tensor *x, const nl_tensor *labels,
                                   const nl_tensor *means, const nl_tensor *weights, double sigma,
                                   nl_rng *g);

#endif
