/* Tensor core: storage, geometry, views, copies and the elementwise machinery.
 *
 * Layout follows Torch7's TH (a refcounted storage; a tensor is sizes + strides + offset over
 * it; views edit only those numbers).  Elementwise operations run through one iterator that
 * broadcasts the operands to the output shape (numpy rules: stride 0 on broadcast dims),
 * coalesces dimensions that are contiguous in every operand and calls a typed inner-loop
 * kernel on the innermost run, so a contiguous tensor is a single flat loop the compiler
 * vectorises, and a transposed or sliced one costs only the outer index arithmetic. */
#include "noiselab/tensor.h"
#include "tensor_iter.h"
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>

static atomic_size_t live_bytes;

/* Blocks of 4 MiB and more are mapped directly and marked for transparent huge pages (as NumPy
 * does): the kernel zero-fills them lazily, first touches fault in 2 MiB at a time instead of
 * 4 KiB (measured here: 80 MB elementwise outputs went from ~270 ms to a few ms of faults), and
 * unmapping returns the memory at once (but see the cache below). */
#define NL_HUGE_MIN ((size_t)4 << 20)

/* A few freed mappings are kept for reuse by an allocation of the same size, as glibc's malloc
 * keeps freed memory in its heap: in a loop of same-sized big temporaries, mapping and faulting
 * in fresh pages every iteration cost ~30 % of d:sample(1e6) and ~half of x + y on 1e7 doubles
 * here (perf: page-fault and hypervisor time).  At most MAP_CACHE blocks and MAP_CACHE_BYTES
 * in all (the memory a program has freed but the process still holds). */
#define MAP_CACHE 4
#define MAP_CACHE_BYTES ((size_t)192 << 20)
static struct {
    void *p;
    size_t n;
} map_cache[MAP_CACHE];
static size_t map_cache_bytes;
static pthread_mutex_t map_lock = PTHREAD_MUTEX_INITIALIZER;

static void *map_cache_take(size_t nbytes)
{
    void *p = NULL;
    pthread_mutex_lock(&map_lock);
    for (int i = 0; i < MAP_CACHE && !p; i++)
        if (map_cache[i].p && map_cache[i].n == nbytes) {
            p = map_cache[i].p, map_cache[i].p = NULL;
            map_cache_bytes -= nbytes;
        }
    pthread_mutex_unlock(&map_lock);
    return p;
}

static int map_cache_put(void *p, size_t nbytes)
{
    int kept = 0;
    pthread_mutex_lock(&map_lock);
    if (map_cache_bytes + nbytes <= MAP_CACHE_BYTES)
        for (int i = 0; i < MAP_CACHE && !kept; i++)
            if (!map_cache[i].p) {
                map_cache[i].p = p, map_cache[i].n = nbytes, kept = 1;
                map_cache_bytes += nbytes;
            }
    pthread_mutex_unlock(&map_lock);
    return kept;
}

static void *storage_alloc(size_t nbytes, int zero)
{
    if (nbytes >= NL_HUGE_MIN) {
        void *p = map_cache_take(nbytes);
        if (p) return zero ? memset(p, 0, nbytes) : p;
        p = mmap(NULL, nbytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return NULL;
        madvise(p, nbytes, MADV_HUGEPAGE);
        return p;
    }
    if (nbytes == 0) nbytes = 1;
    return zero ? calloc(1, nbytes) : malloc(nbytes);
}

static void storage_free(void *p, size_t nbytes)
{
    if (nbytes >= NL_HUGE_MIN) {
        if (!map_cache_put(p, nbytes)) munmap(p, nbytes);
    } else
        free(p);
}

const char *nl_status_string(nl_status s)
{
    switch (s) {
    case NL_OK: return "ok";
    case NL_ERR_NOMEM: return "out of memory";
    case NL_ERR_SHAPE: return "shape mismatch";
    case NL_ERR_ARG: return "invalid argument";
    case NL_ERR_IO: return "I/O error";
    case NL_ERR_FORMAT: return "malformed data";
    case NL_ERR_NOCONV: return "did not converge";
    case NL_ERR_COPY: return "not possible as a view";
    }
    return "unknown error";
}

size_t nl_dtype_size(nl_dtype dt) { return dt == NL_F32 ? sizeof(float) : sizeof(double); }
const char *nl_dtype_name(nl_dtype dt) { return dt == NL_F32 ? "f32" : "f64"; }

int64_t nl_numel(const nl_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
    return n;
}

int nl_is_contiguous(const nl_tensor *t)
{
    int64_t expect = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] != 1 && t->stride[i] != expect) return 0;
        expect *= t->shape[i];
    }
    return 1;
}

