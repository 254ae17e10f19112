/* noiselab tensor core: n-d strided tensors over a refcounted storage block (the layout of
 * Torch7's TH: sizes + strides + offset over a storage; views only edit those numbers).
 *
 * Pure C, no Lua.  Functions that produce a tensor write into an output the caller has
 * allocated with nl_tensor_init() and the right shape (the Lua bindings allocate outputs as
 * Lua-owned userdata first, so an error can never leak them).  Every function returns an
 * nl_status; shape/argument problems are reported before any element is touched. */
#ifndef NOISELAB_TENSOR_H
#define NOISELAB_TENSOR_H
#include <stddef.h>
#include <stdint.h>

#define NL_MAXDIM 8

typedef enum { NL_F32 = 0, NL_F64 = 1 } nl_dtype;

typedef enum {
    NL_OK = 0,
    NL_ERR_NOMEM,   /* allocation failed */
    NL_ERR_SHAPE,   /* shapes do not agree */
    NL_ERR_ARG,     /* an argument is out of its domain */
    NL_ERR_IO,      /* the OS refused (open, write, rename) */
    NL_ERR_FORMAT,  /* malformed or truncated file */
    NL_ERR_NOCONV,  /* an iterative method did not converge */
    NL_ERR_COPY     /* a view was asked for where only a copy can do */
} nl_status;

const char *nl_status_string(nl_status s);

typedef struct nl_storage {
    void *data;
    size_t nbytes;
    long refs;
} nl_storage;

typedef struct nl_tensor {
    nl_storage *storage; /* NULL once released */
    int64_t offset;      /* in elements */
    int ndim;
    nl_dtype dtype;
    int64_t shape[NL_MAXDIM];
    int64_t stride[NL_MAXDIM]; /* in elements; 0 for broadcast (expanded) dims */
} nl_tensor;

size_t nl_dtype_size(nl_dtype dt);
const char *nl_dtype_name(nl_dtype dt);
int64_t nl_numel(const nl_tensor *t);
int nl_is_contiguous(const nl_tensor *t);
/* Address of the first element (storage data + offset). */
void *nl_data(const nl_tensor *t);
/* Read/write one element by flat row-major index, for slow paths (printing, get/set). */
double nl_get_flat(const nl_tensor *t, int64_t i);
void nl_set_flat(const nl_tensor *t, int64_t i, double v);
/* Byte offset of element at multi-index idx (0-based). */
double nl_get_at(const nl_tensor *t, const int64_t *idx);
void nl_set_at(const nl_tensor *t, const int64_t *idx, double v);

/* Bytes needed for a contiguous tensor of this shape; 0 and NL_ERR_ARG on overflow or a
 * negative dimension. */
nl_status nl_shape_bytes(nl_dtype dt, int ndim, const int64_t *shape, size_t *nbytes);
/* New contiguous zero-filled tensor (fresh storage, refs = 1). */
nl_status nl_tensor_init(nl_tensor *t, nl_dtype dt, int ndim, const int64_t *shape);
/* Same, without zeroing (for outputs that are completely overwritten). */
nl_status nl_tensor_init_uninit(nl_tensor *t, nl_dtype dt, int ndim, const int64_t *shape);
/* Drop this tensor's reference to its storage (idempotent). */
void nl_tensor_release(nl_tensor *t);
/* dst becomes a view of src (shares storage, refs + 1). */
void nl_tensor_share(nl_tensor *dst, const nl_tensor *src);
/* Bytes of tensor storage currently alive in this process. */
size_t nl_live_bytes(void);
void nl_set_contiguous_strides(nl_tensor *t);

/* ---- views: edit geometry in place (no element is copied) ---- */
nl_status nl_view_narrow(nl_tensor *t, int dim, int64_t start, int64_t len);
nl_status nl_view_select(nl_tensor *t, int dim, int64_t index);
nl_status nl_view_transpose(nl_tensor *t, int d0, int d1);
nl_status nl_view_permute(nl_tensor *t, const int *perm);
/* Reshape without copying; NL_ERR_COPY if the strides do not allow it (then copy first). */
nl_status nl_view_reshape(nl_tensor *t, int ndim, const int64_t *shape);
/* Broadcast to shape (numpy rules, new leading dims allowed): stride 0 on expanded dims. */
nl_status nl_view_expand(nl_tensor *t, int ndim, const int64_t *shape);
nl_status nl_view_unsqueeze(nl_tensor *t, int dim);
nl_status nl_view_squeeze(nl_tensor *t, int dim); /* dim = -1: all size-1 dims */
/* Broadcast shape of a and b into (ndim, shape). */
nl_status nl_broadcast_shape(const nl_tensor *a, const nl_tensor *b, int *ndim, int64_t *shape);

/* ---- copies and fills ---- */
/* Copy src into dst elementwise; src broadcasts to dst's shape; dtypes may differ. */
nl_status nl_copy(const nl_tensor *dst, const nl_tensor *src);
nl_status nl_fill(const nl_tensor *t, double v);
nl_status nl_arange(const nl_tensor *t, double start, double step);
nl_status nl_linspace(const nl_tensor *t, double a, double b);
/* out[i...] = src along dim at positions idx (0-based, f64 or f32 tensor of integers). */
nl_status nl_index_select(const nl_tensor *out, const nl_tensor *src, int dim, const nl_tensor *idx);
/* Concatenate n tensors along dim into out. */
nl_status nl_cat(const nl_tensor *out, const nl_tensor *const *parts, int n, int dim);

