/* Internal: error formatting and atomic writes shared by the file formats (npy.c, csv.c). */
#ifndef NOISELAB_FILEIO_H
#define NOISELAB_FILEIO_H
#include <stdio.h>
#include "noiselab/tensor.h"

/* Format a message into err (if any) and return st. */
nl_status nl_fail(char *err, size_t errlen, nl_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Open a temporary file next to path (name in tmp); NULL with err set on failure. */
FILE *nl_atomic_begin(const char *path, char *tmp, size_t tmplen, char *err, size_t errlen);
/* Close f; if ok and the close succeeded, rename tmp over path, else remove tmp. */
nl_status nl_atomic_end(FILE *f, const char *tmp, const char *path, int ok, char *err, size_t errlen);
#endif