void *nl_data(const nl_tensor *t)
{
    return (char *)t->storage->data + (size_t)t->offset * nl_dtype_size(t->dtype);
}

static int64_t flat_to_offset(const nl_tensor *t, int64_t i)
{
    int64_t off = 0;
    for (int d = t->ndim - 1; d >= 0; d--) {
        int64_t n = t->shape[d];
        off += (i % n) * t->stride[d];
        i /= n;
    }
    return off;
}

static double load(const nl_tensor *t, int64_t off)
{
    if (t->dtype == NL_F32) return ((const float *)nl_data(t))[off];
    return ((const double *)nl_data(t))[off];
}

static void store(const nl_tensor *t, int64_t off, double v)
{
    if (t->dtype == NL_F32) ((float *)nl_data(t))[off] = (float)v;
    else ((double *)nl_data(t))[off] = v;
}

double nl_get_flat(const nl_tensor *t, int64_t i) { return load(t, flat_to_offset(t, i)); }
void nl_set_flat(const nl_tensor *t, int64_t i, double v) { store(t, flat_to_offset(t, i), v); }

static int64_t index_offset(const nl_tensor *t, const int64_t *idx)
{
    int64_t off = 0;
    for (int d = 0; d < t->ndim; d++) off += idx[d] * t->stride[d];
    return off;
}

double nl_get_at(const nl_tensor *t, const int64_t *idx) { return load(t, index_offset(t, idx)); }
void nl_set_at(const nl_tensor *t, const int64_t *idx, double v) { store(t, index_offset(t, idx), v); }

nl_status nl_shape_bytes(nl_dtype dt, int ndim, const int64_t *shape, size_t *nbytes)
{
    size_t n = nl_dtype_size(dt);
    *nbytes = 0;
    if (ndim < 0 || ndim > NL_MAXDIM) return NL_ERR_ARG;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return NL_ERR_ARG;
        if (shape[i] != 0 && n > (size_t)INT64_MAX / (size_t)shape[i]) return NL_ERR_ARG;
        n *= (size_t)shape[i];
    }
    *nbytes = n;
    return NL_OK;
}

void nl_set_contiguous_strides(nl_tensor *t)
{
    int64_t s = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        t->stride[i] = s;
        s *= t->shape[i] > 0 ? t->shape[i] : 1;
    }
}

static nl_status tensor_init(nl_tensor *t, nl_dtype dt, int ndim, const int64_t *shape, int zero)
{
    size_t nbytes;
    nl_status st = nl_shape_bytes(dt, ndim, shape, &nbytes);
    t->storage = NULL;
    if (st != NL_OK) return st;
    nl_storage *s = malloc(sizeof *s);
    if (!s) return NL_ERR_NOMEM;
    s->data = storage_alloc(nbytes, zero);
    if (!s->data) {
        free(s);
        return NL_ERR_NOMEM;
    }
    s->nbytes = nbytes;
    s->refs = 1;
    atomic_fetch_add(&live_bytes, nbytes);
    t->storage = s;
    t->offset = 0;
    t->ndim = ndim;
    t->dtype = dt;
    for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
    nl_set_contiguous_strides(t);
    return NL_OK;
}

nl_status nl_tensor_init(nl_tensor *t, nl_dtype dt, int ndim, const int64_t *shape)
{
    return tensor_init(t, dt, ndim, shape, 1);
}

nl_status nl_tensor_init_uninit(nl_tensor *t, nl_dtype dt, int ndim, const int64_t *shape)
{
    return tensor_init(t, dt, ndim, shape, 0);
}

