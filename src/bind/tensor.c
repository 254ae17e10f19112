/* Lua binding of the tensor core: module noiselab.tensor and the methods of
 * noiselab.Tensor.  Parses and checks arguments (shapes in every message), allocates outputs
 * as Lua-owned userdata, calls src/core.
 *
 * Views (share storage): narrow, select, transpose/t, permute, expand, unsqueeze, squeeze,
 * view, reshape (a copy only when the strides forbid a view).  Everything else returns new
 * storage.  Indices are 1-based; negative indices and dims count from the end. */
#include "common.h"
#include "noiselab/csv.h"
#include "noiselab/tensor_random.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHAPEBUF 160

static const char *shp(char *buf, const nl_tensor *t)
{
    return nlL_shapestr(buf, SHAPEBUF, t->ndim, t->shape);
}

static nl_dtype promote(const nl_tensor *a, const nl_tensor *b)
{
    return a->dtype == b->dtype ? a->dtype : NL_F64;
}

/* Replace the tensor at arg by a copy of dtype dt when it has another dtype. */
static nl_tensor *as_dtype(lua_State *L, int arg, nl_dtype dt)
{
    nl_tensor *t = nlL_checktensor(L, arg);
    if (t->dtype == dt) return t;
    nl_tensor *c = nlL_newtensor_uninit(L, dt, t->ndim, t->shape);
    nl_copy(c, t);
    lua_replace(L, arg);
    return c;
}

/* ------------------------------------------------------------------ creation */

static nl_dtype opt_dtype_arg(lua_State *L, int arg, nl_dtype def)
{
    if (lua_type(L, arg) == LUA_TSTRING) return nlL_optdtype(L, arg, def);
    return nlL_optdtype_field(L, arg, def);
}

/* Shape then an optional dtype string or options table. */
static nl_tensor *new_from_shape_args(lua_State *L, const char *fname, int *next)
{
    int64_t shape[NL_MAXDIM];
    int ndim = nlL_checkshape(L, 1, shape, fname);
    int opt = lua_istable(L, 1) ? 2 : ndim + 1;
    nl_dtype dt = opt_dtype_arg(L, opt, NL_F64);
    if (next) *next = opt;
    return nlL_newtensor(L, dt, ndim, shape);
}

static int t_zeros(lua_State *L)
{
    new_from_shape_args(L, "zeros", NULL);
    return 1;
}

static int t_ones(lua_State *L)
{
    nl_tensor *t = new_from_shape_args(L, "ones", NULL);
    nl_fill(t, 1.0);
    return 1;
}

static int t_full(lua_State *L)
{
    int64_t shape[NL_MAXDIM];
    int ndim = nlL_checkshape(L, 1, shape, "full");
    if (!lua_istable(L, 1)) return nlL_error(L, "bad argument #1 to 'full' (shape table expected)");
    double v = luaL_checknumber(L, 2);
    nl_dtype dt = opt_dtype_arg(L, 3, NL_F64);
    nl_tensor *t = nlL_newtensor(L, dt, ndim, shape);
    nl_fill(t, v);
    return 1;
}

static int t_eye(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    lua_Integer m = lua_isinteger(L, 2) ? lua_tointeger(L, 2) : n;
    int opt = lua_isinteger(L, 2) ? 3 : 2;
    if (n < 0 || m < 0) return nlL_error(L, "bad argument #1 to 'eye' (sizes must be >= 0, got %d, %d)", (int)n, (int)m);
    int64_t shape[2] = {n, m};
    nl_tensor *t = nlL_newtensor(L, opt_dtype_arg(L, opt, NL_F64), 2, shape);
    for (int64_t i = 0; i < (n < m ? n : m); i++) nl_set_flat(t, i * m + i, 1.0);
    return 1;
}

/* arange(stop) | arange(start, stop [, step]) — half-open like numpy/PyTorch. */
static int t_arange(lua_State *L)
{
    int nargs = 0;
    while (nargs < 3 && lua_type(L, nargs + 1) == LUA_TNUMBER) nargs++;
    if (nargs == 0) return nlL_error(L, "bad argument #1 to 'arange' (number expected, got %s)", luaL_typename(L, 1));
    double start = 0, stop, step = 1;
    if (nargs == 1) stop = lua_tonumber(L, 1);
    else {
        start = lua_tonumber(L, 1);
        stop = lua_tonumber(L, 2);
        if (nargs == 3) step = lua_tonumber(L, 3);
    }
    if (step == 0 || !isfinite(start) || !isfinite(stop) || !isfinite(step))
        return nlL_error(L, "bad argument to 'arange' (finite start/stop and a non-zero step expected, got %f, %f, %f)", start, stop, step);
    double cnt = ceil((stop - start) / step);
    if (cnt < 0) cnt = 0;
    if (cnt > 1e15) return nlL_error(L, "arange: %f elements requested", cnt);
    int64_t shape[1] = {(int64_t)cnt};
    nl_tensor *t = nlL_newtensor(L, opt_dtype_arg(L, nargs + 1, NL_F64), 1, shape);
    nl_arange(t, start, step);
    return 1;
}

static int t_linspace(lua_State *L)
{
    double a = nlL_checkfinite(L, 1), b = nlL_checkfinite(L, 2);
    lua_Integer n = luaL_checkinteger(L, 3);
    if (n < 0) return nlL_error(L, "bad argument #3 to 'linspace' (count must be >= 0, got %d)", (int)n);
    int64_t shape[1] = {n};
    nl_tensor *t = nlL_newtensor(L, opt_dtype_arg(L, 4, NL_F64), 1, shape);
    nl_linspace(t, a, b);
    return 1;
}

/* Shape of a nested table: follow first elements, then check every row agrees. */
static int nested_shape(lua_State *L, int idx, int64_t *shape)
{
    int ndim = 0;
    lua_pushvalue(L, idx);
    while (lua_istable(L, -1)) {
        if (ndim >= NL_MAXDIM) return nlL_error(L, "from: more than %d nesting levels", NL_MAXDIM);
        shape[ndim++] = (int64_t)luaL_len(L, -1);
        if (shape[ndim - 1] == 0) break;
        lua_geti(L, -1, 1);
        lua_remove(L, -2);
    }
    lua_pop(L, 1);
    return ndim;
}

static void fill_nested(lua_State *L, int idx, const nl_tensor *t, int depth, int64_t *pos,
                        int64_t *flat)
{
    int64_t n = t->shape[depth];
    if (!lua_istable(L, idx) || (int64_t)luaL_len(L, idx) != n) {
        char path[128] = "";
        size_t k = 0;
        for (int d = 0; d < depth; d++) k += (size_t)snprintf(path + k, sizeof path - k, "[%lld]", (long long)pos[d] + 1);
        nlL_error(L, "from: ragged nested table: element %s should be a table of %lld values",
                   depth ? path : "(top)", (long long)n);
    }
    for (int64_t i = 0; i < n; i++) {
        pos[depth] = i;
        lua_geti(L, idx, i + 1);
        if (depth + 1 < t->ndim) {
            fill_nested(L, lua_gettop(L), t, depth + 1, pos, flat);
        } else {
            int ok;
            double v = lua_tonumberx(L, -1, &ok);
            if (!ok) nlL_error(L, "from: element %lld is %s, expected a number", (long long)(*flat + 1), luaL_typename(L, -1));
            nl_set_flat(t, (*flat)++, v);
        }
        lua_pop(L, 1);
    }
}

