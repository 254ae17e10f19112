/* NumPy .npy files (format versions 1.0, 2.0, 3.0 as specified in numpy/lib/format.py's
 * documentation): magic "\x93NUMPY", version, little-endian header length, a Python dict
 * literal {'descr': ..., 'fortran_order': ..., 'shape': (...)} padded with spaces to a
 * multiple of 64 bytes, then the raw data.  Writes are atomic: a temporary file in the same
 * directory, renamed over the target only once complete. */
#include "noiselab/tensor.h"
#include "fileio.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nl_status nl_npy_save(const char *path, const nl_tensor *t, nl_npy_type as, char *err,
                      size_t errlen)
{
    char header[1024], shape[512] = "";
    size_t sl = 0;
    for (int i = 0; i < t->ndim; i++)
        sl += (size_t)snprintf(shape + sl, sizeof shape - sl, "%lld,%s", (long long)t->shape[i],
                               i + 1 < t->ndim ? " " : "");
    if (t->ndim > 1) shape[sl - 1] = '\0'; /* (3, 4) not (3, 4,) — numpy writes it this way */
    const char *descr = as == NL_NPY_F32 ? "<f4" : as == NL_NPY_F64 ? "<f8" : "<i8";
    int hl = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                      descr, shape);
    /* pad so that magic(6) + version(2) + len(2) + header + '\n' is a multiple of 64 */
    size_t total = 10 + (size_t)hl + 1;
    size_t pad = (64 - total % 64) % 64;
    for (size_t i = 0; i < pad; i++) header[hl++] = ' ';
    header[hl++] = '\n';
    char tmp[4096];
    FILE *f = nl_atomic_begin(path, tmp, sizeof tmp, err, errlen);
    if (!f) return NL_ERR_IO;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hl & 0xff),
                             (unsigned char)(hl >> 8)};
    int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(header, 1, (size_t)hl, f) == (size_t)hl;
    int64_t n = nl_numel(t);
    enum { CHUNK = 4096 };
    union { float f[CHUNK]; double d[CHUNK]; int64_t i[CHUNK]; } buf;
    for (int64_t s = 0; ok && s < n; s += CHUNK) {
        int64_t m = n - s < CHUNK ? n - s : CHUNK;
        size_t es;
        for (int64_t j = 0; j < m; j++) {
            double v = nl_get_flat(t, s + j);
            if (as == NL_NPY_F32) buf.f[j] = (float)v;
            else if (as == NL_NPY_F64) buf.d[j] = v;
            else buf.i[j] = (int64_t)v;
        }
        es = as == NL_NPY_F32 ? 4 : 8;
        ok = fwrite(&buf, es, (size_t)m, f) == (size_t)m;
    }
    return nl_atomic_end(f, tmp, path, ok, err, errlen);
}

static const char *find_key(const char *h, const char *key)
{
    const char *p = strstr(h, key);
    if (!p) return NULL;
    p += strlen(key);
    while (*p == ' ' || *p == ':') p++;
    return p;
}

nl_status nl_npy_read_header(const char *path, nl_npy_header *h, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) return nl_fail(err, errlen, NL_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    unsigned char pre[12];
    size_t got = fread(pre, 1, 10, f);
    if (got < 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
        fclose(f);
        return nl_fail(err, errlen, NL_ERR_FORMAT, "'%s' is not a .npy file (bad magic)", path);
    }
    int major = pre[6];
    size_t hlen;
    size_t preamble = 10;
    if (major == 1) {
        hlen = (size_t)pre[8] | ((size_t)pre[9] << 8);
    } else if (major == 2 || major == 3) {
        if (fread(pre + 10, 1, 2, f) != 2) {
            fclose(f);
            return nl_fail(err, errlen, NL_ERR_FORMAT, "'%s': truncated .npy header", path);
        }
        hlen = (size_t)pre[8] | ((size_t)pre[9] << 8) | ((size_t)pre[10] << 16) | ((size_t)pre[11] << 24);
        preamble = 12;
    } else {
        fclose(f);
        return nl_fail(err, errlen, NL_ERR_FORMAT, "'%s': unsupported .npy version %d", path, major);
    }
    if (hlen > 1 << 20) {
        fclose(f);
        return nl_fail(err, errlen, NL_ERR_FORMAT, "'%s': .npy header length %zu is absurd", path, hlen);
    }
    char *hdr = malloc(hlen + 1);
    if (!hdr) {
        fclose(f);
        return nl_fail(err, errlen, NL_ERR_NOMEM, "out of memory");
    }
    if (fread(hdr, 1, hlen, f) != hlen) {
        free(hdr);
        fclose(f);
        return nl_fail(err, errlen, NL_ERR_FORMAT, "'%s': truncated .npy header", path);
    }
    hdr[hlen] = '\0';
    fseek(f, 0, SEEK_END);
    long fsize = ftell(f);
    fclose(f);
    nl_status st = NL_OK;
    memset(h, 0, sizeof *h);
    const char *d = find_key(hdr, "'descr'");
    const char *fo = find_key(hdr, "'fortran_order'");
    const char *sh = find_key(hdr, "'shape'");
    if (!d || *d != '\'' || !fo || !sh || *sh != '(') {
        st = nl_fail(err, errlen, NL_ERR_FORMAT, "'%s': malformed .npy header", path);
        goto out;
    }
    d++;
    size_t dl = strcspn(d, "'");
    if (dl == 0 || dl >= sizeof h->descr) {
        st = nl_fail(err, errlen, NL_ERR_FORMAT, "'%s': malformed dtype in .npy header", path);
        goto out;
    }
    memcpy(h->descr, d, dl);
    h->descr[dl] = '\0';
    if (nl_npy_result_dtype(h) == (nl_dtype)-1) {
        st = nl_fail(err, errlen, NL_ERR_FORMAT, "'%s': unsupported .npy dtype '%s' (expected f4, f8 or an integer type)", path, h->descr);
        goto out;
    }
    h->fortran_order = strncmp(fo, "True", 4) == 0;
    const char *p = sh + 1;
    h->ndim = 0;
    while (1) {
        while (*p == ' ' || *p == ',') p++;
        if (*p == ')') break;
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v < 0 || h->ndim >= NL_MAXDIM) {
            st = nl_fail(err, errlen, NL_ERR_FORMAT, "'%s': malformed or unsupported shape in .npy header", path);
            goto out;
        }
        h->shape[h->ndim++] = v;
        p = end;
    }
    h->data_offset = preamble + hlen;
    size_t es = (size_t)atoi(h->descr + 2), need;
    if (nl_shape_bytes(NL_F32, h->ndim, h->shape, &need) != NL_OK) {
        st = nl_fail(err, errlen, NL_ERR_FORMAT, "'%s': shape too large", path);
        goto out;
    }
    need = need / 4 * es;
    if ((size_t)fsize < h->data_offset + need) {
        st = nl_fail(err, errlen, NL_ERR_FORMAT, "'%s': truncated .npy data (%zu bytes expected, %ld present)",
                  path, need, fsize - (long)h->data_offset);
        goto out;
    }