void nl_tensor_release(nl_tensor *t)
{
    nl_storage *s = t->storage;
    if (!s) return;
    t->storage = NULL;
    if (--s->refs == 0) {
        atomic_fetch_sub(&live_bytes, s->nbytes);
        storage_free(s->data, s->nbytes);
        free(s);
    }
}

void nl_tensor_share(nl_tensor *dst, const nl_tensor *src)
{
    *dst = *src;
    if (dst->storage) dst->storage->refs++;
}

size_t nl_live_bytes(void) { return atomic_load(&live_bytes); }

/* ---- views ---- */

nl_status nl_view_narrow(nl_tensor *t, int dim, int64_t start, int64_t len)
{
    if (dim < 0 || dim >= t->ndim || start < 0 || len < 0 || start + len > t->shape[dim])
        return NL_ERR_ARG;
    if (len > 0) t->offset += start * t->stride[dim];
    t->shape[dim] = len;
    return NL_OK;
}

nl_status nl_view_select(nl_tensor *t, int dim, int64_t index)
{
    if (dim < 0 || dim >= t->ndim || index < 0 || index >= t->shape[dim]) return NL_ERR_ARG;
    t->offset += index * t->stride[dim];
    for (int i = dim; i < t->ndim - 1; i++) {
        t->shape[i] = t->shape[i + 1];
        t->stride[i] = t->stride[i + 1];
    }
    t->ndim--;
    return NL_OK;
}

nl_status nl_view_transpose(nl_tensor *t, int d0, int d1)
{
    if (d0 < 0 || d1 < 0 || d0 >= t->ndim || d1 >= t->ndim) return NL_ERR_ARG;
    int64_t s = t->shape[d0], st = t->stride[d0];
    t->shape[d0] = t->shape[d1];
    t->stride[d0] = t->stride[d1];
    t->shape[d1] = s;
    t->stride[d1] = st;
    return NL_OK;
}

nl_status nl_view_permute(nl_tensor *t, const int *perm)
{
    int seen[NL_MAXDIM] = {0};
    int64_t sh[NL_MAXDIM], st[NL_MAXDIM];
    for (int i = 0; i < t->ndim; i++) {
        if (perm[i] < 0 || perm[i] >= t->ndim || seen[perm[i]]) return NL_ERR_ARG;
        seen[perm[i]] = 1;
        sh[i] = t->shape[perm[i]];
        st[i] = t->stride[perm[i]];
    }
    memcpy(t->shape, sh, sizeof(int64_t) * (size_t)t->ndim);
    memcpy(t->stride, st, sizeof(int64_t) * (size_t)t->ndim);
    return NL_OK;
}

/* Reshape as a view when the old strides allow it (PyTorch's computeStride logic): walk the
 * old dims in chunks that are contiguous among themselves and map each onto the new dims of
 * the same total size. */
nl_status nl_view_reshape(nl_tensor *t, int ndim, const int64_t *shape)
{
    int64_t n = 1;
    if (ndim < 0 || ndim > NL_MAXDIM) return NL_ERR_ARG;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return NL_ERR_ARG;
        n *= shape[i];
    }
    if (n != nl_numel(t)) return NL_ERR_SHAPE;
    int64_t newstride[NL_MAXDIM];
    if (n == 0) {
        nl_tensor tmp = *t;
        tmp.ndim = ndim;
        memcpy(tmp.shape, shape, sizeof(int64_t) * (size_t)ndim);
        nl_set_contiguous_strides(&tmp);
        memcpy(newstride, tmp.stride, sizeof newstride);
    } else {
        int view_d = ndim - 1;
        int64_t chunk_base_stride = t->ndim > 0 ? t->stride[t->ndim - 1] : 1;
        int64_t tensor_numel = 1, view_numel = 1;
        for (int td = t->ndim - 1; td >= 0; td--) {
            tensor_numel *= t->shape[td];
            if (td == 0 || (t->shape[td - 1] != 1 &&
                            t->stride[td - 1] != tensor_numel * chunk_base_stride)) {
                while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
                    newstride[view_d] = view_numel * chunk_base_stride;
                    view_numel *= shape[view_d];
                    view_d--;
                }
                if (view_numel != tensor_numel) return NL_ERR_COPY;
                if (td > 0) {
                    chunk_base_stride = t->stride[td - 1];
                    tensor_numel = 1;
                    view_numel = 1;
                }
            }
        }
        if (view_d != -1) {
            /* remaining leading size-1 dims */
            while (view_d >= 0) {
                if (shape[view_d] != 1) return NL_ERR_COPY;
                newstride[view_d] = 1;
                view_d--;
            }
        }
    }
    t->ndim = ndim;
    memcpy(t->shape, shape, sizeof(int64_t) * (size_t)ndim);
    memcpy(t->stride, newstride, sizeof(int64_t) * (size_t)ndim);
    return NL_OK;
}

