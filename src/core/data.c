/* noiselab data: IDX readers (zlib), index helpers, synthetic data sets.
 *
 * IDX is the format of LeCun, Cortes & Burges' MNIST files, reused by Fashion-MNIST
 * (Xiao, Rasul & Vollgraf 2017): a 4-byte magic 0x0000TTNN (TT element type, NN number of
 * dimensions), NN big-endian uint32 sizes, then the elements in C order.  Files are read with
 * zlib's gz* interface, which also reads uncompressed files transparently; the data are
 * streamed through a 64 KiB stack buffer, so nothing is allocated on the heap.
 *
 * Validation: the magic number (type and ndim), the sizes (the caller checks them against the
 * data set it expects), truncation (fewer bytes than the header promises), gzip damage (zlib's
 * inflate errors and, when the file is read to its end, the CRC-32 and length trailer), trailing
 * bytes after the data, label values.
 *
 * Verified (tests/data_spec.lua): the four Fashion-MNIST files give the counts 60000/10000 and the
 * same labels and pixel sums as an independent Python reader (gzip + numpy,
 * tests/reference/fashion_mnist_ref.py), exactly; damaged files give the expected messages.
 *
 * Permutations: Fisher-Yates in Durstenfeld's form (Knuth TAOCP vol. 2, Algorithm 3.4.2P) with
 * unbiased bounded integers (nl_rng_below, Lemire 2019).  Linear-regression inputs: x = L z with
 * L the Cholesky factor of the covariance (GSL gsl_linalg_cholesky_decomp1). */
#include "noiselab/data.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

#define CHUNK 65536

/* zlib's gzerror() prefixes the file name ("path: message"); keep only the message. */
static const char *zmsg(gzFile f, const char *path, int *zerr)
{
    const char *m = gzerror(f, zerr);
    if (!m)
        return "unknown zlib error";
    size_t n = strlen(path);
    if (strncmp(m, path, n) == 0 && m[n] == ':' && m[n + 1] == ' ')
        m += n + 2;
    return m;
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static const char *idx_type_name(int t)
{
    switch (t) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "short";
    case 0x0C: return "int";
    case 0x0D: return "float";
    case 0x0E: return "double";
    default: return "unknown type";
    }
}

/* Read exactly len bytes.  On a short read, says whether the gzip stream is damaged or the
 * file simply ends early; `what` names the part being read. */
static nl_status gz_read_exact(gzFile f, const char *path, void *buf, size_t len, const char *what,
                               uint64_t done_before, uint64_t total, char *err, size_t errlen)
{
    size_t got = 0;
    while (got < len) {
        unsigned ask = (unsigned)(len - got > (1u << 30) ? (1u << 30) : len - got);
        int r = gzread(f, (char *)buf + got, ask);
        if (r < 0) {
            int zerr;
            const char *m = zmsg(f, path, &zerr);
            seterr(err, errlen, "%s: corrupted gzip data while reading the %s (%s)", path, what,
                   m);
            return NL_ERR_FORMAT;
        }
        if (r == 0) {
            int zerr;
            const char *m = zmsg(f, path, &zerr);
            if (zerr != Z_OK && zerr != Z_STREAM_END) {
                seterr(err, errlen, "%s: truncated or corrupted gzip data while reading the %s (%s)",
                       path, what, m);
            } else {
                seterr(err, errlen,
                       "%s: truncated file: the %s needs %llu bytes, the file ends after %llu",
                       path, what, (unsigned long long)total,
                       (unsigned long long)(done_before + got));
            }
            return NL_ERR_FORMAT;
        }
        got += (size_t)r;
    }
    return NL_OK;
}

static nl_status open_idx(const char *path, gzFile *fp, char *err, size_t errlen)
{
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f) {
        seterr(err, errlen, "cannot open %s: %s", path, errno ? strerror(errno) : "zlib error");
        return NL_ERR_IO;
    }
    gzbuffer(f, 1u << 17);
    *fp = f;
    return NL_OK;
}

