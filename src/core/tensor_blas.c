/* Matrix products through OpenBLAS (cblas).  As in Torch7's THTensor_addmm, the transpose
 * flag of each operand is read off its strides: a row-major view is passed as is, a
 * column-major one (e.g. x:t()) as the transpose of its base, and only an operand that is
 * neither (e.g. a strided slice in both dims) is copied to a contiguous buffer. */
#include "noiselab/tensor.h"
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

/* How a 2-d operand can be handed to BLAS in row-major terms. */
typedef struct {
    enum CBLAS_TRANSPOSE trans;
    int64_t ld;
    int usable;
} blas_view;

static blas_view classify(const nl_tensor *t)
{
    blas_view v = {CblasNoTrans, 0, 0};
    int64_t r = t->shape[0], c = t->shape[1];
    int64_t s0 = r == 1 ? (c > 0 ? c : 1) : t->stride[0];
    int64_t s1 = c == 1 ? 1 : t->stride[1];
    if (s1 == 1 && s0 >= (c > 1 ? c : 1)) {
        v.trans = CblasNoTrans;
        v.ld = s0;
        v.usable = 1;
        return v;
    }
    s0 = r == 1 ? 1 : t->stride[0];
    s1 = c == 1 ? (r > 0 ? r : 1) : t->stride[1];
    if (s0 == 1 && s1 >= (r > 1 ? r : 1)) {
        v.trans = CblasTrans;
        v.ld = s1;
        v.usable = 1;
    }
    return v;
}

static enum CBLAS_TRANSPOSE flip(enum CBLAS_TRANSPOSE t)
{
    return t == CblasNoTrans ? CblasTrans : CblasNoTrans;
}

/* Copy t into a fresh contiguous tensor when BLAS cannot take it as it is. */
static nl_status contiguous_copy(const nl_tensor *t, nl_tensor *tmp)
{
    nl_status st = nl_tensor_init(tmp, t->dtype, t->ndim, t->shape);
    if (st != NL_OK) return st;
    return nl_copy(tmp, t);
}

nl_status nl_gemm(const nl_tensor *C, double alpha, const nl_tensor *A, const nl_tensor *B,
                  double beta)
{
    if (A->ndim != 2 || B->ndim != 2 || C->ndim != 2) return NL_ERR_SHAPE;
    if (A->shape[1] != B->shape[0] || C->shape[0] != A->shape[0] || C->shape[1] != B->shape[1])
        return NL_ERR_SHAPE;
    if (A->dtype != C->dtype || B->dtype != C->dtype) return NL_ERR_ARG;
    int64_t m = C->shape[0], n = C->shape[1], k = A->shape[1];
    if (m == 0 || n == 0) return NL_OK;
    nl_tensor ta = {0}, tb = {0}, tc = {0};
    nl_status st = NL_OK;
    const nl_tensor *a = A, *b = B, *c = C;
    blas_view va = classify(a), vb = classify(b), vc = classify(c);
    if (!va.usable) {
        if ((st = contiguous_copy(A, &ta)) != NL_OK) goto done;
        a = &ta;
        va = classify(a);
    }
    if (!vb.usable) {
        if ((st = contiguous_copy(B, &tb)) != NL_OK) goto done;
        b = &tb;
        vb = classify(b);
    }
    /* C itself must be writable in place: row-major (compute C = A B) or column-major
     * (compute C^T = B^T A^T).  An output aliasing an input is computed into a temporary. */
    int alias = C->storage == A->storage || C->storage == B->storage;
    if (!vc.usable || alias) {
        if ((st = contiguous_copy(C, &tc)) != NL_OK) goto done;
        c = &tc;
        vc = classify(c);
    }
    if (k == 0) {
        nl_tensor zero = *c;
        if (beta == 0) st = nl_fill(&zero, 0);
        else st = nl_binary_scalar(&zero, c, beta, NL_OP_MUL, 0);
        goto copyback;
    }
    if (vc.trans == CblasNoTrans) {
        if (C->dtype == NL_F64)
            cblas_dgemm(CblasRowMajor, va.trans, vb.trans, (int)m, (int)n, (int)k, alpha,
                        nl_data(a), (int)va.ld, nl_data(b), (int)vb.ld, beta, nl_data(c), (int)vc.ld);
        else
            cblas_sgemm(CblasRowMajor, va.trans, vb.trans, (int)m, (int)n, (int)k, (float)alpha,
                        nl_data(a), (int)va.ld, nl_data(b), (int)vb.ld, (float)beta, nl_data(c),
                        (int)vc.ld);
    } else {
        if (C->dtype == NL_F64)
            cblas_dgemm(CblasRowMajor, flip(vb.trans), flip(va.trans), (int)n, (int)m, (int)k,
                        alpha, nl_data(b), (int)vb.ld, nl_data(a), (int)va.ld, beta, nl_data(c),
                        (int)vc.ld);
        else
            cblas_sgemm(CblasRowMajor, flip(vb.trans), flip(va.trans), (int)n, (int)m, (int)k,
                        (float)alpha, nl_data(b), (int)vb.ld, nl_data(a), (int)va.ld, (float)beta,
                        nl_data(c), (int)vc.ld);
    }
copyback:
    if (st == NL_OK && c != C) st = nl_copy(C, c);
done:
    nl_tensor_release(&ta);
    nl_tensor_release(&tb);
    nl_tensor_release(&tc);
    return st;
}

nl_status nl_gemv(const nl_tensor *y, double alpha, const nl_tensor *A, const nl_tensor *x,
                  double beta)
{
    if (A->ndim != 2 || x->ndim != 1 || y->ndim != 1) return NL_ERR_SHAPE;
    if (A->shape[1] != x->shape[0] || A->shape[0] != y->shape[0]) return NL_ERR_SHAPE;
    if (A->dtype != y->dtype || x->dtype != y->dtype) return NL_ERR_ARG;
    /* A vector is an n x 1 matrix: reuse gemm's stride analysis. */
    nl_tensor x2 = *x, y2 = *y;
    x2.ndim = y2.ndim = 2;
    x2.shape[1] = y2.shape[1] = 1;
    x2.stride[1] = y2.stride[1] = 1;
    return nl_gemm(&y2, alpha, A, &x2, beta);
}

nl_status nl_dot(const nl_tensor *a, const nl_tensor *b, double *result)
{
    if (a->ndim != 1 || b->ndim != 1 || a->shape[0] != b->shape[0]) return NL_ERR_SHAPE;
    if (a->dtype != b->dtype) return NL_ERR_ARG;
    int64_t n = a->shape[0];
    if (n == 0) {
        *result = 0;
        return NL_OK;
    }
    if (a->dtype == NL_F64)
        *result = cblas_ddot((int)n, nl_data(a), (int)a->stride[0], nl_data(b), (int)b->stride[0]);
    else
        *result = cblas_dsdot((int)n, nl_data(a), (int)a->stride[0], nl_data(b), (int)b->stride[0]);
    return NL_OK;
}
