/* Lua binding of the estimators: nl.estim (tail index, stable fits, noise statistics).
 *
 * Data arguments are tensors (any dtype, any strides: copied to contiguous f64 only when the
 * kernel needs it; the Mohammadi estimator walks strided f32/f64 data directly) or Lua arrays
 * of numbers.  Bad arguments raise; an estimate that cannot be formed from valid data (a log
 * difference of 0, a fit that does not converge) returns nil, reason. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include "bind/common.h"
#include "noiselab/estim.h"
#include "noiselab/rng.h"

#define ACC_MT "noiselab.MohammadiAccumulator"
#define MOM_MT "noiselab.Moments"

/* ------------------------------------------------------------------ data arguments */

/* Push a contiguous f64 tensor with the values at arg (tensor or array of numbers); return
 * its data and count.  Stack +1. */
static double *check_data(lua_State *L, int arg, size_t *n)
{
    if (nlL_testtensor(L, arg)) {
        nl_tensor *t = nlL_pushcontiguous(L, arg, NL_F64);
        *n = (size_t)nl_numel(t);
        return (double *)nl_data(t);
    }
    if (lua_type(L, arg) == LUA_TTABLE) {
        lua_Integer len = luaL_len(L, arg);
        int64_t sh = len;
        nl_tensor *t = nlL_newtensor(L, NL_F64, 1, &sh);
        double *p = (double *)nl_data(t);
        for (lua_Integer i = 1; i <= len; i++) {
            int ok;
            lua_geti(L, arg, i);
            double v = lua_tonumberx(L, -1, &ok);
            if (!ok) {
                char buf[128];
                snprintf(buf, sizeof buf, "number expected at index %lld, got %s", (long long)i,
                         luaL_typename(L, -1));
                luaL_argerror(L, arg, buf);
            }
            p[i - 1] = v;
            lua_pop(L, 1);
        }
        *n = (size_t)len;
        return p;
    }
    luaL_typeerror(L, arg, "tensor or array of numbers");
    return NULL;
}

static size_t count_nonfinite(const double *x, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += !isfinite(x[i]);
    return c;
}

static int nonfinite_error(lua_State *L, int arg, size_t c)
{
    char buf[160];
    snprintf(buf, sizeof buf, "data contain %zu NaN/Inf value%s; pass drop_nonfinite=true to skip "
             "them", c, c == 1 ? "" : "s");
    return luaL_argerror(L, arg, buf);
}

/* The finite values of x: x itself, or (drop = 1) a new Lua-owned tensor pushed on the stack
 * (stack +1 in that case only); raises when there are non-finite values and drop = 0. */
static double *finite_data(lua_State *L, int arg, double *x, size_t *n, int drop)
{
    size_t c = count_nonfinite(x, *n);
    if (c == 0) return x;
    if (!drop) nonfinite_error(L, arg, c);
    int64_t m = (int64_t)(*n - c);
    nl_tensor *t = nlL_newtensor(L, NL_F64, 1, &m);
    double *p = (double *)nl_data(t);
    size_t j = 0;
    for (size_t i = 0; i < *n; i++)
        if (isfinite(x[i])) p[j++] = x[i];
    *n = j;
    return p;
}

static int opt_flags(lua_State *L, int arg)
{
    int f = 0;
    if (nlL_optboolean_field(L, arg, "drop_zeros", 0)) f |= NL_TAIL_DROP_ZEROS;
    if (nlL_optboolean_field(L, arg, "drop_nonfinite", 0)) f |= NL_TAIL_DROP_NONFINITE;
    return f;
}

static void check_options(lua_State *L, int arg)
{
    if (!lua_isnoneornil(L, arg)) luaL_checktype(L, arg, LUA_TTABLE);
}

static void set_int(lua_State *L, const char *k, uint64_t v)
{
    lua_pushinteger(L, (lua_Integer)v);
    lua_setfield(L, -2, k);
}

static void set_num(lua_State *L, const char *k, double v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, k);
}

static void push_info(lua_State *L, const nl_tail_info *in, const char *method, int mohammadi)
{
    lua_createtable(L, 0, 12);
    lua_pushstring(L, method);
    lua_setfield(L, -2, "method");
    set_int(L, "n", in->n);
    set_int(L, "n_used", in->n_used);
    set_int(L, "n_zero", in->n_zero);
    set_int(L, "n_nonfinite", in->n_nonfinite);
    set_num(L, "zero_fraction", in->zero_fraction);
    if (mohammadi) {
        set_int(L, "k1", in->k1);
        set_int(L, "k2", in->k2);
        set_int(L, "n_tail", in->n_tail);
    }
    if (in->k) set_int(L, "k", in->k);
    if (!isnan(in->se)) set_num(L, "se", in->se);
    if (!isnan(in->ci_lo)) {
        lua_createtable(L, 2, 0);
        lua_pushnumber(L, in->ci_lo);
        lua_rawseti(L, -2, 1);
        lua_pushnumber(L, in->ci_hi);
        lua_rawseti(L, -2, 2);
        lua_setfield(L, -2, "ci");
    }
}

/* ------------------------------------------------------------------ Mohammadi */

/* Explain a failed Mohammadi estimate: raise for bad input, return nil, reason otherwise. */
static int mohammadi_fail(lua_State *L, int arg, const nl_tail_info *in, uint64_t n_total,
                          int flags)
{
    char buf[256];
    if (in->k1 < 2) {
        if (in->n < 4)
            snprintf(buf, sizeof buf, "the Mohammadi estimator needs at least 4 values, got %llu",
                     (unsigned long long)in->n);
        else
            snprintf(buf, sizeof buf, "N = %llu has no divisor in [2, sqrt(N)] (N is prime), so "
                     "the default K1 is 1; pass k1= (the trailing incomplete block is then left "
                     "out)", (unsigned long long)in->n);
        return luaL_argerror(L, arg, buf);
    }
    if (in->n_nonfinite && !(flags & NL_TAIL_DROP_NONFINITE))
        return nonfinite_error(L, arg, (size_t)in->n_nonfinite);
    if (n_total && in->n != n_total) {
        snprintf(buf, sizeof buf, "%llu values were pushed but n = %llu was announced",
                 (unsigned long long)in->n, (unsigned long long)n_total);
        return luaL_error(L, "%s", buf);
    }
    if (in->k2 < 1) {
        snprintf(buf, sizeof buf, "the Mohammadi estimator needs at least K1 = %llu %svalues, "
                 "got %llu", (unsigned long long)in->k1,
                 (flags & NL_TAIL_DROP_ZEROS) ? "nonzero " : "",
                 (unsigned long long)(in->n - ((flags & NL_TAIL_DROP_ZEROS) ? in->n_zero : 0)
                                      - in->n_nonfinite));
        return luaL_argerror(L, arg, buf);
    }
    lua_pushnil(L);
    lua_pushliteral(L, "mean log|block sum| equals mean log|x|: the estimate is infinite "
                       "(constant or all-zero data?)");
    return 2;
}

