/* Lua binding "noiselab.levy": α-stable and Pareto distribution objects and Lévy motions.
 *
 *   local d = nl.levy.stable{alpha = 1.5, beta = 0.5, scale = 1, loc = 0, param = "S1"}
 *   d:sample(n | shape [, rng])  d:pdf(x)  d:logpdf(x)  d:cdf(x)  d:sf(x)  d:quantile(p)
 *   d:isf(q)  d:cf(u) -> re, im  d:mean()  d:var()  d:mode()  d:support() -> lo, hi
 *   d:to_S0()  d:to_S1()  d.alpha  d.beta  d.scale  d.loc  d.param
 *   nl.levy.pareto{alpha =, scale = 1, symmetric = true}: the same methods
 *   nl.levy.motion{kind = "stable" | "brownian" | "compound_poisson", ...}
 *     m:increments(dt, steps, paths [, rng]) -> steps×paths (×dim) tensor
 *     m:path(T, steps, paths [, rng])        -> (steps+1)×paths (×dim), row 1 = 0
 * Numbers in -> numbers out; tensors (any dtype, any strides) in -> f64 tensors out.
 * mean() returns nil where the mean does not exist; var() returns math.huge (inf).
 * Test support (not for users): levy._gsl_levy_skew(n, c, alpha, beta, seed) -> tensor of
 * GSL's gsl_ran_levy_skew variates from an MT19937 seeded with seed (two-sample tests, bench). */
#include <math.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "bind/common.h"
#include "noiselab/stable.h"

#define STABLE_MT "noiselab.levy.Stable"
#define PARETO_MT "noiselab.levy.Pareto"
#define MOTION_MT "noiselab.levy.Motion"

typedef struct pareto {
    double alpha, scale;
    int symmetric;
} pareto;

/* ---------------------------------------------------------------- shared helpers */

/* Fetch a numeric field of the options table at arg (1), validating it is a number. */
static double num_field(lua_State *L, int arg, const char *key, double def, int *present,
                        const char *fname)
{
    int t = lua_getfield(L, arg, key);
    double v = def;
    if (present) *present = t != LUA_TNIL;
    if (t != LUA_TNIL) {
        if (t != LUA_TNUMBER) {
            const char *got = luaL_typename(L, -1);
            return (double)nlL_error(L, "bad argument #%d to '%s' (%s must be a number, got %s)",
                                     arg, fname, key, got);
        }
        v = lua_tonumber(L, -1);
    }
    lua_pop(L, 1);
    return v;
}

typedef double (*scalar_fn)(const void *obj, double x);

/* Apply fn to a number (-> number) or tensor (-> f64 tensor of the same shape). */
static int apply(lua_State *L, const void *obj, scalar_fn fn, int arg, const char *fname)
{
    if (lua_type(L, arg) == LUA_TNUMBER) {
        lua_pushnumber(L, fn(obj, lua_tonumber(L, arg)));
        return 1;
    }
    if (!nlL_testtensor(L, arg))
        return nlL_error(L, "bad argument #%d to '%s' (number or noiselab.Tensor expected, got %s)",
                         arg, fname, luaL_typename(L, arg));
    nl_tensor *in = nlL_pushcontiguous(L, arg, NL_F64);
    nl_tensor *out = nlL_newtensor_uninit(L, NL_F64, in->ndim, in->shape);
    const double *x = nl_data(in);
    double *y = nl_data(out);
    int64_t n = nl_numel(in);
    for (int64_t i = 0; i < n; i++) y[i] = fn(obj, x[i]);
    return 1;
}

/* Output tensor of the shape at arg (n | {shape}), then the optional generator after it. */
static nl_tensor *sample_target(lua_State *L, int arg, const char *fname, nl_rng **g)
{
    int64_t shape[NL_MAXDIM];
    int ndim;
    if (lua_type(L, arg) == LUA_TNUMBER) {
        lua_Number v = lua_tonumber(L, arg);
        if (!(v >= 0) || v != floor(v) || v > 9.0e15)
            nlL_error(L, "bad argument #%d to '%s' (sample size must be a non-negative integer, got %g)",
                      arg, fname, (double)v);
        shape[0] = (int64_t)v;
        ndim = 1;
    } else if (lua_istable(L, arg)) {
        ndim = nlL_checkshape(L, arg, shape, fname);
    } else {
        nlL_error(L, "bad argument #%d to '%s' (sample size or shape table expected, got %s)", arg,
                  fname, luaL_typename(L, arg));
        return NULL;
    }
    *g = nlL_optrng(L, arg + 1);
    return nlL_newtensor_uninit(L, NL_F64, ndim, shape);
}

static void push_opt_number(lua_State *L, double v)
{
    if (isnan(v)) lua_pushnil(L);
    else lua_pushnumber(L, v);
}

/* ---------------------------------------------------------------- stable objects */

static nl_stable *check_stable(lua_State *L, int arg) { return luaL_checkudata(L, arg, STABLE_MT); }

static nl_stable *push_stable(lua_State *L, const nl_stable *d)
{
    nl_stable *u = lua_newuserdatauv(L, sizeof *u, 0);
    *u = *d;
    luaL_setmetatable(L, STABLE_MT);
    return u;
}