nl_status nl_view_expand(nl_tensor *t, int ndim, const int64_t *shape)
{
    if (ndim < t->ndim || ndim > NL_MAXDIM) return NL_ERR_SHAPE;
    int64_t sh[NL_MAXDIM], st[NL_MAXDIM];
    int lead = ndim - t->ndim;
    for (int i = 0; i < ndim; i++) {
        if (i < lead) {
            sh[i] = shape[i];
            st[i] = 0;
            continue;
        }
        int64_t have = t->shape[i - lead];
        if (have == shape[i]) {
            sh[i] = have;
            st[i] = t->stride[i - lead];
        } else if (have == 1) {
            sh[i] = shape[i];
            st[i] = 0;
        } else {
            return NL_ERR_SHAPE;
        }
    }
    t->ndim = ndim;
    memcpy(t->shape, sh, sizeof(int64_t) * (size_t)ndim);
    memcpy(t->stride, st, sizeof(int64_t) * (size_t)ndim);
    return NL_OK;
}

nl_status nl_view_unsqueeze(nl_tensor *t, int dim)
{
    if (dim < 0 || dim > t->ndim || t->ndim >= NL_MAXDIM) return NL_ERR_ARG;
    for (int i = t->ndim; i > dim; i--) {
        t->shape[i] = t->shape[i - 1];
        t->stride[i] = t->stride[i - 1];
    }
    t->ndim++;
    t->shape[dim] = 1;
    /* any stride is valid for a size-1 dim; this one keeps a contiguous tensor contiguous */
    t->stride[dim] = dim + 1 < t->ndim ? t->stride[dim + 1] * t->shape[dim + 1] : 1;
    return NL_OK;
}

nl_status nl_view_squeeze(nl_tensor *t, int dim)
{
    if (dim >= t->ndim) return NL_ERR_ARG;
    int k = 0;
    for (int i = 0; i < t->ndim; i++) {
        int drop = t->shape[i] == 1 && (dim < 0 || dim == i);
        if (!drop) {
            t->shape[k] = t->shape[i];
            t->stride[k] = t->stride[i];
            k++;
        }
    }
    t->ndim = k;
    return NL_OK;
}

nl_status nl_broadcast_shape(const nl_tensor *a, const nl_tensor *b, int *ndim, int64_t *shape)
{
    int n = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int i = 0; i < n; i++) {
        int ia = i - (n - a->ndim), ib = i - (n - b->ndim);
        int64_t sa = ia >= 0 ? a->shape[ia] : 1, sb = ib >= 0 ? b->shape[ib] : 1;
        if (sa != sb && sa != 1 && sb != 1) return NL_ERR_SHAPE;
        shape[i] = sa == 1 ? sb : sa;
    }
    *ndim = n;
    return NL_OK;
}

/* ---- the iterator ---- */