static int t_from(lua_State *L)
{
    nl_dtype dt = opt_dtype_arg(L, 2, NL_F64);
    if (lua_type(L, 1) == LUA_TNUMBER) {
        nl_tensor *t = nlL_newtensor(L, dt, 0, NULL);
        nl_set_flat(t, 0, lua_tonumber(L, 1));
        return 1;
    }
    if (nlL_testtensor(L, 1)) {
        nl_tensor *src = nlL_checktensor(L, 1);
        nl_tensor *t = nlL_newtensor(L, lua_isnoneornil(L, 2) ? src->dtype : dt, src->ndim, src->shape);
        nl_copy(t, src);
        return 1;
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    int64_t shape[NL_MAXDIM], pos[NL_MAXDIM] = {0}, flat = 0;
    int ndim = nested_shape(L, 1, shape);
    nl_tensor *t = nlL_newtensor(L, dt, ndim, shape);
    if (nl_numel(t) > 0) fill_nested(L, 1, t, 0, pos, &flat);
    return 1;
}

/* rand/randn(shape [, rng | {rng=, dtype=}]) */
static int random_tensor(lua_State *L, const char *fname, int kind)
{
    int64_t shape[NL_MAXDIM];
    int ndim = nlL_checkshape(L, 1, shape, fname);
    int opt = lua_istable(L, 1) ? 2 : ndim + 1;
    nl_rng *g;
    nl_dtype dt = NL_F64;
    if (nlL_testrng(L, opt)) {
        g = nlL_testrng(L, opt);
        dt = opt_dtype_arg(L, opt + 1, NL_F64);
    } else {
        g = nlL_optrng_field(L, opt);
        dt = opt_dtype_arg(L, opt, NL_F64);
    }
    nl_tensor *t = nlL_newtensor(L, dt, ndim, shape);
    if (kind == 0) nl_fill_uniform(t, g, 0, 1);
    else nl_fill_normal(t, g, 0, 1);
    return 1;
}

static int t_rand(lua_State *L) { return random_tensor(L, "rand", 0); }
static int t_randn(lua_State *L) { return random_tensor(L, "randn", 1); }

/* ------------------------------------------------------------------ inspection */

static int m_shape(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    lua_createtable(L, t->ndim, 0);
    for (int i = 0; i < t->ndim; i++) {
        lua_pushinteger(L, t->shape[i]);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int m_size(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    if (lua_isnoneornil(L, 2)) return m_shape(L);
    lua_pushinteger(L, t->shape[nlL_checkdim(L, 2, t->ndim, "size")]);
    return 1;
}

static int m_stride(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    lua_createtable(L, t->ndim, 0);
    for (int i = 0; i < t->ndim; i++) {
        lua_pushinteger(L, t->stride[i]);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int m_dim(lua_State *L)
{
    lua_pushinteger(L, nlL_checktensor(L, 1)->ndim);
    return 1;
}

static int m_numel(lua_State *L)
{
    lua_pushinteger(L, nl_numel(nlL_checktensor(L, 1)));
    return 1;
}

static int m_dtype(lua_State *L)
{
    lua_pushstring(L, nl_dtype_name(nlL_checktensor(L, 1)->dtype));
    return 1;
}

static int m_is_contiguous(lua_State *L)
{
    lua_pushboolean(L, nl_is_contiguous(nlL_checktensor(L, 1)));
    return 1;
}

/* Parse indices at args 2.. into 0-based idx[]; bounds errors name the dim. */
static void check_indices(lua_State *L, const nl_tensor *t, const char *fname, int64_t *idx)
{
    int given = lua_gettop(L) - 1;
    if (strcmp(fname, "set") == 0) given--;
    if (given != t->ndim) {
        char b[SHAPEBUF];
        nlL_error(L, "bad argument to '%s' (%d indices expected for a tensor of shape %s, got %d)",
                   fname, t->ndim, shp(b, t), given);
    }
    for (int d = 0; d < t->ndim; d++) {
        lua_Integer i = luaL_checkinteger(L, d + 2);
        lua_Integer z = i < 0 ? i + t->shape[d] : i - 1;
        if (z < 0 || z >= t->shape[d])
            nlL_error(L, "bad argument #%d to '%s' (index %d out of range [1, %d] for dim %d)",
                       d + 2, fname, (int)i, (int)t->shape[d], d + 1);
        idx[d] = z;
    }
}

static int m_get(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    int64_t idx[NL_MAXDIM];
    check_indices(L, t, "get", idx);
    lua_pushnumber(L, nl_get_at(t, idx));
    return 1;
}

static int m_set(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    int64_t idx[NL_MAXDIM];
    check_indices(L, t, "set", idx);
    nl_set_at(t, idx, luaL_checknumber(L, lua_gettop(L)));
    lua_settop(L, 1);
    return 1;
}

static int m_item(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    if (nl_numel(t) != 1) {
        char b[SHAPEBUF];
        return nlL_error(L, "bad argument #1 to 'item' (a one-element tensor expected, got shape %s)", shp(b, t));
    }
    lua_pushnumber(L, nl_get_flat(t, 0));
    return 1;
}

static void push_table(lua_State *L, const nl_tensor *t, int depth, int64_t *flat)
{
    if (t->ndim == 0) {
        lua_pushnumber(L, nl_get_flat(t, 0));
        return;
    }
    int64_t n = t->shape[depth];
    lua_createtable(L, (int)n, 0);
    for (int64_t i = 0; i < n; i++) {
        if (depth + 1 < t->ndim) push_table(L, t, depth + 1, flat);
        else lua_pushnumber(L, nl_get_flat(t, (*flat)++));
        lua_rawseti(L, -2, i + 1);
    }
}

static int m_totable(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    int64_t flat = 0;
    luaL_checkstack(L, t->ndim + 4, "totable");
    push_table(L, t, 0, &flat);
    return 1;
}

static int m_len(lua_State *L)
{
    lua_pushinteger(L, nl_numel(nlL_checktensor(L, 1)));
    return 1;
}

/* ------------------------------------------------------------------ printing */

/* Printing follows numpy's array2string: one format for every value shown, chosen from the
 * shown values only (integers; fixed %.4f; or scientific when max >= 1e8, min < 1e-4 or
 * max/min > 1e3), edge items only (3 per side) past 1000 elements, and a footer with dtype and
 * shape. */
typedef struct {
    int mode, width; /* mode 0 integer, 1 fixed, 2 scientific */
    int measuring;   /* first pass: collect the statistics below */
    double amax, amin, vmax, vmin;
    int all_int;
} numfmt;

static void format_number(char *buf, size_t len, double v, const numfmt *f)
{
    if (isnan(v)) snprintf(buf, len, "nan");
    else if (isinf(v)) snprintf(buf, len, v > 0 ? "inf" : "-inf");
    else if (f->mode == 0) snprintf(buf, len, "%.0f", v);
    else if (f->mode == 1) snprintf(buf, len, "%.4f", v);
    else snprintf(buf, len, "%.4e", v);
}

#define PRINT_THRESHOLD 1000
#define EDGE 3

static int shown(int64_t i, int64_t n, int summarize)
{
    return !summarize || n <= 2 * EDGE || i < EDGE || i >= n - EDGE;
}

static double value_at(const nl_tensor *t, int64_t off)
{
    return t->dtype == NL_F64 ? ((double *)nl_data(t))[off] : ((float *)nl_data(t))[off];
}

static void emit_value(luaL_Buffer *b, double v, numfmt *f)
{
    char num[64];
    if (f->measuring) {
        if (isfinite(v)) {
            double a = fabs(v);
            if (a > f->amax) f->amax = a;
            if (a > 0 && a < f->amin) f->amin = a;
            if (v > f->vmax) f->vmax = v;
            if (v < f->vmin) f->vmin = v;
            if (v != floor(v)) f->all_int = 0;
        }
        return;
    }
    format_number(num, sizeof num, v, f);
    for (int pad = f->width - (int)strlen(num); pad > 0; pad--) luaL_addchar(b, ' ');
    luaL_addstring(b, num);
}

static void add(luaL_Buffer *b, const numfmt *f, const char *s)
{
    if (!f->measuring) luaL_addstring(b, s);
}

static void print_rec(luaL_Buffer *b, const nl_tensor *t, int d, int64_t off, numfmt *f,
                      int summarize)
{
    if (t->ndim == 0) {
        emit_value(b, value_at(t, off), f);
        return;
    }
    int64_t n = t->shape[d];
    add(b, f, "[");
    for (int64_t i = 0; i < n; i++) {
        if (!shown(i, n, summarize)) {
            if (i == EDGE) {
                add(b, f, d + 1 == t->ndim ? "..., " : "...,\n");
                if (d + 1 < t->ndim)
                    for (int k = 0; k <= d; k++) add(b, f, " ");
            }
            continue;
        }
        int64_t o = off + i * t->stride[d];
        if (d + 1 == t->ndim) emit_value(b, value_at(t, o), f);
        else print_rec(b, t, d + 1, o, f, summarize);
        if (i + 1 < n) {
            if (d + 1 == t->ndim) add(b, f, ", ");
            else {
                add(b, f, ",");
                for (int k = d + 1; k < t->ndim; k++) add(b, f, "\n");
                for (int k = 0; k <= d; k++) add(b, f, " ");
            }
        }
    }
    add(b, f, "]");
}

static int m_tostring(lua_State *L)
{
    nl_tensor *t = luaL_checkudata(L, 1, NL_TENSOR_MT);
    if (!t->storage) {
        lua_pushliteral(L, "[closed tensor]");
        return 1;
    }
    int64_t n = nl_numel(t);
    int summarize = n > PRINT_THRESHOLD;
    numfmt f = {0, 1, 1, 0, INFINITY, -INFINITY, INFINITY, 1};
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    if (n > 0 || t->ndim == 0) print_rec(&b, t, 0, 0, &f, summarize);
    if (f.all_int && f.amax < 1e9) f.mode = 0;
    else if (f.amax < 1e8 && (f.amin == INFINITY || (f.amin >= 1e-4 && f.amax / f.amin <= 1e3))) f.mode = 1;
    else f.mode = 2;
    /* width: the longer of the formatted extremes, signs included */
    char num[64];
    double ends[3] = {f.vmax, f.vmin, f.vmin < 0 ? -f.amax : f.amax};
    for (int i = 0; i < 3; i++) {
        if (!isfinite(ends[i])) continue;
        format_number(num, sizeof num, ends[i], &f);
        if ((int)strlen(num) > f.width) f.width = (int)strlen(num);
    }
    f.measuring = 0;
    if (n > 0 || t->ndim == 0) print_rec(&b, t, 0, 0, &f, summarize);
    else luaL_addstring(&b, "[]");
    luaL_addchar(&b, '\n');
    char foot[SHAPEBUF + 32];
    size_t k = (size_t)snprintf(foot, sizeof foot, "[%s tensor ", nl_dtype_name(t->dtype));
    if (t->ndim == 0) k += (size_t)snprintf(foot + k, sizeof foot - k, "scalar");
    for (int i = 0; i < t->ndim; i++)
        k += (size_t)snprintf(foot + k, sizeof foot - k, i ? "x%lld" : "%lld", (long long)t->shape[i]);
    snprintf(foot + k, sizeof foot - k, "]");
    luaL_addstring(&b, foot);
    luaL_pushresult(&b);
    return 1;
}

/* ------------------------------------------------------------------ views */

static int view_status(lua_State *L, nl_status st, const char *fname, const nl_tensor *t)
{
    char b[SHAPEBUF];
    if (st != NL_OK) return nlL_error(L, "bad argument to '%s' (%s for a tensor of shape %s)", fname, nl_status_string(st), shp(b, t));
    return 1;
}

static int m_narrow(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    int d = nlL_checkdim(L, 2, t->ndim, "narrow");
    lua_Integer start = luaL_checkinteger(L, 3), len = luaL_checkinteger(L, 4);
    if (start < 0) start += t->shape[d] + 1;
    if (start < 1 || len < 0 || start - 1 + len > t->shape[d])
        return nlL_error(L, "bad argument to 'narrow' (range [%d, %d] out of [1, %d] in dim %d)",
                          (int)start, (int)(start + len - 1), (int)t->shape[d], d + 1);
    nl_tensor *v = nlL_pushview(L, t);
    nl_view_narrow(v, d, start - 1, len);
    return 1;
}

static int m_select(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    if (t->ndim == 0) return nlL_error(L, "bad argument #1 to 'select' (cannot select from a 0-d tensor)");
    int d = nlL_checkdim(L, 2, t->ndim, "select");
    lua_Integer i = luaL_checkinteger(L, 3);
    lua_Integer z = i < 0 ? i + t->shape[d] : i - 1;
    if (z < 0 || z >= t->shape[d])
        return nlL_error(L, "bad argument #3 to 'select' (index %d out of range [1, %d] for dim %d)", (int)i, (int)t->shape[d], d + 1);
    nl_tensor *v = nlL_pushview(L, t);
    nl_view_select(v, d, z);
    return 1;
}

static int m_transpose(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    int d0, d1;
    if (lua_isnoneornil(L, 2)) {
        if (t->ndim != 2) {
            char b[SHAPEBUF];
            return nlL_error(L, "bad argument #1 to 't' (2-d tensor expected, got shape %s)", shp(b, t));
        }
        d0 = 0;
        d1 = 1;
    } else {
        d0 = nlL_checkdim(L, 2, t->ndim, "transpose");
        d1 = nlL_checkdim(L, 3, t->ndim, "transpose");
    }
    nl_tensor *v = nlL_pushview(L, t);
    nl_view_transpose(v, d0, d1);
    return 1;
}

static int m_permute(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    int perm[NL_MAXDIM];
    int tab = lua_istable(L, 2);
    int n = tab ? (int)luaL_len(L, 2) : lua_gettop(L) - 1;
    if (n != t->ndim) return nlL_error(L, "bad argument to 'permute' (%d dims expected, got %d)", t->ndim, n);
    for (int i = 0; i < n; i++) {
        if (tab) lua_geti(L, 2, i + 1);
        else lua_pushvalue(L, i + 2);
        perm[i] = nlL_checkdim(L, lua_gettop(L), t->ndim, "permute");
        lua_pop(L, 1);
    }
    nl_tensor *v = nlL_pushview(L, t);
    if (nl_view_permute(v, perm) != NL_OK) return nlL_error(L, "bad argument to 'permute' (not a permutation of the dims)");
    return 1;
}

/* Resolve one -1 in a target shape from the element count. */
static int target_shape(lua_State *L, const nl_tensor *t, int arg, int64_t *shape, const char *fname)
{
    int ndim = 0, infer = -1;
    int tab = lua_istable(L, arg);
    int n = tab ? (int)luaL_len(L, arg) : lua_gettop(L) - arg + 1;
    if (n > NL_MAXDIM) return nlL_error(L, "%s: at most %d dims", fname, NL_MAXDIM);
    int64_t known = 1;
    for (int i = 0; i < n; i++) {
        if (tab) lua_geti(L, arg, i + 1);
        else lua_pushvalue(L, arg + i);
        lua_Integer v = luaL_checkinteger(L, -1);
        lua_pop(L, 1);
        if (v == -1 && infer < 0) infer = ndim;
        else if (v < 0) return nlL_error(L, "bad argument to '%s' (invalid dimension %d)", fname, (int)v);
        else known *= v;
        shape[ndim++] = v;
    }
    int64_t total = nl_numel(t);
    if (infer >= 0) {
        if (known == 0 || total % known != 0) goto bad;
        shape[infer] = total / known;
    } else if (known != total) goto bad;
    return ndim;
bad: {
        char b[SHAPEBUF], want[SHAPEBUF];
        return nlL_error(L, "bad argument to '%s' (shape %s is invalid for a tensor of shape %s with %lld elements)",
                          fname, nlL_shapestr(want, sizeof want, ndim, shape), shp(b, t), (long long)total);
    }
}

static int reshape_impl(lua_State *L, int allow_copy, const char *fname)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    int64_t shape[NL_MAXDIM];
    int ndim = target_shape(L, t, 2, shape, fname);
    nl_tensor *v = nlL_pushview(L, t);
    nl_status st = nl_view_reshape(v, ndim, shape);
    if (st == NL_ERR_COPY && allow_copy) {
        lua_pop(L, 1);
        nl_tensor *c = nlL_newlike(L, t);
        nl_copy(c, t);
        nl_view_reshape(c, ndim, shape);
        return 1;
    }
    if (st == NL_ERR_COPY) {
        char b[SHAPEBUF];
        return nlL_error(L, "bad argument to 'view' (the strides of this %s tensor do not allow a view; use reshape or contiguous)", shp(b, t));
    }
    return view_status(L, st, fname, t);
}

static int m_view(lua_State *L) { return reshape_impl(L, 0, "view"); }
static int m_reshape(lua_State *L) { return reshape_impl(L, 1, "reshape"); }

static int m_expand(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    int64_t shape[NL_MAXDIM];
    int ndim = nlL_checkshape(L, 2, shape, "expand");
    nl_tensor *v = nlL_pushview(L, t);
    if (nl_view_expand(v, ndim, shape) != NL_OK) {
        char a[SHAPEBUF], b[SHAPEBUF];
        return nlL_error(L, "bad argument #2 to 'expand' (shape %s cannot be expanded to %s)", shp(a, t),
                          nlL_shapestr(b, sizeof b, ndim, shape));
    }
    return 1;
}

static int m_unsqueeze(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    lua_Integer d = luaL_checkinteger(L, 2);
    lua_Integer z = d < 0 ? d + t->ndim + 1 : d - 1;
    if (z < 0 || z > t->ndim || t->ndim >= NL_MAXDIM)
        return nlL_error(L, "bad argument #2 to 'unsqueeze' (dim must be in [1, %d], got %d)", t->ndim + 1, (int)d);
    nl_tensor *v = nlL_pushview(L, t);
    nl_view_unsqueeze(v, (int)z);
    return 1;
}

static int m_squeeze(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    int d = lua_isnoneornil(L, 2) ? -1 : nlL_checkdim(L, 2, t->ndim, "squeeze");
    nl_tensor *v = nlL_pushview(L, t);
    nl_view_squeeze(v, d);
    return 1;
}

/* ------------------------------------------------------------------ copies */

static int m_clone(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    nl_tensor *c = nlL_newtensor_uninit(L, t->dtype, t->ndim, t->shape);
    nl_copy(c, t);
    return 1;
}

static int m_contiguous(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    nlL_pushcontiguous(L, 1, t->dtype);
    return 1;
}

static int to_dtype(lua_State *L, nl_dtype dt)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    if (t->dtype == dt) {
        lua_settop(L, 1);
        return 1;
    }
    nl_tensor *c = nlL_newtensor_uninit(L, dt, t->ndim, t->shape);
    nl_copy(c, t);
    return 1;
}

static int m_float(lua_State *L) { return to_dtype(L, NL_F32); }
static int m_double(lua_State *L) { return to_dtype(L, NL_F64); }
static int m_to(lua_State *L) { return to_dtype(L, nlL_optdtype(L, 2, NL_F64)); }

/* x:copy(src): src broadcasts to x's shape; dtypes may differ. In place, returns x. */
static int m_copy(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1), *s = nlL_checktensor(L, 2);
    if (nl_copy(t, s) != NL_OK) {
        char a[SHAPEBUF], b[SHAPEBUF];
        return nlL_error(L, "bad argument #2 to 'copy' (shape %s does not broadcast to %s)", shp(a, s), shp(b, t));
    }
    lua_settop(L, 1);
    return 1;
}

static int m_fill(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    nl_fill(t, luaL_checknumber(L, 2));
    lua_settop(L, 1);
    return 1;
}

/* x:index(dim, idx): gather along dim by 1-based indices (a tensor or a table). */
static int m_index(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    int d = nlL_checkdim(L, 2, t->ndim, "index");
    nl_tensor *idx;
    if (lua_istable(L, 3)) {
        int64_t n = (int64_t)luaL_len(L, 3);
        idx = nlL_newtensor(L, NL_F64, 1, &n);
        for (int64_t i = 0; i < n; i++) {
            lua_geti(L, 3, i + 1);
            nl_set_flat(idx, i, luaL_checknumber(L, -1));
            lua_pop(L, 1);
        }
        lua_replace(L, 3);
    } else {
        idx = nlL_checktensor(L, 3);
    }
    int64_t m = nl_numel(idx);
    /* 1-based (and negative) in Lua -> 0-based for the core, into a Lua-owned temporary */
    nl_tensor *z = nlL_newtensor(L, NL_F64, 1, &m);
    for (int64_t i = 0; i < m; i++) {
        double v = nl_get_flat(idx, i);
        if (v != floor(v) || v == 0 || v > (double)t->shape[d] || v < -(double)t->shape[d])
            return nlL_error(L, "bad argument #3 to 'index' (index %g out of range [1, %d] for dim %d)", v, (int)t->shape[d], d + 1);
        nl_set_flat(z, i, v < 0 ? v + (double)t->shape[d] : v - 1);
    }
    int64_t shape[NL_MAXDIM];
    memcpy(shape, t->shape, sizeof shape);
    shape[d] = m;
    nl_tensor *out = nlL_newtensor(L, t->dtype, t->ndim, shape);
    nl_index_select(out, t, d, z);
    return 1;
}

/* T.cat({a, b, ...} [, dim=1]) */
static int t_cat(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    int n = (int)luaL_len(L, 1);
    if (n == 0) return nlL_error(L, "bad argument #1 to 'cat' (at least one tensor expected)");
    lua_geti(L, 1, 1);
    nl_tensor *first = nlL_checktensor(L, -1);
    lua_pop(L, 1);
    int d = lua_isnoneornil(L, 2) ? 0 : nlL_checkdim(L, 2, first->ndim, "cat");
    int64_t shape[NL_MAXDIM];
    memcpy(shape, first->shape, sizeof shape);
    shape[d] = 0;
    nl_dtype dt = first->dtype;
    const nl_tensor **parts = lua_newuserdatauv(L, sizeof(nl_tensor *) * (size_t)n, 0);
    for (int i = 0; i < n; i++) {
        lua_geti(L, 1, i + 1);
        nl_tensor *p = nlL_testtensor(L, -1);
        if (!p) return nlL_error(L, "bad argument #1 to 'cat' (element %d is %s, expected a tensor)", i + 1, luaL_typename(L, -1));
        lua_pop(L, 1); /* still referenced by the argument table */
        int ok = p->ndim == first->ndim;
        for (int k = 0; ok && k < p->ndim; k++)
            if (k != d && p->shape[k] != first->shape[k]) ok = 0;
        if (!ok) {
            char a[SHAPEBUF], b[SHAPEBUF];
            return nlL_error(L, "bad argument #1 to 'cat' (tensor %d has shape %s, incompatible with %s along dim %d)",
                              i + 1, shp(a, p), shp(b, first), d + 1);
        }
        if (p->dtype != dt) dt = NL_F64;
        shape[d] += p->shape[d];
        parts[i] = p;
    }
    nl_tensor *out = nlL_newtensor(L, dt, first->ndim, shape);
    nl_cat(out, parts, n, d);
    return 1;
}

/* ------------------------------------------------------------------ arithmetic */

static void broadcast_error(lua_State *L, const char *fname, const nl_tensor *a, const nl_tensor *b)
{
    char x[SHAPEBUF], y[SHAPEBUF];
    nlL_error(L, "bad argument #2 to '%s' (shape %s does not broadcast with %s)", fname, shp(x, b), shp(y, a));
}

static int binop(lua_State *L, nl_binop op, const char *fname)
{
    nl_tensor *a = nlL_testtensor(L, 1), *b = nlL_testtensor(L, 2);
    if (a && b) {
        nl_dtype dt = promote(a, b);
        a = as_dtype(L, 1, dt);
        b = as_dtype(L, 2, dt);
        int ndim;
        int64_t shape[NL_MAXDIM];
        if (nl_broadcast_shape(a, b, &ndim, shape) != NL_OK) broadcast_error(L, fname, a, b);
        nl_tensor *out = nlL_newtensor_uninit(L, dt, ndim, shape);
        nl_binary(out, a, b, op);
        return 1;
    }
    if (a) {
        if (lua_type(L, 2) != LUA_TNUMBER)
            return nlL_error(L, "bad argument #2 to '%s' (tensor or number expected, got %s)", fname, luaL_typename(L, 2));
        double s = lua_tonumber(L, 2);
        nl_tensor *out = nlL_newtensor_uninit(L, a->dtype, a->ndim, a->shape);
        nl_binary_scalar(out, a, s, op, 0);
        return 1;
    }
    if (!b) return nlL_error(L, "bad argument #1 to '%s' (tensor expected, got %s)", fname, luaL_typename(L, 1));
    if (lua_type(L, 1) != LUA_TNUMBER)
        return nlL_error(L, "bad argument #1 to '%s' (tensor or number expected, got %s)", fname, luaL_typename(L, 1));
    double s = lua_tonumber(L, 1);
    nl_tensor *out = nlL_newtensor_uninit(L, b->dtype, b->ndim, b->shape);
    nl_binary_scalar(out, b, s, op, 1);
    return 1;
}

/* In place: x:add_(y) with y a number or a tensor broadcasting to x's shape. */
static int binop_inplace(lua_State *L, nl_binop op, const char *fname)
{
    nl_tensor *a = nlL_checktensor(L, 1);
    if (lua_type(L, 2) == LUA_TNUMBER) {
        nl_binary_scalar(a, a, lua_tonumber(L, 2), op, 0);
    } else {
        nl_tensor *b = as_dtype(L, 2, a->dtype);
        int ndim;
        int64_t shape[NL_MAXDIM];
        if (nl_broadcast_shape(a, b, &ndim, shape) != NL_OK || ndim != a->ndim ||
            memcmp(shape, a->shape, sizeof(int64_t) * (size_t)ndim) != 0)
            broadcast_error(L, fname, a, b);
        if (b->storage == a->storage && b != a && !(b->offset == a->offset && memcmp(b->stride, a->stride, sizeof(int64_t) * (size_t)a->ndim) == 0)) {
            /* partially overlapping operand: read it from a copy */
            nl_tensor *c = nlL_newlike(L, b);
            nl_copy(c, b);
            b = c;
        }
        nl_binary(a, a, b, op);
    }
    lua_settop(L, 1);
    return 1;
}

#define BINOP_FUNCS(name, OP)                                                          \
    static int m_##name(lua_State *L) { return binop(L, OP, #name); }                 \
    static int m_##name##_(lua_State *L) { return binop_inplace(L, OP, #name "_"); }
BINOP_FUNCS(add, NL_OP_ADD)
BINOP_FUNCS(sub, NL_OP_SUB)
BINOP_FUNCS(mul, NL_OP_MUL)
BINOP_FUNCS(div, NL_OP_DIV)
BINOP_FUNCS(pow, NL_OP_POW)
BINOP_FUNCS(fmod, NL_OP_MOD)
BINOP_FUNCS(maximum, NL_OP_MAXIMUM)
BINOP_FUNCS(minimum, NL_OP_MINIMUM)
BINOP_FUNCS(atan2, NL_OP_ATAN2)
BINOP_FUNCS(eq, NL_OP_EQ)
BINOP_FUNCS(ne, NL_OP_NE)
BINOP_FUNCS(lt, NL_OP_LT)
BINOP_FUNCS(le, NL_OP_LE)
BINOP_FUNCS(gt, NL_OP_GT)
BINOP_FUNCS(ge, NL_OP_GE)

static int m_unm(lua_State *L)
{
    nl_tensor *a = nlL_checktensor(L, 1);
    nl_tensor *out = nlL_newlike(L, a);
    nl_unary(out, a, NL_UN_NEG);
    return 1;
}

static int unop(lua_State *L, nl_unop op)
{
    nl_tensor *a = nlL_checktensor(L, 1);
    nl_tensor *out = nlL_newtensor_uninit(L, a->dtype, a->ndim, a->shape);
    nl_unary(out, a, op);
    return 1;
}

static int unop_inplace(lua_State *L, nl_unop op)
{
    nl_tensor *a = nlL_checktensor(L, 1);
    nl_unary(a, a, op);
    lua_settop(L, 1);
    return 1;
}

#define UNOP_FUNCS(name, OP)                                              \
    static int m_##name(lua_State *L) { return unop(L, OP); }             \
    static int m_##name##_(lua_State *L) { return unop_inplace(L, OP); }
UNOP_FUNCS(neg, NL_UN_NEG)
UNOP_FUNCS(abs, NL_UN_ABS)
UNOP_FUNCS(sqrt, NL_UN_SQRT)
UNOP_FUNCS(exp, NL_UN_EXP)
UNOP_FUNCS(log, NL_UN_LOG)
UNOP_FUNCS(log1p, NL_UN_LOG1P)
UNOP_FUNCS(expm1, NL_UN_EXPM1)
UNOP_FUNCS(tanh, NL_UN_TANH)
UNOP_FUNCS(sigmoid, NL_UN_SIGMOID)
UNOP_FUNCS(sign, NL_UN_SIGN)
UNOP_FUNCS(sin, NL_UN_SIN)
UNOP_FUNCS(cos, NL_UN_COS)
UNOP_FUNCS(floor, NL_UN_FLOOR)
UNOP_FUNCS(ceil, NL_UN_CEIL)
UNOP_FUNCS(round, NL_UN_ROUND)
UNOP_FUNCS(square, NL_UN_SQUARE)
UNOP_FUNCS(reciprocal, NL_UN_RECIPROCAL)
UNOP_FUNCS(relu, NL_UN_RELU)
UNOP_FUNCS(isfinite, NL_UN_ISFINITE)
UNOP_FUNCS(isnan, NL_UN_ISNAN)
UNOP_FUNCS(lgamma, NL_UN_LGAMMA)
UNOP_FUNCS(erf, NL_UN_ERF)
UNOP_FUNCS(log2, NL_UN_LOG2)
UNOP_FUNCS(log10, NL_UN_LOG10)

static int m_clamp(lua_State *L)
{
    nl_tensor *a = nlL_checktensor(L, 1);
    double lo = luaL_optnumber(L, 2, -HUGE_VAL), hi = luaL_optnumber(L, 3, HUGE_VAL);
    if (lo > hi) return nlL_error(L, "bad argument #2 to 'clamp' (min %f is greater than max %f)", lo, hi);
    nl_tensor *out = nlL_newlike(L, a);
    nl_clamp(out, a, lo, hi);
    return 1;
}

/* T.where(cond, a, b): a and b tensors or numbers. */
static int t_where(lua_State *L)
{
    nl_tensor *c = nlL_checktensor(L, 1);
    nl_dtype dt = NL_F64;
    nl_tensor *a = nlL_testtensor(L, 2), *b = nlL_testtensor(L, 3);
    if (a && b) dt = promote(a, b);
    else if (a) dt = a->dtype;
    else if (b) dt = b->dtype;
    else dt = c->dtype;
    for (int arg = 2; arg <= 3; arg++) {
        if (lua_type(L, arg) == LUA_TNUMBER) {
            nl_tensor *s = nlL_newtensor(L, dt, 0, NULL);
            nl_set_flat(s, 0, lua_tonumber(L, arg));
            lua_replace(L, arg);
        } else if (!nlL_testtensor(L, arg)) {
            return nlL_error(L, "bad argument #%d to 'where' (tensor or number expected, got %s)", arg, luaL_typename(L, arg));
        }
    }
    c = as_dtype(L, 1, dt);
    a = as_dtype(L, 2, dt);
    b = as_dtype(L, 3, dt);
    int nd1, nd2;
    int64_t s1[NL_MAXDIM], s2[NL_MAXDIM];
    if (nl_broadcast_shape(a, b, &nd1, s1) != NL_OK) broadcast_error(L, "where", a, b);
    nl_tensor probe = {.ndim = nd1, .dtype = dt};
    memcpy(probe.shape, s1, sizeof s1);
    if (nl_broadcast_shape(&probe, c, &nd2, s2) != NL_OK) broadcast_error(L, "where", &probe, c);
    nl_tensor *out = nlL_newtensor(L, dt, nd2, s2);
    nl_where(out, c, a, b);
    return 1;
}

static int m_where(lua_State *L)
{
    /* x:where(cond, other) -> cond ? x : other, as in PyTorch */
    lua_settop(L, 3);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 3);
    lua_remove(L, 1);
    lua_remove(L, 1);
    lua_remove(L, 1);
    return t_where(L);
}

/* ------------------------------------------------------------------ reductions */

/* Reduction with optional dim and keepdim; returns a number when no dim is given. */
static int reduce(lua_State *L, nl_redop op, const char *fname, double param, int param_arg)
{
    nl_tensor *a = nlL_checktensor(L, 1);
    if (param_arg && !lua_isnoneornil(L, param_arg)) param = luaL_checknumber(L, param_arg);
    if (lua_isnoneornil(L, 2)) {
        double r;
        nl_status st = nl_reduce_all(a, op, param, &r);
        if (st != NL_OK) return nlL_error(L, "bad argument #1 to '%s' (empty tensor)", fname);
        if (op == NL_RED_ARGMAX || op == NL_RED_ARGMIN) lua_pushinteger(L, (lua_Integer)r + 1);
        else lua_pushnumber(L, r);
        return 1;
    }
    int d = nlL_checkdim(L, 2, a->ndim, fname);
    int keepdim = lua_toboolean(L, 3);
    int64_t shape[NL_MAXDIM];
    memcpy(shape, a->shape, sizeof shape);
    shape[d] = 1;
    nl_dtype dt = (op == NL_RED_ARGMAX || op == NL_RED_ARGMIN) ? NL_F64 : a->dtype;
    nl_tensor *out = nlL_newtensor(L, dt, a->ndim, shape);
    if (nl_reduce_dim(out, a, d, op, param) != NL_OK)
        return nlL_error(L, "bad argument #2 to '%s' (cannot reduce an empty dim %d)", fname, d + 1);
    if (op == NL_RED_ARGMAX || op == NL_RED_ARGMIN) nl_binary_scalar(out, out, 1, NL_OP_ADD, 0);
    if (!keepdim) nl_view_select(out, d, 0);
    return 1;
}

static int m_sum(lua_State *L) { return reduce(L, NL_RED_SUM, "sum", 0, 0); }
static int m_mean(lua_State *L) { return reduce(L, NL_RED_MEAN, "mean", 0, 0); }
static int m_prod(lua_State *L) { return reduce(L, NL_RED_PROD, "prod", 0, 0); }
/* var/std(dim, keepdim, ddof=1): unbiased by default, as PyTorch */
static int m_var(lua_State *L) { return reduce(L, NL_RED_VAR, "var", 1, 4); }
static int m_std(lua_State *L) { return reduce(L, NL_RED_STD, "std", 1, 4); }
static int m_argmax(lua_State *L) { return reduce(L, NL_RED_ARGMAX, "argmax", 0, 0); }
static int m_argmin(lua_State *L) { return reduce(L, NL_RED_ARGMIN, "argmin", 0, 0); }

/* norm(p=2 [, dim, keepdim]) */
static int m_norm(lua_State *L)
{
    double p = luaL_optnumber(L, 2, 2);
    if (!(p > 0)) return nlL_error(L, "bad argument #2 to 'norm' (p must be > 0, got %g)", p);
    lua_settop(L, 4);
    lua_remove(L, 2);
    return reduce(L, NL_RED_NORM, "norm", p, 0);
}

/* max()/min() -> number; max(dim [, keepdim]) -> values, indices (1-based), as PyTorch. */
static int minmax(lua_State *L, int want_max)
{
    const char *fname = want_max ? "max" : "min";
    lua_settop(L, 3); /* the values pushed below must not be read as keepdim */
    if (lua_isnoneornil(L, 2)) return reduce(L, want_max ? NL_RED_MAX : NL_RED_MIN, fname, 0, 0);
    reduce(L, want_max ? NL_RED_MAX : NL_RED_MIN, fname, 0, 0);
    reduce(L, want_max ? NL_RED_ARGMAX : NL_RED_ARGMIN, fname, 0, 0);
    return 2;
}

static int m_max(lua_State *L) { return minmax(L, 1); }
static int m_min(lua_State *L) { return minmax(L, 0); }

static int default_dim(lua_State *L, int arg, const nl_tensor *a, const char *fname)
{
    if (lua_isnoneornil(L, arg)) return a->ndim - 1;
    return nlL_checkdim(L, arg, a->ndim, fname);
}

static int m_cumsum(lua_State *L)
{
    nl_tensor *a = nlL_checktensor(L, 1);
    if (a->ndim == 0) return nlL_error(L, "bad argument #1 to 'cumsum' (0-d tensor)");
    int d = default_dim(L, 2, a, "cumsum");
    nl_tensor *out = nlL_newlike(L, a);
    nl_cumsum(out, a, d);
    return 1;
}

/* sort([dim=-1] [, descending=false]) -> values, indices (1-based) */
static int m_sort(lua_State *L)
{
    nl_tensor *a = nlL_checktensor(L, 1);
    if (a->ndim == 0) return nlL_error(L, "bad argument #1 to 'sort' (0-d tensor)");
    int d = default_dim(L, 2, a, "sort");
    int desc = lua_toboolean(L, 3);
    nl_tensor *v = nlL_newlike(L, a);
    nl_tensor *i = nlL_newtensor(L, NL_F64, a->ndim, a->shape);
    if (nl_sort(v, i, a, d, desc) != NL_OK) return nlL_error(L, "sort: out of memory");
    nl_binary_scalar(i, i, 1, NL_OP_ADD, 0);
    return 2;
}

/* topk(k [, dim=-1] [, largest=true]) -> values, indices */
static int m_topk(lua_State *L)
{
    nl_tensor *a = nlL_checktensor(L, 1);
    if (a->ndim == 0) return nlL_error(L, "bad argument #1 to 'topk' (0-d tensor)");
    lua_Integer k = luaL_checkinteger(L, 2);
    int d = default_dim(L, 3, a, "topk");
    int largest = lua_isnoneornil(L, 4) ? 1 : lua_toboolean(L, 4);
    if (k < 0 || k > a->shape[d])
        return nlL_error(L, "bad argument #2 to 'topk' (k must be in [0, %d], got %d)", (int)a->shape[d], (int)k);
    nl_tensor *v = nlL_newlike(L, a);
    nl_tensor *i = nlL_newtensor(L, NL_F64, a->ndim, a->shape);
    if (nl_sort(v, i, a, d, largest) != NL_OK) return nlL_error(L, "topk: out of memory");
    nl_binary_scalar(i, i, 1, NL_OP_ADD, 0);
    nl_view_narrow(v, d, 0, k);
    nl_view_narrow(i, d, 0, k);
    return 2;
}

/* quantile(q [, dim [, keepdim]]): q a number or a table/tensor of numbers in [0, 1]. */
static int quantile_impl(lua_State *L, const char *fname)
{
    nl_tensor *a = nlL_checktensor(L, 1);
    lua_settop(L, 4); /* (self, q, dim, keepdim); temporaries go above */
    int scalar_q = lua_type(L, 2) == LUA_TNUMBER;
    int nq;
    double *q;
    if (scalar_q) {
        nq = 1;
        q = lua_newuserdatauv(L, sizeof(double), 0);
        q[0] = lua_tonumber(L, 2);
    } else {
        nl_tensor *qt = nlL_testtensor(L, 2);
        nq = qt ? (int)nl_numel(qt) : lua_istable(L, 2) ? (int)luaL_len(L, 2) : -1;
        if (nq < 1) return nlL_error(L, "bad argument #2 to '%s' (number, table or tensor of probabilities expected)", fname);
        q = lua_newuserdatauv(L, sizeof(double) * (size_t)nq, 0);
        for (int j = 0; j < nq; j++) {
            if (qt) q[j] = nl_get_flat(qt, j);
            else {
                lua_geti(L, 2, j + 1);
                q[j] = luaL_checknumber(L, -1);
                lua_pop(L, 1);
            }
        }
    }
    for (int j = 0; j < nq; j++)
        if (!(q[j] >= 0 && q[j] <= 1)) return nlL_error(L, "bad argument #2 to '%s' (probabilities must be in [0, 1], got %f)", fname, q[j]);
    if (nl_numel(a) == 0) return nlL_error(L, "bad argument #1 to '%s' (empty tensor)", fname);
    if (lua_isnoneornil(L, 3)) {
        /* over all elements: flatten (a copy if not contiguous) */
        nl_tensor *c = nlL_pushcontiguous(L, 1, a->dtype);
        nl_tensor flat = *c;
        int64_t n = nl_numel(c);
        nl_view_reshape(&flat, 1, &n);
        int64_t qs = nq;
        nl_tensor *out = nlL_newtensor(L, a->dtype, 1, &qs);
        nl_quantile(out, &flat, 0, q, nq);
        if (scalar_q) lua_pushnumber(L, nl_get_flat(out, 0));
        return 1;
    }
    int d = nlL_checkdim(L, 3, a->ndim, fname);
    int keepdim = lua_toboolean(L, 4);
    int64_t shape[NL_MAXDIM];
    memcpy(shape, a->shape, sizeof shape);
    shape[d] = nq;
    nl_tensor *out = nlL_newtensor(L, a->dtype, a->ndim, shape);
    nl_quantile(out, a, d, q, nq);
    if (scalar_q && !keepdim) nl_view_select(out, d, 0);
    return 1;
}

static int m_quantile(lua_State *L) { return quantile_impl(L, "quantile"); }

static int m_median(lua_State *L)
{
    lua_settop(L, 3);
    lua_pushnumber(L, 0.5);
    lua_insert(L, 2);
    return quantile_impl(L, "median");
}

/* ------------------------------------------------------------------ linear algebra */

static void matmul_error(lua_State *L, const char *fname, const nl_tensor *a, const nl_tensor *b)
{
    char x[SHAPEBUF], y[SHAPEBUF];
    nlL_error(L, "bad argument #2 to '%s' (shape %s does not match %s)", fname, shp(x, a), shp(y, b));
}

static int m_matmul(lua_State *L)
{
    nl_tensor *a = nlL_checktensor(L, 1), *b = nlL_checktensor(L, 2);
    nl_dtype dt = promote(a, b);
    a = as_dtype(L, 1, dt);
    b = as_dtype(L, 2, dt);
    if (a->ndim == 1 && b->ndim == 1) {
        if (a->shape[0] != b->shape[0]) matmul_error(L, "matmul", a, b);
        double r;
        nl_dot(a, b, &r);
        lua_pushnumber(L, r);
        return 1;
    }
    if (a->ndim == 2 && b->ndim == 2) {
        if (a->shape[1] != b->shape[0]) matmul_error(L, "matmul", a, b);
        int64_t shape[2] = {a->shape[0], b->shape[1]};
        nl_tensor *c = nlL_newtensor(L, dt, 2, shape);
        nl_gemm(c, 1, a, b, 0);
        return 1;
    }
    if (a->ndim == 2 && b->ndim == 1) {
        if (a->shape[1] != b->shape[0]) matmul_error(L, "matmul", a, b);
        nl_tensor *y = nlL_newtensor(L, dt, 1, a->shape);
        nl_gemv(y, 1, a, b, 0);
        return 1;
    }
    if (a->ndim == 1 && b->ndim == 2) {
        if (a->shape[0] != b->shape[0]) matmul_error(L, "matmul", a, b);
        nl_tensor bt = *b;
        nl_view_transpose(&bt, 0, 1);
        nl_tensor *y = nlL_newtensor(L, dt, 1, &b->shape[1]);
        nl_gemv(y, 1, &bt, a, 0);
        return 1;
    }
    if (a->ndim == 3 && (b->ndim == 2 || b->ndim == 3)) {
        /* batched: (n, m, k) x (k, p) or (n, k, p) */
        int64_t n = a->shape[0];
        if (b->ndim == 3 && b->shape[0] != n) matmul_error(L, "matmul", a, b);
        const nl_tensor *b0 = b;
        int64_t k = a->shape[2], kb = b->shape[b->ndim - 2], p = b->shape[b->ndim - 1];
        if (k != kb) matmul_error(L, "matmul", a, b);
        int64_t shape[3] = {n, a->shape[1], p};
        nl_tensor *c = nlL_newtensor(L, dt, 3, shape);
        for (int64_t i = 0; i < n; i++) {
            nl_tensor ai = *a, ci = *c, bi = *b0;
            nl_view_select(&ai, 0, i);
            nl_view_select(&ci, 0, i);
            if (b0->ndim == 3) nl_view_select(&bi, 0, i);
            nl_gemm(&ci, 1, &ai, &bi, 0);
        }
        return 1;
    }
    matmul_error(L, "matmul", a, b);
    return 0;
}

static int m_mm(lua_State *L)
{
    nl_tensor *a = nlL_checktensor(L, 1), *b = nlL_checktensor(L, 2);
    if (a->ndim != 2 || b->ndim != 2) matmul_error(L, "mm", a, b);
    return m_matmul(L);
}

static int m_mv(lua_State *L)
{
    nl_tensor *a = nlL_checktensor(L, 1), *b = nlL_checktensor(L, 2);
    if (a->ndim != 2 || b->ndim != 1) matmul_error(L, "mv", a, b);
    return m_matmul(L);
}

static int m_dot(lua_State *L)
{
    nl_tensor *a = nlL_checktensor(L, 1), *b = nlL_checktensor(L, 2);
    if (a->ndim != 1 || b->ndim != 1) matmul_error(L, "dot", a, b);
    return m_matmul(L);
}

static int m_outer(lua_State *L)
{
    nl_tensor *a = nlL_checktensor(L, 1), *b = nlL_checktensor(L, 2);
    if (a->ndim != 1 || b->ndim != 1) matmul_error(L, "outer", a, b);
    nl_dtype dt = promote(a, b);
    a = as_dtype(L, 1, dt);
    b = as_dtype(L, 2, dt);
    nl_tensor col = *a, row = *b;
    nl_view_unsqueeze(&col, 1);
    nl_view_unsqueeze(&row, 0);
    int64_t shape[2] = {a->shape[0], b->shape[0]};
    nl_tensor *out = nlL_newtensor(L, dt, 2, shape);
    nl_binary(out, &col, &row, NL_OP_MUL);
    return 1;
}

/* C:addmm(A, B [, beta=1, alpha=1]) -> beta*C + alpha*A@B (new tensor); addmm_ in place. */
static int addmm_impl(lua_State *L, int inplace)
{
    const char *fname = inplace ? "addmm_" : "addmm";
    nl_tensor *c = nlL_checktensor(L, 1);
    nl_tensor *a = as_dtype(L, 2, c->dtype), *b = as_dtype(L, 3, c->dtype);
    double beta = luaL_optnumber(L, 4, 1), alpha = luaL_optnumber(L, 5, 1);
    if (a->ndim != 2 || b->ndim != 2 || a->shape[1] != b->shape[0]) matmul_error(L, fname, a, b);
    if (c->ndim != 2 || c->shape[0] != a->shape[0] || c->shape[1] != b->shape[1]) {
        char x[SHAPEBUF], y[SHAPEBUF], z[SHAPEBUF];
        return nlL_error(L, "bad argument #1 to '%s' (shape %s does not match the product %s x %s)", fname, shp(x, c), shp(y, a), shp(z, b));
    }
    nl_tensor *out = c;
    if (!inplace) {
        out = nlL_newlike(L, c);
        nl_copy(out, c);
    } else {
        lua_pushvalue(L, 1);
    }
    nl_gemm(out, alpha, a, b, beta);
    return 1;
}

static int m_addmm(lua_State *L) { return addmm_impl(L, 0); }
static int m_addmm_(lua_State *L) { return addmm_impl(L, 1); }

/* ------------------------------------------------------------------ random fills in place */

static int m_uniform_(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    double a = luaL_optnumber(L, 2, 0), b = luaL_optnumber(L, 3, 1);
    nl_fill_uniform(t, nlL_optrng(L, 4), a, b);
    lua_settop(L, 1);
    return 1;
}

static int m_normal_(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    double m = luaL_optnumber(L, 2, 0), s = luaL_optnumber(L, 3, 1);
    if (!(s >= 0)) return nlL_error(L, "bad argument #3 to 'normal_' (std must be >= 0, got %f)", s);
    nl_fill_normal(t, nlL_optrng(L, 4), m, s);
    lua_settop(L, 1);
    return 1;
}

/* ------------------------------------------------------------------ files */

static int t_save(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    const char *path = luaL_checkstring(L, 2);
    const char *as = NULL;
    if (lua_type(L, 3) == LUA_TSTRING) as = lua_tostring(L, 3);
    else as = nlL_optstring_field(L, 3, "dtype", NULL);
    nl_npy_type ty = t->dtype == NL_F32 ? NL_NPY_F32 : NL_NPY_F64;
    if (as) {
        if (strcmp(as, "f32") == 0) ty = NL_NPY_F32;
        else if (strcmp(as, "f64") == 0) ty = NL_NPY_F64;
        else if (strcmp(as, "i64") == 0) ty = NL_NPY_I64;
        else return nlL_error(L, "bad argument #3 to 'save' (dtype must be \"f32\", \"f64\" or \"i64\", got \"%s\")", as);
    }
    if (ty == NL_NPY_I64) {
        int64_t n = nl_numel(t);
        for (int64_t i = 0; i < n; i++) {
            double v = nl_get_flat(t, i);
            if (v != floor(v) || fabs(v) > 9007199254740992.0)
                return nlL_error(L, "bad argument #1 to 'save' (element %lld is %g, not an integer; cannot save as i64)", (long long)i + 1, v);
        }
    }
    char err[512];
    if (nl_npy_save(path, t, ty, err, sizeof err) != NL_OK) return nlL_error(L, "save: %s", err);
    return 0;
}

static int t_load(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    nl_npy_header h;
    char err[512];
    if (nl_npy_read_header(path, &h, err, sizeof err) != NL_OK) return nlL_error(L, "load: %s", err);
    nl_tensor *t = nlL_newtensor(L, nl_npy_result_dtype(&h), h.ndim, h.shape);
    if (nl_npy_read_data(path, &h, t, err, sizeof err) != NL_OK) return nlL_error(L, "load: %s", err);
    return 1;
}

/* write_csv(t, path [, {header = {"a", "b"}}]) */
static int t_write_csv(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    const char *path = luaL_checkstring(L, 2);
    if (t->ndim > 2) {
        char b[SHAPEBUF];
        return nlL_error(L, "bad argument #1 to 'write_csv' (1-d or 2-d tensor expected, got shape %s)", shp(b, t));
    }
    int nnames = 0;
    const char **names = NULL;
    if (lua_istable(L, 3) && lua_getfield(L, 3, "header") == LUA_TTABLE) {
        nnames = (int)luaL_len(L, -1);
        int64_t cols = t->ndim == 2 ? t->shape[1] : 1;
        if (nnames != cols)
            return nlL_error(L, "bad argument #3 to 'write_csv' (%d column names for %d columns)", nnames, (int)cols);
        names = lua_newuserdatauv(L, sizeof(char *) * (size_t)(nnames + 1), 0);
        for (int j = 0; j < nnames; j++) {
            lua_geti(L, -2, j + 1);
            names[j] = luaL_checkstring(L, -1);
            if (strpbrk(names[j], ",\n\""))
                return nlL_error(L, "bad argument #3 to 'write_csv' (column name '%s' contains a comma, quote or newline)", names[j]);
            lua_pop(L, 1); /* kept alive by the header table */
        }
    }
    char err[512];
    if (nl_csv_write(path, t, names, nnames, err, sizeof err) != NL_OK) return nlL_error(L, "write_csv: %s", err);
    return 0;
}

/* read_csv(path [, dtype]) -> tensor rows x cols, header names (or nil) */
static int t_read_csv(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    nl_dtype dt = opt_dtype_arg(L, 2, NL_F64);
    nl_csv_info *info = lua_newuserdatauv(L, sizeof(nl_csv_info), 0);
    char err[512];
    if (nl_csv_shape(path, info, err, sizeof err) != NL_OK) return nlL_error(L, "read_csv: %s", err);
    int64_t shape[2] = {info->rows, info->cols};
    nl_tensor *t = nlL_newtensor(L, dt, 2, shape);
    if (nl_csv_read(path, info, t, err, sizeof err) != NL_OK) return nlL_error(L, "read_csv: %s", err);
    if (!info->has_header) {
        lua_pushnil(L);
        return 2;
    }
    lua_createtable(L, info->cols, 0);
    for (int j = 0; j < info->cols; j++) {
        lua_pushstring(L, info->names + info->name_offset[j]);
        lua_rawseti(L, -2, j + 1);
    }
    return 2;
}

static int t_is_tensor(lua_State *L)
{
    lua_pushboolean(L, luaL_testudata(L, 1, NL_TENSOR_MT) != NULL);
    return 1;
}

/* Bytes of tensor storage alive in this process (for memory tests and the REPL). */
static int t_memory(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)nl_live_bytes());
    return 1;
}