/* nl.levy.stable{alpha=, beta=0, scale=1, loc=0, param="S1"} */
static int l_stable(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    int has;
    double a = num_field(L, 1, "alpha", NAN, &has, "stable");
    if (!has) return nlL_error(L, "bad argument #1 to 'stable' (alpha is required, in (0, 2])");
    double b = num_field(L, 1, "beta", 0.0, NULL, "stable");
    double sc = num_field(L, 1, "scale", 1.0, NULL, "stable");
    double loc = num_field(L, 1, "loc", 0.0, NULL, "stable");
    const char *ps = nlL_optstring_field(L, 1, "param", "S1");
    if (!(a > 0 && a <= 2))
        return nlL_error(L, "bad argument #1 to 'stable' (alpha must be in (0, 2], got %g)", a);
    if (!(b >= -1 && b <= 1))
        return nlL_error(L, "bad argument #1 to 'stable' (beta must be in [-1, 1], got %g)", b);
    if (!(sc > 0) || !isfinite(sc))
        return nlL_error(L, "bad argument #1 to 'stable' (scale must be finite and > 0, got %g)", sc);
    if (!isfinite(loc))
        return nlL_error(L, "bad argument #1 to 'stable' (loc must be finite, got %g)", loc);
    int param;
    if (!strcmp(ps, "S1") || !strcmp(ps, "s1") || !strcmp(ps, "1")) param = 1;
    else if (!strcmp(ps, "S0") || !strcmp(ps, "s0") || !strcmp(ps, "0")) param = 0;
    else return nlL_error(L, "bad argument #1 to 'stable' (param must be \"S1\" or \"S0\", got \"%s\")", ps);
    nl_stable d;
    nl_stable_init(&d, a, b, sc, loc, param);
    push_stable(L, &d);
    return 1;
}

static int st_sample(lua_State *L)
{
    nl_stable *d = check_stable(L, 1);
    nl_rng *g;
    nl_tensor *t = sample_target(L, 2, "sample", &g);
    nl_stable_fill(g, d->alpha, d->beta, d->scale, d->loc, d->param, nl_data(t),
                   (size_t)nl_numel(t));
    return 1;
}

static double f_pdf(const void *o, double x) { return nl_stable_pdf(o, x); }
static double f_logpdf(const void *o, double x) { return nl_stable_logpdf(o, x); }
static double f_cdf(const void *o, double x) { return nl_stable_cdf(o, x); }
static double f_sf(const void *o, double x) { return nl_stable_sf(o, x); }
static double f_quantile(const void *o, double x) { return nl_stable_quantile(o, x); }
static double f_isf(const void *o, double x) { return nl_stable_isf(o, x); }

static int st_pdf(lua_State *L) { return apply(L, check_stable(L, 1), f_pdf, 2, "pdf"); }
static int st_logpdf(lua_State *L) { return apply(L, check_stable(L, 1), f_logpdf, 2, "logpdf"); }
static int st_cdf(lua_State *L) { return apply(L, check_stable(L, 1), f_cdf, 2, "cdf"); }
static int st_sf(lua_State *L) { return apply(L, check_stable(L, 1), f_sf, 2, "sf"); }

static void check_probs(lua_State *L, int arg, const char *fname)
{
    if (lua_type(L, arg) == LUA_TNUMBER) {
        double p = lua_tonumber(L, arg);
        if (!(p >= 0 && p <= 1))
            nlL_error(L, "bad argument #%d to '%s' (probability must be in [0, 1], got %g)", arg,
                      fname, p);
    }
}

static int st_quantile(lua_State *L)
{
    check_probs(L, 2, "quantile");
    return apply(L, check_stable(L, 1), f_quantile, 2, "quantile");
}

static int st_isf(lua_State *L)
{
    check_probs(L, 2, "isf");
    return apply(L, check_stable(L, 1), f_isf, 2, "isf");
}

static int st_cf(lua_State *L)
{
    nl_stable *d = check_stable(L, 1);
    if (lua_type(L, 2) == LUA_TNUMBER) {
        double re, im;
        nl_stable_cf(d, lua_tonumber(L, 2), &re, &im);
        lua_pushnumber(L, re);
        lua_pushnumber(L, im);
        return 2;
    }
    if (!nlL_testtensor(L, 2))
        return nlL_error(L, "bad argument #1 to 'cf' (number or noiselab.Tensor expected, got %s)",
                         luaL_typename(L, 2));
    nl_tensor *in = nlL_pushcontiguous(L, 2, NL_F64);
    nl_tensor *re = nlL_newtensor_uninit(L, NL_F64, in->ndim, in->shape);
    nl_tensor *im = nlL_newtensor_uninit(L, NL_F64, in->ndim, in->shape);
    const double *u = nl_data(in);
    double *r = nl_data(re), *m = nl_data(im);
    for (int64_t i = 0, n = nl_numel(in); i < n; i++) nl_stable_cf(d, u[i], r + i, m + i);
    return 2;
}

static int st_mean(lua_State *L)
{
    push_opt_number(L, nl_stable_mean(check_stable(L, 1)));
    return 1;
}