static nl_status read_header_f(gzFile f, const char *path, int want_ndim, nl_idx_header *h,
                               char *err, size_t errlen)
{
    unsigned char b[4];
    nl_status s = gz_read_exact(f, path, b, 4, "header", 0, 4, err, errlen);
    if (s)
        return s;
    h->magic = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
    h->type = b[2];
    h->ndim = b[3];
    int typeok = h->type == 0x08 || h->type == 0x09 || (h->type >= 0x0B && h->type <= 0x0E);
    if (b[0] != 0 || b[1] != 0 || !typeok || h->ndim < 1 || h->ndim > NL_IDX_MAXDIM) {
        seterr(err, errlen, "%s: bad magic number 0x%08X: not an IDX file", path,
               (unsigned)h->magic);
        return NL_ERR_FORMAT;
    }
    if (want_ndim > 0 && (h->ndim != want_ndim || h->type != 0x08)) {
        seterr(err, errlen,
               "%s: bad magic number 0x%08X: expected 0x%08X (IDX, unsigned bytes, %d dimension%s), "
               "got %s with %d dimension%s",
               path, (unsigned)h->magic, 0x800u + (unsigned)want_ndim, want_ndim,
               want_ndim == 1 ? "" : "s", idx_type_name(h->type), h->ndim,
               h->ndim == 1 ? "" : "s");
        return NL_ERR_FORMAT;
    }
    unsigned char d[4 * NL_IDX_MAXDIM];
    s = gz_read_exact(f, path, d, 4 * (size_t)h->ndim, "header", 4, 4 + 4 * (uint64_t)h->ndim, err,
                      errlen);
    if (s)
        return s;
    for (int i = 0; i < h->ndim; i++) {
        const unsigned char *p = d + 4 * i;
        h->dims[i] = ((int64_t)p[0] << 24) | ((int64_t)p[1] << 16) | ((int64_t)p[2] << 8) | p[3];
    }
    return NL_OK;
}

nl_status nl_idx_read_header(const char *path, int want_ndim, nl_idx_header *h, char *err,
                             size_t errlen)
{
    gzFile f;
    nl_status s = open_idx(path, &f, err, errlen);
    if (s)
        return s;
    s = read_header_f(f, path, want_ndim, h, err, errlen);
    gzclose(f);
    return s;
}

/* After the last data byte: when the whole file is meant to be consumed, one more read must
 * give end-of-file (and makes zlib verify the gzip trailer's CRC-32 and length). */
static nl_status check_end(gzFile f, const char *path, char *err, size_t errlen)
{
    unsigned char extra[256];
    int r = gzread(f, extra, sizeof extra);
    if (r < 0) {
        int zerr;
        const char *m = zmsg(f, path, &zerr);
        seterr(err, errlen, "%s: corrupted gzip data at the end of the file (%s)", path,
               m);
        return NL_ERR_FORMAT;
    }
    if (r > 0) {
        uint64_t n = (uint64_t)r;
        while ((r = gzread(f, extra, sizeof extra)) > 0)
            n += (uint64_t)r;
        seterr(err, errlen, "%s: %llu unexpected bytes after the data the header describes", path,
               (unsigned long long)n);
        return NL_ERR_FORMAT;
    }
    int zerr;
    const char *m = zmsg(f, path, &zerr);
    if (zerr != Z_OK && zerr != Z_STREAM_END) {
        seterr(err, errlen, "%s: truncated or corrupted gzip data at the end of the file (%s)",
               path, m);
        return NL_ERR_FORMAT;
    }
    return NL_OK;
}

static nl_status check_out(const nl_tensor *out, int64_t n_expected, const char *path, char *err,
                           size_t errlen)
{
    if (!out || !nl_is_contiguous(out) || nl_numel(out) != n_expected) {
        seterr(err, errlen, "%s: output tensor must be contiguous with %lld elements", path,
               (long long)n_expected);
        return NL_ERR_SHAPE;
    }
    return NL_OK;
}

/* Opens the idx file `path`, reads its header (ndims dimensions) and checks that it holds the
 * n items asked for.  On success *f is open (the caller closes it); on failure it is closed. */