/* ------------------------------------------------------------------ lifetime */

/* One idempotent function for __gc and __close (as liolib does for files). */
static int m_close(lua_State *L)
{
    nl_tensor *t = luaL_checkudata(L, 1, NL_TENSOR_MT);
    nl_tensor_release(t);
    return 0;
}

static const luaL_Reg methods[] = {
    {"shape", m_shape}, {"size", m_size}, {"stride", m_stride}, {"dim", m_dim},
    {"numel", m_numel}, {"dtype", m_dtype}, {"is_contiguous", m_is_contiguous},
    {"get", m_get}, {"set", m_set}, {"item", m_item}, {"totable", m_totable},
    {"narrow", m_narrow}, {"select", m_select}, {"transpose", m_transpose}, {"t", m_transpose},
    {"permute", m_permute}, {"view", m_view}, {"reshape", m_reshape}, {"expand", m_expand},
    {"unsqueeze", m_unsqueeze}, {"squeeze", m_squeeze},
    {"clone", m_clone}, {"contiguous", m_contiguous}, {"float", m_float}, {"double", m_double},
    {"to", m_to}, {"copy", m_copy}, {"fill", m_fill}, {"index", m_index},
    {"add", m_add}, {"sub", m_sub}, {"mul", m_mul}, {"div", m_div}, {"pow", m_pow},
    {"fmod", m_fmod}, {"maximum", m_maximum}, {"minimum", m_minimum}, {"atan2", m_atan2},
    {"eq", m_eq}, {"ne", m_ne}, {"lt", m_lt}, {"le", m_le}, {"gt", m_gt}, {"ge", m_ge},
    {"add_", m_add_}, {"sub_", m_sub_}, {"mul_", m_mul_}, {"div_", m_div_}, {"pow_", m_pow_},
    {"fmod_", m_fmod_}, {"maximum_", m_maximum_}, {"minimum_", m_minimum_}, {"atan2_", m_atan2_},
    {"eq_", m_eq_}, {"ne_", m_ne_}, {"lt_", m_lt_}, {"le_", m_le_}, {"gt_", m_gt_}, {"ge_", m_ge_},
    {"neg", m_neg}, {"abs", m_abs}, {"sqrt", m_sqrt}, {"exp", m_exp}, {"log", m_log},
    {"log1p", m_log1p}, {"expm1", m_expm1}, {"tanh", m_tanh}, {"sigmoid", m_sigmoid},
    {"sign", m_sign}, {"sin", m_sin}, {"cos", m_cos}, {"floor", m_floor}, {"ceil", m_ceil},
    {"round", m_round}, {"square", m_square}, {"reciprocal", m_reciprocal}, {"relu", m_relu},
    {"isfinite", m_isfinite}, {"isnan", m_isnan}, {"lgamma", m_lgamma}, {"erf", m_erf},
    {"log2", m_log2}, {"log10", m_log10},
    {"neg_", m_neg_}, {"abs_", m_abs_}, {"sqrt_", m_sqrt_}, {"exp_", m_exp_}, {"log_", m_log_},
    {"log1p_", m_log1p_}, {"expm1_", m_expm1_}, {"tanh_", m_tanh_}, {"sigmoid_", m_sigmoid_},
    {"sign_", m_sign_}, {"sin_", m_sin_}, {"cos_", m_cos_}, {"floor_", m_floor_},
    {"ceil_", m_ceil_}, {"round_", m_round_}, {"square_", m_square_},
    {"reciprocal_", m_reciprocal_}, {"relu_", m_relu_}, {"isfinite_", m_isfinite_},
    {"isnan_", m_isnan_}, {"lgamma_", m_lgamma_}, {"erf_", m_erf_}, {"log2_", m_log2_},
    {"log10_", m_log10_},
    {"clamp", m_clamp}, {"where", m_where},
    {"sum", m_sum}, {"mean", m_mean}, {"prod", m_prod}, {"var", m_var}, {"std", m_std},
    {"min", m_min}, {"max", m_max}, {"argmin", m_argmin}, {"argmax", m_argmax}, {"norm", m_norm},
    {"cumsum", m_cumsum}, {"sort", m_sort}, {"topk", m_topk}, {"quantile", m_quantile},
    {"median", m_median},
    {"matmul", m_matmul}, {"mm", m_mm}, {"mv", m_mv}, {"dot", m_dot}, {"outer", m_outer},
    {"addmm", m_addmm}, {"addmm_", m_addmm_},
    {"uniform_", m_uniform_}, {"normal_", m_normal_},
    {"close", m_close},
    {NULL, NULL}};

