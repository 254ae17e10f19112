/* Lua binding of the random generators: module noiselab.rng and noiselab.Generator objects.
 * Each generator is a userdata holding its Philox state (no C globals); the default generator
 * of a Lua state lives in the registry (common.c). */
#include "common.h"
#include "noiselab/tensor_random.h"
#include <string.h>

static nl_rng *push_rng(lua_State *L, uint64_t seed, uint64_t stream)
{
    nl_rng *g = lua_newuserdatauv(L, sizeof(nl_rng), 0);
    nl_rng_init(g, seed, stream);
    luaL_setmetatable(L, NL_RNG_MT);
    return g;
}

static uint64_t check_seed(lua_State *L, int arg)
{
    int ok;
    lua_Integer s = lua_tointegerx(L, arg, &ok);
    if (!ok) luaL_argerror(L, arg, lua_pushfstring(L, "integer seed expected, got %s", luaL_tolstring(L, arg, NULL)));
    return (uint64_t)s;
}

/* rng.new([seed=0 [, stream=0]]) */
static int r_new(lua_State *L)
{
    uint64_t seed = lua_isnoneornil(L, 1) ? 0 : check_seed(L, 1);
    uint64_t stream = lua_isnoneornil(L, 2) ? 0 : check_seed(L, 2);
    push_rng(L, seed, stream);
    return 1;
}

static int r_default(lua_State *L)
{
    nlL_default_rng(L);
    lua_getfield(L, LUA_REGISTRYINDEX, "noiselab.default_rng");
    return 1;
}

/* rng.seed(n): reseed the default generator (also noiselab.seed). */
static int r_seed_default(lua_State *L)
{
    nl_rng *g = nlL_default_rng(L);
    nl_rng_init(g, check_seed(L, 1), 0);
    return 0;
}

static int g_seed(lua_State *L)
{
    nl_rng *g = nlL_checkrng(L, 1);
    nl_rng_init(g, check_seed(L, 2), lua_isnoneornil(L, 3) ? 0 : check_seed(L, 3));
    lua_settop(L, 1);
    return 1;
}

/* A sampler call: g:kind() -> number; g:kind(n | shape, ...) -> f64 tensor. */
static int sample(lua_State *L, int kind, const char *fname)
{
    nl_rng *g = nlL_checkrng(L, 1);
    double p1 = 0, p2 = 1;
    if (lua_isnoneornil(L, 2)) {
        double v = kind == 0 ? nl_rng_uniform(g) : kind == 1 ? nl_rng_normal(g) : nl_rng_exponential(g);
        lua_pushnumber(L, v);
        return 1;
    }
    int64_t shape[NL_MAXDIM];
    int ndim;
    if (lua_istable(L, 2)) ndim = nlL_checkshape(L, 2, shape, fname);
    else {
        lua_Integer n = luaL_checkinteger(L, 2);
        if (n < 0) return nlL_error(L, "bad argument #2 to '%s' (count must be >= 0, got %d)", fname, (int)n);
        shape[0] = n;
        ndim = 1;
    }
    if (kind == 0) {
        p1 = luaL_optnumber(L, 3, 0);
        p2 = luaL_optnumber(L, 4, 1);
        if (!(p1 < p2)) return nlL_error(L, "bad argument to 'uniform' (a < b expected, got %f, %f)", p1, p2);
    } else if (kind == 1) {
        p1 = luaL_optnumber(L, 3, 0);
        p2 = luaL_optnumber(L, 4, 1);
        if (!(p2 >= 0)) return nlL_error(L, "bad argument #4 to 'normal' (std must be >= 0, got %f)", p2);
    } else {
        p1 = luaL_optnumber(L, 3, 1);
        if (!(p1 > 0)) return nlL_error(L, "bad argument #3 to 'exponential' (rate must be > 0, got %f)", p1);
    }
    nl_dtype dt = nlL_optdtype_field(L, 5, NL_F64);
    nl_tensor *t = nlL_newtensor(L, dt, ndim, shape);
    if (kind == 0) nl_fill_uniform(t, g, p1, p2);
    else if (kind == 1) nl_fill_normal(t, g, p1, p2);
    else nl_fill_exponential(t, g, p1);
    return 1;
}