static int st_var(lua_State *L)
{
    lua_pushnumber(L, nl_stable_var(check_stable(L, 1)));
    return 1;
}

static int st_mode(lua_State *L)
{
    lua_pushnumber(L, nl_stable_mode(check_stable(L, 1)));
    return 1;
}

static int st_support(lua_State *L)
{
    double lo, hi;
    nl_stable_support(check_stable(L, 1), &lo, &hi);
    lua_pushnumber(L, lo);
    lua_pushnumber(L, hi);
    return 2;
}

static int st_convert(lua_State *L, int param)
{
    nl_stable *d = check_stable(L, 1), e;
    nl_stable_init(&e, d->alpha, d->beta, d->scale, param ? d->loc1 : d->loc0, param);
    push_stable(L, &e);
    return 1;
}
static int st_to_S0(lua_State *L) { return st_convert(L, 0); }
static int st_to_S1(lua_State *L) { return st_convert(L, 1); }

static int st_tostring(lua_State *L)
{
    nl_stable *d = check_stable(L, 1);
    char buf[256];
    snprintf(buf, sizeof buf, "stable{alpha=%.17g, beta=%.17g, scale=%.17g, loc=%.17g, param=\"S%d\"}",
             d->alpha, d->beta, d->scale, d->loc, d->param);
    lua_pushstring(L, buf);
    return 1;
}

static int st_index(lua_State *L)
{
    nl_stable *d = check_stable(L, 1);
    const char *k = lua_tostring(L, 2);
    if (k) {
        if (!strcmp(k, "alpha")) return lua_pushnumber(L, d->alpha), 1;
        if (!strcmp(k, "beta")) return lua_pushnumber(L, d->beta), 1;
        if (!strcmp(k, "scale")) return lua_pushnumber(L, d->scale), 1;
        if (!strcmp(k, "loc")) return lua_pushnumber(L, d->loc), 1;
        if (!strcmp(k, "param")) return lua_pushstring(L, d->param ? "S1" : "S0"), 1;
        if (!strcmp(k, "kind")) return lua_pushliteral(L, "stable"), 1;
    }
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    return 1;
}

static const luaL_Reg stable_methods[] = {
    {"sample", st_sample}, {"pdf", st_pdf}, {"logpdf", st_logpdf}, {"cdf", st_cdf},
    {"sf", st_sf}, {"quantile", st_quantile}, {"isf", st_isf}, {"cf", st_cf},
    {"mean", st_mean}, {"var", st_var}, {"mode", st_mode}, {"support", st_support},
    {"to_S0", st_to_S0}, {"to_S1", st_to_S1}, {NULL, NULL}};

static const nlL_help stable_help[] = {
    {"sample", "d:sample(n | shape [, rng]) -> tensor", "α-stable variates (Chambers–Mallows–Stuck, Weron's correction; S0 exact near α = 1)"},
    {"pdf", "d:pdf(x) -> number | tensor", "density (Nolan's integral; exact closed forms for Gauss, Cauchy, Lévy)"},
    {"logpdf", "d:logpdf(x) -> number | tensor", "log density"},
    {"cdf", "d:cdf(x) -> number | tensor", "distribution function, relative accuracy in the lower tail"},
    {"sf", "d:sf(x) -> number | tensor", "survival function 1 - cdf, relative accuracy in the upper tail"},
    {"quantile", "d:quantile(p) -> number | tensor", "inverse cdf (Newton on log cdf, bracketed)"},
    {"isf", "d:isf(q) -> number | tensor", "inverse survival function: x with sf(x) = q"},
    {"cf", "d:cf(u) -> re, im", "characteristic function E exp(iuX)"},
    {"mean", "d:mean() -> number | nil", "mean (nil for alpha <= 1)"},
    {"var", "d:var() -> number", "variance (inf for alpha < 2, 2 scale^2 at alpha = 2)"},
    {"mode", "d:mode() -> number", "mode (numerical)"},
    {"support", "d:support() -> lo, hi", "support ends (finite only for alpha < 1, beta = ±1)"},
    {"to_S0", "d:to_S0() -> stable", "the same law in Nolan's S0 parameterisation"},
    {"to_S1", "d:to_S1() -> stable", "the same law in the S1 (Samorodnitsky–Taqqu) parameterisation"},
    {NULL, NULL, NULL}};

/* ---------------------------------------------------------------- Pareto objects */

static pareto *check_pareto(lua_State *L, int arg) { return luaL_checkudata(L, arg, PARETO_MT); }

static int l_pareto(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    int has;
    double a = num_field(L, 1, "alpha", NAN, &has, "pareto");
    if (!has) return nlL_error(L, "bad argument #1 to 'pareto' (alpha is required, > 0)");
    double sc = num_field(L, 1, "scale", 1.0, NULL, "pareto");
    int sym = nlL_optboolean_field(L, 1, "symmetric", 1);
    if (!(a > 0) || !isfinite(a))
        return nlL_error(L, "bad argument #1 to 'pareto' (alpha must be finite and > 0, got %g)", a);
    if (!(sc > 0) || !isfinite(sc))
        return nlL_error(L, "bad argument #1 to 'pareto' (scale must be finite and > 0, got %g)", sc);
    pareto *p = lua_newuserdatauv(L, sizeof *p, 0);
    p->alpha = a, p->scale = sc, p->symmetric = sym;
    luaL_setmetatable(L, PARETO_MT);
    return 1;
}

