/* Binding helpers shared by every module (see common.h), the preload table, and
 * luaopen_noiselab, the entry point of noiselab.so for stock lua5.4. */
#include "common.h"
#include "modules.h"
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int nlL_error(lua_State *L, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    luaL_where(L, 1);
    lua_pushstring(L, msg);
    lua_concat(L, 2);
    return lua_error(L);
}

/* ---- tensors ---- */

nl_tensor *nlL_testtensor(lua_State *L, int arg)
{
    nl_tensor *t = luaL_testudata(L, arg, NL_TENSOR_MT);
    if (t && !t->storage) luaL_argerror(L, arg, "tensor has been closed");
    return t;
}

nl_tensor *nlL_checktensor(lua_State *L, int arg)
{
    nl_tensor *t = luaL_checkudata(L, arg, NL_TENSOR_MT);
    if (!t->storage) luaL_argerror(L, arg, "tensor has been closed");
    return t;
}

int luaopen_noiselab_tensor(lua_State *L);
int luaopen_noiselab_rng(lua_State *L);

/* A module may make tensors or generators before "noiselab.tensor"/"noiselab.rng" were
 * required: load the owner of the metatable first so the object is never left without one. */
static void set_metatable(lua_State *L, const char *mt, const char *module, lua_CFunction open)
{
    if (luaL_getmetatable(L, mt) == LUA_TNIL) {
        lua_pop(L, 1);
        luaL_requiref(L, module, open, 0);
        lua_pop(L, 1);
        luaL_getmetatable(L, mt);
    }
    lua_setmetatable(L, -2);
}

static nl_tensor *push_empty(lua_State *L)
{
    nl_tensor *t = lua_newuserdatauv(L, sizeof(nl_tensor), 0);
    memset(t, 0, sizeof *t);
    set_metatable(L, NL_TENSOR_MT, "noiselab.tensor", luaopen_noiselab_tensor);
    return t;
}

const char *nlL_shapestr(char *buf, size_t len, int ndim, const int64_t *shape)
{
    size_t k = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < ndim && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, i ? ",%lld" : "%lld", (long long)shape[i]);
    if (k < len) snprintf(buf + k, len - k, "]");
    return buf;
}

static nl_tensor *new_tensor(lua_State *L, nl_dtype dt, int ndim, const int64_t *shape, int zero)
{
    size_t nbytes;
    char sh[160];
    if (nl_shape_bytes(dt, ndim, shape, &nbytes) != NL_OK)
        nlL_error(L, "cannot make a tensor of shape %s: size out of range",
                   nlL_shapestr(sh, sizeof sh, ndim, shape));
    nl_tensor *t = push_empty(L);
    if ((zero ? nl_tensor_init(t, dt, ndim, shape) : nl_tensor_init_uninit(t, dt, ndim, shape)) != NL_OK)
        nlL_error(L, "cannot allocate %zu bytes for a %s tensor of shape %s", nbytes,
                   nl_dtype_name(dt), nlL_shapestr(sh, sizeof sh, ndim, shape));
    /* Tell the collector about memory it cannot see, so loops of temporaries stay bounded. */
    if (nbytes >= 1024) lua_gc(L, LUA_GCSTEP, (int)(nbytes / 1024 > 1 << 20 ? 1 << 20 : nbytes / 1024));
    return t;
}

nl_tensor *nlL_newtensor(lua_State *L, nl_dtype dt, int ndim, const int64_t *shape)
{
    return new_tensor(L, dt, ndim, shape, 1);
}

nl_tensor *nlL_newtensor_uninit(lua_State *L, nl_dtype dt, int ndim, const int64_t *shape)
{
    return new_tensor(L, dt, ndim, shape, 0);
}

nl_tensor *nlL_newlike(lua_State *L, const nl_tensor *t)
{
    return nlL_newtensor(L, t->dtype, t->ndim, t->shape);
}

nl_tensor *nlL_pushview(lua_State *L, const nl_tensor *src)
{
    nl_tensor *t = push_empty(L);
    nl_tensor_share(t, src);
    return t;
}

nl_tensor *nlL_pushcontiguous(lua_State *L, int arg, nl_dtype dt)
{
    nl_tensor *t = nlL_checktensor(L, arg);
    if (t->dtype == dt && nl_is_contiguous(t)) {
        lua_pushvalue(L, arg);
        return t;
    }
    nl_tensor *c = nlL_newtensor_uninit(L, dt, t->ndim, t->shape);
    nl_copy(c, t);
    return c;
}

