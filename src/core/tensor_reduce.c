/* Reductions, scans, sorting and quantiles.
 * Sums are pairwise (Higham, "Accuracy and Stability of Numerical Algorithms", §4.2: error
 * O(ε log n) instead of O(ε n)) in double for both dtypes, runs combined with Neumaier's
 * compensated addition; variance is two-pass (mean, then squared deviations), which is exact
 * to rounding for data far from zero where the one-pass formula cancels. */
#include "noiselab/tensor.h"
#include "tensor_iter.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PAIRWISE_BLOCK 128

#define PAIRWISE(NAME, T)                                                   \
    static double NAME(const T *x, int64_t n, int64_t s)                    \
    {                                                                       \
        if (n <= PAIRWISE_BLOCK) {                                          \
            double acc = 0;                                                 \
            for (int64_t i = 0; i < n; i++) acc += x[i * s];                \
            return acc;                                                     \
        }                                                                   \
        int64_t h = n / 2;                                                  \
        return NAME(x, h, s) + NAME(x + h * s, n - h, s);                   \
    }
PAIRWISE(psum_d, double)
PAIRWISE(psum_f, float)

/* One strided run reduced; state accumulates across runs. */
typedef struct red_state {
    nl_redop op;
    double param;  /* ddof or p */
    double mean;   /* for the second pass of var/std */
    double acc, comp; /* Neumaier sum */
    double best;
    int64_t best_index, count;
    int seen_nan;
} red_state;

static void neumaier_add(red_state *r, double v)
{
    double t = r->acc + v;
    if (fabs(r->acc) >= fabs(v)) r->comp += (r->acc - t) + v;
    else r->comp += (v - t) + r->acc;
    r->acc = t;
}

static double elem(const char *p, nl_dtype dt, int64_t i, int64_t s)
{
    return dt == NL_F64 ? ((const double *)p)[i * s] : ((const float *)p)[i * s];
}

static void reduce_run(red_state *r, const char *p, nl_dtype dt, int64_t n, int64_t s)
{
    switch (r->op) {
    case NL_RED_SUM:
    case NL_RED_MEAN:
        neumaier_add(r, dt == NL_F64 ? psum_d((const double *)p, n, s) : psum_f((const float *)p, n, s));
        break;
    case NL_RED_VAR:
    case NL_RED_STD:
        for (int64_t i = 0; i < n; i++) {
            double d = elem(p, dt, i, s) - r->mean;
            neumaier_add(r, d * d);
        }
        break;
    case NL_RED_NORM:
        for (int64_t i = 0; i < n; i++) {
            double v = fabs(elem(p, dt, i, s));
            if (r->param == 2) neumaier_add(r, v * v);
            else if (r->param == 1) neumaier_add(r, v);
            else if (isinf(r->param)) r->best = v > r->best || v != v ? v : r->best;
            else neumaier_add(r, pow(v, r->param));
        }
        break;
    case NL_RED_PROD:
        for (int64_t i = 0; i < n; i++) r->acc *= elem(p, dt, i, s);
        break;
    case NL_RED_MIN:
    case NL_RED_MAX:
    case NL_RED_ARGMIN:
    case NL_RED_ARGMAX: {
        int want_max = r->op == NL_RED_MAX || r->op == NL_RED_ARGMAX;
        for (int64_t i = 0; i < n; i++) {
            double v = elem(p, dt, i, s);
            if (r->seen_nan) break;
            if (v != v) {
                r->seen_nan = 1;
                r->best = v;
                r->best_index = r->count + i;
                break;
            }
            if (r->best_index < 0 || (want_max ? v > r->best : v < r->best)) {
                r->best = v;
                r->best_index = r->count + i;
            }
        }
        break;
    }
    }
    r->count += n;
}

static void red_init(red_state *r, nl_redop op, double param)
{
    memset(r, 0, sizeof *r);
    r->op = op;
    r->param = param;
    r->best_index = -1;
    r->acc = op == NL_RED_PROD ? 1.0 : 0.0;
}