/* The Pareto functions live in src/core/pareto.c; adapt their signatures to scalar_fn. */
static double pa_pdf(const void *o, double x) { const pareto *p = o; return nl_pareto_pdf(p->alpha, p->scale, p->symmetric, x); }
static double pa_logpdf(const void *o, double x) { const pareto *p = o; return nl_pareto_logpdf(p->alpha, p->scale, p->symmetric, x); }
static double pa_cdf(const void *o, double x) { const pareto *p = o; return nl_pareto_cdf(p->alpha, p->scale, p->symmetric, x); }
static double pa_sf(const void *o, double x) { const pareto *p = o; return nl_pareto_sf(p->alpha, p->scale, p->symmetric, x); }
static double pa_quantile(const void *o, double x) { const pareto *p = o; return nl_pareto_quantile(p->alpha, p->scale, p->symmetric, x); }
static double pa_isf(const void *o, double x) { const pareto *p = o; return nl_pareto_isf(p->alpha, p->scale, p->symmetric, x); }

static int pa_m_pdf(lua_State *L) { return apply(L, check_pareto(L, 1), pa_pdf, 2, "pdf"); }
static int pa_m_logpdf(lua_State *L) { return apply(L, check_pareto(L, 1), pa_logpdf, 2, "logpdf"); }
static int pa_m_cdf(lua_State *L) { return apply(L, check_pareto(L, 1), pa_cdf, 2, "cdf"); }
static int pa_m_sf(lua_State *L) { return apply(L, check_pareto(L, 1), pa_sf, 2, "sf"); }
static int pa_m_quantile(lua_State *L)
{
    check_probs(L, 2, "quantile");
    return apply(L, check_pareto(L, 1), pa_quantile, 2, "quantile");
}
static int pa_m_isf(lua_State *L)
{
    check_probs(L, 2, "isf");
    return apply(L, check_pareto(L, 1), pa_isf, 2, "isf");
}

static int pa_m_sample(lua_State *L)
{
    pareto *p = check_pareto(L, 1);
    nl_rng *g;
    nl_tensor *t = sample_target(L, 2, "sample", &g);
    nl_pareto_fill(g, p->alpha, p->scale, p->symmetric, nl_data(t), (size_t)nl_numel(t));
    return 1;
}

/* cf: E e^{iuZ} = α ∫_1^∞ y^{−α−1} e^{i u s y} dy (one-sided), by GSL's QAWF for the
 * oscillatory tail and QAG on nothing else (the integrand is smooth on [1, ∞)). */
typedef struct pa_cf_ctx {
    double alpha;
} pa_cf_ctx;

static double pa_cf_weight(double y, void *v)
{
    const pa_cf_ctx *c = v;
    return c->alpha * exp(-(c->alpha + 1) * log(y));
}

static int pa_cf_one(const pareto *p, double u, double *re, double *im)
{
    double w = u * p->scale;
    if (w == 0) {
        *re = 1, *im = 0;
        return 0;
    }
    pa_cf_ctx c = {p->alpha};
    gsl_function F = {pa_cf_weight, &c};
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(1000);
    gsl_integration_workspace *cw = gsl_integration_workspace_alloc(1000);
    gsl_integration_qawo_table *tc = gsl_integration_qawo_table_alloc(fabs(w), 1.0, GSL_INTEG_COSINE, 50);
    gsl_integration_qawo_table *ts = gsl_integration_qawo_table_alloc(fabs(w), 1.0, GSL_INTEG_SINE, 50);
    int st = -1;
    if (ws && cw && tc && ts) {
        double err;
        st = gsl_integration_qawf(&F, 1.0, 1e-13, 1000, ws, cw, tc, re, &err);
        int st2 = gsl_integration_qawf(&F, 1.0, 1e-13, 1000, ws, cw, ts, im, &err);
        if (!st) st = st2;
        if (w < 0) *im = -*im;
        if (p->symmetric) *im = 0.0;
    }
    if (tc) gsl_integration_qawo_table_free(tc);
    if (ts) gsl_integration_qawo_table_free(ts);
    if (ws) gsl_integration_workspace_free(ws);
    if (cw) gsl_integration_workspace_free(cw);
    return st;
}

static int pa_m_cf(lua_State *L)
{
    pareto *p = check_pareto(L, 1);
    double u = nlL_checkfinite(L, 2), re, im;
    int st = pa_cf_one(p, u, &re, &im);
    if (st) {
        lua_pushnil(L);
        lua_pushfstring(L, "cf: integration did not converge (%s)", st > 0 ? gsl_strerror(st) : "out of memory");
        return 2;
    }
    lua_pushnumber(L, re);
    lua_pushnumber(L, im);
    return 2;
}

static int pa_m_mean(lua_State *L)
{
    pareto *p = check_pareto(L, 1);
    if (p->alpha <= 1) lua_pushnil(L);
    else lua_pushnumber(L, p->symmetric ? 0.0 : p->alpha * p->scale / (p->alpha - 1));
    return 1;
}