int nlL_checkshape(lua_State *L, int arg, int64_t *shape, const char *fname)
{
    int ndim = 0;
    if (lua_istable(L, arg)) {
        lua_Integer n = luaL_len(L, arg);
        if (n > NL_MAXDIM)
            return nlL_error(L, "bad argument #%d to '%s' (at most %d dimensions, got %d)", arg,
                              fname, NL_MAXDIM, (int)n);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_geti(L, arg, i);
            int isnum;
            lua_Integer v = lua_tointegerx(L, -1, &isnum);
            if (!isnum || v < 0)
                return nlL_error(L, "bad argument #%d to '%s' (dimension %d must be a non-negative integer, got %s)",
                                  arg, fname, (int)i, luaL_tolstring(L, -1, NULL));
            shape[ndim++] = v;
            lua_pop(L, 1);
        }
        return ndim;
    }
    int top = lua_gettop(L);
    if (arg > top) return nlL_error(L, "bad argument #%d to '%s' (shape expected, got no value)", arg, fname);
    for (int i = arg; i <= top; i++) {
        if (lua_type(L, i) != LUA_TNUMBER) break;
        int isnum;
        lua_Integer v = lua_tointegerx(L, i, &isnum);
        if (!isnum || v < 0)
            return nlL_error(L, "bad argument #%d to '%s' (dimension must be a non-negative integer, got %s)",
                              i, fname, luaL_tolstring(L, i, NULL));
        if (ndim >= NL_MAXDIM)
            return nlL_error(L, "bad argument #%d to '%s' (at most %d dimensions)", i, fname, NL_MAXDIM);
        shape[ndim++] = v;
    }
    if (ndim == 0)
        return nlL_error(L, "bad argument #%d to '%s' (shape expected as integers or a table, got %s)",
                          arg, fname, luaL_typename(L, arg));
    return ndim;
}

nl_dtype nlL_optdtype(lua_State *L, int arg, nl_dtype def)
{
    if (lua_isnoneornil(L, arg)) return def;
    const char *s = luaL_checkstring(L, arg);
    if (strcmp(s, "f64") == 0 || strcmp(s, "double") == 0) return NL_F64;
    if (strcmp(s, "f32") == 0 || strcmp(s, "float") == 0) return NL_F32;
    luaL_argerror(L, arg, lua_pushfstring(L, "dtype must be \"f32\" or \"f64\", got \"%s\"", s));
    return def;
}

nl_dtype nlL_optdtype_field(lua_State *L, int arg, nl_dtype def)
{
    if (!lua_istable(L, arg)) return def;
    lua_getfield(L, arg, "dtype");
    nl_dtype dt = nlL_optdtype(L, lua_gettop(L), def);
    lua_pop(L, 1);
    return dt;
}

int nlL_status_error(lua_State *L, nl_status s, const char *fname, const char *detail)
{
    if (detail && *detail) return nlL_error(L, "%s: %s: %s", fname, nl_status_string(s), detail);
    return nlL_error(L, "%s: %s", fname, nl_status_string(s));
}

int nlL_checkdim(lua_State *L, int arg, int ndim, const char *fname)
{
    lua_Integer d = luaL_checkinteger(L, arg);
    lua_Integer z = d < 0 ? d + ndim : d - 1;
    if (z < 0 || z >= ndim)
        return nlL_error(L, "bad argument #%d to '%s' (dim must be in [1, %d] or [-%d, -1], got %d)",
                          arg, fname, ndim, ndim, (int)d);
    return (int)z;
}

/* ---- generators ---- */

nl_rng *nlL_testrng(lua_State *L, int arg) { return luaL_testudata(L, arg, NL_RNG_MT); }
nl_rng *nlL_checkrng(lua_State *L, int arg) { return luaL_checkudata(L, arg, NL_RNG_MT); }

#define DEFAULT_RNG_KEY "noiselab.default_rng"

nl_rng *nlL_default_rng(lua_State *L)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, DEFAULT_RNG_KEY) == LUA_TUSERDATA) {
        nl_rng *g = lua_touserdata(L, -1);
        lua_pop(L, 1);
        return g;
    }
    lua_pop(L, 1);
    nl_rng *g = lua_newuserdatauv(L, sizeof(nl_rng), 0);
    nl_rng_init(g, 0, 0); /* documented default: seed 0 until noiselab.seed() is called */
    set_metatable(L, NL_RNG_MT, "noiselab.rng", luaopen_noiselab_rng);
    lua_setfield(L, LUA_REGISTRYINDEX, DEFAULT_RNG_KEY);
    return g;
}

nl_rng *nlL_optrng(lua_State *L, int arg)
{
    if (lua_isnoneornil(L, arg)) return nlL_default_rng(L);
    nl_rng *g = nlL_testrng(L, arg);
    if (!g)
        luaL_typeerror(L, arg, "noiselab.Generator or nil");
    return g;
}

nl_rng *nlL_optrng_field(lua_State *L, int arg)
{
    if (!lua_istable(L, arg)) return nlL_default_rng(L);
    lua_getfield(L, arg, "rng");
    nl_rng *g;
    if (lua_isnil(L, -1)) g = nlL_default_rng(L);
    else if (!(g = nlL_testrng(L, -1)))
        nlL_error(L, "option 'rng' must be a noiselab.Generator, got %s", luaL_typename(L, -1));
    lua_pop(L, 1); /* the generator stays alive: the options table references it */
    return g;
}