static int red_needs_mean(nl_redop op) { return op == NL_RED_VAR || op == NL_RED_STD; }

static double red_finish(const red_state *r, int64_t n)
{
    double s = r->acc + r->comp;
    switch (r->op) {
    case NL_RED_SUM: return s;
    case NL_RED_MEAN: return n > 0 ? s / (double)n : NAN;
    case NL_RED_PROD: return r->acc;
    case NL_RED_VAR: return n - r->param > 0 ? s / ((double)n - r->param) : NAN;
    case NL_RED_STD: return n - r->param > 0 ? sqrt(s / ((double)n - r->param)) : NAN;
    case NL_RED_NORM:
        if (isinf(r->param)) return r->best;
        if (r->param == 2) return sqrt(s);
        if (r->param == 1) return s;
        return pow(s, 1.0 / r->param);
    case NL_RED_MIN:
    case NL_RED_MAX: return n > 0 ? r->best : NAN;
    case NL_RED_ARGMIN:
    case NL_RED_ARGMAX: return (double)r->best_index;
    }
    return NAN;
}

typedef struct { red_state *r; nl_dtype dt; } run_ctx;
static void reduce_kernel(int64_t n, char **p, const int64_t *s, const void *ctx)
{
    const run_ctx *c = ctx;
    reduce_run(c->r, p[0], c->dt, n, s[0]);
}

static nl_status reduce_all_pass(const nl_tensor *a, red_state *r)
{
    nl_iter it;
    nl_status st = nl_iter_init(&it, a, NULL, 0);
    if (st != NL_OK) return st;
    run_ctx c = {r, a->dtype};
    nl_iter_run(&it, reduce_kernel, &c);
    return NL_OK;
}

nl_status nl_reduce_all(const nl_tensor *a, nl_redop op, double param, double *result)
{
    int64_t n = nl_numel(a);
    red_state r;
    if ((op == NL_RED_ARGMIN || op == NL_RED_ARGMAX || op == NL_RED_MIN || op == NL_RED_MAX) && n == 0)
        return NL_ERR_ARG;
    if (red_needs_mean(op)) {
        red_init(&r, NL_RED_MEAN, 0);
        nl_status st = reduce_all_pass(a, &r);
        if (st != NL_OK) return st;
        double mean = red_finish(&r, n);
        red_init(&r, op, param);
        r.mean = mean;
    } else {
        red_init(&r, op, param);
    }
    nl_status st = reduce_all_pass(a, &r);
    if (st != NL_OK) return st;
    *result = red_finish(&r, n);
    return NL_OK;
}

/* Visit every position of `out` (whose shape[dim] == 1) with the matching slice of a. */
typedef void (*slice_fn)(const nl_tensor *out, int64_t out_off, const char *slice, int64_t n,
                         int64_t stride, nl_dtype dt, void *ctx);

static nl_status for_each_slice(const nl_tensor *out, const nl_tensor *a, int dim, slice_fn fn,
                                void *ctx)
{
    if (dim < 0 || dim >= a->ndim || out->ndim != a->ndim) return NL_ERR_SHAPE;
    for (int d = 0; d < a->ndim; d++)
        if (d != dim && out->shape[d] != a->shape[d]) return NL_ERR_SHAPE;
    int64_t idx[NL_MAXDIM] = {0}, total = 1;
    for (int d = 0; d < a->ndim; d++)
        if (d != dim) total *= a->shape[d];
    size_t es = nl_dtype_size(a->dtype);
    const char *base = nl_data(a);
    for (int64_t k = 0; k < total; k++) {
        int64_t aoff = 0, ooff = 0;
        for (int d = 0; d < a->ndim; d++) {
            aoff += idx[d] * a->stride[d];
            ooff += idx[d] * out->stride[d];
        }
        fn(out, ooff, base + aoff * (int64_t)es, a->shape[dim], a->stride[dim], a->dtype, ctx);
        for (int d = a->ndim - 1; d >= 0; d--) {
            if (d == dim) continue;
            if (++idx[d] < a->shape[d]) break;
            idx[d] = 0;
        }
    }
    return NL_OK;
}