static nl_status open_for_items(const char *path, int ndims, int64_t n, const char *what,
                                gzFile *f, nl_idx_header *h, char *err, size_t errlen)
{
    nl_status s = open_idx(path, f, err, errlen);
    if (s)
        return s;
    if (!(s = read_header_f(*f, path, ndims, h, err, errlen)) && (n < 0 || n > h->dims[0])) {
        seterr(err, errlen, "%s: asked for %lld %s, the file holds %lld", path, (long long)n, what,
               (long long)h->dims[0]);
        s = NL_ERR_ARG;
    }
    if (s)
        gzclose(*f);
    return s;
}

nl_status nl_idx_read_images(const char *path, int64_t n, const nl_tensor *out, double mean,
                             double std, char *err, size_t errlen)
{
    if (!(std > 0) || !isfinite(mean) || !isfinite(std)) {
        seterr(err, errlen, "normalisation needs a finite mean and std > 0");
        return NL_ERR_ARG;
    }
    gzFile f;
    nl_idx_header h;
    nl_status s = open_for_items(path, 3, n, "images", &f, &h, err, errlen);
    if (s)
        return s;
    int64_t item = h.dims[1] * h.dims[2];
    if ((s = check_out(out, n * item, path, err, errlen)))
        goto done;
    /* 256-entry table: every pixel value maps to one float, computed once in double. */
    double lut[256];
    for (int p = 0; p < 256; p++)
        lut[p] = ((double)p / 255.0 - mean) / std;
    unsigned char buf[CHUNK];
    uint64_t total = (uint64_t)(n * item), done_bytes = 0;
    uint64_t hdr = 16;
    float *o32 = out->dtype == NL_F32 ? (float *)nl_data(out) : NULL;
    double *o64 = out->dtype == NL_F64 ? (double *)nl_data(out) : NULL;
    while (done_bytes < total) {
        size_t len = total - done_bytes > CHUNK ? CHUNK : (size_t)(total - done_bytes);
        s = gz_read_exact(f, path, buf, len, "pixel data", hdr + done_bytes,
                          hdr + (uint64_t)(h.dims[0] * item), err, errlen);
        if (s)
            goto done;
        if (o32)
            for (size_t i = 0; i < len; i++)
                o32[done_bytes + i] = (float)lut[buf[i]];
        else
            for (size_t i = 0; i < len; i++)
                o64[done_bytes + i] = lut[buf[i]];
        done_bytes += len;
    }
    if (n == h.dims[0])
        s = check_end(f, path, err, errlen);
done:
    gzclose(f);
    return s;
}

nl_status nl_idx_read_labels(const char *path, int64_t n, const nl_tensor *out, double base,
                             int nclasses, char *err, size_t errlen)
{
    gzFile f;
    nl_idx_header h;
    nl_status s = open_for_items(path, 1, n, "labels", &f, &h, err, errlen);
    if (s)
        return s;
    if ((s = check_out(out, n, path, err, errlen)))
        goto done;
    unsigned char buf[CHUNK];
    uint64_t total = (uint64_t)n, done_bytes = 0;
    while (done_bytes < total) {
        size_t len = total - done_bytes > CHUNK ? CHUNK : (size_t)(total - done_bytes);
        s = gz_read_exact(f, path, buf, len, "labels", 8 + done_bytes, 8 + (uint64_t)h.dims[0],
                          err, errlen);
        if (s)
            goto done;
        for (size_t i = 0; i < len; i++) {
            if (nclasses > 0 && buf[i] >= nclasses) {
                seterr(err, errlen, "%s: label %d at position %llu is out of range 0..%d", path,
                       buf[i], (unsigned long long)(done_bytes + i + 1), nclasses - 1);
                s = NL_ERR_FORMAT;
                goto done;
            }
            nl_set_flat(out, (int64_t)(done_bytes + i), buf[i] + base);
        }
        done_bytes += len;
    }
    if (n == h.dims[0])
        s = check_end(f, path, err, errlen);
done:
    gzclose(f);
    return s;
}

/* ---- indices ---- */

static int index_out_ok(const nl_tensor *t)
{
    return t && nl_is_contiguous(t);
}

static void put_index(const nl_tensor *t, int64_t i, double v)
{
    if (t->dtype == NL_F64)
        ((double *)nl_data(t))[i] = v;
    else
        ((float *)nl_data(t))[i] = (float)v;
}