/* ---- options ---- */

double nlL_optnumber_field(lua_State *L, int arg, const char *key, double def)
{
    if (!lua_istable(L, arg)) return def;
    int t = lua_getfield(L, arg, key);
    double v = def;
    if (t != LUA_TNIL) {
        int ok;
        v = lua_tonumberx(L, -1, &ok);
        if (!ok) nlL_error(L, "option '%s' must be a number, got %s", key, luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    return v;
}

lua_Integer nlL_optinteger_field(lua_State *L, int arg, const char *key, lua_Integer def)
{
    if (!lua_istable(L, arg)) return def;
    int t = lua_getfield(L, arg, key);
    lua_Integer v = def;
    if (t != LUA_TNIL) {
        int ok;
        v = lua_tointegerx(L, -1, &ok);
        if (!ok) nlL_error(L, "option '%s' must be an integer, got %s", key, luaL_tolstring(L, -1, NULL));
    }
    lua_pop(L, 1);
    return v;
}

int nlL_optboolean_field(lua_State *L, int arg, const char *key, int def)
{
    if (!lua_istable(L, arg)) return def;
    int t = lua_getfield(L, arg, key);
    int v = def;
    if (t == LUA_TBOOLEAN) v = lua_toboolean(L, -1);
    else if (t != LUA_TNIL) nlL_error(L, "option '%s' must be a boolean, got %s", key, luaL_typename(L, -1));
    lua_pop(L, 1);
    return v;
}

const char *nlL_optstring_field(lua_State *L, int arg, const char *key, const char *def)
{
    if (!lua_istable(L, arg)) return def;
    int t = lua_getfield(L, arg, key);
    const char *v = def;
    if (t == LUA_TSTRING) v = lua_tostring(L, -1);
    else if (t != LUA_TNIL) nlL_error(L, "option '%s' must be a string, got %s", key, luaL_typename(L, -1));
    lua_pop(L, 1); /* the string stays referenced by the options table */
    return v;
}

double nlL_checkfinite(lua_State *L, int arg)
{
    double v = luaL_checknumber(L, arg);
    if (!isfinite(v))
        luaL_argerror(L, arg, lua_pushfstring(L, "finite number expected, got %f", v));
    return v;
}

void nlL_gsl_init(void) { gsl_set_error_handler_off(); }

void nlL_register_help(lua_State *L, const char *module, const nlL_help *rows)
{
    int mod = lua_gettop(L);
    if (!luaL_getsubtable(L, LUA_REGISTRYINDEX, "noiselab.help")) {
        /* weak keys: help never keeps a function alive */
        lua_newtable(L);
        lua_pushliteral(L, "k");
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
    }
    int help = lua_gettop(L);
    for (const nlL_help *r = rows; r->name; r++) {
        if (lua_getfield(L, mod, r->name) != LUA_TFUNCTION) {
            lua_pop(L, 1);
            continue;
        }
        lua_createtable(L, 0, 4);
        lua_pushstring(L, module);
        lua_setfield(L, -2, "module");
        lua_pushstring(L, r->name);
        lua_setfield(L, -2, "name");
        lua_pushstring(L, r->signature);
        lua_setfield(L, -2, "signature");
        lua_pushstring(L, r->summary);
        lua_setfield(L, -2, "summary");
        lua_settable(L, help);
    }
    lua_settop(L, mod);
}

/* ---- module table ---- */

static int load_embedded(lua_State *L)
{
    const nl_luamodule *m = lua_touserdata(L, lua_upvalueindex(1));
    if (luaL_loadbufferx(L, m->source, m->len, m->chunkname, "t") != LUA_OK) return lua_error(L);
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    return 1;
}

void nl_preload_all(lua_State *L)
{
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    for (const nl_cmodule *m = nl_cmodules; m->name; m++) {
        lua_pushcfunction(L, m->open);
        lua_setfield(L, -2, m->name);
    }
    for (const nl_luamodule *m = nl_luamodules; m->name; m++) {
        lua_pushlightuserdata(L, (void *)m);
        lua_pushcclosure(L, load_embedded, 1);
        lua_setfield(L, -2, m->name);
    }
    lua_pop(L, 1);
}

int luaopen_noiselab(lua_State *L);
/* For stock lua5.4: require "noiselab" finds noiselab.so, which preloads every module and
 * runs the embedded init. */
int luaopen_noiselab(lua_State *L)
{
    nl_preload_all(L);
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_getfield(L, -1, "noiselab");
    lua_pushstring(L, "noiselab");
    lua_call(L, 1, 1);
    return 1;
}