static int pa_m_var(lua_State *L)
{
    pareto *p = check_pareto(L, 1);
    double a = p->alpha, s = p->scale;
    if (a <= 2) lua_pushnumber(L, INFINITY);
    else if (p->symmetric) lua_pushnumber(L, a * s * s / (a - 2));
    else lua_pushnumber(L, a * s * s / ((a - 1) * (a - 1) * (a - 2)));
    return 1;
}

static int pa_m_mode(lua_State *L)
{
    pareto *p = check_pareto(L, 1);
    lua_pushnumber(L, p->scale); /* symmetric: ±scale, the positive one returned */
    return 1;
}

static int pa_m_support(lua_State *L)
{
    pareto *p = check_pareto(L, 1);
    lua_pushnumber(L, p->symmetric ? -INFINITY : p->scale);
    lua_pushnumber(L, INFINITY);
    return 2;
}

static int pa_index(lua_State *L)
{
    pareto *p = check_pareto(L, 1);
    const char *k = lua_tostring(L, 2);
    if (k) {
        if (!strcmp(k, "alpha")) return lua_pushnumber(L, p->alpha), 1;
        if (!strcmp(k, "scale")) return lua_pushnumber(L, p->scale), 1;
        if (!strcmp(k, "symmetric")) return lua_pushboolean(L, p->symmetric), 1;
        if (!strcmp(k, "kind")) return lua_pushliteral(L, "pareto"), 1;
    }
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    return 1;
}

static int pa_tostring(lua_State *L)
{
    pareto *p = check_pareto(L, 1);
    char buf[160];
    snprintf(buf, sizeof buf, "pareto{alpha=%.17g, scale=%.17g, symmetric=%s}", p->alpha,
             p->scale, p->symmetric ? "true" : "false");
    lua_pushstring(L, buf);
    return 1;
}

static const luaL_Reg pareto_methods[] = {
    {"sample", pa_m_sample}, {"pdf", pa_m_pdf}, {"logpdf", pa_m_logpdf}, {"cdf", pa_m_cdf},
    {"sf", pa_m_sf}, {"quantile", pa_m_quantile}, {"isf", pa_m_isf}, {"cf", pa_m_cf},
    {"mean", pa_m_mean}, {"var", pa_m_var}, {"mode", pa_m_mode}, {"support", pa_m_support},
    {NULL, NULL}};

/* ---------------------------------------------------------------- Lévy motions */

enum { MK_STABLE, MK_BROWNIAN, MK_CPOISSON };

typedef struct motion {
    int kind;
    double alpha, beta, scale, rate, truncate;
    int dim, isotropic;
} motion;

static motion *check_motion(lua_State *L, int arg) { return luaL_checkudata(L, arg, MOTION_MT); }

/* nl.levy.motion{kind=, alpha=, beta=0, scale=1, dim=1, isotropic=false, rate=, jump=, truncate=} */
static int l_motion(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *kind = nlL_optstring_field(L, 1, "kind", "stable");
    motion m;
    memset(&m, 0, sizeof m);
    if (!strcmp(kind, "stable")) m.kind = MK_STABLE;
    else if (!strcmp(kind, "brownian")) m.kind = MK_BROWNIAN;
    else if (!strcmp(kind, "compound_poisson")) m.kind = MK_CPOISSON;
    else return nlL_error(L, "bad argument #1 to 'motion' (kind must be \"stable\", \"brownian\" or \"compound_poisson\", got \"%s\")", kind);
    int has;
    m.alpha = num_field(L, 1, "alpha", m.kind == MK_BROWNIAN ? 2.0 : NAN, &has, "motion");
    m.beta = num_field(L, 1, "beta", 0.0, NULL, "motion");
    m.scale = num_field(L, 1, "scale", 1.0, NULL, "motion");
    m.rate = num_field(L, 1, "rate", NAN, NULL, "motion");
    m.truncate = num_field(L, 1, "truncate", INFINITY, NULL, "motion");
    lua_Integer dim = nlL_optinteger_field(L, 1, "dim", 1);
    m.isotropic = nlL_optboolean_field(L, 1, "isotropic", 0);
    if (dim < 1 || dim > 1000000)
        return nlL_error(L, "bad argument #1 to 'motion' (dim must be a positive integer, got %lld)", (long long)dim);
    m.dim = (int)dim;
    if (m.kind == MK_STABLE) {
        if (!has) return nlL_error(L, "bad argument #1 to 'motion' (alpha is required for kind \"stable\")");
        if (!(m.alpha > 0 && m.alpha <= 2))
            return nlL_error(L, "bad argument #1 to 'motion' (alpha must be in (0, 2], got %g)", m.alpha);
        if (!(m.beta >= -1 && m.beta <= 1))
            return nlL_error(L, "bad argument #1 to 'motion' (beta must be in [-1, 1], got %g)", m.beta);
        if (m.isotropic && m.beta != 0)
            return nlL_error(L, "bad argument #1 to 'motion' (isotropic motions are symmetric: beta must be 0, got %g)", m.beta);
    }
    if (!(m.scale > 0) || !isfinite(m.scale))
        return nlL_error(L, "bad argument #1 to 'motion' (scale must be finite and > 0, got %g)", m.scale);
    if (!(m.truncate > 0))
        return nlL_error(L, "bad argument #1 to 'motion' (truncate must be > 0, got %g)", m.truncate);
    if (m.kind == MK_CPOISSON) {
        if (!(m.rate > 0) || !isfinite(m.rate))
            return nlL_error(L, "bad argument #1 to 'motion' (rate must be finite and > 0 for kind \"compound_poisson\", got %g)", m.rate);
        if (m.isotropic)
            return nlL_error(L, "bad argument #1 to 'motion' (isotropic is only for kind \"stable\")");
    }
    motion *u = lua_newuserdatauv(L, sizeof *u, 1);
    *u = m;
    luaL_setmetatable(L, MOTION_MT);
    if (m.kind == MK_CPOISSON) {
        if (lua_getfield(L, 1, "jump") == LUA_TNIL)
            return nlL_error(L, "bad argument #1 to 'motion' (jump = <distribution with :sample(n [, rng])> is required for kind \"compound_poisson\")");
        if (lua_getfield(L, -1, "sample") != LUA_TFUNCTION)
            return nlL_error(L, "bad argument #1 to 'motion' (jump must have a sample method, got %s)", luaL_typename(L, -2));
        lua_pop(L, 1);
        lua_setiuservalue(L, -2, 1);
    }
    return 1;
}

