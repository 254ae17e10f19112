/* Lua binding "noiselab.theory": closed forms of src/core/theory.c.
 *
 * Every function takes one options table.  Matrices (A, Sigma) are a number (d = 1), a nested
 * Lua table {{..},{..}} or a square 2-d tensor; vectors (u, w) a number, a table or a 1-d
 * tensor.  Results follow the input: a number A gives number results, otherwise d×d tensors.
 * A divergent configuration (λ beyond the stability limit) returns nil, reason. */
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "bind/common.h"
#include "noiselab/theory.h"

#define TMAXD 64

/* nil, reason (lua_pushfstring formats): how a closed form reports that no answer exists */
static int nil_reason(lua_State *L, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lua_pushnil(L);
    lua_pushvfstring(L, fmt, ap);
    va_end(ap);
    return 2;
}

/* Read a square matrix option; returns d (0 if absent and !required). */
static int opt_matrix(lua_State *L, int opts, const char *key, double *buf, int required,
                      int *isnum, const char *fname)
{
    int t = lua_getfield(L, opts, key);
    int d = 0;
    *isnum = 0;
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        if (required) luaL_error(L, "%s: option '%s' (a matrix) is required", fname, key);
        return 0;
    }
    if (t == LUA_TNUMBER) {
        buf[0] = lua_tonumber(L, -1);
        *isnum = 1;
        d = 1;
    } else if (t == LUA_TTABLE) {
        d = (int)luaL_len(L, -1);
        if (d < 1 || d > TMAXD) luaL_error(L, "%s: option '%s' must be a d×d table with 1 <= d <= %d, got %d rows", fname, key, TMAXD, d);
        for (int i = 0; i < d; i++) {
            if (lua_rawgeti(L, -1, i + 1) != LUA_TTABLE)
                luaL_error(L, "%s: option '%s' row %d must be a table", fname, key, i + 1);
            int n = (int)luaL_len(L, -1);
            if (n != d) luaL_error(L, "%s: option '%s' must be square, row %d has %d entries for %d rows", fname, key, i + 1, n, d);
            for (int j = 0; j < d; j++) {
                lua_rawgeti(L, -1, j + 1);
                int ok;
                buf[i * d + j] = lua_tonumberx(L, -1, &ok);
                if (!ok) luaL_error(L, "%s: option '%s'[%d][%d] must be a number", fname, key, i + 1, j + 1);
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
    } else {
        nl_tensor *x = nlL_testtensor(L, -1);
        if (!x) luaL_error(L, "%s: option '%s' must be a number, a table or a tensor, got %s", fname, key, luaL_typename(L, -1));
        int64_t n = nl_numel(x);
        if (n == 1 && x->ndim <= 2) d = 1;
        else if (x->ndim == 2 && x->shape[0] == x->shape[1] && x->shape[0] <= TMAXD) d = (int)x->shape[0];
        else {
            char sb[64];
            luaL_error(L, "%s: option '%s' must be a square matrix with d <= %d, got shape %s", fname, key, TMAXD,
                       nlL_shapestr(sb, sizeof sb, x->ndim, x->shape));
        }
        for (int64_t i = 0; i < n; i++) buf[i] = nl_get_flat(x, i);
    }
    lua_pop(L, 1);
    for (int i = 0; i < d * d; i++)
        if (!isfinite(buf[i])) luaL_error(L, "%s: option '%s' has a non-finite entry (%f)", fname, key, buf[i]);
    return d;
}

static int opt_vector(lua_State *L, int opts, const char *key, double *buf, int d, const char *fname)
{
    int t = lua_getfield(L, opts, key);
    if (t == LUA_TNIL) { lua_pop(L, 1); return 0; }
    int n = 0;
    if (t == LUA_TNUMBER) { buf[0] = lua_tonumber(L, -1); n = 1; }
    else if (t == LUA_TTABLE) {
        n = (int)luaL_len(L, -1);
        if (n != d) luaL_error(L, "%s: option '%s' must have %d entries, got %d", fname, key, d, n);
        for (int i = 0; i < n; i++) {
            lua_rawgeti(L, -1, i + 1);
            int ok;
            buf[i] = lua_tonumberx(L, -1, &ok);
            if (!ok) luaL_error(L, "%s: option '%s'[%d] must be a number", fname, key, i + 1);
            lua_pop(L, 1);
        }
    } else {
        nl_tensor *x = nlL_testtensor(L, -1);
        if (!x) luaL_error(L, "%s: option '%s' must be a number, a table or a tensor", fname, key);
        n = (int)nl_numel(x);
        if (n != d) luaL_error(L, "%s: option '%s' must have %d entries, got %d", fname, key, d, n);
        for (int i = 0; i < n; i++) buf[i] = nl_get_flat(x, i);
    }
    if (n != d) luaL_error(L, "%s: option '%s' must have %d entries, got %d", fname, key, d, n);
    lua_pop(L, 1);
    return n;
}

static double need_number(lua_State *L, int opts, const char *key, const char *fname)
{
    if (lua_getfield(L, opts, key) == LUA_TNIL)
        luaL_error(L, "%s: option '%s' is required", fname, key);
    int ok;
    double v = lua_tonumberx(L, -1, &ok);
    if (!ok) luaL_error(L, "%s: option '%s' must be a number, got %s", fname, key, luaL_typename(L, -1));
    lua_pop(L, 1);
    return v;
}

static void push_matrix(lua_State *L, int d, const double *m, int asnum)
{
    if (asnum) { lua_pushnumber(L, m[0]); return; }
    int64_t sh[2] = {d, d};
    nl_tensor *t = nlL_newtensor(L, NL_F64, 2, sh);
    memcpy(nl_data(t), m, sizeof(double) * (size_t)d * (size_t)d);
}

static void push_vector(lua_State *L, int d, const double *v, int asnum)
{
    if (asnum) { lua_pushnumber(L, v[0]); return; }
    int64_t sh[1] = {d};
    nl_tensor *t = nlL_newtensor(L, NL_F64, 1, sh);
    memcpy(nl_data(t), v, sizeof(double) * (size_t)d);
}

static double trace_ab(int d, const double *a, const double *b)
{
    double s = 0;
    for (int i = 0; i < d; i++)
        for (int k = 0; k < d; k++) s += a[i * d + k] * b[k * d + i];
    return s;
}

static void check_S_lr(lua_State *L, double S, double lr, double mu, const char *f)
{
    if (!(S > 0) || !isfinite(S)) luaL_error(L, "%s: batch size S must be > 0, got %f", f, S);
    if (!(lr > 0) || !isfinite(lr)) luaL_error(L, "%s: learning rate lr must be > 0, got %f", f, lr);
    if (!(mu >= 0 && mu < 1)) luaL_error(L, "%s: momentum must be in [0, 1), got %f", f, mu);
}

/* theory.noise_cov{A=, Sigma=, sigma2=, S=} | {X=, y=, w=, S=} -> C */
static int l_noise_cov(lua_State *L)
{
    const char *f = "noise_cov";
    luaL_checktype(L, 1, LUA_TTABLE);
    double S = need_number(L, 1, "S", f);
    if (!(S > 0) || !isfinite(S)) luaL_error(L, "%s: batch size S must be > 0, got %f", f, S);
    if (lua_getfield(L, 1, "X") != LUA_TNIL) {
        nl_tensor *X0 = nlL_testtensor(L, -1);
        if (!X0 || X0->ndim != 2) luaL_error(L, "%s: X must be an N×d tensor", f);
        int top = lua_gettop(L);
        nl_tensor *X = nlL_pushcontiguous(L, top, NL_F64);
        int64_t N = X->shape[0], d = X->shape[1];
        if (d > TMAXD || N < 1) luaL_error(L, "%s: X must be N×d with N >= 1, d <= %d", f, TMAXD);
        lua_getfield(L, 1, "y");
        nl_tensor *y0 = nlL_testtensor(L, -1);
        if (!y0 || nl_numel(y0) != N) luaL_error(L, "%s: y must be a tensor of %d values", f, (int)N);
        nl_tensor *y = nlL_pushcontiguous(L, lua_gettop(L), NL_F64);
        double w[TMAXD], C[TMAXD * TMAXD];
        opt_vector(L, 1, "w", w, (int)d, f);
        lua_getfield(L, 1, "w");
        if (lua_isnil(L, -1)) luaL_error(L, "%s: option 'w' (the weights) is required with X", f);
        lua_pop(L, 1);
        nl_status st = nl_theory_noise_cov_data((int)d, (long)N, nl_data(X), nl_data(y), w, S, C);
        if (st) return nlL_status_error(L, st, f, "non-finite data");
        push_matrix(L, (int)d, C, 0);
        return 1;
    }
    lua_pop(L, 1);
    double A[TMAXD * TMAXD], Sg[TMAXD * TMAXD], C[TMAXD * TMAXD];
    int an, sn;
    int d = opt_matrix(L, 1, "A", A, 1, &an, f);
    int ds = opt_matrix(L, 1, "Sigma", Sg, 0, &sn, f);
    if (ds == 0) { ds = d; memset(Sg, 0, sizeof(double) * (size_t)d * (size_t)d); }
    if (ds != d) luaL_error(L, "%s: Sigma is %dx%d but A is %dx%d", f, ds, ds, d, d);
    double s2 = nlL_optnumber_field(L, 1, "sigma2", 0);
    if (!(s2 >= 0)) luaL_error(L, "%s: sigma2 must be >= 0, got %f", f, s2);
    nl_status st = nl_theory_noise_cov_label(d, A, Sg, s2, S, C);
    if (st) return nlL_status_error(L, st, f, NULL);
    push_matrix(L, d, C, an);
    return 1;
}

/* theory.stationary{A=, sigma2=, S=, lr=, momentum=0} -> Sigma, info | nil, reason */
static int l_stationary(lua_State *L)
{
    const char *f = "stationary";
    luaL_checktype(L, 1, LUA_TTABLE);
    double A[TMAXD * TMAXD], Sg[TMAXD * TMAXD], work[3 * TMAXD * TMAXD + TMAXD];
    int an;
    int d = opt_matrix(L, 1, "A", A, 1, &an, f);
    double S = need_number(L, 1, "S", f), lr = need_number(L, 1, "lr", f);
    double mu = nlL_optnumber_field(L, 1, "momentum", 0), s2 = nlL_optnumber_field(L, 1, "sigma2", 1);
    check_S_lr(L, S, lr, mu, f);
    if (!(s2 >= 0) || !isfinite(s2)) luaL_error(L, "%s: sigma2 must be >= 0, got %f", f, s2);
    int stable;
    nl_status st = nl_theory_stationary(d, A, s2, S, lr, mu, Sg, &stable, work);
    if (st == NL_ERR_ARG) luaL_error(L, "%s: A must be symmetric positive semi-definite", f);
    if (st) return nlL_status_error(L, st, f, NULL);
    if (!stable) {
        double lm;
        nl_theory_stability_limit(d, A, S, mu, &lm, work);
        return nil_reason(L, "diverges: lr = %f is beyond the stability limit %f", lr, lm);
    }
    push_matrix(L, d, Sg, an);
    double tl = 0.5 * trace_ab(d, A, Sg);
    lua_createtable(L, 0, 3);
    lua_pushnumber(L, tl);
    lua_setfield(L, -2, "test_loss");
    lua_pushnumber(L, tl + 0.5 * s2);
    lua_setfield(L, -2, "train_loss");
    lua_pushnumber(L, lr * s2 / (2 * S));
    lua_setfield(L, -2, "continuous"); /* continuous-time prediction of Var per unit curvature */
    return 2;
}

/* The hyper-parameters both the exact stationary law and the simulation take:
 * S=, lr=, momentum=0, weight_decay=0, sigma2=1 (S, lr, momentum checked). */
static void sgd_hyper_args(lua_State *L, double *S, double *lr, double *mu, double *gam, double *s2,
                           const char *f)
{
    *S = need_number(L, 1, "S", f);
    *lr = need_number(L, 1, "lr", f);
    *mu = nlL_optnumber_field(L, 1, "momentum", 0);
    *gam = nlL_optnumber_field(L, 1, "weight_decay", 0);
    *s2 = nlL_optnumber_field(L, 1, "sigma2", 1);
    check_S_lr(L, *S, *lr, *mu, f);
}

/* The linear-regression problem of stationary_exact and simulate_sgd: finite data {X=, y=}
 * (X N×d, d <= 16) or Gaussian inputs {A=, u=}.  The contiguous f64 copies of X and y stay on
 * the Lua stack (they anchor p->X and p->y); `dnote` follows the "d must be <= 16" message. */
typedef struct {
    int d, an, hasu;
    long N;
    const double *X, *y;
    double A[16 * 16], u[16];
} sgd_data;

static void sgd_data_args(lua_State *L, sgd_data *p, const char *dnote, const char *f)
{
    p->an = p->d = p->hasu = 0;
    p->N = 0;
    p->X = p->y = NULL;
    if (lua_getfield(L, 1, "X") != LUA_TNIL) {
        nl_tensor *X0 = nlL_testtensor(L, -1);
        if (!X0 || X0->ndim != 2 || X0->shape[1] > 16 || X0->shape[0] < 1)
            luaL_error(L, "%s: X must be an N×d tensor with d <= 16", f);
        nl_tensor *Xc = nlL_pushcontiguous(L, lua_gettop(L), NL_F64);
        p->N = (long)Xc->shape[0];
        p->d = (int)Xc->shape[1];
        p->X = nl_data(Xc);
        lua_getfield(L, 1, "y");
        nl_tensor *y0 = nlL_testtensor(L, -1);
        if (!y0 || nl_numel(y0) != p->N)
            luaL_error(L, "%s: y must be a tensor of %d values", f, (int)p->N);
        p->y = nl_data(nlL_pushcontiguous(L, lua_gettop(L), NL_F64));
    } else {
        double Ab[TMAXD * TMAXD];
        p->d = opt_matrix(L, 1, "A", Ab, 1, &p->an, f);
        if (p->d > 16) luaL_error(L, "%s: d must be <= 16%s, got %d", f, dnote, p->d);
        memcpy(p->A, Ab, sizeof(double) * (size_t)p->d * (size_t)p->d);
        p->hasu = opt_vector(L, 1, "u", p->u, p->d, f) > 0;
    }
}

/* theory.stationary_exact{A=, u=, sigma2=, S=, lr=, momentum=, weight_decay=} or
 * {X=, y=, S=, lr=, momentum=, weight_decay=} -> Sigma, info{wstar, test_loss} | nil, reason */
static int l_stationary_exact(lua_State *L)
{
    const char *f = "stationary_exact";
    luaL_checktype(L, 1, LUA_TTABLE);
    double Sg[16 * 16], ws[16];
    sgd_data p;
    double S, lr, mu, gam, s2;
    sgd_hyper_args(L, &S, &lr, &mu, &gam, &s2, f);
    if (!isfinite(gam)) luaL_error(L, "%s: weight_decay must be finite", f);
    sgd_data_args(L, &p, " (the Kronecker system has (2d)^2 unknowns)", f);
    if (gam != 0 && !p.X && !p.hasu)
        luaL_error(L, "%s: weight_decay with Gaussian data needs the target u", f);
    size_t wb = nl_theory_exact_work(p.d) * sizeof(double);
    double *work = lua_newuserdatauv(L, wb, 0);
    int stable;
    nl_status st = nl_theory_stationary_exact(p.d, p.X ? NULL : p.A, p.hasu ? p.u : NULL, s2, p.N,
                                              p.X, p.y, S, lr, mu, gam, Sg, ws, &stable, work);
    if (st == NL_ERR_ARG) luaL_error(L, "%s: invalid input (A symmetric PSD, finite data)", f);
    if (st) return nlL_status_error(L, st, f, NULL);
    if (!stable) {
        return nil_reason(L, "diverges: the second moment has no stationary solution at lr = %f", lr);
    }
    push_matrix(L, p.d, Sg, p.an);
    lua_createtable(L, 0, 2);
    push_vector(L, p.d, ws, p.an);
    lua_setfield(L, -2, "wstar");
    if (!p.X) {
        lua_pushnumber(L, 0.5 * trace_ab(p.d, p.A, Sg));
        lua_setfield(L, -2, "test_loss");
    }
    return 2;
}

static int l_stability_limit(lua_State *L)
{
    const char *f = "stability_limit";
    luaL_checktype(L, 1, LUA_TTABLE);
    double A[TMAXD * TMAXD], work[TMAXD * TMAXD + TMAXD];
    int an;
    int d = opt_matrix(L, 1, "A", A, 1, &an, f);
    double S = need_number(L, 1, "S", f), mu = nlL_optnumber_field(L, 1, "momentum", 0);
    check_S_lr(L, S, 1, mu, f);
    double lm;
    nl_status st = nl_theory_stability_limit(d, A, S, mu, &lm, work);
    if (st == NL_ERR_ARG) luaL_error(L, "%s: A must be symmetric positive semi-definite", f);
    if (st) return nlL_status_error(L, st, f, NULL);
    lua_pushnumber(L, lm);
    return 1;
}

/* theory.test_loss(A, Sigma) -> ½Tr[AΣ] */
static int l_test_loss(lua_State *L)
{
    const char *f = "test_loss";
    luaL_checktype(L, 1, LUA_TTABLE);
    double A[TMAXD * TMAXD], Sg[TMAXD * TMAXD];
    int an, sn;
    int d = opt_matrix(L, 1, "A", A, 1, &an, f);
    int ds = opt_matrix(L, 1, "Sigma", Sg, 1, &sn, f);
    if (ds != d) luaL_error(L, "%s: Sigma is %dx%d but A is %dx%d", f, ds, ds, d, d);
    lua_pushnumber(L, 0.5 * trace_ab(d, A, Sg));
    return 1;
}

static void l2_args(lua_State *L, const char *f, double *a, double *u, double *lr, double *S,
                    double *s2)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    *a = need_number(L, 1, "a", f);
    *u = need_number(L, 1, "u", f);
    *lr = need_number(L, 1, "lr", f);
    *S = need_number(L, 1, "S", f);
    *s2 = nlL_optnumber_field(L, 1, "sigma2", 0);
    if (!(*a > 0) || !isfinite(*a)) luaL_error(L, "%s: curvature a must be > 0, got %f", f, *a);
    check_S_lr(L, *S, *lr, 0, f);
    if (!(*s2 >= 0) || !isfinite(*s2)) luaL_error(L, "%s: sigma2 must be >= 0, got %f", f, *s2);
}