static int g_uniform(lua_State *L) { return sample(L, 0, "uniform"); }
static int g_normal(lua_State *L) { return sample(L, 1, "normal"); }
static int g_exponential(lua_State *L) { return sample(L, 2, "exponential"); }

/* g:integers(lo, hi [, n | shape]): uniform on [lo, hi], both ends included (like math.random). */
static int g_integers(lua_State *L)
{
    nl_rng *g = nlL_checkrng(L, 1);
    lua_Integer lo = luaL_checkinteger(L, 2), hi = luaL_checkinteger(L, 3);
    if (lo > hi) return nlL_error(L, "bad argument to 'integers' (lo <= hi expected, got %d > %d)", (int)lo, (int)hi);
    if ((hi - lo) > ((lua_Integer)1 << 53))
        return nlL_error(L, "bad argument to 'integers' (range wider than 2^53 is not exact in a tensor)");
    if (lua_isnoneornil(L, 4)) {
        lua_pushinteger(L, lo + (lua_Integer)nl_rng_below(g, (uint64_t)(hi - lo) + 1));
        return 1;
    }
    int64_t shape[NL_MAXDIM];
    int ndim;
    if (lua_istable(L, 4)) ndim = nlL_checkshape(L, 4, shape, "integers");
    else {
        lua_Integer n = luaL_checkinteger(L, 4);
        if (n < 0) return nlL_error(L, "bad argument #4 to 'integers' (count must be >= 0, got %d)", (int)n);
        shape[0] = n;
        ndim = 1;
    }
    nl_tensor *t = nlL_newtensor(L, NL_F64, ndim, shape);
    nl_fill_integers(t, g, lo, hi);
    return 1;
}

/* g:permutation(n) -> f64 tensor holding 1..n in random order (Fisher-Yates). */
static int g_permutation(lua_State *L)
{
    nl_rng *g = nlL_checkrng(L, 1);
    lua_Integer n = luaL_checkinteger(L, 2);
    if (n < 0) return nlL_error(L, "bad argument #2 to 'permutation' (n must be >= 0, got %d)", (int)n);
    int64_t shape[1] = {n};
    nl_tensor *t = nlL_newtensor(L, NL_F64, 1, shape);
    nl_fill_permutation(t, g, 1);
    return 1;
}