/* Poisson(λ) by inversion (λ small) or by summing exponential gaps (Knuth) in pieces; fine for
 * the rates·dt of a motion (the mean count per cell is usually < 10). */
static int64_t poisson(nl_rng *g, double lam)
{
    int64_t k = 0;
    while (lam > 30.0) { /* split: a sum of Poissons is Poisson */
        k += poisson(g, 30.0);
        lam -= 30.0;
    }
    double L = exp(-lam), p = 1.0;
    for (;;) {
        p *= nl_rng_uniform(g);
        if (p <= L) return k;
        k++;
    }
}

static void clip_radial(double *x, int dim, double b)
{
    if (isinf(b)) return;
    double r2 = 0;
    for (int j = 0; j < dim; j++) r2 += x[j] * x[j];
    double r = sqrt(r2);
    if (r > b) for (int j = 0; j < dim; j++) x[j] *= b / r;
}

/* Fill out (cells × dim, row-major) with increments over dt.  Leaves the output tensor on the
 * stack (it is allocated by the caller). */
static void motion_fill(lua_State *L, motion *m, int self, int rngarg, double dt, int64_t cells,
                        double *out, nl_rng *g)
{
    int dim = m->dim;
    int64_t n = cells * dim;
    if (m->kind == MK_BROWNIAN) {
        nl_rng_normal_fill(g, out, (size_t)n);
        double s = m->scale * sqrt(dt);
        for (int64_t i = 0; i < n; i++) out[i] *= s;
    } else if (m->kind == MK_STABLE && !(m->isotropic && dim > 1)) {
        double s = m->scale * pow(dt, 1.0 / m->alpha);
        nl_stable_fill(g, m->alpha, m->beta, s, 0.0, 1, out, (size_t)n);
    } else if (m->kind == MK_STABLE) {
        /* sub-Gaussian: X = sqrt(A) G, G ~ N(0, 2σ²I), A ~ S1(α/2, 1, cos(πα/4)^{2/α}, 0) */
        double s = m->scale * pow(dt, 1.0 / m->alpha);
        double a = m->alpha;
        nl_rng_normal_fill(g, out, (size_t)n);
        double ga = sqrt(2.0) * s;
        if (a == 2.0) {
            for (int64_t i = 0; i < n; i++) out[i] *= ga;
        } else {
            double as = pow(cos(M_PI * a / 4.0), 2.0 / a);
            for (int64_t c = 0; c < cells; c++) {
                double A;
                nl_stable_fill(g, a / 2.0, 1.0, as, 0.0, 1, &A, 1);
                double f = sqrt(A) * ga;
                for (int j = 0; j < dim; j++) out[c * dim + j] *= f;
            }
        }
    } else {
        /* compound Poisson: counts per cell, then one jump:sample({K, dim}) call */
        memset(out, 0, (size_t)n * sizeof *out);
        /* counts stored temporarily in a Lua-owned tensor so an error in jump:sample leaks nothing */
        int64_t shp[1] = {cells};
        nl_tensor *ct = nlL_newtensor_uninit(L, NL_F64, 1, shp);
        double *cnt = nl_data(ct);
        int64_t K = 0;
        for (int64_t c = 0; c < cells; c++) {
            int64_t k = poisson(g, m->rate * dt);
            cnt[c] = (double)k;
            K += k;
        }
        if (K > 0) {
            lua_getiuservalue(L, self, 1);
            lua_getfield(L, -1, "sample");
            lua_insert(L, -2);
            if (dim == 1) lua_pushinteger(L, K);
            else {
                lua_createtable(L, 2, 0);
                lua_pushinteger(L, K);
                lua_rawseti(L, -2, 1);
                lua_pushinteger(L, dim);
                lua_rawseti(L, -2, 2);
            }
            lua_pushvalue(L, rngarg); /* the caller's generator (nil: the default one) */
            lua_call(L, 3, 1);
            nl_tensor *jt = nlL_testtensor(L, -1);
            if (!jt || nl_numel(jt) != K * dim)
                nlL_error(L, "motion: jump:sample(%lld) must return a tensor of %lld values",
                          (long long)K, (long long)(K * dim));
            nl_tensor *jc = nlL_pushcontiguous(L, lua_gettop(L), NL_F64);
            const double *J = nl_data(jc);
            int64_t pos = 0;
            for (int64_t c = 0; c < cells; c++) {
                for (int64_t k = 0; k < (int64_t)cnt[c]; k++, pos++) {
                    double jv[64];
                    double *jp = dim <= 64 ? jv : NULL;
                    if (jp) {
                        memcpy(jp, J + pos * dim, (size_t)dim * sizeof *jp);
                        if (dim == 1) {
                            if (jp[0] > m->truncate) jp[0] = m->truncate;
                            if (jp[0] < -m->truncate) jp[0] = -m->truncate;
                        } else
                            clip_radial(jp, dim, m->truncate);
                        for (int j = 0; j < dim; j++) out[c * dim + j] += jp[j];
                    } else {
                        for (int j = 0; j < dim; j++) {
                            double v = J[pos * dim + j];
                            if (v > m->truncate) v = m->truncate;
                            if (v < -m->truncate) v = -m->truncate;
                            out[c * dim + j] += v;
                        }
                    }
                }
            }
            lua_pop(L, 2);
        }
        lua_pop(L, 1);
        return;
    }
    if (isfinite(m->truncate)) {
        if (dim == 1 || !m->isotropic) {
            for (int64_t i = 0; i < n; i++) {
                if (out[i] > m->truncate) out[i] = m->truncate;
                if (out[i] < -m->truncate) out[i] = -m->truncate;
            }
        } else
            for (int64_t c = 0; c < cells; c++) clip_radial(out + c * dim, dim, m->truncate);
    }
}