nl_status nl_iter_init(nl_iter *it, const nl_tensor *out, const nl_tensor *const *ops, int nops)
{
    it->nops = nops + 1;
    int nd = out->ndim;
    int64_t st[NL_ITER_MAXOPS][NL_MAXDIM];
    for (int d = 0; d < nd; d++) st[0][d] = out->stride[d];
    it->ptr[0] = nl_data(out);
    it->esize[0] = nl_dtype_size(out->dtype);
    for (int k = 0; k < nops; k++) {
        const nl_tensor *a = ops[k];
        if (a->ndim > nd) return NL_ERR_SHAPE;
        int lead = nd - a->ndim;
        for (int d = 0; d < nd; d++) {
            if (d < lead) {
                st[k + 1][d] = 0;
                continue;
            }
            int64_t s = a->shape[d - lead];
            if (s == out->shape[d]) st[k + 1][d] = a->stride[d - lead];
            else if (s == 1) st[k + 1][d] = 0;
            else return NL_ERR_SHAPE;
        }
        it->ptr[k + 1] = nl_data(a);
        it->esize[k + 1] = nl_dtype_size(a->dtype);
    }
    /* Drop size-1 dims, then merge dim d into d+1 when every operand is contiguous across
     * them. Result: innermost-first order is kept (row-major). */
    int n = 0;
    int64_t shape[NL_MAXDIM], str[NL_ITER_MAXOPS][NL_MAXDIM];
    for (int d = 0; d < nd; d++) {
        if (out->shape[d] == 1) continue;
        shape[n] = out->shape[d];
        for (int k = 0; k < it->nops; k++) str[k][n] = st[k][d];
        n++;
    }
    int m = 0;
    for (int d = 0; d < n; d++) {
        if (m > 0) {
            int ok = 1;
            for (int k = 0; k < it->nops; k++)
                if (str[k][m - 1] != str[k][d] * shape[d]) ok = 0;
            if (ok) {
                shape[m - 1] *= shape[d];
                for (int k = 0; k < it->nops; k++) str[k][m - 1] = str[k][d];
                continue;
            }
        }
        shape[m] = shape[d];
        for (int k = 0; k < it->nops; k++) str[k][m] = str[k][d];
        m++;
    }
    if (m == 0) { /* a scalar-like iteration of one element */
        shape[0] = 1;
        for (int k = 0; k < it->nops; k++) str[k][0] = 0;
        m = 1;
    }
    it->ndim = m;
    memcpy(it->shape, shape, sizeof(int64_t) * (size_t)m);
    for (int k = 0; k < it->nops; k++) memcpy(it->stride[k], str[k], sizeof(int64_t) * (size_t)m);
    it->numel = nl_numel(out);
    return NL_OK;
}

void nl_iter_run(const nl_iter *it, nl_kernel fn, const void *ctx)
{
    if (it->numel == 0) return;
    int nd = it->ndim, inner = nd - 1;
    int64_t n = it->shape[inner];
    int64_t s[NL_ITER_MAXOPS];
    for (int k = 0; k < it->nops; k++) s[k] = it->stride[k][inner];
    int64_t idx[NL_MAXDIM] = {0};
    char *p[NL_ITER_MAXOPS];
    int64_t outer = it->numel / n;
    for (int64_t o = 0; o < outer; o++) {
        for (int k = 0; k < it->nops; k++) {
            int64_t off = 0;
            for (int d = 0; d < inner; d++) off += idx[d] * it->stride[k][d];
            p[k] = it->ptr[k] + off * (int64_t)it->esize[k];
        }
        fn(n, p, s, ctx);
        for (int d = inner - 1; d >= 0; d--) {
            if (++idx[d] < it->shape[d]) break;
            idx[d] = 0;
        }
    }
}

/* ---- copy and fill ---- */

#define COPY_KERNEL(NAME, TO, TI)                                                  \
    static void NAME(int64_t n, char **p, const int64_t *s, const void *ctx)       \
    {                                                                              \
        (void)ctx;                                                                 \
        TO *o = (TO *)p[0];                                                        \
        const TI *a = (const TI *)p[1];                                            \
        if (s[0] == 1 && s[1] == 1)                                                \
            for (int64_t i = 0; i < n; i++) o[i] = (TO)a[i];                       \
        else                                                                       \
            for (int64_t i = 0; i < n; i++) o[i * s[0]] = (TO)a[i * s[1]];         \
    }
COPY_KERNEL(copy_dd, double, double)
COPY_KERNEL(copy_ff, float, float)
COPY_KERNEL(copy_fd, float, double)
COPY_KERNEL(copy_df, double, float)