static uint64_t opt_k1(lua_State *L, int arg)
{
    lua_Integer k1 = nlL_optinteger_field(L, arg, "k1", 0);
    if (k1 < 0 || k1 == 1) {
        char buf[96];
        snprintf(buf, sizeof buf, "k1 must be an integer >= 2, got %lld", (long long)k1);
        luaL_argerror(L, arg, buf);
    }
    return (uint64_t)k1;
}

static int tail_mohammadi(lua_State *L, int os)
{
    int flags = opt_flags(L, 2);
    uint64_t k1 = opt_k1(L, 2);
    double alpha;
    nl_tail_info info;
    nl_status st;
    uint64_t n_total;
    if (!os && nlL_testtensor(L, 1)) {
        nl_tensor *t = nlL_checktensor(L, 1);
        n_total = (uint64_t)nl_numel(t);
        nl_mohammadi_acc a;
        st = nl_mohammadi_init(&a, n_total, k1, flags);
        if (st == NL_OK) {
            nl_mohammadi_push_tensor(&a, t);
            st = nl_mohammadi_result(&a, &alpha, &info);
        } else {
            nl_tail_info_clear(&info);
            info.n = n_total;
            info.k1 = a.k1;
        }
    } else {
        size_t n;
        double *x = check_data(L, 1, &n);
        n_total = n;
        if (os) {
            lua_Integer k = nlL_optinteger_field(L, 2, "k", 0);
            if (k < 0) luaL_argerror(L, 2, "k must be a positive integer (the block-sum rank)");
            st = nl_tail_mohammadi_os(x, n, k1, (uint64_t)k, flags, &alpha, &info);
            if (st == NL_ERR_ARG && info.k2 >= 1 && info.k > info.k2) {
                char buf[128];
                snprintf(buf, sizeof buf, "k = %lld out of range [1, %llu] (K2 blocks)",
                         (long long)k, (unsigned long long)info.k2);
                return luaL_argerror(L, 2, buf);
            }
        } else {
            st = nl_tail_mohammadi(x, n, k1, flags, &alpha, &info);
        }
        if (st == NL_ERR_NOMEM) return luaL_error(L, "tail_index: out of memory");
    }
    if (st != NL_OK) return mohammadi_fail(L, 1, &info, n_total, flags);
    lua_pushnumber(L, alpha);
    push_info(L, &info, os ? "mohammadi_os" : "mohammadi", 1);
    return 2;
}

/* ------------------------------------------------------------------ order statistics */

static nl_tail_os_method os_method(const char *m)
{
    if (!strcmp(m, "hill")) return NL_TAIL_HILL;
    if (!strcmp(m, "pickands")) return NL_TAIL_PICKANDS;
    return NL_TAIL_MOMENT;
}

/* The default k: ⌊√n⌋ (a common rule of thumb; see docs/estim.md), within the range. */
static size_t default_k(size_t n, size_t kmax)
{
    size_t k = (size_t)floor(sqrt((double)n));
    if (k > kmax) k = kmax;
    if (k < 1) k = 1;
    return k;
}