/* ---- elementwise ---- */
typedef enum {
    NL_OP_ADD, NL_OP_SUB, NL_OP_MUL, NL_OP_DIV, NL_OP_POW, NL_OP_MOD, NL_OP_MAXIMUM, NL_OP_MINIMUM,
    NL_OP_ATAN2, NL_OP_EQ, NL_OP_NE, NL_OP_LT, NL_OP_LE, NL_OP_GT, NL_OP_GE
} nl_binop;
typedef enum {
    NL_UN_NEG, NL_UN_ABS, NL_UN_SQRT, NL_UN_EXP, NL_UN_LOG, NL_UN_LOG1P, NL_UN_EXPM1, NL_UN_TANH,
    NL_UN_SIGMOID, NL_UN_SIGN, NL_UN_SIN, NL_UN_COS, NL_UN_FLOOR, NL_UN_CEIL, NL_UN_ROUND,
    NL_UN_SQUARE, NL_UN_RECIPROCAL, NL_UN_RELU, NL_UN_ISFINITE, NL_UN_ISNAN, NL_UN_LGAMMA,
    NL_UN_ERF, NL_UN_LOG2, NL_UN_LOG10
} nl_unop;
/* out = a op b; a, b broadcast to out's shape; all three the same dtype; out may alias a or b
 * when it has exactly their geometry. */
nl_status nl_binary(const nl_tensor *out, const nl_tensor *a, const nl_tensor *b, nl_binop op);
/* out = a op s (or s op a when scalar_first). */
nl_status nl_binary_scalar(const nl_tensor *out, const nl_tensor *a, double s, nl_binop op,
                           int scalar_first);
nl_status nl_unary(const nl_tensor *out, const nl_tensor *a, nl_unop op);
nl_status nl_clamp(const nl_tensor *out, const nl_tensor *a, double lo, double hi);
/* out = cond != 0 ? a : b, all broadcast to out's shape, same dtype. */
nl_status nl_where(const nl_tensor *out, const nl_tensor *cond, const nl_tensor *a,
                   const nl_tensor *b);
/* out = a + alpha * b (axpy-like, same shape). */
nl_status nl_axpy(const nl_tensor *out, const nl_tensor *a, double alpha, const nl_tensor *b);

/* ---- reductions ---- */
typedef enum {
    NL_RED_SUM, NL_RED_MEAN, NL_RED_PROD, NL_RED_MIN, NL_RED_MAX, NL_RED_ARGMIN, NL_RED_ARGMAX,
    NL_RED_VAR, NL_RED_STD, NL_RED_NORM
} nl_redop;
/* Over all elements.  param: ddof for var/std, p for norm.  argmin/argmax give the flat
 * 0-based index.  Sums are pairwise (error O(log n) ulp), in f64 for both dtypes. */
nl_status nl_reduce_all(const nl_tensor *a, nl_redop op, double param, double *result);
/* Along dim: out has a's shape with shape[dim] = 1 (keepdim form). */
nl_status nl_reduce_dim(const nl_tensor *out, const nl_tensor *a, int dim, nl_redop op,
                        double param);
nl_status nl_cumsum(const nl_tensor *out, const nl_tensor *a, int dim);
/* Sort along dim; indices (0-based, stored as floats in idx's dtype) may be NULL.  Stable;
 * NaNs sort last. */
nl_status nl_sort(const nl_tensor *values, const nl_tensor *idx, const nl_tensor *a, int dim,
                  int descending);
/* Quantiles along dim with linear interpolation between order statistics (numpy's and
 * PyTorch's default, Hyndman & Fan type 7).  out has shape[dim] = nq. */
nl_status nl_quantile(const nl_tensor *out, const nl_tensor *a, int dim, const double *q, int nq);

/* ---- linear algebra (OpenBLAS; transposes chosen from strides, copies only when forced) ---- */
/* C = alpha * A B + beta * C for 2-d tensors of one dtype. */
nl_status nl_gemm(const nl_tensor *C, double alpha, const nl_tensor *A, const nl_tensor *B,
                  double beta);
/* y = alpha * A x + beta * y. */
nl_status nl_gemv(const nl_tensor *y, double alpha, const nl_tensor *A, const nl_tensor *x,
                  double beta);
nl_status nl_dot(const nl_tensor *a, const nl_tensor *b, double *result);

/* ---- files (numpy .npy v1/v2, C order, little-endian) ---- */
/* Read a header: dtype code, shape; data follow.  Accepts <f4 <f8 <i8 <i4 |u1 |i1 <u2 <i2
 * (integers converted to f64).  Writing is atomic (temp file + rename). */
typedef enum { NL_NPY_F32, NL_NPY_F64, NL_NPY_I64 } nl_npy_type;
nl_status nl_npy_save(const char *path, const nl_tensor *t, nl_npy_type as, char *err,
                      size_t errlen);
/* Two steps so the caller can allocate the result as it likes: read the header, then the data. */
typedef struct nl_npy_header {
    char descr[16];
    int ndim;
    int64_t shape[NL_MAXDIM];
    size_t data_offset;
    int fortran_order;
} nl_npy_header;
nl_status nl_npy_read_header(const char *path, nl_npy_header *h, char *err, size_t errlen);
nl_dtype nl_npy_result_dtype(const nl_npy_header *h);
nl_status nl_npy_read_data(const char *path, const nl_npy_header *h, const nl_tensor *out,
                           char *err, size_t errlen);

#endif