static int l_l2_test_loss(lua_State *L)
{
    double a, u, lr, S, s2, Sg, loss;
    l2_args(L, "l2_test_loss", &a, &u, &lr, &S, &s2);
    double g = need_number(L, 1, "gamma", "l2_test_loss");
    nl_status st = nl_theory_l2_test_loss(a, u, g, lr, S, s2, &Sg, &loss);
    if (st) return nlL_status_error(L, st, "l2_test_loss", NULL);
    lua_pushnumber(L, loss);
    lua_pushnumber(L, Sg);
    return 2;
}

static int l_optimal_weight_decay(lua_State *L)
{
    double a, u, lr, S, s2, g, loss;
    l2_args(L, "optimal_weight_decay", &a, &u, &lr, &S, &s2);
    nl_status st = nl_theory_optimal_weight_decay(a, u, lr, S, s2, &g, &loss);
    if (st == NL_ERR_NOCONV) {
        return nil_reason(L, "no weight decay makes the dynamics stable (2 lr^2 a^2 >= S)");
    }
    if (st) return nlL_status_error(L, st, "optimal_weight_decay", NULL);
    lua_pushnumber(L, g);
    lua_pushnumber(L, loss);
    return 2;
}

/* theory.tail_index{a=, lr=, S=} -> beta, approx | nil, reason */
static int l_tail_index(lua_State *L)
{
    const char *f = "tail_index";
    luaL_checktype(L, 1, LUA_TTABLE);
    double a = need_number(L, 1, "a", f), lr = need_number(L, 1, "lr", f), S = need_number(L, 1, "S", f);
    if (!(a > 0) || !isfinite(a)) luaL_error(L, "%s: curvature a must be > 0, got %f", f, a);
    check_S_lr(L, S, lr, 0, f);
    double b, ap;
    nl_status st = nl_theory_tail_index(a, lr, S, &b, &ap);
    if (st == NL_ERR_NOCONV) {
        return nil_reason(L, "no stationary law: E log|1 - (a lr/S) chi2_S| >= 0 or the root was not "
                           "bracketed (a = %f, lr = %f, S = %f)", a, lr, S);
    }
    if (st) return nlL_status_error(L, st, f, NULL);
    lua_pushnumber(L, b);
    lua_pushnumber(L, ap);
    return 2;
}