static int g_state(lua_State *L)
{
    nl_rng *g = nlL_checkrng(L, 1);
    uint64_t w[NL_RNG_STATE_WORDS];
    nl_rng_get_state(g, w);
    lua_createtable(L, NL_RNG_STATE_WORDS, 0);
    for (int i = 0; i < NL_RNG_STATE_WORDS; i++) {
        lua_pushinteger(L, (lua_Integer)w[i]);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int g_restore(lua_State *L)
{
    nl_rng *g = nlL_checkrng(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    uint64_t w[NL_RNG_STATE_WORDS];
    if (luaL_len(L, 2) != NL_RNG_STATE_WORDS)
        return nlL_error(L, "bad argument #2 to 'restore' (a state table of %d integers from g:state() expected, got %d values)",
                          NL_RNG_STATE_WORDS, (int)luaL_len(L, 2));
    for (int i = 0; i < NL_RNG_STATE_WORDS; i++) {
        lua_geti(L, 2, i + 1);
        int ok;
        w[i] = (uint64_t)lua_tointegerx(L, -1, &ok);
        if (!ok) return nlL_error(L, "bad argument #2 to 'restore' (state entry %d is not an integer)", i + 1);
        lua_pop(L, 1);
    }
    if (nl_rng_set_state(g, w) != 0) return nlL_error(L, "bad argument #2 to 'restore' (not a valid generator state)");
    lua_settop(L, 1);
    return 1;
}

/* g:stream(k): an independent generator with the same seed on stream k (disjoint counters). */
static int g_stream(lua_State *L)
{
    nl_rng *g = nlL_checkrng(L, 1);
    push_rng(L, g->seed, check_seed(L, 2));
    return 1;
}

static int g_clone(lua_State *L)
{
    nl_rng *g = nlL_checkrng(L, 1);
    nl_rng *c = push_rng(L, 0, 0);
    *c = *g;
    return 1;
}

static int g_tostring(lua_State *L)
{
    nl_rng *g = nlL_checkrng(L, 1);
    lua_pushfstring(L, "noiselab.Generator(philox4x32-10, seed=%I, stream=%I, counter=%I)",
                    (lua_Integer)g->seed, (lua_Integer)g->stream, (lua_Integer)g->counter);
    return 1;
}

/* rng.philox_block(seed, counter_hi, counter_lo) -> four 32-bit words: the raw generator
 * output, for checking against Random123's known-answer vectors. */
static int r_philox_block(lua_State *L)
{
    uint32_t out[4];
    nl_philox_at((uint64_t)luaL_checkinteger(L, 1), (uint64_t)luaL_checkinteger(L, 2),
                 (uint64_t)luaL_checkinteger(L, 3), out);
    for (int i = 0; i < 4; i++) lua_pushinteger(L, out[i]);
    return 4;
}

static const luaL_Reg methods[] = {
    {"seed", g_seed}, {"uniform", g_uniform}, {"normal", g_normal},
    {"exponential", g_exponential}, {"integers", g_integers}, {"permutation", g_permutation},
    {"state", g_state}, {"restore", g_restore}, {"stream", g_stream}, {"clone", g_clone},
    {NULL, NULL}};

static const luaL_Reg functions[] = {
    {"new", r_new}, {"default", r_default}, {"seed", r_seed_default},
    {"philox_block", r_philox_block}, {NULL, NULL}};

static const nlL_help help_functions[] = {
    {"new", "rng.new([seed=0 [, stream=0]])", "New Philox4x32-10 generator."},
    {"default", "rng.default()", "The default generator of this Lua state (seed 0 until seeded)."},
    {"seed", "rng.seed(n)", "Reseed the default generator (same as noiselab.seed)."},
    {"philox_block", "rng.philox_block(seed, ctr_hi, ctr_lo)", "Raw Philox4x32-10 output block (four 32-bit words)."},
    {NULL, NULL, NULL}};

static const nlL_help help_methods[] = {
    {"uniform", "g:uniform([n | shape [, a=0, b=1]])", "Uniform on the open interval (a, b): a number, or an f64 tensor."},
    {"normal", "g:normal([n | shape [, mean=0, std=1]])", "Normal samples (Box-Muller)."},
    {"exponential", "g:exponential([n | shape [, rate=1]])", "Exponential samples."},
    {"integers", "g:integers(lo, hi [, n | shape])", "Uniform integers on [lo, hi], both included."},
    {"permutation", "g:permutation(n)", "1..n in random order (f64 tensor)."},
    {"state", "g:state()", "The full state as a table of integers."},
    {"restore", "g:restore(state)", "Restore a state from g:state()."},
    {"stream", "g:stream(k)", "Independent generator: same seed, stream k."},
    {"clone", "g:clone()", "Copy with the same state."},
    {"seed", "g:seed(n [, stream])", "Reset to seed n."},
    {NULL, NULL, NULL}};

int luaopen_noiselab_rng(lua_State *L);
int luaopen_noiselab_rng(lua_State *L)
{
    if (luaL_newmetatable(L, NL_RNG_MT)) {
        luaL_newlib(L, methods);
        nlL_register_help(L, "Generator", help_methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, g_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
    luaL_newlib(L, functions);
    luaL_getmetatable(L, NL_RNG_MT);
    lua_getfield(L, -1, "__index");
    lua_setfield(L, -3, "methods");
    lua_pop(L, 1);
    nlL_register_help(L, "rng", help_functions);
    return 1;
}