static int tail_os(lua_State *L, const char *method)
{
    nl_tail_os_method m = os_method(method);
    int flags = opt_flags(L, 2);
    size_t n;
    double *x = check_data(L, 1, &n);
    x = finite_data(L, 1, x, &n, flags & NL_TAIL_DROP_NONFINITE);
    size_t need = m == NL_TAIL_PICKANDS ? 4 : 2;
    if (n < need) {
        char buf[128];
        snprintf(buf, sizeof buf, "%s needs at least %zu values, got %zu", method, need, n);
        return luaL_argerror(L, 1, buf);
    }
    size_t npos = 0;
    for (size_t i = 0; i < n; i++) npos += x[i] != 0;
    size_t nzero = n - npos;
    if (npos == 0) return luaL_argerror(L, 1, "all values are zero: no tail to estimate");
    /* largest usable k: Hill/moment need d[k] > 0; Pickands needs 4k ≤ n */
    size_t kmax = m == NL_TAIL_PICKANDS ? n / 4 : (npos < n ? npos - 1 : n - 1);
    if (m == NL_TAIL_PICKANDS && 4 * kmax > npos && npos < n) kmax = npos / 4;
    if (kmax < 1) {
        char buf[160];
        snprintf(buf, sizeof buf, "%s needs at least %zu nonzero values, got %zu", method, need,
                 npos);
        return luaL_argerror(L, 1, buf);
    }
    nl_tail_info info;
    nl_tail_info_clear(&info);
    info.n = n;
    info.n_zero = nzero;
    info.zero_fraction = (double)nzero / (double)n;
    int kt = lua_istable(L, 2) ? lua_getfield(L, 2, "k") : LUA_TNIL;
    int kidx = lua_gettop(L);
    size_t k = 0;
    const char *kstr = NULL;
    if (kt == LUA_TSTRING) {
        kstr = lua_tostring(L, kidx);
        if (strcmp(kstr, "all") && strcmp(kstr, "dbs"))
            return luaL_argerror(L, 2, lua_pushfstring(L, "k must be an integer, \"all\" or "
                                                      "\"dbs\", got \"%s\"", kstr));
    } else if (kt == LUA_TNUMBER) {
        int ok;
        lua_Integer kk = lua_tointegerx(L, kidx, &ok);
        if (!ok || kk < 1 || (lua_Unsigned)kk > kmax) {
            char buf[160];
            snprintf(buf, sizeof buf, "k = %s out of range [1, %zu] for %s on these data",
                     lua_tostring(L, kidx), kmax, method);
            return luaL_argerror(L, 2, buf);
        }
        k = (size_t)kk;
    } else if (kt != LUA_TNIL) {
        return luaL_argerror(L, 2, "k must be an integer, \"all\" or \"dbs\"");
    }
    if (kstr && !strcmp(kstr, "all")) {
        lua_Integer km = nlL_optinteger_field(L, 2, "kmax", (lua_Integer)kmax);
        if (km < 1 || (size_t)km > kmax) {
            char buf[128];
            snprintf(buf, sizeof buf, "kmax = %lld out of range [1, %zu]", (long long)km, kmax);
            return luaL_argerror(L, 2, buf);
        }
        int64_t sh = (int64_t)n, s2 = km;
        nl_tensor *dt = nlL_newtensor(L, NL_F64, 1, &sh);
        double *d = (double *)nl_data(dt);
        if (nl_sort_abs_desc(x, n, d) != NL_OK) return luaL_error(L, "tail_index: out of memory");
        nl_tensor *out = nlL_newtensor(L, NL_F64, 1, &s2);
        nl_tail_os_all(d, n, m, (size_t)km, (double *)nl_data(out));
        info.n_used = n;
        push_info(L, &info, method, 0);
        set_int(L, "kmax", (uint64_t)km);
        return 2;
    }
    const char *kmethod = "given";
    if (kstr) {   /* "dbs": Danielsson et al. double bootstrap (Hill's k; used for all three) */
        int B = (int)nlL_optinteger_field(L, 2, "B", 100);
        if (B < 1) return luaL_argerror(L, 2, "B must be a positive integer");
        nl_rng *g = nlL_optrng_field(L, 2);
        if (n < 50 || pow((double)n, 1.8) / (double)n < 10) {
            char buf[128];
            snprintf(buf, sizeof buf, "the double bootstrap needs at least 50 values, got %zu", n);
            return luaL_argerror(L, 1, buf);
        }
        nl_status st = nl_tail_dbs_k(x, n, B, 0.1, g, &k);
        if (st == NL_ERR_NOMEM) return luaL_error(L, "tail_index: out of memory");
        if (st != NL_OK) return luaL_argerror(L, 1, "too few values for the double bootstrap");
        if (k > kmax) k = kmax;
        if (k < 1) k = 1;
        kmethod = "dbs";
    } else if (k == 0) {
        k = default_k(n, kmax);
        kmethod = "sqrt(n)";
    }
    /* one k: only the top k+1 (Pickands: 4k) order statistics are needed — select, don't sort */
    size_t need_m = m == NL_TAIL_PICKANDS ? 4 * k : k + 1;
    int64_t shm = (int64_t)need_m;
    nl_tensor *dt = nlL_newtensor(L, NL_F64, 1, &shm);
    double *d = (double *)nl_data(dt);
    if (nl_top_abs_desc(x, n, need_m, d) != NL_OK) return luaL_error(L, "tail_index: out of memory");
    double alpha, se;
    nl_status st = nl_tail_os_k(d, need_m, m, k, &alpha, &se);
    info.k = k;
    info.n_used = m == NL_TAIL_PICKANDS ? 4 * k : k + 1;
    info.se = se;
    if (!isnan(se)) {
        info.ci_lo = alpha - 1.959963984540054 * se;
        info.ci_hi = alpha + 1.959963984540054 * se;
    }
    if (st != NL_OK) {
        lua_pushnil(L);
        lua_pushfstring(L, "%s: the order statistics used at k = %d are tied (spacing 0)", method,
                        (int)k);
        return 2;
    }
    /* Pickands and moment estimate the extreme-value index γ = 1/α, which may be ≤ 0 (light
     * tails): then α is reported as +inf and γ is in info.gamma */
    double gamma = 1.0 / alpha;
    if (m != NL_TAIL_HILL && !(gamma > 0)) alpha = HUGE_VAL;
    lua_pushnumber(L, alpha);
    push_info(L, &info, method, 0);
    lua_pushstring(L, kmethod);
    lua_setfield(L, -2, "k_rule");
    set_num(L, "gamma", gamma);
    return 2;
}

static int tail_logmoment(lua_State *L)
{
    int flags = opt_flags(L, 2);
    size_t n;
    double *x = check_data(L, 1, &n);
    double alpha;
    nl_tail_info info;
    nl_status st = nl_tail_logmoment(x, n, flags, &alpha, &info);
    char buf[200];
    if (st == NL_OK) {
        lua_pushnumber(L, alpha);
        info.ci_lo = alpha - 1.959963984540054 * info.se;
        info.ci_hi = alpha + 1.959963984540054 * info.se;
        push_info(L, &info, "logmoment", 0);
        return 2;
    }
    if (st == NL_ERR_NOCONV) {
        lua_pushnil(L);
        lua_pushliteral(L, "logmoment: the variance of log|x| is below pi^2/12, which no stable "
                           "law has (alpha would exceed 2)");
        return 2;
    }
    if (info.n_nonfinite && !(flags & NL_TAIL_DROP_NONFINITE))
        return nonfinite_error(L, 1, (size_t)info.n_nonfinite);
    if (info.n_zero && !(flags & NL_TAIL_DROP_ZEROS)) {
        snprintf(buf, sizeof buf, "data contain %llu exact zeros (log|0| = -inf); pass "
                 "drop_zeros=true to skip them", (unsigned long long)info.n_zero);
        return luaL_argerror(L, 1, buf);
    }
    snprintf(buf, sizeof buf, "logmoment needs at least 3 nonzero finite values, got %llu",
             (unsigned long long)info.n_used);
    return luaL_argerror(L, 1, buf);
}

static int l_tail_index(lua_State *L)
{
    check_options(L, 2);
    if (lua_isnoneornil(L, 1)) luaL_typeerror(L, 1, "tensor or array of numbers");
    const char *method = nlL_optstring_field(L, 2, "method", "mohammadi");
    if (!strcmp(method, "mohammadi")) return tail_mohammadi(L, 0);
    if (!strcmp(method, "mohammadi_os")) return tail_mohammadi(L, 1);
    if (!strcmp(method, "hill") || !strcmp(method, "pickands") || !strcmp(method, "moment"))
        return tail_os(L, method);
    if (!strcmp(method, "logmoment")) return tail_logmoment(L);
    return luaL_argerror(L, 2, lua_pushfstring(L, "unknown method \"%s\" (expected mohammadi, "
                         "mohammadi_os, hill, pickands, moment or logmoment)", method));
}