static int l_kesten_moment(lua_State *L)
{
    const char *f = "kesten_moment";
    luaL_checktype(L, 1, LUA_TTABLE);
    double c = need_number(L, 1, "c", f), S = need_number(L, 1, "S", f), b = need_number(L, 1, "beta", f);
    double v;
    nl_status st = nl_theory_log_kesten_moment(c, S, b, &v);
    if (st == NL_ERR_ARG) luaL_error(L, "%s: need c > 0, S > 0, beta >= 0", f);
    if (st) return nlL_status_error(L, st, f, NULL);
    lua_pushnumber(L, v);
    return 1;
}

static double check_alpha(lua_State *L, double a, const char *f)
{
    if (!(a > 0 && a <= 2)) luaL_error(L, "%s: alpha must be in (0, 2], got %f", f, a);
    return a;
}

static int l_c_alpha(lua_State *L)
{
    double a = check_alpha(L, luaL_checknumber(L, 1), "c_alpha");
    lua_pushnumber(L, nl_theory_c_alpha(a));
    return 1;
}

/* theory.exit_time_stable{alpha=, eps=, r= | r_minus=, r_plus=} */
static int l_exit_time_stable(lua_State *L)
{
    const char *f = "exit_time_stable";
    luaL_checktype(L, 1, LUA_TTABLE);
    double a = check_alpha(L, need_number(L, 1, "alpha", f), f);
    if (a == 2) luaL_error(L, "%s: alpha = 2 (Brownian) has no polynomial exit law; use alpha < 2", f);
    double e = need_number(L, 1, "eps", f);
    double r = nlL_optnumber_field(L, 1, "r", NAN);
    double rm = nlL_optnumber_field(L, 1, "r_minus", r), rp = nlL_optnumber_field(L, 1, "r_plus", r);
    if (!(e > 0) || !isfinite(e)) luaL_error(L, "%s: eps must be > 0, got %f", f, e);
    if (!(rm > 0) || !(rp > 0)) luaL_error(L, "%s: r (or r_minus and r_plus) must be > 0", f);
    lua_pushnumber(L, nl_theory_exit_time_stable(a, e, rm, rp));
    return 1;
}