nl_status nl_copy(const nl_tensor *dst, const nl_tensor *src)
{
    nl_iter it;
    const nl_tensor *ops[1] = {src};
    nl_status st = nl_iter_init(&it, dst, ops, 1);
    if (st != NL_OK) return st;
    nl_kernel k = dst->dtype == NL_F64 ? (src->dtype == NL_F64 ? copy_dd : copy_df)
                                       : (src->dtype == NL_F64 ? copy_fd : copy_ff);
    /* Overlapping storage (e.g. x:copy(x:t())) would read values already overwritten. */
    if (dst->storage == src->storage && dst != src) {
        nl_tensor tmp;
        int64_t sh[NL_MAXDIM];
        memcpy(sh, dst->shape, sizeof sh);
        st = nl_tensor_init(&tmp, src->dtype, dst->ndim, sh);
        if (st != NL_OK) return st;
        st = nl_copy(&tmp, src);
        if (st == NL_OK) st = nl_copy(dst, &tmp);
        nl_tensor_release(&tmp);
        return st;
    }
    nl_iter_run(&it, k, NULL);
    return NL_OK;
}

static void fill_d(int64_t n, char **p, const int64_t *s, const void *ctx)
{
    double v = *(const double *)ctx, *o = (double *)p[0];
    for (int64_t i = 0; i < n; i++) o[i * s[0]] = v;
}
static void fill_f(int64_t n, char **p, const int64_t *s, const void *ctx)
{
    float v = (float)*(const double *)ctx, *o = (float *)p[0];
    for (int64_t i = 0; i < n; i++) o[i * s[0]] = v;
}

nl_status nl_fill(const nl_tensor *t, double v)
{
    nl_iter it;
    nl_status st = nl_iter_init(&it, t, NULL, 0);
    if (st != NL_OK) return st;
    nl_iter_run(&it, t->dtype == NL_F64 ? fill_d : fill_f, &v);
    return NL_OK;
}

nl_status nl_arange(const nl_tensor *t, double start, double step)
{
    int64_t n = nl_numel(t);
    for (int64_t i = 0; i < n; i++) nl_set_flat(t, i, start + (double)i * step);
    return NL_OK;
}

nl_status nl_linspace(const nl_tensor *t, double a, double b)
{
    int64_t n = nl_numel(t);
    if (n == 1) nl_set_flat(t, 0, a);
    /* Both ends exact: fill from each end towards the middle (as numpy does). */
    for (int64_t i = 0; n > 1 && i < n; i++) {
        double step = (b - a) / (double)(n - 1);
        nl_set_flat(t, i, i < n / 2 ? a + (double)i * step : b - (double)(n - 1 - i) * step);
    }
    return NL_OK;
}

nl_status nl_index_select(const nl_tensor *out, const nl_tensor *src, int dim, const nl_tensor *idx)
{
    int64_t m = nl_numel(idx);
    if (dim < 0 || dim >= src->ndim || out->ndim != src->ndim || out->shape[dim] != m)
        return NL_ERR_SHAPE;
    for (int64_t j = 0; j < m; j++) {
        double v = nl_get_flat(idx, j);
        if (!(v >= 0 && v < (double)src->shape[dim]) || v != floor(v)) return NL_ERR_ARG;
    }
    for (int64_t j = 0; j < m; j++) {
        nl_tensor a = *src, b = *out;
        nl_view_select(&a, dim, (int64_t)nl_get_flat(idx, j));
        nl_view_select(&b, dim, j);
        nl_status st = nl_copy(&b, &a);
        if (st != NL_OK) return st;
    }
    return NL_OK;
}

nl_status nl_cat(const nl_tensor *out, const nl_tensor *const *parts, int n, int dim)
{
    int64_t pos = 0;
    for (int i = 0; i < n; i++) {
        nl_tensor b = *out;
        nl_status st = nl_view_narrow(&b, dim, pos, parts[i]->shape[dim]);
        if (st != NL_OK) return NL_ERR_SHAPE;
        st = nl_copy(&b, parts[i]);
        if (st != NL_OK) return st;
        pos += parts[i]->shape[dim];
    }
    return pos == out->shape[dim] ? NL_OK : NL_ERR_SHAPE;
}