static void put(const nl_tensor *t, int64_t off, double v)
{
    if (t->dtype == NL_F64) ((double *)nl_data(t))[off] = v;
    else ((float *)nl_data(t))[off] = (float)v;
}

typedef struct { nl_redop op; double param; } dim_ctx;
static void reduce_slice(const nl_tensor *out, int64_t ooff, const char *p, int64_t n,
                         int64_t s, nl_dtype dt, void *ctx)
{
    const dim_ctx *c = ctx;
    red_state r;
    double mean = 0;
    if (red_needs_mean(c->op)) {
        red_init(&r, NL_RED_MEAN, 0);
        reduce_run(&r, p, dt, n, s);
        mean = red_finish(&r, n);
    }
    red_init(&r, c->op, c->param);
    r.mean = mean;
    reduce_run(&r, p, dt, n, s);
    put(out, ooff, red_finish(&r, n));
}

nl_status nl_reduce_dim(const nl_tensor *out, const nl_tensor *a, int dim, nl_redop op,
                        double param)
{
    if (dim < 0 || dim >= a->ndim || out->shape[dim] != 1) return NL_ERR_SHAPE;
    if ((op >= NL_RED_MIN && op <= NL_RED_ARGMAX) && a->shape[dim] == 0) return NL_ERR_ARG;
    dim_ctx c = {op, param};
    return for_each_slice(out, a, dim, reduce_slice, &c);
}

static void cumsum_slice(const nl_tensor *out, int64_t ooff, const char *p, int64_t n,
                         int64_t s, nl_dtype dt, void *ctx)
{
    int dim = *(const int *)ctx;
    double acc = 0, comp = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = elem(p, dt, i, s), t = acc + v;
        comp += fabs(acc) >= fabs(v) ? (acc - t) + v : (v - t) + acc;
        acc = t;
        put(out, ooff + i * out->stride[dim], acc + comp);
    }
}

nl_status nl_cumsum(const nl_tensor *out, const nl_tensor *a, int dim)
{
    if (dim < 0 || dim >= a->ndim || out->ndim != a->ndim) return NL_ERR_SHAPE;
    for (int d = 0; d < a->ndim; d++)
        if (out->shape[d] != a->shape[d]) return NL_ERR_SHAPE;
    /* Iterate over positions with shape[dim] treated as 1 through a narrowed view of out. */
    nl_tensor o1 = *out;
    if (a->shape[dim] == 0) return NL_OK;
    o1.shape[dim] = 1;
    return for_each_slice(&o1, a, dim, cumsum_slice, &dim);
}

/* ---- sort ---- */
typedef struct { double v; int64_t i; } keyed;

static int cmp_asc(const void *x, const void *y)
{
    const keyed *a = x, *b = y;
    int an = a->v != a->v, bn = b->v != b->v;
    if (an || bn) {
        if (an && bn) return a->i < b->i ? -1 : 1;
        return an ? 1 : -1; /* NaN last */
    }
    if (a->v < b->v) return -1;
    if (a->v > b->v) return 1;
    return a->i < b->i ? -1 : (a->i > b->i); /* stable */
}

static int cmp_desc(const void *x, const void *y)
{
    const keyed *a = x, *b = y;
    int an = a->v != a->v, bn = b->v != b->v;
    if (an || bn) {
        if (an && bn) return a->i < b->i ? -1 : 1;
        return an ? 1 : -1;
    }
    if (a->v > b->v) return -1;
    if (a->v < b->v) return 1;
    return a->i < b->i ? -1 : (a->i > b->i);
}