/* theory.truncated_exit_order{alpha=, r=, b=} -> exponent, lstar */
static int l_truncated_exit_order(lua_State *L)
{
    const char *f = "truncated_exit_order";
    luaL_checktype(L, 1, LUA_TTABLE);
    double a = need_number(L, 1, "alpha", f), r = need_number(L, 1, "r", f), b = need_number(L, 1, "b", f);
    if (!(a > 1 && a <= 2)) luaL_error(L, "%s: alpha must be in (1, 2] (regularly varying with a mean), got %f", f, a);
    if (!(r > 0) || !isfinite(r)) luaL_error(L, "%s: r must be > 0, got %f", f, r);
    if (!(b > 0) || !isfinite(b)) luaL_error(L, "%s: b must be > 0, got %f", f, b);
    int l;
    double ex;
    nl_theory_truncated_exit_order(a, r, b, &l, &ex);
    lua_pushnumber(L, ex);
    lua_pushinteger(L, l);
    return 2;
}


/* theory.simulate_sgd{A=, u=, sigma2=1 | X=, y=, S=, lr=, momentum=0, weight_decay=0,
 *   chains=, burn=, steps=, seed=} -> cov, se, mean */
static int l_simulate_sgd(lua_State *L)
{
    const char *f = "simulate_sgd";
    luaL_checktype(L, 1, LUA_TTABLE);
    double cov[16 * 16], se[16 * 16], mean[16];
    sgd_data p;
    double S, lr, mu, gam, s2;
    sgd_hyper_args(L, &S, &lr, &mu, &gam, &s2, f);
    if (S != floor(S) || S > 1e6) luaL_error(L, "%s: S must be an integer batch size, got %f", f, S);
    lua_Integer chains = nlL_optinteger_field(L, 1, "chains", 64);
    lua_Integer burn = nlL_optinteger_field(L, 1, "burn", 1000);
    lua_Integer steps = nlL_optinteger_field(L, 1, "steps", 10000);
    if (chains < 2 || burn < 0 || steps < 1)
        luaL_error(L, "%s: need chains >= 2, burn >= 0, steps >= 1", f);
    uint64_t seed;
    if (lua_getfield(L, 1, "seed") != LUA_TNIL) seed = (uint64_t)luaL_checkinteger(L, -1);
    else seed = nl_rng_u64(nlL_optrng_field(L, 1));
    lua_pop(L, 1);
    sgd_data_args(L, &p, "", f);
    nl_status st = nl_theory_simulate_sgd(p.d, p.X ? NULL : p.A, p.hasu ? p.u : NULL, s2, p.N, p.X,
                                          p.y, (int)S, lr, mu, gam, (long)chains, (long)burn,
                                          (long)steps, seed, cov, se, mean);
    if (st) luaL_error(L, "%s: invalid input (A must be positive definite, data finite)", f);
    push_matrix(L, p.d, cov, p.an);
    push_matrix(L, p.d, se, p.an);
    push_vector(L, p.d, mean, p.an);
    return 3;
}

