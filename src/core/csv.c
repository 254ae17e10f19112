/* CSV files of numbers: an optional header line of column names, then one row per line,
 * comma-separated, written with 17 significant digits so doubles round-trip exactly.  Writes
 * are atomic (temporary file + rename); reads check that every row has the header's number of
 * fields and name the offending line. */
#include "noiselab/csv.h"
#include "fileio.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nl_status nl_csv_write(const char *path, const nl_tensor *t, const char *const *names, int nnames,
                       char *err, size_t errlen)
{
    if (t->ndim > 2) return nl_fail(err, errlen, NL_ERR_SHAPE, "a 1-d or 2-d tensor is needed, got %d dims", t->ndim);
    int64_t rows = t->ndim == 0 ? 1 : t->shape[0], cols = t->ndim == 2 ? t->shape[1] : 1;
    if (nnames && nnames != cols)
        return nl_fail(err, errlen, NL_ERR_SHAPE, "%d column names for %lld columns", nnames, (long long)cols);
    char tmp[4096];
    FILE *f = nl_atomic_begin(path, tmp, sizeof tmp, err, errlen);
    if (!f) return NL_ERR_IO;
    int ok = 1;
    for (int j = 0; j < nnames && ok; j++) ok = fprintf(f, j ? ",%s" : "%s", names[j]) > 0;
    if (nnames && ok) ok = fputc('\n', f) != EOF;
    for (int64_t i = 0; i < rows && ok; i++) {
        for (int64_t j = 0; j < cols && ok; j++)
            ok = fprintf(f, j ? ",%.17g" : "%.17g", nl_get_flat(t, i * cols + j)) > 0;
        if (ok) ok = fputc('\n', f) != EOF;
    }
    return nl_atomic_end(f, tmp, path, ok, err, errlen);
}

/* Split a line in place at commas; returns the number of fields (at most max). */
static int split(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    size_t len = strlen(p);
    while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r')) p[--len] = '\0';
    if (len == 0) return 0;
    for (;;) {
        if (n < max) fields[n] = p;
        n++;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

static int parse_number(const char *s, double *v)
{
    while (*s == ' ' || *s == '"') s++;
    char *end;
    *v = strtod(s, &end);
    if (end == s) return 0;
    while (*end == ' ' || *end == '"') end++;
    return *end == '\0';
}

nl_status nl_csv_shape(const char *path, nl_csv_info *info, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) return nl_fail(err, errlen, NL_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int64_t lineno = 0, rows = 0;
    int cols = -1;
    nl_status st = NL_OK;
    memset(info, 0, sizeof *info);
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        char *fields[NL_CSV_MAXCOLS];
        int k = split(line, fields, NL_CSV_MAXCOLS);
        if (k == 0) continue; /* blank line */
        if (k > NL_CSV_MAXCOLS) {
            st = nl_fail(err, errlen, NL_ERR_FORMAT, "'%s' line %lld: more than %d columns", path, (long long)lineno, NL_CSV_MAXCOLS);
            break;
        }
        if (cols < 0) {
            cols = k;
            int numeric = 1;
            double v;
            for (int j = 0; j < k; j++)
                if (!parse_number(fields[j], &v)) numeric = 0;
            if (!numeric) {
                info->has_header = 1;
                size_t used = 0;
                for (int j = 0; j < k; j++) {
                    const char *name = fields[j];
                    while (*name == ' ' || *name == '"') name++;
                    size_t l = strlen(name);
                    while (l > 0 && (name[l - 1] == ' ' || name[l - 1] == '"')) l--;
                    if (used + l + 1 > sizeof info->names) l = 0;
                    memcpy(info->names + used, name, l);
                    info->names[used + l] = '\0';
                    info->name_offset[j] = (int)used;
                    used += l + 1;
                }
                continue;
            }
        }
        if (k != cols) {
            st = nl_fail(err, errlen, NL_ERR_FORMAT, "'%s' line %lld: %d fields, expected %d", path, (long long)lineno, k, cols);
            break;
        }
        for (int j = 0; j < k; j++) {
            double v;
            if (!parse_number(fields[j], &v)) {
                st = nl_fail(err, errlen, NL_ERR_FORMAT, "'%s' line %lld, column %d: '%s' is not a number", path,
                          (long long)lineno, j + 1, fields[j]);
                break;
            }
        }
        if (st != NL_OK) break;
        rows++;
    }
    free(line);
    fclose(f);
    if (st != NL_OK) return st;
    if (cols < 0) return nl_fail(err, errlen, NL_ERR_FORMAT, "'%s' is empty", path);
    info->rows = rows;
    info->cols = cols;
    return NL_OK;
}

nl_status nl_csv_read(const char *path, const nl_csv_info *info, const nl_tensor *out, char *err,
                      size_t errlen)
{
    if (nl_numel(out) != info->rows * info->cols) return NL_ERR_SHAPE;
    FILE *f = fopen(path, "r");
    if (!f) return nl_fail(err, errlen, NL_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    int64_t i = 0;
    int skip_header = info->has_header;
    while (i < info->rows && getline(&line, &cap, f) >= 0) {
        char *fields[NL_CSV_MAXCOLS];
        int k = split(line, fields, NL_CSV_MAXCOLS);
        if (k == 0) continue;
        if (skip_header) {
            skip_header = 0;
            continue;
        }
        for (int j = 0; j < k && j < info->cols; j++) {
            double v = 0;
            parse_number(fields[j], &v);
            nl_set_flat(out, i * info->cols + j, v);
        }
        i++;
    }
    free(line);
    fclose(f);
    return i == info->rows ? NL_OK : nl_fail(err, errlen, NL_ERR_FORMAT, "'%s' changed while reading", path);
}