nl_status nl_sort(const nl_tensor *values, const nl_tensor *idx, const nl_tensor *a, int dim,
                  int descending)
{
    if (dim < 0 || dim >= a->ndim) return NL_ERR_ARG;
    for (int d = 0; d < a->ndim; d++)
        if (values->shape[d] != a->shape[d] || (idx && idx->shape[d] != a->shape[d]))
            return NL_ERR_SHAPE;
    int64_t n = a->shape[dim];
    if (nl_numel(a) == 0) return NL_OK;
    keyed *buf = malloc(sizeof(keyed) * (size_t)n);
    if (!buf) return NL_ERR_NOMEM;
    int64_t pos[NL_MAXDIM] = {0}, total = nl_numel(a) / n;
    for (int64_t k = 0; k < total; k++) {
        int64_t aoff = 0, voff = 0, ioff = 0;
        for (int d = 0; d < a->ndim; d++) {
            aoff += pos[d] * a->stride[d];
            voff += pos[d] * values->stride[d];
            if (idx) ioff += pos[d] * idx->stride[d];
        }
        const char *p = (const char *)nl_data(a) + aoff * (int64_t)nl_dtype_size(a->dtype);
        for (int64_t i = 0; i < n; i++) {
            buf[i].v = elem(p, a->dtype, i, a->stride[dim]);
            buf[i].i = i;
        }
        qsort(buf, (size_t)n, sizeof(keyed), descending ? cmp_desc : cmp_asc);
        for (int64_t i = 0; i < n; i++) {
            put(values, voff + i * values->stride[dim], buf[i].v);
            if (idx) put(idx, ioff + i * idx->stride[dim], (double)buf[i].i);
        }
        for (int d = a->ndim - 1; d >= 0; d--) {
            if (d == dim) continue;
            if (++pos[d] < a->shape[d]) break;
            pos[d] = 0;
        }
    }
    free(buf);
    return NL_OK;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

nl_status nl_quantile(const nl_tensor *out, const nl_tensor *a, int dim, const double *q, int nq)
{
    if (dim < 0 || dim >= a->ndim || out->ndim != a->ndim || out->shape[dim] != nq)
        return NL_ERR_SHAPE;
    for (int j = 0; j < nq; j++)
        if (!(q[j] >= 0 && q[j] <= 1)) return NL_ERR_ARG;
    int64_t n = a->shape[dim];
    if (n == 0) return NL_ERR_ARG;
    double *buf = malloc(sizeof(double) * (size_t)n);
    if (!buf) return NL_ERR_NOMEM;
    int64_t pos[NL_MAXDIM] = {0}, total = nl_numel(a) / n;
    for (int64_t k = 0; k < total; k++) {
        int64_t aoff = 0, ooff = 0;
        for (int d = 0; d < a->ndim; d++) {
            aoff += pos[d] * a->stride[d];
            ooff += pos[d] * out->stride[d];
        }
        const char *p = (const char *)nl_data(a) + aoff * (int64_t)nl_dtype_size(a->dtype);
        int has_nan = 0;
        for (int64_t i = 0; i < n; i++) {
            buf[i] = elem(p, a->dtype, i, a->stride[dim]);
            if (buf[i] != buf[i]) has_nan = 1;
        }
        if (!has_nan) qsort(buf, (size_t)n, sizeof(double), cmp_double);
        for (int j = 0; j < nq; j++) {
            double v = NAN;
            if (!has_nan) {
                double h = q[j] * (double)(n - 1);
                int64_t lo = (int64_t)floor(h);
                if (lo >= n - 1) v = buf[n - 1];
                else v = buf[lo] + (h - (double)lo) * (buf[lo + 1] - buf[lo]);
            }
            put(out, ooff + j * out->stride[dim], v);
        }
        for (int d = a->ndim - 1; d >= 0; d--) {
            if (d == dim) continue;
            if (++pos[d] < a->shape[d]) break;
            pos[d] = 0;
        }
    }
    free(buf);
    return NL_OK;
}