nl_status nl_data_permutation(const nl_tensor *out, nl_rng *g)
{
    if (!index_out_ok(out))
        return NL_ERR_ARG;
    int64_t n = nl_numel(out);
    if (out->dtype == NL_F32 && n > (1 << 24))
        return NL_ERR_ARG; /* indices would not be exact in f32 */
    for (int64_t i = 0; i < n; i++)
        put_index(out, i, (double)i);
    /* Durstenfeld: for i = n-1 down to 1 swap element i with a uniform j in [0, i]. */
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)nl_rng_below(g, (uint64_t)i + 1);
        double a = nl_get_flat(out, i), b = nl_get_flat(out, j);
        put_index(out, i, b);
        put_index(out, j, a);
    }
    return NL_OK;
}

nl_status nl_data_sample_indices(const nl_tensor *out, int64_t n, nl_rng *g)
{
    if (!index_out_ok(out) || n < 1)
        return NL_ERR_ARG;
    if (out->dtype == NL_F32 && n > (1 << 24))
        return NL_ERR_ARG;
    int64_t m = nl_numel(out);
    for (int64_t i = 0; i < m; i++)
        put_index(out, i, (double)nl_rng_below(g, (uint64_t)n));
    return NL_OK;
}

nl_status nl_data_relabel(const nl_tensor *labels, int64_t from, int64_t to, int nclasses,
                          double base, nl_rng *g)
{
    if (!labels || nclasses < 2)
        return NL_ERR_ARG;
    int64_t n = nl_numel(labels);
    if (from < 0 || to > n || from > to)
        return NL_ERR_ARG;
    for (int64_t i = from; i < to; i++) {
        double c = nl_get_flat(labels, i) - base;
        if (!(c >= 0 && c < nclasses && c == floor(c)))
            return NL_ERR_ARG;
    }
    for (int64_t i = from; i < to; i++) {
        int64_t c = (int64_t)(nl_get_flat(labels, i) - base);
        /* uniform over the nclasses-1 other classes: draw in [0, K-1), skip c */
        int64_t r = (int64_t)nl_rng_below(g, (uint64_t)nclasses - 1);
        if (r >= c)
            r++;
        nl_set_flat(labels, i, (double)r + base);
    }
    return NL_OK;
}

/* ---- synthetic ---- */

nl_status nl_data_sinusoids(const nl_tensor *t, const nl_tensor *y, const double *ks, int nk,
                            const nl_tensor *phases, nl_rng *g)
{
    if (!t || !y || nk < 0 || (nk > 0 && !ks))
        return NL_ERR_ARG;
    int64_t n = nl_numel(t);
    if (nl_numel(y) != n || (phases && nl_numel(phases) != nk))
        return NL_ERR_SHAPE;
    const double twopi = 2.0 * M_PI;
    /* Phases first (in the order of ks), so the data depend only on (seed, ks). */
    double phi_stack[64];
    if (nk > 64 && !phases)
        return NL_ERR_ARG; /* more than 64 frequencies need a phases tensor to hold them */
    for (int k = 0; k < nk; k++) {
        double u = nl_rng_uniform(g);
        if (phases)
            nl_set_flat(phases, k, u);
        if (k < 64)
            phi_stack[k] = u;
    }
    for (int64_t i = 0; i < n; i++) {
        double ti = (double)i / (double)n, s = 0;
        for (int k = 0; k < nk; k++) {
            double phi = k < 64 ? phi_stack[k] : nl_get_flat(phases, k);
            s += sin(twopi * ks[k] * ti + twopi * phi);
        }
        nl_set_flat(t, i, ti);
        nl_set_flat(y, i, s);
    }
    return NL_OK;
}

