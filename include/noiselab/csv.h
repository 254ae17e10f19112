/* CSV files of numbers with an optional header line (see src/core/csv.c). */
#ifndef NOISELAB_CSV_H
#define NOISELAB_CSV_H
#include "noiselab/tensor.h"

#define NL_CSV_MAXCOLS 4096

typedef struct nl_csv_info {
    int64_t rows;
    int cols;
    int has_header;
    char names[16384];               /* NUL-separated column names */
    int name_offset[NL_CSV_MAXCOLS]; /* where each name starts in names */
} nl_csv_info;

/* Write a 1-d (one column) or 2-d tensor, with a header when nnames > 0; atomic. */
nl_status nl_csv_write(const char *path, const nl_tensor *t, const char *const *names, int nnames,
                       char *err, size_t errlen);
/* First pass: dimensions, header, validation of every field. */
nl_status nl_csv_shape(const char *path, nl_csv_info *info, char *err, size_t errlen);
/* Second pass: the values into out (rows x cols elements). */
nl_status nl_csv_read(const char *path, const nl_csv_info *info, const nl_tensor *out, char *err,
                      size_t errlen);
#endif