/* ------------------------------------------------------------------ streaming accumulator */

typedef struct acc_ud {
    nl_mohammadi_acc a;
} acc_ud;

static int l_mohammadi_accumulator(lua_State *L)
{
    check_options(L, 1);
    lua_Integer n = nlL_optinteger_field(L, 1, "n", 0);
    if (n < 0) luaL_argerror(L, 1, "n must be a non-negative integer");
    uint64_t k1 = opt_k1(L, 1);
    int flags = opt_flags(L, 1);
    if (n == 0 && k1 == 0)
        return luaL_argerror(L, 1, "give n= (the number of values that will be pushed) or k1=");
    acc_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
    nl_status st = nl_mohammadi_init(&u->a, (uint64_t)n, k1, flags);
    if (st != NL_OK) {
        char buf[200];
        if (n < 4 && k1 == 0)
            snprintf(buf, sizeof buf, "the Mohammadi estimator needs at least 4 values, n = %lld",
                     (long long)n);
        else
            snprintf(buf, sizeof buf, "n = %lld has no divisor in [2, sqrt(n)] (n is prime); "
                     "pass k1=", (long long)n);
        return luaL_argerror(L, 1, buf);
    }
    luaL_setmetatable(L, ACC_MT);
    return 1;
}

static int acc_push(lua_State *L)
{
    acc_ud *u = luaL_checkudata(L, 1, ACC_MT);
    if (lua_type(L, 2) == LUA_TNUMBER) {
        double v = lua_tonumber(L, 2);
        nl_mohammadi_push(&u->a, &v, 1);
    } else if (nlL_testtensor(L, 2)) {
        nl_mohammadi_push_tensor(&u->a, nlL_checktensor(L, 2));
    } else {
        size_t n;
        double *x = check_data(L, 2, &n);
        nl_mohammadi_push(&u->a, x, n);
    }
    lua_settop(L, 1);
    return 1;
}

static int acc_result(lua_State *L)
{
    acc_ud *u = luaL_checkudata(L, 1, ACC_MT);
    double alpha;
    nl_tail_info info;
    if (nl_mohammadi_result(&u->a, &alpha, &info) != NL_OK)
        return mohammadi_fail(L, 1, &info, u->a.n_total, u->a.flags);
    lua_pushnumber(L, alpha);
    push_info(L, &info, "mohammadi", 1);
    return 2;
}

static int acc_count(lua_State *L)
{
    acc_ud *u = luaL_checkudata(L, 1, ACC_MT);
    lua_pushinteger(L, (lua_Integer)u->a.n_seen);
    return 1;
}

static int acc_tostring(lua_State *L)
{
    acc_ud *u = luaL_checkudata(L, 1, ACC_MT);
    lua_pushfstring(L, "MohammadiAccumulator(k1=%I, pushed %I of %I)", (lua_Integer)u->a.k1,
                    (lua_Integer)u->a.n_seen, (lua_Integer)u->a.n_total);
    return 1;
}

/* ------------------------------------------------------------------ moments */

static int l_moments(lua_State *L)
{
    nl_moments *m = lua_newuserdatauv(L, sizeof *m, 0);
    nl_moments_init(m);
    luaL_setmetatable(L, MOM_MT);
    if (!lua_isnoneornil(L, 1)) {
        lua_getfield(L, -1, "push");
        lua_pushvalue(L, -2);
        lua_pushvalue(L, 1);
        lua_call(L, 2, 0);
    }
    return 1;
}

static void moments_push_tensor(nl_moments *m, const nl_tensor *t)
{
    int64_t n = nl_numel(t);
    for (int64_t i = 0; i < n; i++) nl_moments_push(m, nl_get_flat(t, i));
}

static int mom_push(lua_State *L)
{
    nl_moments *m = luaL_checkudata(L, 1, MOM_MT);
    if (lua_type(L, 2) == LUA_TNUMBER) {
        nl_moments_push(m, lua_tonumber(L, 2));
    } else if (nlL_testtensor(L, 2)) {
        nl_tensor *t = nlL_checktensor(L, 2);
        if (nl_is_contiguous(t) && t->dtype == NL_F64)
            nl_moments_push_array(m, (const double *)nl_data(t), (size_t)nl_numel(t));
        else
            moments_push_tensor(m, t);
    } else if (luaL_testudata(L, 2, MOM_MT)) {
        nl_moments_merge(m, luaL_checkudata(L, 2, MOM_MT));
    } else {
        size_t n;
        double *x = check_data(L, 2, &n);
        nl_moments_push_array(m, x, n);
    }
    lua_settop(L, 1);
    return 1;
}

