/* noiselab.runtime: process-wide settings (BLAS threads) and build information. */
#include "common.h"
#include <cblas.h>
#include <time.h>
#include <unistd.h>

/* OpenBLAS's own entry points (declared in its cblas.h for the pthread build). */
static int r_threads(lua_State *L)
{
    if (!lua_isnoneornil(L, 1)) {
        lua_Integer n = luaL_checkinteger(L, 1);
        if (n < 1 || n > 1024) return nlL_error(L, "bad argument #1 to 'threads' (thread count must be in [1, 1024], got %d)", (int)n);
        openblas_set_num_threads((int)n);
    }
    lua_pushinteger(L, openblas_get_num_threads());
    return 1;
}

static int r_blas_config(lua_State *L)
{
    lua_pushstring(L, openblas_get_config());
    return 1;
}

/* Monotonic wall-clock seconds (for timing phases, rates and ETAs; os.clock() is CPU time). */
static int r_clock(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushnumber(L, (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec);
    return 1;
}

/* isatty(fd): is file descriptor fd (0 stdin, 1 stdout, 2 stderr) a terminal? */
static int r_isatty(lua_State *L)
{
    lua_Integer fd = luaL_checkinteger(L, 1);
    lua_pushboolean(L, fd >= 0 && fd <= 1024 && isatty((int)fd));
    return 1;
}

static const luaL_Reg functions[] = {{"threads", r_threads}, {"blas_config", r_blas_config},
                                     {"clock", r_clock}, {"isatty", r_isatty}, {NULL, NULL}};

static const nlL_help help_functions[] = {
    {"threads", "noiselab.threads([n])", "Set (and return) the number of BLAS threads; default 1."},
    {"blas_config", "runtime.blas_config()", "OpenBLAS build configuration string."},
    {"clock", "noiselab.clock()", "Monotonic wall-clock time in seconds."},
    {"isatty", "noiselab.isatty(fd)", "true if file descriptor fd is a terminal."},
    {NULL, NULL, NULL}};

int luaopen_noiselab_runtime(lua_State *L);
int luaopen_noiselab_runtime(lua_State *L)
{
    luaL_newlib(L, functions);
    lua_pushliteral(L, NL_VERSION);
    lua_setfield(L, -2, "version");
    nlL_register_help(L, "runtime", help_functions);
    return 1;
}
