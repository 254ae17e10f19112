/* Lua binding "noiselab.data_core": IDX readers, index helpers and synthetic generators of
 * src/core/data.c.  lua/noiselab/data.lua builds the user-facing nl.data on top of it.
 *
 * File problems (missing, truncated, corrupted) are returned as `nil, message` so the Lua layer
 * can add how to install the data set; bad arguments raise.  Indices exchanged with Lua here are
 * 0-based (they feed the gather directly); data.lua documents the 1-based user view. */
#include <math.h>
#include <string.h>

#include "bind/common.h"
#include "noiselab/data.h"

/* nil, message: how a reader reports a missing or corrupted file */
static int push_fail(lua_State *L, const char *msg)
{
    lua_pushnil(L);
    lua_pushstring(L, msg);
    return 2;
}

/* data_core.idx_header(path) -> {magic=, type=, dims={...}} | nil, message */
static int l_idx_header(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    int want = (int)luaL_optinteger(L, 2, 0);
    nl_idx_header h;
    char err[1024];
    if (nl_idx_read_header(path, want, &h, err, sizeof err)) return push_fail(L, err);
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, (lua_Integer)h.magic);
    lua_setfield(L, -2, "magic");
    lua_pushinteger(L, h.type);
    lua_setfield(L, -2, "type");
    lua_createtable(L, h.ndim, 0);
    for (int i = 0; i < h.ndim; i++) {
        lua_pushinteger(L, (lua_Integer)h.dims[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "dims");
    return 1;
}

/* Reads the header of the idx file `path` (ndims dimensions) into *h and settles the count *n
 * (negative: the whole file).  Returns 0, or 2 after pushing nil, message. */
static int idx_header(lua_State *L, const char *path, int ndims, const char *what,
                      lua_Integer *n, nl_idx_header *h, char *err, size_t errsize)
{
    if (nl_idx_read_header(path, ndims, h, err, errsize)) return push_fail(L, err);
    if (*n < 0)
        *n = h->dims[0];
    if (*n > h->dims[0]) {
        lua_pushnil(L);
        lua_pushfstring(L, "%s: asked for %I %s, the file holds %I", path, *n, what,
                        (lua_Integer)h->dims[0]);
        return 2;
    }
    return 0;
}

/* data_core.read_images(path, n|nil, {dtype="f32", mean=0, std=1, flatten=true})
 *   -> tensor (n x rows*cols, or n x 1 x rows x cols), count_in_file | nil, message */
static int l_read_images(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    lua_Integer n = luaL_optinteger(L, 2, -1);
    nl_dtype dt = nlL_optdtype_field(L, 3, NL_F32);
    double mean = nlL_optnumber_field(L, 3, "mean", 0.0);
    double sd = nlL_optnumber_field(L, 3, "std", 1.0);
    int flatten = nlL_optboolean_field(L, 3, "flatten", 1);
    if (!isfinite(mean) || !(sd > 0) || !isfinite(sd))
        return luaL_error(L, "bad argument #3 to 'read_images' (mean must be finite and std > 0, "
                             "got mean = %f, std = %f)", mean, sd);
    char err[1024];
    nl_idx_header h;
    if (idx_header(L, path, 3, "images", &n, &h, err, sizeof err)) return 2;
    int64_t shape[4];
    int nd;
    if (flatten) {
        shape[0] = n;
        shape[1] = h.dims[1] * h.dims[2];
        nd = 2;
    } else {
        shape[0] = n;
        shape[1] = 1;
        shape[2] = h.dims[1];
        shape[3] = h.dims[2];
        nd = 4;
    }
    nl_tensor *out = nlL_newtensor(L, dt, nd, shape);
    nl_status s = nl_idx_read_images(path, n, out, mean, sd, err, sizeof err);
    if (s) return push_fail(L, err);
    lua_pushinteger(L, (lua_Integer)h.dims[0]);
    return 2;
}

/* data_core.read_labels(path, n|nil, {base=1, classes=10, dtype="f64"})
 *   -> tensor (n), count_in_file | nil, message */
static int l_read_labels(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    lua_Integer n = luaL_optinteger(L, 2, -1);
    double base = nlL_optnumber_field(L, 3, "base", 1.0);
    int classes = (int)nlL_optinteger_field(L, 3, "classes", 10);
    nl_dtype dt = nlL_optdtype_field(L, 3, NL_F64);
    char err[1024];
    nl_idx_header h;
    if (idx_header(L, path, 1, "labels", &n, &h, err, sizeof err)) return 2;
    int64_t shape[1] = {n};
    nl_tensor *out = nlL_newtensor(L, dt, 1, shape);
    nl_status s = nl_idx_read_labels(path, n, out, base, classes, err, sizeof err);
    if (s) return push_fail(L, err);
    lua_pushinteger(L, (lua_Integer)h.dims[0]);
    return 2;
}

/* data_core.permutation(n [, rng]) -> f64 tensor of 0..n-1 in random order */
static int l_permutation(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    luaL_argcheck(L, n >= 0, 1, "n must be >= 0");
    nl_rng *g = nlL_optrng(L, 2);
    int64_t shape[1] = {n};
    nl_tensor *out = nlL_newtensor(L, NL_F64, 1, shape);
    nl_status s = nl_data_permutation(out, g);
    if (s)
        return nlL_status_error(L, s, "permutation", NULL);
    return 1;
}

/* data_core.sample_indices(n, count [, rng]) -> f64 tensor of count draws from 0..n-1 */
static int l_sample_indices(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    lua_Integer m = luaL_checkinteger(L, 2);
    luaL_argcheck(L, n >= 1, 1, "population size must be >= 1");
    luaL_argcheck(L, m >= 0, 2, "sample size must be >= 0");
    nl_rng *g = nlL_optrng(L, 3);
    int64_t shape[1] = {m};
    nl_tensor *out = nlL_newtensor(L, NL_F64, 1, shape);
    nl_status s = nl_data_sample_indices(out, n, g);
    if (s)
        return nlL_status_error(L, s, "sample_indices", NULL);
    return 1;
}

/* data_core.gather(x, idx, start, len) -> new contiguous tensor whose row r (along dim 1) is
 * x's row idx[start + r] (idx: tensor of 0-based indices; start 0-based). */
static int l_gather(lua_State *L)
{
    nl_tensor *x = nlL_checktensor(L, 1);
    nl_tensor *idx = nlL_checktensor(L, 2);
    lua_Integer start = luaL_checkinteger(L, 3);
    lua_Integer len = luaL_checkinteger(L, 4);
    int64_t ni = nl_numel(idx);
    luaL_argcheck(L, x->ndim >= 1, 1, "tensor with at least one dimension expected");
    luaL_argcheck(L, idx->ndim == 1, 2, "1-d index tensor expected");
    luaL_argcheck(L, start >= 0 && len >= 0 && start + len <= ni, 3, "index range out of bounds");
    int64_t rows = x->shape[0];
    for (int64_t r = 0; r < len; r++) {
        double v = nl_get_flat(idx, start + r);
        if (!(v >= 0 && v < (double)rows && v == floor(v)))
            return luaL_error(L, "bad argument #2 to 'gather' (index %f at position %d is not a row "
                                 "of a tensor with %d rows)", v, (int)(start + r + 1), (int)rows);
    }
    int64_t shape[NL_MAXDIM];
    for (int d = 0; d < x->ndim; d++)
        shape[d] = x->shape[d];
    shape[0] = len;
    nl_tensor *out = nlL_newtensor(L, x->dtype, x->ndim, shape);
    int64_t rowlen = 1;
    for (int d = 1; d < x->ndim; d++)
        rowlen *= x->shape[d];
    size_t es = nl_dtype_size(x->dtype);
    char *o = (char *)nl_data(out);
    if (nl_is_contiguous(x)) {
        const char *src = (const char *)nl_data(x);
        for (int64_t r = 0; r < len; r++) {
            int64_t i = (int64_t)nl_get_flat(idx, start + r);
            memcpy(o + (size_t)(r * rowlen) * es, src + (size_t)(i * rowlen) * es,
                   (size_t)rowlen * es);
        }
    } else {
        /* Strided source: select the row as a view and copy it elementwise. */
        for (int64_t r = 0; r < len; r++) {
            int64_t i = (int64_t)nl_get_flat(idx, start + r);
            nl_tensor srow = *x, orow = *out;
            nl_view_select(&srow, 0, i);
            nl_view_select(&orow, 0, r);
            nl_status s = nl_copy(&orow, &srow);
            if (s)
                return nlL_status_error(L, s, "gather", NULL);
        }
    }
    return 1;
}

/* data_core.relabel(labels, from, to, classes, base [, rng]): in place; from/to 0-based, [from, to) */
static int l_relabel(lua_State *L)
{
    nl_tensor *y = nlL_checktensor(L, 1);
    lua_Integer from = luaL_checkinteger(L, 2);
    lua_Integer to = luaL_checkinteger(L, 3);
    lua_Integer K = luaL_checkinteger(L, 4);
    double base = luaL_checknumber(L, 5);
    nl_rng *g = nlL_optrng(L, 6);
    int64_t n = nl_numel(y);
    luaL_argcheck(L, K >= 2, 4, "need at least 2 classes");
    if (from < 0 || to > n || from > to)
        return luaL_error(L, "bad argument to 'relabel' (range %I..%I outside 1..%I)", from + 1,
                          to, (lua_Integer)n);
    for (int64_t i = from; i < to; i++) {
        double c = nl_get_flat(y, i) - base;
        if (!(c >= 0 && c < (double)K && c == floor(c)))
            return luaL_error(L, "bad argument #1 to 'relabel' (label %f at position %I is not "
                                 "a class %f..%f)", nl_get_flat(y, i), (lua_Integer)(i + 1), base,
                              base + (double)K - 1);
    }
    nl_status s = nl_data_relabel(y, from, to, (int)K, base, g);
    if (s)
        return nlL_status_error(L, s, "relabel", NULL);
    return 0;
}

/* data_core.sinusoids(n, ks (Lua list), dtype, rng) -> t, y, phases (f64) */
static int l_sinusoids(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    nl_dtype dt = nlL_optdtype(L, 3, NL_F64);
    nl_rng *g = nlL_optrng(L, 4);
    luaL_argcheck(L, n >= 1, 1, "n must be >= 1");
    lua_Integer nk = (lua_Integer)lua_rawlen(L, 2);
    luaL_argcheck(L, nk >= 1 && nk <= 4096, 2, "between 1 and 4096 frequencies expected");
    int64_t shape[1] = {n}, kshape[1] = {nk};
    nl_tensor *t = nlL_newtensor(L, dt, 1, shape);
    nl_tensor *y = nlL_newtensor(L, dt, 1, shape);
    nl_tensor *ph = nlL_newtensor(L, NL_F64, 1, kshape);
    nl_tensor *ks = nlL_newtensor(L, NL_F64, 1, kshape);
    double *kd = (double *)nl_data(ks);
    for (lua_Integer i = 0; i < nk; i++) {
        lua_rawgeti(L, 2, i + 1);
        int isnum;
        kd[i] = lua_tonumberx(L, -1, &isnum);
        if (!isnum || !isfinite(kd[i]))
            return luaL_error(L, "bad argument #2 to 'sinusoids' (ks[%I] must be a finite number)",
                              i + 1);
        lua_pop(L, 1);
    }
    nl_status s = nl_data_sinusoids(t, y, kd, (int)nk, ph, g);
    if (s)
        return nlL_status_error(L, s, "sinusoids", NULL);
    lua_pop(L, 1); /* ks */
    return 3;
}

/* data_core.linear_regression(n, cov (d x d f64), u (d), noise, dtype, rng) -> x, y */
static int l_linear_regression(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    nl_tensor *cov = nlL_checktensor(L, 2);
    nl_tensor *u = nlL_checktensor(L, 3);
    double noise = luaL_checknumber(L, 4);
    nl_dtype dt = nlL_optdtype(L, 5, NL_F64);
    nl_rng *g = nlL_optrng(L, 6);
    luaL_argcheck(L, n >= 0, 1, "n must be >= 0");
    luaL_argcheck(L, isfinite(noise) && noise >= 0, 4, "noise must be finite and >= 0");
    if (cov->ndim != 2 || cov->shape[0] != cov->shape[1] || cov->shape[0] < 1) {
        char b[128];
        return luaL_error(L, "bad argument #2 to 'linear_regression' (square covariance expected, "
                             "got shape %s)", nlL_shapestr(b, sizeof b, cov->ndim, cov->shape));
    }
    int64_t d = cov->shape[0];
    if (nl_numel(u) != d)
        return luaL_error(L, "bad argument #3 to 'linear_regression' (u must have %d elements, "
                             "got %d)", (int)d, (int)nl_numel(u));
    luaL_argcheck(L, d <= 256, 2, "dimension d <= 256 supported");
    int64_t xs[2] = {n, d}, ys[1] = {n}, ws[2] = {d, d};
    nl_tensor *x = nlL_newtensor(L, dt, 2, xs);
    nl_tensor *y = nlL_newtensor(L, dt, 1, ys);
    nl_tensor *w = nlL_newtensor(L, NL_F64, 2, ws);
    char err[512];
    nl_status s = nl_data_linear_regression(x, y, cov, u, noise, w, g, err, sizeof err);
    if (s)
        return luaL_error(L, "linear_regression: %s", err);
    lua_pop(L, 1);
    return 2;
}

/* data_core.gaussian_mixture(n, means (K x d), weights (K), sigma, dtype, rng) -> x, labels */
static int l_gaussian_mixture(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    nl_tensor *means = nlL_checktensor(L, 2);
    nl_tensor *w = nlL_checktensor(L, 3);
    double sigma = luaL_checknumber(L, 4);
    nl_dtype dt = nlL_optdtype(L, 5, NL_F64);
    nl_rng *g = nlL_optrng(L, 6);
    luaL_argcheck(L, n >= 0, 1, "n must be >= 0");
    luaL_argcheck(L, means->ndim == 2 && means->shape[0] >= 1, 2, "K x d means expected");
    luaL_argcheck(L, nl_numel(w) == means->shape[0], 3, "one weight per component expected");
    luaL_argcheck(L, isfinite(sigma) && sigma >= 0, 4, "sigma must be finite and >= 0");
    for (int64_t k = 0; k < nl_numel(w); k++) {
        double v = nl_get_flat(w, k);
        luaL_argcheck(L, isfinite(v) && v >= 0, 3, "weights must be finite and >= 0");
    }
    int64_t xs[2] = {n, means->shape[1]}, ys[1] = {n};
    nl_tensor *x = nlL_newtensor(L, dt, 2, xs);
    nl_tensor *y = nlL_newtensor(L, NL_F64, 1, ys);
    nl_status s = nl_data_gaussian_mixture(x, y, means, w, sigma, g);
    if (s)
        return nlL_status_error(L, s, "gaussian_mixture", "weights must not all be 0");
    return 2;
}

static const luaL_Reg funcs[] = {
    {"idx_header", l_idx_header},
    {"read_images", l_read_images},
    {"read_labels", l_read_labels},
    {"permutation", l_permutation},
    {"sample_indices", l_sample_indices},
    {"gather", l_gather},
    {"relabel", l_relabel},
    {"sinusoids", l_sinusoids},
    {"linear_regression", l_linear_regression},
    {"gaussian_mixture", l_gaussian_mixture},
    {NULL, NULL}};

static const nlL_help help[] = {
    {"idx_header", "idx_header(path [, ndim])", "header of an IDX(.gz) file, or nil, message"},
    {"read_images", "read_images(path, n, {dtype=, mean=, std=, flatten=})",
     "first n images of an IDX3 ubyte file, ((p/255)-mean)/std, or nil, message"},
    {"read_labels", "read_labels(path, n, {base=1, classes=10})",
     "first n labels of an IDX1 ubyte file plus base, or nil, message"},
    {"permutation", "permutation(n [, rng])", "random permutation of 0..n-1 (f64 tensor)"},
    {"sample_indices", "sample_indices(n, count [, rng])",
     "count uniform draws from 0..n-1 with replacement (f64 tensor)"},
    {"gather", "gather(x, idx, start, len)", "rows idx[start..start+len-1] (0-based) of x, copied"},
    {"relabel", "relabel(y, from, to, classes, base [, rng])",
     "in place: y[from..to-1] (0-based) set to a different random class"},
    {"sinusoids", "sinusoids(n, ks, dtype [, rng])", "t, y, phases of Camuto et al.'s sinusoids"},
    {"linear_regression", "linear_regression(n, cov, u, noise, dtype [, rng])",
     "x ~ N(0, cov), y = x u + noise e"},
    {"gaussian_mixture", "gaussian_mixture(n, means, weights, sigma, dtype [, rng])",
     "x, labels 1..K of a Gaussian mixture"},
    {NULL, NULL, NULL}};

int luaopen_noiselab_data_core(lua_State *L);
int luaopen_noiselab_data_core(lua_State *L)
{
    nlL_gsl_init();
    luaL_newlib(L, funcs);
    nlL_register_help(L, "data_core", help);
    return 1;
}