static int mom_n(lua_State *L)
{
    nl_moments *m = luaL_checkudata(L, 1, MOM_MT);
    lua_pushinteger(L, (lua_Integer)m->n);
    return 1;
}
static int mom_mean(lua_State *L)
{
    nl_moments *m = luaL_checkudata(L, 1, MOM_MT);
    lua_pushnumber(L, m->n ? m->mean : NAN);
    return 1;
}
static int mom_var(lua_State *L)
{
    nl_moments *m = luaL_checkudata(L, 1, MOM_MT);
    lua_pushnumber(L, nl_moments_var(m, luaL_optnumber(L, 2, 1)));
    return 1;
}
static int mom_std(lua_State *L)
{
    nl_moments *m = luaL_checkudata(L, 1, MOM_MT);
    lua_pushnumber(L, sqrt(nl_moments_var(m, luaL_optnumber(L, 2, 1))));
    return 1;
}
static int mom_skew(lua_State *L)
{
    lua_pushnumber(L, nl_moments_skewness(luaL_checkudata(L, 1, MOM_MT)));
    return 1;
}
static int mom_kurt(lua_State *L)
{
    lua_pushnumber(L, nl_moments_kurtosis(luaL_checkudata(L, 1, MOM_MT)));
    return 1;
}
static int mom_min(lua_State *L)
{
    nl_moments *m = luaL_checkudata(L, 1, MOM_MT);
    lua_pushnumber(L, m->n ? m->min : NAN);
    return 1;
}
static int mom_max(lua_State *L)
{
    nl_moments *m = luaL_checkudata(L, 1, MOM_MT);
    lua_pushnumber(L, m->n ? m->max : NAN);
    return 1;
}
static int mom_tostring(lua_State *L)
{
    nl_moments *m = luaL_checkudata(L, 1, MOM_MT);
    char buf[200];
    snprintf(buf, sizeof buf, "Moments(n=%llu, mean=%.6g, var=%.6g, skewness=%.4g, kurtosis=%.4g)",
             (unsigned long long)m->n, m->mean, nl_moments_var(m, 1), nl_moments_skewness(m),
             nl_moments_kurtosis(m));
    lua_pushstring(L, buf);
    return 1;
}
static int mom_index(lua_State *L)
{
    nl_moments *m = luaL_checkudata(L, 1, MOM_MT);
    const char *k = lua_tostring(L, 2);
    if (k && !strcmp(k, "n")) {
        lua_pushinteger(L, (lua_Integer)m->n);
        return 1;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    return 1;
}

/* ------------------------------------------------------------------ statistics */

static double *stat_data(lua_State *L, int arg, size_t *n, size_t need, const char *what)
{
    check_options(L, arg + 1);
    double *x = check_data(L, arg, n);
    x = finite_data(L, arg, x, n, nlL_optboolean_field(L, arg + 1, "drop_nonfinite", 0));
    if (*n < need) {
        char buf[128];
        snprintf(buf, sizeof buf, "%s needs at least %zu values, got %zu", what, need, *n);
        luaL_argerror(L, arg, buf);
    }
    return x;
}

static int l_skewness(lua_State *L)
{
    size_t n;
    double *x = stat_data(L, 1, &n, 1, "skewness");
    lua_pushnumber(L, nl_skewness(x, n));
    return 1;
}

static int l_kurtosis(lua_State *L)
{
    size_t n;
    double *x = stat_data(L, 1, &n, 1, "kurtosis");
    lua_pushnumber(L, nl_kurtosis(x, n));
    return 1;
}

static int l_jarque_bera(lua_State *L)
{
    size_t n;
    double *x = stat_data(L, 1, &n, 2, "jarque_bera");
    double s, p;
    if (nl_jarque_bera(x, n, &s, &p) != NL_OK)
        return luaL_argerror(L, 1, "constant data (variance 0): Jarque-Bera is undefined");
    lua_pushnumber(L, s);
    lua_pushnumber(L, p);
    return 2;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ks_test(x [, dist [, opts]]): dist = nil | "normal" (fitted mean, std with ddof 0) | a
 * function F(x) | an object with a :cdf method (called once with a tensor of the sorted data,
 * per value if that does not give a tensor back). */
static int l_ks_test(lua_State *L)
{
    size_t n;
    if (lua_gettop(L) < 3) lua_settop(L, 3);
    check_options(L, 3);
    double *x0 = check_data(L, 1, &n);
    x0 = finite_data(L, 1, x0, &n, nlL_optboolean_field(L, 3, "drop_nonfinite", 0));
    if (n < 1) return luaL_argerror(L, 1, "ks_test needs at least 1 value, got 0");
    int64_t sh = (int64_t)n;
    nl_tensor *st = nlL_newtensor(L, NL_F64, 1, &sh);
    int sidx = lua_gettop(L);
    double *xs = (double *)nl_data(st);
    memcpy(xs, x0, n * sizeof *xs);
    qsort(xs, n, sizeof *xs, cmp_double);
    nl_tensor *Ft = nlL_newtensor(L, NL_F64, 1, &sh);
    int fidx = lua_gettop(L);
    double *F = (double *)nl_data(Ft);
    int dt = lua_type(L, 2);
    const char *dname = "custom";
    if (dt == LUA_TNIL || dt == LUA_TNONE || (dt == LUA_TSTRING && !strcmp(lua_tostring(L, 2), "normal"))) {
        if (n < 2) return luaL_argerror(L, 1, "ks_test against a fitted normal needs at least 2 values");
        nl_moments m;
        nl_moments_init(&m);
        nl_moments_push_array(&m, xs, n);
        double sd = sqrt(nl_moments_var(&m, 0));
        if (!(sd > 0)) return luaL_argerror(L, 1, "constant data (std 0): cannot fit a normal");
        for (size_t i = 0; i < n; i++) F[i] = 0.5 * erfc(-(xs[i] - m.mean) / (sd * M_SQRT2));
        dname = "normal";
    } else if (dt == LUA_TFUNCTION) {
        for (size_t i = 0; i < n; i++) {
            lua_pushvalue(L, 2);
            lua_pushnumber(L, xs[i]);
            lua_call(L, 1, 1);
            int ok;
            F[i] = lua_tonumberx(L, -1, &ok);
            if (!ok) return luaL_error(L, "ks_test: the cdf returned %s, expected a number",
                                       luaL_typename(L, -1));
            lua_pop(L, 1);
        }
    } else if (dt == LUA_TTABLE || dt == LUA_TUSERDATA) {
        if (lua_getfield(L, 2, "cdf") == LUA_TNIL)
            return luaL_argerror(L, 2, "distribution object without a cdf method");
        int cdf = lua_gettop(L);
        lua_pushvalue(L, cdf);
        lua_pushvalue(L, 2);
        lua_pushvalue(L, sidx);
        lua_call(L, 2, 1);
        nl_tensor *r = nlL_testtensor(L, -1);
        if (r && nl_numel(r) == (int64_t)n) {
            for (size_t i = 0; i < n; i++) F[i] = nl_get_flat(r, (int64_t)i);
        } else {
            for (size_t i = 0; i < n; i++) {
                lua_pushvalue(L, cdf);
                lua_pushvalue(L, 2);
                lua_pushnumber(L, xs[i]);
                lua_call(L, 2, 1);
                int ok;
                F[i] = lua_tonumberx(L, -1, &ok);
                if (!ok) return luaL_error(L, "ks_test: cdf returned %s, expected a number",
                                           luaL_typename(L, -1));
                lua_pop(L, 1);
            }
        }
        lua_settop(L, fidx);
    } else {
        return luaL_typeerror(L, 2, "\"normal\", a cdf function or an object with a cdf method");
    }
    for (size_t i = 0; i < n; i++)
        if (!(F[i] >= 0 && F[i] <= 1))
            return luaL_error(L, "ks_test: cdf value %f at x = %f is not in [0, 1]", F[i], xs[i]);
    double D = nl_ks_stat(F, n);
    lua_pushnumber(L, D);
    lua_pushnumber(L, nl_ks_pvalue(n, D));
    lua_createtable(L, 0, 2);
    set_int(L, "n", n);
    lua_pushstring(L, dname);
    lua_setfield(L, -2, "against");
    return 3;
}

/* bootstrap(x, statistic [, {n=1000, level=0.95, block=1, rng=}]) -> lo, hi, info */
static int l_bootstrap(lua_State *L)
{
    lua_settop(L, 3);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    check_options(L, 3);
    size_t n;
    check_data(L, 1, &n);
    int xidx = lua_gettop(L);   /* the data as a contiguous f64 tensor */
    if (n < 2) return luaL_argerror(L, 1, lua_pushfstring(L, "bootstrap needs at least 2 values, got %d", (int)n));
    lua_Integer B = nlL_optinteger_field(L, 3, "n", 1000);
    double level = nlL_optnumber_field(L, 3, "level", 0.95);
    lua_Integer block = nlL_optinteger_field(L, 3, "block", 1);
    if (B < 2) return luaL_argerror(L, 3, "n (the number of resamples) must be >= 2");
    if (!(level > 0 && level < 1)) return luaL_argerror(L, 3, lua_pushfstring(L, "level must be in (0, 1), got %f", level));
    if (block < 1 || (size_t)block > n)
        return luaL_argerror(L, 3, lua_pushfstring(L, "block must be in [1, %d], got %d", (int)n, (int)block));
    nl_rng *g = nlL_optrng_field(L, 3);
    int64_t sb = B;
    nl_tensor *rt = nlL_newtensor(L, NL_F64, 1, &sb);
    int ridx = lua_gettop(L);
    double *rep = (double *)nl_data(rt);
    /* the statistic on the data themselves */
    lua_pushvalue(L, 2);
    lua_pushvalue(L, xidx);
    lua_call(L, 1, 1);
    int ok;
    double est = lua_tonumberx(L, -1, &ok);
    if (!ok) return luaL_error(L, "bootstrap: the statistic returned %s, expected a number", luaL_typename(L, -1));
    lua_pop(L, 1);
    int64_t sn = (int64_t)n;
    size_t b = (size_t)block;
    for (lua_Integer r = 0; r < B; r++) {
        lua_pushvalue(L, 2);
        nl_tensor *t = nlL_newtensor(L, NL_F64, 1, &sn);
        double *p = (double *)nl_data(t);
        const double *x = (const double *)nl_data(nlL_checktensor(L, xidx));
        if (b == 1) {
            for (size_t i = 0; i < n; i++) p[i] = x[nl_rng_below(g, n)];
        } else {   /* moving-block bootstrap (Künsch 1989): blocks of b consecutive values */
            size_t i = 0;
            while (i < n) {
                size_t s = (size_t)nl_rng_below(g, n - b + 1);
                for (size_t j = 0; j < b && i < n; j++) p[i++] = x[s + j];
            }
        }
        lua_call(L, 1, 1);
        rep[r] = lua_tonumberx(L, -1, &ok);
        if (!ok) return luaL_error(L, "bootstrap: the statistic returned %s, expected a number", luaL_typename(L, -1));
        lua_pop(L, 1);
    }
    /* percentiles over the non-NaN replicates (type 7 interpolation) */
    int64_t sb2 = B;
    nl_tensor *srt = nlL_newtensor(L, NL_F64, 1, &sb2);
    double *s = (double *)nl_data(srt);
    size_t m = 0;
    double sum = 0, sum2 = 0;
    for (lua_Integer r = 0; r < B; r++)
        if (!isnan(rep[r])) { s[m++] = rep[r]; sum += rep[r]; }
    if (m < 2) {
        lua_pushnil(L);
        lua_pushliteral(L, "bootstrap: fewer than 2 resamples gave a number (the statistic returned NaN)");
        return 2;
    }
    qsort(s, m, sizeof *s, cmp_double);
    double mean = sum / (double)m;
    for (size_t i = 0; i < m; i++) sum2 += (s[i] - mean) * (s[i] - mean);
    double q[2] = {(1 - level) / 2, (1 + level) / 2}, v[2];
    for (int j = 0; j < 2; j++) {
        double h = (double)(m - 1) * q[j];
        size_t lo = (size_t)floor(h);
        size_t hi = lo + 1 < m ? lo + 1 : lo;
        v[j] = s[lo] + (h - (double)lo) * (s[hi] - s[lo]);
    }
    lua_pushnumber(L, v[0]);
    lua_pushnumber(L, v[1]);
    lua_createtable(L, 0, 8);
    set_num(L, "estimate", est);
    set_num(L, "se", sqrt(sum2 / (double)(m - 1)));
    set_num(L, "level", level);
    set_int(L, "n", (uint64_t)B);
    set_int(L, "n_nan", (uint64_t)B - m);
    set_int(L, "block", b);
    lua_pushvalue(L, ridx);
    lua_setfield(L, -2, "replicates");
    return 3;
}

/* ------------------------------------------------------------------ stable fits */

static int l_fit_stable(lua_State *L)
{
    check_options(L, 2);
    const char *method = nlL_optstring_field(L, 2, "method", "mle");
    const char *param = nlL_optstring_field(L, 2, "param", "S1");
    int fm;
    if (!strcmp(method, "mcculloch")) fm = NL_FIT_MCCULLOCH;
    else if (!strcmp(method, "ecf")) fm = NL_FIT_ECF;
    else if (!strcmp(method, "mle")) fm = NL_FIT_MLE;
    else return luaL_argerror(L, 2, lua_pushfstring(L, "unknown method \"%s\" (expected mcculloch, ecf or mle)", method));
    int pm;
    if (!strcmp(param, "S1") || !strcmp(param, "s1") || !strcmp(param, "1")) pm = 1;
    else if (!strcmp(param, "S0") || !strcmp(param, "s0") || !strcmp(param, "0")) pm = 0;
    else return luaL_argerror(L, 2, lua_pushfstring(L, "param must be \"S0\" or \"S1\", got \"%s\"", param));
    int fix = 0;
    double fixed[4] = {NAN, NAN, NAN, NAN};
    if (lua_istable(L, 2) && lua_getfield(L, 2, "fix") != LUA_TNIL) {
        int fi = lua_gettop(L);
        if (!lua_istable(L, fi)) return luaL_argerror(L, 2, "fix must be a table such as {loc = 0}");
        static const char *names[4] = {"alpha", "beta", "scale", "loc"};
        for (int j = 0; j < 4; j++) {
            if (lua_getfield(L, fi, names[j]) != LUA_TNIL) {
                int ok;
                double v = lua_tonumberx(L, -1, &ok);
                if (!ok || !isfinite(v))
                    return luaL_argerror(L, 2, lua_pushfstring(L, "fix.%s must be a finite number", names[j]));
                if ((j == 0 && !(v > 0 && v <= 2)) || (j == 1 && !(v >= -1 && v <= 1)) || (j == 2 && !(v > 0)))
                    return luaL_argerror(L, 2, lua_pushfstring(L, "fix.%s = %f is outside its domain", names[j], v));
                fix |= 1 << j;
                fixed[j] = v;
            }
            lua_pop(L, 1);
        }
        lua_settop(L, fi - 1);
        if (fix && fm == NL_FIT_MCCULLOCH)
            return luaL_argerror(L, 2, "fix= is only supported by the ecf and mle methods");
    } else if (lua_istable(L, 2)) {
        lua_pop(L, 1);
    }
    size_t n;
    double *x = check_data(L, 1, &n);
    x = finite_data(L, 1, x, &n, nlL_optboolean_field(L, 2, "drop_nonfinite", 0));
    size_t need = fm == NL_FIT_MCCULLOCH ? 5 : 10;
    if (n < need) {
        char buf[128];
        snprintf(buf, sizeof buf, "fit_stable (%s) needs at least %zu values, got %zu", method, need, n);
        return luaL_argerror(L, 1, buf);
    }
    nl_stable_fit fit;
    nl_status st;
    if (fm == NL_FIT_MCCULLOCH) st = nl_fit_stable_mcculloch(x, n, pm, &fit);
    else if (fm == NL_FIT_ECF) st = nl_fit_stable_ecf(x, n, pm, fix, fixed, &fit);
    else st = nl_fit_stable_mle(x, n, pm, fix, fixed, &fit);
    if (st == NL_ERR_NOMEM) return luaL_error(L, "fit_stable: out of memory");
    if (st == NL_ERR_ARG)
        return luaL_argerror(L, 1, "the sample quantiles are degenerate (constant or nearly constant data)");
    if (st != NL_OK) {
        lua_pushnil(L);
        lua_pushfstring(L, "fit_stable (%s) did not converge", method);
        return 2;
    }
    lua_createtable(L, 0, 10);
    set_num(L, "alpha", fit.alpha);
    set_num(L, "beta", fit.beta);
    set_num(L, "scale", fit.scale);
    set_num(L, "loc", fit.loc);
    lua_pushstring(L, pm ? "S1" : "S0");
    lua_setfield(L, -2, "param");
    lua_pushstring(L, method);
    lua_setfield(L, -2, "method");
    set_int(L, "n", n);
    if (fm == NL_FIT_MLE) {
        lua_createtable(L, 0, 4);
        static const char *names[4] = {"alpha", "beta", "scale", "loc"};
        for (int j = 0; j < 4; j++)
            if (!isnan(fit.se[j])) set_num(L, names[j], fit.se[j]);
        lua_setfield(L, -2, "se");
        set_num(L, "loglik", fit.loglik);
    }
    if (fm != NL_FIT_MCCULLOCH) set_int(L, "iterations", (uint64_t)fit.iterations);
    return 1;
}

/* ------------------------------------------------------------------ tail_report (Lua) */

static const char report_src[] =
"local M = ...\n"
"return function(x, opts)\n"
"  opts = opts or {}\n"
"  local r = {estimates = {}}\n"
"  local lines = {}\n"
"  local function try(name, o)\n"
"    local ok, a, info = pcall(M.tail_index, x, o)\n"
"    local e = {method = name}\n"
"    if ok and a then e.alpha = a; e.se = info.se; e.k = info.k; e.k1 = info.k1; e.k2 = info.k2\n"
"      r.n = r.n or info.n; r.zero_fraction = r.zero_fraction or info.zero_fraction\n"
"    else e.error = tostring(ok and info or a) end\n"
"    r.estimates[#r.estimates + 1] = e\n"
"    return e\n"
"  end\n"
"  local dnf = opts.drop_nonfinite\n"
"  local moh = try('mohammadi', {method = 'mohammadi', drop_nonfinite = dnf, k1 = opts.k1})\n"
"  local mohz = try('mohammadi (zeros dropped)', {method = 'mohammadi', drop_zeros = true, drop_nonfinite = dnf})\n"
"  try('mohammadi_os', {method = 'mohammadi_os', drop_nonfinite = dnf})\n"
"  local lm = try('logmoment', {method = 'logmoment', drop_zeros = true, drop_nonfinite = dnf})\n"
"  local hill = try('hill', {method = 'hill', drop_nonfinite = dnf})\n"
"  local nn = r.n or 0\n"
"  local hdbs\n"
"  if nn >= 200 and nn <= (opts.dbs_max or 2000000) then\n"
"    hdbs = try('hill (dbs k)', {method = 'hill', k = 'dbs', B = opts.B or 50, drop_nonfinite = dnf, rng = opts.rng})\n"
"  end\n"
"  try('pickands', {method = 'pickands', drop_nonfinite = dnf})\n"
"  try('moment', {method = 'moment', drop_nonfinite = dnf})\n"
"  local okf, fit, why = pcall(M.fit_stable, x, {method = opts.fit or 'mcculloch', drop_nonfinite = dnf})\n"
"  if okf and fit then r.fit = fit else r.fit_error = tostring(okf and why or fit) end\n"
"  local stab = (mohz.alpha and lm.alpha) and (mohz.alpha + lm.alpha) / 2 or mohz.alpha or lm.alpha or moh.alpha\n"
"  local ht = (hdbs and hdbs.alpha) or hill.alpha\n"
"  r.stable_alpha, r.hill_alpha = stab, ht\n"
"  lines[#lines + 1] = string.format('tail report: n = %d, zero fraction = %.4g', nn, r.zero_fraction or 0/0)\n"
"  for _, e in ipairs(r.estimates) do\n"
"    if e.alpha then\n"
"      local extra = e.k and string.format('k = %d', e.k) or (e.k1 and string.format('K1 = %d, K2 = %d', e.k1, e.k2) or '')\n"
"      lines[#lines + 1] = string.format('  %-26s %8.4f %s %s', e.method, e.alpha, e.se and string.format('(se %.3g)', e.se) or '', extra)\n"
"    else lines[#lines + 1] = string.format('  %-26s   failed: %s', e.method, e.error) end\n"
"  end\n"
"  if r.fit then lines[#lines + 1] = string.format('  stable fit (%s, %s): alpha %.4f beta %.4f scale %.4g loc %.4g', r.fit.method, r.fit.param, r.fit.alpha, r.fit.beta, r.fit.scale, r.fit.loc) end\n"
"  if stab and ht then\n"
"    local d = math.abs(stab - ht)\n"
"    if d > 0.2 then\n"
"      r.verdict = string.format('WARNING: stable-specific (%.3f) and Hill-type (%.3f) estimates differ by %.3f > 0.2: '\n"
"        .. 'either the data are heavy-tailed but not alpha-stable (then trust Hill), or stable with alpha near 2 (Hill overestimates)', stab, ht, d)\n"
"      r.agree = false\n"
"    else\n"
"      r.verdict = string.format('consistent: stable-specific %.3f and Hill-type %.3f differ by %.3f <= 0.2', stab, ht, d)\n"
"      r.agree = true\n"
"    end\n"
"  else r.verdict = 'no verdict: an estimator family failed' end\n"
"  lines[#lines + 1] = r.verdict\n"
"  r.text = table.concat(lines, '\\n')\n"
"  return setmetatable(r, {__tostring = function(t) return t.text end})\n"
"end\n";

/* ------------------------------------------------------------------ module */

static const luaL_Reg acc_methods[] = {
    {"push", acc_push}, {"result", acc_result}, {"count", acc_count}, {NULL, NULL}};
static const luaL_Reg mom_methods[] = {
    {"push", mom_push}, {"mean", mom_mean}, {"var", mom_var}, {"std", mom_std},
    {"skewness", mom_skew}, {"kurtosis", mom_kurt}, {"min", mom_min}, {"max", mom_max},
    {"count", mom_n}, {NULL, NULL}};

static const luaL_Reg funcs[] = {
    {"tail_index", l_tail_index},
    {"mohammadi_accumulator", l_mohammadi_accumulator},
    {"moments", l_moments},
    {"skewness", l_skewness},
    {"kurtosis", l_kurtosis},
    {"jarque_bera", l_jarque_bera},
    {"ks_test", l_ks_test},
    {"bootstrap", l_bootstrap},
    {"fit_stable", l_fit_stable},
    {NULL, NULL}};

static const nlL_help help_rows[] = {
    {"tail_index", "tail_index(x [, {method=, k=, k1=, B=, drop_zeros=, drop_nonfinite=, rng=}]) -> alpha, info",
     "tail index: mohammadi (default; Simsekli et al. semantics), mohammadi_os, hill, pickands, moment (k = n | \"all\" | \"dbs\"), logmoment"},
    {"tail_report", "tail_report(x [, {fit=, B=, drop_nonfinite=}]) -> report",
     "every tail-index estimator, a stable fit and a verdict when stable-specific and Hill-type estimates differ by > 0.2"},
    {"mohammadi_accumulator", "mohammadi_accumulator{n=, k1=, drop_zeros=, drop_nonfinite=} -> acc",
     "streaming Mohammadi estimator: acc:push(tensor|array|number) in chunks, acc:result() -> alpha, info (same as the whole array)"},
    {"moments", "moments([x]) -> acc", "online moments (Welford/Pebay): acc:push(x), :mean(), :var([ddof]), :std(), :skewness(), :kurtosis(), .n"},
    {"skewness", "skewness(x [, {drop_nonfinite=}]) -> g1", "biased sample skewness m3/m2^1.5 (scipy.stats.skew default)"},
    {"kurtosis", "kurtosis(x [, {drop_nonfinite=}]) -> g2", "biased excess kurtosis m4/m2^2 - 3 (scipy.stats.kurtosis default)"},
    {"jarque_bera", "jarque_bera(x) -> stat, p", "Jarque-Bera normality test, p from chi-squared(2)"},
    {"ks_test", "ks_test(x [, dist]) -> D, p, info", "one-sample Kolmogorov-Smirnov against a fitted normal, a cdf function or an object with :cdf"},
    {"bootstrap", "bootstrap(x, statistic [, {n=1000, level=0.95, block=1, rng=}]) -> lo, hi, info",
     "percentile bootstrap interval; block > 1: moving-block bootstrap for ordered data"},
    {"fit_stable", "fit_stable(x [, {method=\"mle\"|\"ecf\"|\"mcculloch\", param=\"S1\"|\"S0\", fix={loc=0}}]) -> fit | nil, reason",
     "alpha-stable fit: McCulloch quantiles, Koutrouvelis regression or maximum likelihood (with se)"},
    {NULL, NULL, NULL}};

int luaopen_noiselab_estim(lua_State *L);
int luaopen_noiselab_estim(lua_State *L)
{
    nlL_gsl_init();
    if (luaL_newmetatable(L, ACC_MT)) {
        luaL_newlib(L, acc_methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, acc_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
    if (luaL_newmetatable(L, MOM_MT)) {
        luaL_newlib(L, mom_methods);
        lua_pushcclosure(L, mom_index, 1);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, mom_tostring);
        lua_setfield(L, -2, "__tostring");
        lua_pushcfunction(L, mom_n);
        lua_setfield(L, -2, "__len");
    }
    lua_pop(L, 1);
    luaL_newlib(L, funcs);
    if (luaL_loadbuffer(L, report_src, sizeof report_src - 1, "=estim.tail_report") != LUA_OK)
        return lua_error(L);
    lua_pushvalue(L, -2);
    lua_call(L, 1, 1);
    lua_setfield(L, -2, "tail_report");
    nlL_register_help(L, "estim", help_rows);
    return 1;
}