static const luaL_Reg funcs[] = {
    {"simulate_sgd", l_simulate_sgd},
    {"noise_cov", l_noise_cov},
    {"stationary", l_stationary},
    {"stationary_exact", l_stationary_exact},
    {"stability_limit", l_stability_limit},
    {"test_loss", l_test_loss},
    {"l2_test_loss", l_l2_test_loss},
    {"optimal_weight_decay", l_optimal_weight_decay},
    {"tail_index", l_tail_index},
    {"kesten_moment", l_kesten_moment},
    {"c_alpha", l_c_alpha},
    {"exit_time_stable", l_exit_time_stable},
    {"truncated_exit_order", l_truncated_exit_order},
    {NULL, NULL}};

static const nlL_help help[] = {
    {"noise_cov", "noise_cov{A=, Sigma=, sigma2=, S=} | noise_cov{X=, y=, w=, S=}",
     "minibatch-noise covariance of linear regression: (AΣA + Tr[AΣ]A + σ²A)/S, or empirical at w"},
    {"stationary", "stationary{A=, sigma2=1, S=, lr=, momentum=0} -> Sigma, info | nil, reason",
     "Ziyin et al. Thm 2: stationary Cov(w) of SGD (with momentum) on linear regression"},
    {"stationary_exact", "stationary_exact{A=, u=, sigma2=, | X=, y=, S=, lr=, momentum=, weight_decay=}",
     "exact stationary Cov(w) of discrete minibatch SGD by a Kronecker linear solve (d <= 16)"},
    {"stability_limit", "stability_limit{A=, S=, momentum=0}",
     "largest lr with G > 0 and (lr/S) Tr[A G^-1] < 1"},
    {"test_loss", "test_loss{A=, Sigma=}", "½ Tr[A Σ]"},
    {"l2_test_loss", "l2_test_loss{a=, u=, gamma=, lr=, S=, sigma2=0} -> loss, Sigma",
     "1-d test loss of SGD with weight decay gamma"},
    {"optimal_weight_decay", "optimal_weight_decay{a=, u=, lr=, S=, sigma2=0} -> gamma, loss",
     "weight decay minimising the 1-d test loss (negative when lr·a > 1)"},
    {"tail_index", "tail_index{a=, lr=, S=} -> beta, approx",
     "stationary tail index of 1-d online SGD: root of E|1 - (a lr/S) chi2_S|^beta = 1"},
    {"kesten_moment", "kesten_moment{c=, S=, beta=}", "log E|1 - c chi2_S|^beta"},
    {"c_alpha", "c_alpha(alpha)", "Gamma(1+alpha) sin(pi alpha/2)/pi, the SaS Levy-density constant"},
    {"exit_time_stable", "exit_time_stable{alpha=, eps=, r= | r_minus=, r_plus=}",
     "small-noise mean exit time alpha/(c_alpha eps^alpha (r-^-alpha + r+^-alpha))"},
    {"truncated_exit_order", "truncated_exit_order{alpha=, r=, b=} -> exponent, lstar",
     "Wang et al.: exit time of order eta^-(1 + lstar (alpha - 1)), lstar = ceil(r/b)"},
    {"simulate_sgd", "simulate_sgd{A=, u=, sigma2=1 | X=, y=, S=, lr=, momentum=, weight_decay=, chains=, burn=, steps=, seed=}",
     "Monte Carlo Cov(w - w*) of minibatch SGD on linear regression -> cov, se, mean"},
    {NULL, NULL, NULL}};

int luaopen_noiselab_theory(lua_State *L);
int luaopen_noiselab_theory(lua_State *L)
{
    nlL_gsl_init();
    luaL_newlib(L, funcs);
    nlL_register_help(L, "theory", help);
    return 1;
}