static void motion_args(lua_State *L, const char *fname, double *x, int64_t *steps, int64_t *paths)
{
    *x = luaL_checknumber(L, 2);
    if (!(*x > 0) || !isfinite(*x))
        nlL_error(L, "bad argument #1 to '%s' (%s must be finite and > 0, got %g)", fname,
                  strcmp(fname, "path") ? "dt" : "T", *x);
    lua_Integer s = luaL_checkinteger(L, 3), p = luaL_checkinteger(L, 4);
    if (s < 0) nlL_error(L, "bad argument #2 to '%s' (steps must be >= 0, got %lld)", fname, (long long)s);
    if (p < 0) nlL_error(L, "bad argument #3 to '%s' (paths must be >= 0, got %lld)", fname, (long long)p);
    *steps = s, *paths = p;
}

static int mo_increments(lua_State *L)
{
    motion *m = check_motion(L, 1);
    double dt;
    int64_t steps, paths;
    motion_args(L, "increments", &dt, &steps, &paths);
    nl_rng *g = nlL_optrng(L, 5);
    int64_t shape[3] = {steps, paths, m->dim};
    lua_settop(L, 5);
    nl_tensor *t = nlL_newtensor_uninit(L, NL_F64, m->dim > 1 ? 3 : 2, shape);
    int top = lua_gettop(L);
    motion_fill(L, m, 1, 5, dt, steps * paths, nl_data(t), g);
    lua_settop(L, top);
    return 1;
}

static int mo_path(lua_State *L)
{
    motion *m = check_motion(L, 1);
    double T;
    int64_t steps, paths;
    motion_args(L, "path", &T, &steps, &paths);
    if (steps < 1) return nlL_error(L, "bad argument #2 to 'path' (steps must be >= 1, got %lld)", (long long)steps);
    nl_rng *g = nlL_optrng(L, 5);
    int64_t shape[3] = {steps + 1, paths, m->dim};
    lua_settop(L, 5);
    nl_tensor *t = nlL_newtensor(L, NL_F64, m->dim > 1 ? 3 : 2, shape);
    int top = lua_gettop(L);
    double *x = nl_data(t);
    int64_t row = paths * m->dim;
    motion_fill(L, m, 1, 5, T / (double)steps, steps * paths, x + row, g);
    lua_settop(L, top);
    for (int64_t s = 1; s <= steps; s++)
        for (int64_t i = 0; i < row; i++) x[s * row + i] += x[(s - 1) * row + i];
    return 1;
}

static int mo_index(lua_State *L)
{
    motion *m = check_motion(L, 1);
    const char *k = lua_tostring(L, 2);
    if (k) {
        static const char *kinds[] = {"stable", "brownian", "compound_poisson"};
        if (!strcmp(k, "kind")) return lua_pushstring(L, kinds[m->kind]), 1;
        if (!strcmp(k, "alpha")) return lua_pushnumber(L, m->alpha), 1;
        if (!strcmp(k, "beta")) return lua_pushnumber(L, m->beta), 1;
        if (!strcmp(k, "scale")) return lua_pushnumber(L, m->scale), 1;
        if (!strcmp(k, "dim")) return lua_pushinteger(L, m->dim), 1;
        if (!strcmp(k, "isotropic")) return lua_pushboolean(L, m->isotropic), 1;
        if (!strcmp(k, "rate")) return push_opt_number(L, m->rate), 1;
        if (!strcmp(k, "truncate")) return lua_pushnumber(L, m->truncate), 1;
        if (!strcmp(k, "jump")) return lua_getiuservalue(L, 1, 1), 1;
    }
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    return 1;
}