out:
    free(hdr);
    return st;
}

/* f4 stays f32; everything else (f8 and the integers) becomes f64. */
nl_dtype nl_npy_result_dtype(const nl_npy_header *h)
{
    const char *d = h->descr;
    if (strlen(d) != 3 || !strchr("<>|=", d[0])) return (nl_dtype)-1;
    if (d[1] == 'f' && d[2] == '4') return NL_F32;
    if (d[1] == 'f' && d[2] == '8') return NL_F64;
    if ((d[1] == 'i' || d[1] == 'u') && strchr("1248", d[2])) return NL_F64;
    return (nl_dtype)-1;
}

static double decode(const unsigned char *p, const char *descr)
{
    int big = descr[0] == '>';
    int n = descr[2] - '0';
    unsigned char b[8];
    for (int i = 0; i < n; i++) b[i] = big ? p[n - 1 - i] : p[i];
    switch (descr[1]) {
    case 'f':
        if (n == 4) { float f; memcpy(&f, b, 4); return f; }
        else { double d; memcpy(&d, b, 8); return d; }
    case 'i':
        if (n == 1) return (int8_t)b[0];
        if (n == 2) { int16_t v; memcpy(&v, b, 2); return v; }
        if (n == 4) { int32_t v; memcpy(&v, b, 4); return v; }
        { int64_t v; memcpy(&v, b, 8); return (double)v; }
    default:
        if (n == 1) return b[0];
        if (n == 2) { uint16_t v; memcpy(&v, b, 2); return v; }
        if (n == 4) { uint32_t v; memcpy(&v, b, 4); return v; }
        { uint64_t v; memcpy(&v, b, 8); return (double)v; }
    }
}

nl_status nl_npy_read_data(const char *path, const nl_npy_header *h, const nl_tensor *out,
                           char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) return nl_fail(err, errlen, NL_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    if (fseek(f, (long)h->data_offset, SEEK_SET) != 0) {
        fclose(f);
        return nl_fail(err, errlen, NL_ERR_FORMAT, "'%s': truncated .npy data", path);
    }
    int64_t n = nl_numel(out);
    size_t es = (size_t)(h->descr[2] - '0');
    enum { CHUNK = 8192 };
    unsigned char buf[CHUNK * 8];
    /* A Fortran-ordered file holds the transpose: element j of the file is at the reversed
     * multi-index. */
    nl_tensor target = *out;
    if (h->fortran_order) {
        int perm[NL_MAXDIM];
        for (int i = 0; i < out->ndim; i++) perm[i] = out->ndim - 1 - i;
        nl_view_permute(&target, perm);
    }
    for (int64_t s = 0; s < n; s += CHUNK) {
        int64_t m = n - s < CHUNK ? n - s : CHUNK;
        if (fread(buf, es, (size_t)m, f) != (size_t)m) {
            fclose(f);
            return nl_fail(err, errlen, NL_ERR_FORMAT, "'%s': truncated .npy data", path);
        }
        for (int64_t j = 0; j < m; j++) nl_set_flat(&target, s + j, decode(buf + (size_t)j * es, h->descr));
    }
    fclose(f);
    return NL_OK;
}