static const luaL_Reg metamethods[] = {
    {"__add", m_add}, {"__sub", m_sub}, {"__mul", m_mul}, {"__div", m_div}, {"__pow", m_pow},
    {"__mod", m_fmod}, {"__unm", m_unm}, {"__len", m_len}, {"__tostring", m_tostring},
    {"__gc", m_close}, {"__close", m_close}, {NULL, NULL}};

static const luaL_Reg functions[] = {
    {"zeros", t_zeros}, {"ones", t_ones}, {"full", t_full}, {"eye", t_eye},
    {"arange", t_arange}, {"linspace", t_linspace}, {"from", t_from}, {"rand", t_rand},
    {"randn", t_randn}, {"cat", t_cat}, {"where", t_where}, {"save", t_save}, {"load", t_load},
    {"is_tensor", t_is_tensor}, {"memory", t_memory}, {"write_csv", t_write_csv},
    {"read_csv", t_read_csv}, {NULL, NULL}};

static const nlL_help help_functions[] = {
    {"zeros", "tensor.zeros(shape [, dtype])", "New tensor of zeros; shape is {d1, d2, ...} or d1, d2, ...; dtype \"f64\" (default) or \"f32\"."},
    {"ones", "tensor.ones(shape [, dtype])", "New tensor of ones."},
    {"full", "tensor.full(shape, value [, dtype])", "New tensor filled with value."},
    {"eye", "tensor.eye(n [, m] [, dtype])", "Identity matrix n x m."},
    {"arange", "tensor.arange([start,] stop [, step] [, dtype])", "Values start, start+step, ... below stop (half-open)."},
    {"linspace", "tensor.linspace(a, b, n [, dtype])", "n evenly spaced values from a to b inclusive."},
    {"from", "tensor.from(table | number | tensor [, dtype])", "Tensor from nested Lua tables (rectangular)."},
    {"rand", "tensor.rand(shape [, rng | {rng=, dtype=}])", "Uniform(0,1) samples (open interval)."},
    {"randn", "tensor.randn(shape [, rng | {rng=, dtype=}])", "Standard normal samples."},
    {"cat", "tensor.cat({t1, t2, ...} [, dim=1])", "Concatenate tensors along dim (copy)."},
    {"where", "tensor.where(cond, a, b)", "Elementwise cond ~= 0 and a or b, broadcasting."},
    {"save", "tensor.save(t, path [, dtype])", "Write a .npy file atomically (dtype \"f32\", \"f64\" or \"i64\")."},
    {"load", "tensor.load(path)", "Read a .npy file (f4 -> f32; f8 and integers -> f64)."},
    {"write_csv", "tensor.write_csv(t, path [, {header = {names}}])", "Write a 1-d or 2-d tensor as CSV (17 digits, atomic)."},
    {"read_csv", "tensor.read_csv(path [, dtype])", "Read a numeric CSV: tensor rows x cols, and the header names or nil."},
    {"is_tensor", "tensor.is_tensor(v)", "true if v is a noiselab tensor."},
    {"memory", "tensor.memory()", "Bytes of tensor storage alive in this process."},
    {NULL, NULL, NULL}};

