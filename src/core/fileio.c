/* Atomic file writes: data go to a temporary file in the target's directory (same file
 * system, so rename(2) is atomic), which replaces the target only once completely written and
 * closed.  A failed or interrupted write leaves the old file, or none, never a partial one. */
#include "fileio.h"
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

nl_status nl_fail(char *err, size_t errlen, nl_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen) vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return st;
}

FILE *nl_atomic_begin(const char *path, char *tmp, size_t tmplen, char *err, size_t errlen)
{
    if ((size_t)snprintf(tmp, tmplen, "%s.tmp.XXXXXX", path) >= tmplen) {
        nl_fail(err, errlen, NL_ERR_IO, "path too long: '%s'", path);
        return NULL;
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        nl_fail(err, errlen, NL_ERR_IO, "cannot create a file next to '%s': %s", path, strerror(errno));
        return NULL;
    }
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        nl_fail(err, errlen, NL_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
        close(fd);
        unlink(tmp);
    }
    return f;
}

nl_status nl_atomic_end(FILE *f, const char *tmp, const char *path, int ok, char *err, size_t errlen)
{
    int saved = errno;
    if (fclose(f) != 0 && ok) {
        ok = 0;
        saved = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = 0;
        saved = errno;
    }
    if (!ok) {
        unlink(tmp);
        return nl_fail(err, errlen, NL_ERR_IO, "cannot write '%s': %s", path, strerror(saved));
    }
    return NL_OK;
}