nl_status nl_data_linear_regression(const nl_tensor *x, const nl_tensor *y, const nl_tensor *cov,
                                    const nl_tensor *u, double noise, const nl_tensor *work,
                                    nl_rng *g, char *err, size_t errlen)
{
    if (!x || !y || !cov || !u || !work || x->ndim != 2 || !nl_is_contiguous(x))
        return NL_ERR_ARG;
    int64_t n = x->shape[0], d = x->shape[1];
    if (nl_numel(y) != n || nl_numel(u) != d || cov->ndim != 2 || cov->shape[0] != d ||
        cov->shape[1] != d || work->dtype != NL_F64 || !nl_is_contiguous(work) ||
        nl_numel(work) != d * d) {
        seterr(err, errlen, "linear_regression: shapes of x, y, cov, u or work do not agree");
        return NL_ERR_SHAPE;
    }
    double *L = (double *)nl_data(work);
    for (int64_t i = 0; i < d; i++)
        for (int64_t j = 0; j < d; j++)
            L[i * d + j] = nl_get_flat(cov, i * d + j);
    for (int64_t i = 0; i < d; i++)
        for (int64_t j = 0; j < i; j++)
            if (fabs(L[i * d + j] - L[j * d + i]) > 1e-12 * (fabs(L[i * d + j]) + fabs(L[j * d + i])) &&
                L[i * d + j] != L[j * d + i]) {
                seterr(err, errlen, "covariance is not symmetric: cov[%lld][%lld] = %g, cov[%lld][%lld] = %g",
                       (long long)i + 1, (long long)j + 1, L[i * d + j], (long long)j + 1,
                       (long long)i + 1, L[j * d + i]);
                return NL_ERR_ARG;
            }
    gsl_matrix_view mv = gsl_matrix_view_array(L, (size_t)d, (size_t)d);
    int gs = gsl_linalg_cholesky_decomp1(&mv.matrix);
    if (gs) {
        seterr(err, errlen, "covariance is not positive definite (Cholesky: %s)", gsl_strerror(gs));
        return NL_ERR_ARG;
    }
    double z[256];
    if (d > 256) {
        seterr(err, errlen, "linear_regression supports d <= 256, got %lld", (long long)d);
        return NL_ERR_ARG;
    }
    double ub[256];
    for (int64_t j = 0; j < d; j++)
        ub[j] = nl_get_flat(u, j);
    for (int64_t i = 0; i < n; i++) {
        for (int64_t j = 0; j < d; j++)
            z[j] = nl_rng_normal(g);
        double yi = 0;
        for (int64_t a = 0; a < d; a++) {
            /* lower triangle of L (GSL leaves L in the lower part, upper part is L^T) */
            double s = 0;
            for (int64_t b = 0; b <= a; b++)
                s += L[a * d + b] * z[b];
            nl_set_flat(x, i * d + a, s);
            yi += ub[a] * s;
        }
        yi += noise * nl_rng_normal(g);
        nl_set_flat(y, i, yi);
    }
    return NL_OK;
}

nl_status nl_data_gaussian_mixture(const nl_tensor *x, const nl_tensor *labels,
                                   const nl_tensor *means, const nl_tensor *weights, double sigma,
                                   nl_rng *g)
{
    if (!x || !labels || !means || !weights || x->ndim != 2 || means->ndim != 2)
        return NL_ERR_ARG;
    int64_t n = x->shape[0], d = x->shape[1], K = means->shape[0];
    if (means->shape[1] != d || nl_numel(labels) != n || nl_numel(weights) != K || K < 1)
        return NL_ERR_SHAPE;
    double tot = 0;
    for (int64_t k = 0; k < K; k++) {
        double w = nl_get_flat(weights, k);
        if (!(w >= 0) || !isfinite(w))
            return NL_ERR_ARG;
        tot += w;
    }
    if (!(tot > 0) || !(sigma >= 0))
        return NL_ERR_ARG;
    int64_t idx[NL_MAXDIM];
    for (int64_t i = 0; i < n; i++) {
        double u = nl_rng_uniform(g) * tot, c = 0;
        int64_t k = 0;
        for (; k < K - 1; k++) {
            c += nl_get_flat(weights, k);
            if (u < c)
                break;
        }
        nl_set_flat(labels, i, (double)(k + 1));
        for (int64_t j = 0; j < d; j++) {
            idx[0] = k;
            idx[1] = j;
            double m = nl_get_at(means, idx);
            idx[0] = i;
            nl_set_at(x, idx, m + sigma * nl_rng_normal(g));
        }
    }
    return NL_OK;
}