static const luaL_Reg motion_methods[] = {
    {"increments", mo_increments}, {"path", mo_path}, {NULL, NULL}};

/* ---------------------------------------------------------------- test support */

/* levy._gsl_levy_skew(n, c, alpha, beta, seed) -> tensor: GSL's sampler (MT19937), for the
 * two-sample test in tests/levy_spec.lua and the benchmark; not part of the user API. */
static int l_gsl_levy_skew(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    double c = luaL_checknumber(L, 2), a = luaL_checknumber(L, 3), b = luaL_checknumber(L, 4);
    lua_Integer seed = luaL_optinteger(L, 5, 0);
    if (n < 0) return nlL_error(L, "bad argument #1 to '_gsl_levy_skew' (n must be >= 0)");
    if (!(a > 0 && a <= 2) || !(b >= -1 && b <= 1) || !(c > 0))
        return nlL_error(L, "bad argument to '_gsl_levy_skew' (need c > 0, alpha in (0, 2], beta in [-1, 1])");
    int64_t shp[1] = {n};
    nl_tensor *t = nlL_newtensor_uninit(L, NL_F64, 1, shp);
    double *x = nl_data(t);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r) return nlL_error(L, "_gsl_levy_skew: cannot allocate a GSL generator");
    gsl_rng_set(r, (unsigned long)seed);
    for (lua_Integer i = 0; i < n; i++) x[i] = gsl_ran_levy_skew(r, c, a, b);
    gsl_rng_free(r);
    return 1;
}

/* ---------------------------------------------------------------- module */

static void new_class(lua_State *L, const char *mt, const luaL_Reg *methods, lua_CFunction index,
                      lua_CFunction tostring, const nlL_help *help, const char *hname)
{
    luaL_newmetatable(L, mt);
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    if (help) nlL_register_help(L, hname, help);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "methods");
    lua_pushcclosure(L, index, 1);
    lua_setfield(L, -2, "__index");
    if (tostring) {
        lua_pushcfunction(L, tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
}

static const nlL_help pareto_help[] = {
    {"sample", "p:sample(n | shape [, rng]) -> tensor", "Pareto variates by inversion"},
    {"pdf", "p:pdf(x)", "density α s^α |x|^(-α-1) (halved if symmetric)"},
    {"cdf", "p:cdf(x)", "distribution function"},
    {"sf", "p:sf(x)", "survival function P(Z > x)"},
    {"quantile", "p:quantile(p)", "generalised inverse of the cdf"},
    {"isf", "p:isf(q)", "inverse survival function"},
    {"cf", "p:cf(u) -> re, im", "characteristic function (GSL QAWF)"},
    {NULL, NULL, NULL}};

static const nlL_help motion_help[] = {
    {"increments", "m:increments(dt, steps, paths [, rng]) -> tensor", "independent increments over dt: steps×paths (×dim)"},
    {"path", "m:path(T, steps, paths [, rng]) -> tensor", "cumulative paths on [0, T], (steps+1)×paths (×dim), first row 0"},
    {NULL, NULL, NULL}};

static const nlL_help module_help[] = {
    {"stable", "levy.stable{alpha=, beta=0, scale=1, loc=0, param=\"S1\"|\"S0\"}", "α-stable law object"},
    {"pareto", "levy.pareto{alpha=, scale=1, symmetric=true}", "Pareto (regularly varying) law object"},
    {"motion", "levy.motion{kind=\"stable\"|\"brownian\"|\"compound_poisson\", alpha=, beta=, scale=, dim=1, isotropic=false, rate=, jump=, truncate=}", "Lévy motion: m:increments, m:path"},
    {"_gsl_levy_skew", "levy._gsl_levy_skew(n, c, alpha, beta, seed)", "test support: GSL's gsl_ran_levy_skew variates"},
    {NULL, NULL, NULL}};

int luaopen_noiselab_levy(lua_State *L);
int luaopen_noiselab_levy(lua_State *L)
{
    nlL_gsl_init();
    new_class(L, STABLE_MT, stable_methods, st_index, st_tostring, stable_help, "levy.stable");
    new_class(L, PARETO_MT, pareto_methods, pa_index, pa_tostring, pareto_help, "levy.pareto");
    new_class(L, MOTION_MT, motion_methods, mo_index, NULL, motion_help, "levy.motion");
    static const luaL_Reg fns[] = {{"stable", l_stable}, {"pareto", l_pareto}, {"motion", l_motion},
                                   {"_gsl_levy_skew", l_gsl_levy_skew}, {NULL, NULL}};
    luaL_newlib(L, fns);
    nlL_register_help(L, "levy", module_help);
    return 1;
}