static const nlL_help help_methods[] = {
    {"shape", "x:shape()", "Table of dimension sizes."},
    {"get", "x:get(i, j, ...)", "Element at 1-based indices (negative counts from the end)."},
    {"set", "x:set(i, j, ..., v)", "Set the element at 1-based indices; returns x."},
    {"totable", "x:totable()", "Nested Lua tables of the values."},
    {"narrow", "x:narrow(dim, start, len)", "View of len entries from start along dim."},
    {"select", "x:select(dim, i)", "View with dim removed at index i."},
    {"t", "x:t()", "Transposed view of a 2-d tensor."},
    {"transpose", "x:transpose(d1, d2)", "View with dims d1 and d2 swapped."},
    {"permute", "x:permute(d1, d2, ...)", "View with dims reordered."},
    {"view", "x:view(shape)", "View with a new shape (error if strides forbid it); one dim may be -1."},
    {"reshape", "x:reshape(shape)", "View with a new shape when possible, else a copy."},
    {"expand", "x:expand(shape)", "Broadcast view (stride 0 on expanded dims)."},
    {"clone", "x:clone()", "Contiguous copy."},
    {"contiguous", "x:contiguous()", "x itself if contiguous, else a contiguous copy."},
    {"index", "x:index(dim, idx)", "Copy of the entries at 1-based indices idx along dim."},
    {"sum", "x:sum([dim [, keepdim]])", "Sum (pairwise, in double); a number without dim."},
    {"mean", "x:mean([dim [, keepdim]])", "Mean."},
    {"var", "x:var([dim [, keepdim [, ddof=1]]])", "Variance, unbiased by default (two-pass)."},
    {"std", "x:std([dim [, keepdim [, ddof=1]]])", "Standard deviation."},
    {"max", "x:max([dim [, keepdim]])", "Maximum; with dim: values, 1-based indices."},
    {"min", "x:min([dim [, keepdim]])", "Minimum; with dim: values, 1-based indices."},
    {"argmax", "x:argmax([dim [, keepdim]])", "1-based index of the maximum."},
    {"norm", "x:norm([p=2 [, dim [, keepdim]]])", "p-norm (p = math.huge for the max norm)."},
    {"sort", "x:sort([dim=-1 [, descending]])", "Sorted values and 1-based indices (stable, NaN last)."},
    {"topk", "x:topk(k [, dim=-1 [, largest=true]])", "k largest (or smallest) values and indices."},
    {"quantile", "x:quantile(q [, dim [, keepdim]])", "Quantiles with linear interpolation (numpy's default)."},
    {"median", "x:median([dim [, keepdim]])", "quantile(0.5): the mean of the two middle values for even n."},
    {"matmul", "a:matmul(b)", "Matrix product (1-d/2-d/batched 3-d) through OpenBLAS."},
    {"addmm", "c:addmm(a, b [, beta=1, alpha=1])", "beta*c + alpha*a@b."},
    {"clamp", "x:clamp([lo [, hi]])", "Values limited to [lo, hi]."},
    {"normal_", "x:normal_([mean=0, std=1 [, rng]])", "Fill in place with normal samples."},
    {"uniform_", "x:uniform_([a=0, b=1 [, rng]])", "Fill in place with uniform samples."},
    {"close", "x:close()", "Release the storage now (also done by <close> and the GC)."},
    {NULL, NULL, NULL}};

int luaopen_noiselab_tensor(lua_State *L);
int luaopen_noiselab_tensor(lua_State *L)
{
    nlL_gsl_init();
    if (luaL_newmetatable(L, NL_TENSOR_MT)) {
        luaL_setfuncs(L, metamethods, 0);
        luaL_newlib(L, methods);
        nlL_register_help(L, "Tensor", help_methods);
        lua_setfield(L, -2, "__index");
        lua_pushliteral(L, "noiselab.Tensor");
        lua_setfield(L, -2, "__name");
    }
    lua_pop(L, 1);
    luaL_newlib(L, functions);
    /* the method table, for documentation and completion */
    luaL_getmetatable(L, NL_TENSOR_MT);
    lua_getfield(L, -1, "__index");
    lua_setfield(L, -3, "methods");
    lua_pop(L, 1);
    nlL_register_help(L, "tensor", help_functions);
    return 1;
}
