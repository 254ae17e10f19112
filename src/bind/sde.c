/* Lua binding "noiselab.sde": nl.sde.simulate{...} over src/core/sde.c.
 *
 * All memory the core touches (outputs, work space, the live-state tensor handed to a Lua
 * drift) is Lua-owned userdata allocated before the run, so an error raised from inside a Lua
 * drift (or by its checks here) leaks nothing.  See docs/sde.md for the option list. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bind/common.h"
#include "noiselab/sde.h"

#define F "simulate"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---------- option parsing ---------- */

static int field(lua_State *L, int t, const char *k) { return lua_getfield(L, t, k); }

static double num_at(lua_State *L, int idx, const char *what)
{
    int ok;
    double v = lua_tonumberx(L, idx, &ok);
    if (!ok) luaL_error(L, F ": %s must be a number, got %s", what, luaL_typename(L, idx));
    return v;
}

/* Numbers of the value at idx (number, table, tensor) into buf; returns the count. */
static int64_t read_numbers(lua_State *L, int idx, double *buf, int64_t max, const char *what)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) == LUA_TNUMBER) { if (max < 1) return 0; buf[0] = lua_tonumber(L, idx); return 1; }
    if (lua_type(L, idx) == LUA_TTABLE) {
        int64_t n = (int64_t)luaL_len(L, idx);
        if (n > max) luaL_error(L, F ": %s has %d entries, at most %d allowed", what, (int)n, (int)max);
        for (int64_t i = 0; i < n; i++) {
            lua_rawgeti(L, idx, i + 1);
            if (lua_type(L, -1) == LUA_TTABLE) { /* nested (matrix rows) */
                int64_t m = (int64_t)luaL_len(L, -1);
                luaL_error(L, F ": %s: nested tables are matrices; got a row of %d in a vector option", what, (int)m);
            }
            buf[i] = num_at(L, -1, what);
            lua_pop(L, 1);
        }
        return n;
    }
    nl_tensor *t = nlL_testtensor(L, idx);
    if (!t) luaL_error(L, F ": %s must be a number, a table or a tensor, got %s", what, luaL_typename(L, idx));
    int64_t n = nl_numel(t);
    if (n > max) luaL_error(L, F ": %s has %d entries, at most %d allowed", what, (int)n, (int)max);
    for (int64_t i = 0; i < n; i++) buf[i] = nl_get_flat(t, i);
    return n;
}

/* A d×d matrix: number (d = 1, or times I), nested table, tensor. Returns its dimension. */
static int read_matrix(lua_State *L, int idx, double *buf, int dmax, const char *what)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) == LUA_TNUMBER) { buf[0] = lua_tonumber(L, idx); return -1; /* scalar */ }
    if (lua_type(L, idx) == LUA_TTABLE) {
        int d = (int)luaL_len(L, idx);
        if (d < 1 || d > dmax) luaL_error(L, F ": %s must be a d×d table with 1 <= d <= %d", what, dmax);
        for (int i = 0; i < d; i++) {
            if (lua_rawgeti(L, idx, i + 1) != LUA_TTABLE) luaL_error(L, F ": %s row %d must be a table", what, i + 1);
            if ((int)luaL_len(L, -1) != d) luaL_error(L, F ": %s must be square (row %d has %d entries, %d rows)", what, i + 1, (int)luaL_len(L, -1), d);
            for (int j = 0; j < d; j++) {
                lua_rawgeti(L, -1, j + 1);
                buf[i * d + j] = num_at(L, -1, what);
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
        return d;
    }
    nl_tensor *t = nlL_testtensor(L, idx);
    if (!t) luaL_error(L, F ": %s must be a number, a table or a tensor", what);
    if (nl_numel(t) == 1) { buf[0] = nl_get_flat(t, 0); return -1; }
    if (t->ndim != 2 || t->shape[0] != t->shape[1] || t->shape[0] > dmax) {
        char sb[64];
        luaL_error(L, F ": %s must be a square matrix (d <= %d), got shape %s", what, dmax,
                   nlL_shapestr(sb, sizeof sb, t->ndim, t->shape));
    }
    int d = (int)t->shape[0];
    for (int64_t i = 0; i < (int64_t)d * d; i++) buf[i] = nl_get_flat(t, i);
    return d;
}

static int noise_kind(lua_State *L, const char *s)
{
    if (!strcmp(s, "brownian") || !strcmp(s, "gaussian")) return NL_SDE_NOISE_BROWNIAN;
    if (!strcmp(s, "stable")) return NL_SDE_NOISE_STABLE;
    if (!strcmp(s, "pareto")) return NL_SDE_NOISE_PARETO;
    return luaL_error(L, F ": noise kind must be \"brownian\", \"stable\" or \"pareto\", got \"%s\"", s);
}

static void parse_one_noise(lua_State *L, int t, nl_sde_noise *n, int k)
{
    t = lua_absindex(L, t);
    const char *kind = nlL_optstring_field(L, t, "kind", NULL);
    if (!kind) luaL_error(L, F ": noise %d needs kind = \"brownian\" | \"stable\" | \"pareto\"", k);
    memset(n, 0, sizeof *n);
    n->kind = noise_kind(L, kind);
    double sc = nlL_optnumber_field(L, t, "scale", NAN);
    if (n->kind == NL_SDE_NOISE_BROWNIAN) sc = nlL_optnumber_field(L, t, "sigma", sc);
    if (n->kind == NL_SDE_NOISE_STABLE) sc = nlL_optnumber_field(L, t, "eps", sc);
    if (isnan(sc)) sc = 1;
    n->scale = sc;
    n->alpha = nlL_optnumber_field(L, t, "alpha", n->kind == NL_SDE_NOISE_BROWNIAN ? 2 : NAN);
    if (n->kind != NL_SDE_NOISE_BROWNIAN && isnan(n->alpha))
        luaL_error(L, F ": noise %d (%s) needs alpha", k, kind);
    n->beta = nlL_optnumber_field(L, t, "beta", 0);
    n->isotropic = nlL_optboolean_field(L, t, "isotropic", 0);
    n->symmetric = nlL_optboolean_field(L, t, "symmetric", 1);
    if (n->kind == NL_SDE_NOISE_STABLE && !(n->alpha > 0 && n->alpha <= 2))
        luaL_error(L, F ": noise %d: alpha must be in (0, 2], got %f", k, n->alpha);
    if (n->kind == NL_SDE_NOISE_PARETO && !(n->alpha > 0))
        luaL_error(L, F ": noise %d: Pareto alpha must be > 0, got %f", k, n->alpha);
}

/* ---------- progress on a terminal ---------- */

typedef struct prog {
    double t0, last;
    double total;
    int printed;
} prog;

static void progress_cb(void *ud, double frac)
{
    prog *p = ud;
    double t = now_s();
    if (frac < 1 && (t - p->t0 < 1.0 || t - p->last < 0.25)) return;
    if (frac >= 1 && !p->printed) return;
    p->last = t;
    double el = t - p->t0, rate = frac * p->total / (el > 0 ? el : 1e-9);
    double eta = frac > 0 ? el * (1 - frac) / frac : 0;
    fprintf(stderr, "\rsde.simulate: %5.1f%%  %.3g path-steps/s  elapsed %.1f s  eta %.1f s   ",
            100 * frac, rate, el, eta);
    if (frac >= 1) fputc('\n', stderr);
    fflush(stderr);
    p->printed = 1;
}

/* ---------- Lua drift ---------- */

typedef struct lua_drift {
    lua_State *L;
    int fn;         /* stack index of the function */
    int xt;         /* stack index of the live-state tensor (paths [× d]) */
    int d;
} lua_drift;

static int drift_cb(void *ud, int64_t step, int64_t n, double *x, double *b)
{
    lua_drift *q = ud;
    lua_State *L = q->L;
    int top = lua_gettop(L);
    lua_pushvalue(L, q->fn);
    nl_tensor *v = nlL_pushview(L, nlL_checktensor(L, q->xt));
    nl_view_narrow(v, 0, 0, n);
    lua_pushinteger(L, (lua_Integer)step);
    lua_call(L, 2, 1);
    nl_tensor *r = nlL_testtensor(L, -1);
    if (!r)
        return luaL_error(L, F ": drift must return a tensor, got %s at step %d (%d live paths)",
                          luaL_typename(L, -1), (int)step, (int)n);
    int ok = q->d == 1 ? (nl_numel(r) == n && (r->ndim == 1 || (r->ndim == 2 && r->shape[1] == 1)))
                       : (r->ndim == 2 && r->shape[0] == n && r->shape[1] == q->d);
    if (!ok) {
        char sb[64], want[64];
        if (q->d == 1) snprintf(want, sizeof want, "[%lld]", (long long)n);
        else snprintf(want, sizeof want, "[%lld,%d]", (long long)n, q->d);
        return luaL_error(L, F ": drift returned shape %s at step %d, expected %s (one row per live path)",
                          nlL_shapestr(sb, sizeof sb, r->ndim, r->shape), (int)step, want);
    }
    nl_tensor *c = nlL_pushcontiguous(L, lua_gettop(L), NL_F64);
    const double *src = nl_data(c);
    int64_t bad = 0, m = n * q->d;
    for (int64_t i = 0; i < m; i++) {
        double y = src[i];
        if (!isfinite(y)) bad++;
        b[i] = y;
    }
    if (bad) {
        int64_t paths = 0;
        for (int64_t i = 0; i < n; i++)
            for (int j = 0; j < q->d; j++)
                if (!isfinite(src[i * q->d + j])) { paths++; break; }
        return luaL_error(L, F ": drift returned non-finite values at step %d for %d of %d live paths",
                          (int)step, (int)paths, (int)n);
    }
    lua_settop(L, top);
    return 0;
}

/* ---------- native drifts ---------- */

typedef struct drift_bufs {
    double H[NL_SDE_MAXDIM * NL_SDE_MAXDIM], center[NL_SDE_MAXDIM];
    double minima[NL_SDE_MAXWELLS], edges[NL_SDE_MAXWELLS], curv[NL_SDE_MAXWELLS];
} drift_bufs;

/* Fill c's drift fields for the named native drift from the options at `opts`.  H was read
 * already (Hd = its dimension, 0 if scalar Hs or absent) because it can decide d. */
static void parse_native_drift(lua_State *L, int opts, const char *dn, int d, int Hd, double Hs,
                               drift_bufs *db, nl_sde_config *c, const char *fn)
{
    if (!strcmp(dn, "zero") || !strcmp(dn, "none")) c->drift = NL_SDE_DRIFT_ZERO;
    else if (!strcmp(dn, "quadratic")) {
        c->drift = NL_SDE_DRIFT_QUADRATIC;
        if (!Hd && isnan(Hs)) luaL_error(L, "%s: drift \"quadratic\" needs H (a number or a d×d matrix)", fn);
        if (!Hd) { /* scalar: H·I */
            for (int i = 0; i < d * d; i++) db->H[i] = 0;
            for (int i = 0; i < d; i++) db->H[i * d + i] = Hs;
        } else if (Hd != d) luaL_error(L, "%s: H is %dx%d but d = %d", fn, Hd, Hd, d);
        c->H = db->H;
        if (field(L, opts, "center") != LUA_TNIL) {
            if (read_numbers(L, -1, db->center, NL_SDE_MAXDIM, "center") != d) luaL_error(L, "%s: center must have %d entries", fn, d);
            c->center = db->center;
        }
        lua_pop(L, 1);
    } else if (!strcmp(dn, "double_well")) {
        c->drift = NL_SDE_DRIFT_DOUBLE_WELL;
        c->K = nlL_optnumber_field(L, opts, "K", 1);
    } else if (!strcmp(dn, "multi_well")) {
        c->drift = NL_SDE_DRIFT_MULTI_WELL;
        if (field(L, opts, "minima") == LUA_TNIL) luaL_error(L, "%s: drift \"multi_well\" needs minima = {...}", fn);
        c->nwells = (int)read_numbers(L, -1, db->minima, NL_SDE_MAXWELLS, "minima");
        lua_pop(L, 1);
        int ne = 0;
        if (field(L, opts, "edges") != LUA_TNIL) ne = (int)read_numbers(L, -1, db->edges, NL_SDE_MAXWELLS, "edges");
        lua_pop(L, 1);
        if (ne != c->nwells - 1) luaL_error(L, "%s: multi_well with %d minima needs %d edges, got %d", fn, c->nwells, c->nwells - 1, ne);
        int nc = 0;
        if (field(L, opts, "curvature") != LUA_TNIL) nc = (int)read_numbers(L, -1, db->curv, NL_SDE_MAXWELLS, "curvature");
        lua_pop(L, 1);
        if (nc == 0) { db->curv[0] = 1; nc = 1; }
        if (nc == 1) for (int i = 1; i < c->nwells; i++) db->curv[i] = db->curv[0];
        else if (nc != c->nwells) luaL_error(L, "%s: curvature must be one number or %d numbers, got %d", fn, c->nwells, nc);
        c->minima = db->minima; c->edges = db->edges; c->curv = db->curv;
    } else
        luaL_error(L, "%s: unknown drift \"%s\" (quadratic, double_well, multi_well, zero or a function)", fn, dn);
}

/* ---------- simulate ---------- */

static nl_tensor *new_out(lua_State *L, int keep, int64_t a, int64_t b, int64_t c, int nd)
{
    int64_t sh[3] = {a, b, c};
    nl_tensor *t = nlL_newtensor(L, NL_F64, nd, sh);
    lua_replace(L, keep);
    return t;
}

/* sde.simulate{...} -> result table (options and fields: docs/sde.md) */
static int l_simulate(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    /* fixed stack slots for Lua-owned objects: 2 x0 tensor, 3 H buf etc. */
    enum { S_X0 = 2, S_FN, S_XT, S_WORK, S_FINAL, S_EXITED, S_ET, S_EP, S_OV, S_OCC, S_TRAJ, S_BUF, S_TOP = S_BUF };
    lua_settop(L, S_TOP);

    nl_sde_config c;
    memset(&c, 0, sizeof c);
    static double placeholder; /* xlive is set after the checks; the check only wants non-NULL */

    /* scheme and step */
    const char *scheme = nlL_optstring_field(L, 1, "scheme", NULL);
    int has_eta = field(L, 1, "eta") != LUA_TNIL;
    lua_pop(L, 1);
    if (!scheme) scheme = has_eta ? "sgd" : "euler";
    if (!strcmp(scheme, "euler")) {
        c.scheme = NL_SDE_EULER;
        if (field(L, 1, "dt") == LUA_TNIL) luaL_error(L, F ": option 'dt' (the Euler step) is required");
        c.h = num_at(L, -1, "dt");
        lua_pop(L, 1);
        if (!(c.h > 0) || !isfinite(c.h)) luaL_error(L, F ": dt must be a finite number > 0, got %f", c.h);
    } else if (!strcmp(scheme, "sgd")) {
        c.scheme = NL_SDE_SGD;
        c.h = nlL_optnumber_field(L, 1, "eta", NAN);
        if (!(c.h > 0) || !isfinite(c.h)) luaL_error(L, F ": eta must be a finite number > 0, got %f", c.h);
    } else
        luaL_error(L, F ": scheme must be \"euler\" or \"sgd\", got \"%s\"", scheme);
    lua_Integer paths = nlL_optinteger_field(L, 1, "paths", 1);
    lua_Integer steps = nlL_optinteger_field(L, 1, "steps", -1);
    if (paths < 1) luaL_error(L, F ": paths must be >= 1, got %d", (int)paths);
    if (steps < 0) luaL_error(L, F ": option 'steps' (>= 0) is required");
    c.paths = paths;
    c.steps = steps;

    /* dimension and drift */
    drift_bufs db;
    double *Hbuf = db.H, bc[NL_SDE_MAXDIM];
    double blo[NL_SDE_MAXWELLS], bhi[NL_SDE_MAXWELLS];
    int d = (int)nlL_optinteger_field(L, 1, "d", 0);
    if (d < 0 || d > NL_SDE_MAXDIM) luaL_error(L, F ": d must be in [1, %d], got %d", NL_SDE_MAXDIM, d);
    int Hd = 0;
    double Hs = NAN;
    if (field(L, 1, "H") != LUA_TNIL) {
        Hd = read_matrix(L, -1, Hbuf, NL_SDE_MAXDIM, "H");
        if (Hd < 0) { Hs = Hbuf[0]; Hd = 0; }
    }
    lua_pop(L, 1);
    if (!d && Hd) d = Hd;
    /* x0 decides d if nothing else did */
    int x0t = field(L, 1, "x0");
    nl_tensor *x0ten = x0t == LUA_TUSERDATA ? nlL_testtensor(L, -1) : NULL;
    if (!d) {
        if (x0ten && x0ten->ndim == 2) d = (int)x0ten->shape[1];
        else if (x0ten && nl_numel(x0ten) != paths) d = (int)nl_numel(x0ten);
        else if (x0t == LUA_TTABLE) d = (int)luaL_len(L, -1);
    }
    lua_pop(L, 1);
    if (!d) d = 1;
    if (d > NL_SDE_MAXDIM) luaL_error(L, F ": d must be <= %d, got %d", NL_SDE_MAXDIM, d);
    c.d = d;

    int ft = field(L, 1, "drift");
    if (ft == LUA_TFUNCTION) {
        c.drift = NL_SDE_DRIFT_CALLBACK;
        lua_replace(L, S_FN);
    } else {
        const char *dn = ft == LUA_TNIL ? "zero" : lua_tostring(L, -1);
        if (ft != LUA_TNIL && ft != LUA_TSTRING) luaL_error(L, F ": drift must be a name or a function, got %s", luaL_typename(L, -1));
        lua_pop(L, 1);
        parse_native_drift(L, 1, dn, d, Hd, Hs, &db, &c, F);
    }

    /* noise: one table with kind, or a list of them */
    int nt = field(L, 1, "noise");
    if (nt == LUA_TTABLE) {
        lua_getfield(L, -1, "kind");
        int single = !lua_isnil(L, -1);
        lua_pop(L, 1);
        if (single) { parse_one_noise(L, -1, &c.noise[0], 1); c.nnoise = 1; }
        else {
            int n = (int)luaL_len(L, -1);
            if (n > NL_SDE_MAXNOISE) luaL_error(L, F ": at most %d noise components, got %d", NL_SDE_MAXNOISE, n);
            for (int k = 0; k < n; k++) {
                if (lua_rawgeti(L, -1, k + 1) != LUA_TTABLE) luaL_error(L, F ": noise[%d] must be a table", k + 1);
                parse_one_noise(L, -1, &c.noise[k], k + 1);
                lua_pop(L, 1);
            }
            c.nnoise = n;
        }
    } else if (nt != LUA_TNIL) luaL_error(L, F ": noise must be a table, got %s", luaL_typename(L, -1));
    lua_pop(L, 1);

    /* truncation */
    int ct = field(L, 1, "clip");
    if (ct == LUA_TNUMBER) { c.clip = NL_SDE_CLIP_NORM; c.clip_b = lua_tonumber(L, -1); }
    else if (ct == LUA_TTABLE) {
        c.clip_b = nlL_optnumber_field(L, lua_gettop(L), "b", NAN);
        const char *k = nlL_optstring_field(L, lua_gettop(L), "kind", "norm");
        if (!strcmp(k, "norm")) c.clip = NL_SDE_CLIP_NORM;
        else if (!strcmp(k, "coord") || !strcmp(k, "coordinate")) c.clip = NL_SDE_CLIP_COORD;
        else luaL_error(L, F ": clip.kind must be \"norm\" or \"coord\", got \"%s\"", k);
    } else if (ct != LUA_TNIL) luaL_error(L, F ": clip must be a number b or {b=, kind=}");
    lua_pop(L, 1);
    if (c.clip && (!(c.clip_b > 0) || !isfinite(c.clip_b)))
        luaL_error(L, F ": clip level b must be > 0, got %f", c.clip_b);

    /* exit */
    int et = field(L, 1, "exit");
    if (et == LUA_TTABLE) {
        int ei = lua_gettop(L);
        if (lua_getfield(L, ei, "ball") != LUA_TNIL) {
            c.exit = NL_SDE_EXIT_BALL;
            c.radius = num_at(L, -1, "exit.ball");
            lua_pop(L, 1);
            if (lua_getfield(L, ei, "center") != LUA_TNIL) {
                if (read_numbers(L, -1, bc, NL_SDE_MAXDIM, "exit.center") != d) luaL_error(L, F ": exit.center must have %d entries", d);
                c.ball_center = bc;
            }
            lua_pop(L, 1);
        } else {
            lua_pop(L, 1);
            c.exit = NL_SDE_EXIT_INTERVAL;
            if (luaL_len(L, ei) != 2) luaL_error(L, F ": exit must be {lo, hi} or {ball = r, center = ...}");
            lua_rawgeti(L, ei, 1); c.lo = num_at(L, -1, "exit[1]"); lua_pop(L, 1);
            lua_rawgeti(L, ei, 2); c.hi = num_at(L, -1, "exit[2]"); lua_pop(L, 1);
        }
    } else if (et != LUA_TNIL) luaL_error(L, F ": exit must be {lo, hi} or {ball = r}");
    lua_pop(L, 1);

    /* basins */
    if (field(L, 1, "basins") == LUA_TTABLE) {
        int bi = lua_gettop(L);
        int nb = (int)luaL_len(L, bi);
        if (nb > NL_SDE_MAXWELLS) luaL_error(L, F ": at most %d basins", NL_SDE_MAXWELLS);
        for (int i = 0; i < nb; i++) {
            double two[2];
            lua_rawgeti(L, bi, i + 1);
            if (read_numbers(L, -1, two, 2, "basin") != 2) luaL_error(L, F ": basin %d must be {lo, hi}", i + 1);
            lua_pop(L, 1);
            blo[i] = two[0]; bhi[i] = two[1];
        }
        c.nbasins = nb; c.basin_lo = blo; c.basin_hi = bhi;
    }
    lua_pop(L, 1);

    c.record_stride = nlL_optinteger_field(L, 1, "record", 0);
    c.threads = (int)nlL_optinteger_field(L, 1, "threads", 1);
    if (c.drift == NL_SDE_DRIFT_CALLBACK) c.threads = 1;

    /* randomness: seed option, else a seed drawn from the generator */
    if (field(L, 1, "seed") != LUA_TNIL) {
        int ok;
        lua_Integer s = lua_tointegerx(L, -1, &ok);
        if (!ok) luaL_error(L, F ": seed must be an integer");
        c.seed = (uint64_t)s;
    } else {
        nl_rng *g = nlL_optrng_field(L, 1);
        c.seed = nl_rng_u64(g);
    }
    lua_pop(L, 1);
    c.stream_base = (uint64_t)nlL_optinteger_field(L, 1, "stream", 0);

    /* check everything before allocating */
    char msg[256];
    if (c.drift == NL_SDE_DRIFT_CALLBACK) { c.drift_fn = drift_cb; c.xlive = &placeholder; }
    if (nl_sde_check(&c, msg, sizeof msg)) luaL_error(L, F ": %s", msg);

    /* memory estimate */
    int64_t nrec = nl_sde_nrecords(&c);
    double P = (double)paths;
    double traj_bytes = P * (double)nrec * d * 8.0;
    double out_bytes = P * (2.0 * d + 3 + c.nbasins) * 8.0 + traj_bytes;
    double work_bytes = (double)nl_sde_work_bytes(&c) + (c.drift == NL_SDE_DRIFT_CALLBACK ? P * d * 8.0 : 0);
    double limit = nlL_optnumber_field(L, 1, "max_memory", NAN);
    if (isnan(limit)) {
        long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
        limit = pages > 0 && psz > 0 ? 0.5 * (double)pages * (double)psz : 4e9;
    }
    if (out_bytes + work_bytes > limit) {
        char m[400]; /* lua_pushfstring has no %.0f: format here */
        snprintf(m, sizeof m, F ": this run needs %.0f bytes (trajectory %.0f = paths %lld x records %lld x d %d x 8, "
                 "other outputs and work space %.0f), more than max_memory = %.0f bytes",
                 out_bytes + work_bytes, traj_bytes, (long long)paths, (long long)nrec, d,
                 out_bytes + work_bytes - traj_bytes, limit);
        luaL_error(L, "%s", m);
    }

    /* x0 */
    nl_tensor *x0;
    {
        int64_t sh[2] = {paths, d};
        x0 = nlL_newtensor(L, NL_F64, 2, sh);
        lua_replace(L, S_X0);
        double *xd = nl_data(x0);
        int t = field(L, 1, "x0");
        if (t == LUA_TNIL) { /* zeros */ }
        else {
            nl_tensor *xt = t == LUA_TUSERDATA ? nlL_testtensor(L, -1) : NULL;
            if (xt && nl_numel(xt) == (int64_t)paths * d && nl_numel(xt) != d) {
                for (int64_t i = 0; i < (int64_t)paths * d; i++) xd[i] = nl_get_flat(xt, i);
            } else {
                double v[NL_SDE_MAXDIM];
                int64_t n = read_numbers(L, -1, v, NL_SDE_MAXDIM, "x0");
                if (n != d) {
                    if (xt) {
                        char sb[64];
                        luaL_error(L, F ": x0 has shape %s; expected %d values or [%d,%d]",
                                   nlL_shapestr(sb, sizeof sb, xt->ndim, xt->shape), d, (int)paths, d);
                    }
                    luaL_error(L, F ": x0 must have %d entries, got %d", d, (int)n);
                }
                for (int64_t p = 0; p < paths; p++)
                    for (int i = 0; i < d; i++) xd[p * d + i] = v[i];
            }
            for (int64_t i = 0; i < (int64_t)paths * d; i++)
                if (!isfinite(xd[i])) luaL_error(L, F ": x0 has a non-finite entry");
        }
        lua_pop(L, 1);
    }

    /* outputs */
    nl_sde_out o;
    memset(&o, 0, sizeof o);
    o.final = nl_data(new_out(L, S_FINAL, paths, d, 0, d == 1 ? 1 : 2));
    if (c.exit) {
        o.exited = nl_data(new_out(L, S_EXITED, paths, 0, 0, 1));
        o.exit_time = nl_data(new_out(L, S_ET, paths, 0, 0, 1));
        o.exit_pos = nl_data(new_out(L, S_EP, paths, d, 0, d == 1 ? 1 : 2));
        o.overshoot = nl_data(new_out(L, S_OV, paths, 0, 0, 1));
    }
    if (c.nbasins) o.occupancy = nl_data(new_out(L, S_OCC, paths, c.nbasins, 0, 2));
    if (nrec) o.traj = nl_data(new_out(L, S_TRAJ, paths, nrec, d, d == 1 ? 2 : 3));

    lua_drift ld = {L, S_FN, S_XT, d};
    if (c.drift == NL_SDE_DRIFT_CALLBACK) {
        int64_t sh[2] = {paths, d};
        nl_tensor *xt = nlL_newtensor(L, NL_F64, d == 1 ? 1 : 2, sh);
        lua_replace(L, S_XT);
        c.xlive = nl_data(xt);
        c.drift_fn = drift_cb;
        c.drift_ud = &ld;
    }
    if (nl_sde_check(&c, msg, sizeof msg)) luaL_error(L, F ": %s", msg);
    void *work = lua_newuserdatauv(L, nl_sde_work_bytes(&c) + 16, 0);
    lua_replace(L, S_WORK);

    prog pg = {now_s(), 0, P * (double)steps, 0};
    int show = nlL_optboolean_field(L, 1, "progress", isatty(2));
    if (show) { c.progress = progress_cb; c.progress_ud = &pg; }

    nl_status st = nl_sde_run(&c, nl_data(x0), &o, work);
    if (pg.printed && st) fputc('\n', stderr);
    if (st) return nlL_status_error(L, st, F, NULL);

    /* result table */
    lua_createtable(L, 0, 12);
    int R = lua_gettop(L);
    lua_pushvalue(L, S_FINAL); lua_setfield(L, R, "final");
    if (c.exit) {
        lua_pushvalue(L, S_EXITED); lua_setfield(L, R, "exited");
        lua_pushvalue(L, S_ET); lua_setfield(L, R, "exit_time");
        lua_pushvalue(L, S_EP); lua_setfield(L, R, "exit_position");
        lua_pushvalue(L, S_OV); lua_setfield(L, R, "overshoot");
        int64_t ne = 0;
        for (int64_t p = 0; p < paths; p++) ne += o.exited[p] != 0;
        lua_pushinteger(L, (lua_Integer)ne); lua_setfield(L, R, "n_exited");
    }
    if (c.nbasins) {
        lua_pushvalue(L, S_OCC); lua_setfield(L, R, "occupancy");
        lua_createtable(L, c.nbasins, 0);
        for (int i = 0; i < c.nbasins; i++) {
            double s = 0;
            int64_t n = 0;
            for (int64_t p = 0; p < paths; p++) {
                double v = o.occupancy[p * c.nbasins + i];
                if (v == v) { s += v; n++; }
            }
            lua_pushnumber(L, n ? s / (double)n : NAN);
            lua_rawseti(L, -2, i + 1);
        }
        lua_setfield(L, R, "occupancy_mean");
    }
    if (nrec) {
        lua_pushvalue(L, S_TRAJ); lua_setfield(L, R, "trajectory");
        lua_pushinteger(L, (lua_Integer)c.record_stride); lua_setfield(L, R, "stride");
    }
    lua_pushinteger(L, (lua_Integer)c.seed); lua_setfield(L, R, "seed");
    lua_pushnumber(L, now_s() - pg.t0); lua_setfield(L, R, "seconds");
    return 1;
}

/* sde.drift(x, {drift = name, H=, K=, minima=, ...}) -> b(x) = −∇f(x) of a native drift at the
 * rows of x ([n] for d = 1 or [n, d]); for plotting and for checking a Lua drift against it. */
static int l_drift(lua_State *L)
{
    nl_tensor *x = nlL_checktensor(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    if (x->ndim < 1 || x->ndim > 2 || (x->ndim == 2 && x->shape[1] > NL_SDE_MAXDIM)) {
        char sb[64];
        return luaL_error(L, "bad argument #1 to 'drift' (expected [n] or [n, d] with d <= %d, got %s)",
                          NL_SDE_MAXDIM, nlL_shapestr(sb, sizeof sb, x->ndim, x->shape));
    }
    int d = x->ndim == 1 ? 1 : (int)x->shape[1];
    int64_t n = x->shape[0];
    nl_sde_config c;
    memset(&c, 0, sizeof c);
    c.d = d;
    drift_bufs db;
    int Hd = 0;
    double Hs = NAN;
    if (field(L, 2, "H") != LUA_TNIL) {
        Hd = read_matrix(L, -1, db.H, NL_SDE_MAXDIM, "H");
        if (Hd < 0) { Hs = db.H[0]; Hd = 0; }
    }
    lua_pop(L, 1);
    const char *dn = nlL_optstring_field(L, 2, "drift", "zero");
    parse_native_drift(L, 2, dn, d, Hd, Hs, &db, &c, "drift");
    c.paths = 1; c.h = 1; c.threads = 1;
    char msg[256];
    if (nl_sde_check(&c, msg, sizeof msg)) return luaL_error(L, "drift: %s", msg);
    nl_tensor *xc = nlL_pushcontiguous(L, 1, NL_F64);
    nl_tensor *b = nlL_newtensor(L, NL_F64, x->ndim, x->shape);
    nl_sde_drift_eval(&c, n, nl_data(xc), nl_data(b));
    return 1;
}


static const luaL_Reg funcs[] = {
    {"simulate", l_simulate},
    {"drift", l_drift},
    {NULL, NULL}};

static const nlL_help help[] = {
    {"simulate",
     "simulate{dt= | eta=, steps=, paths=, x0=, drift=, noise=, clip=, exit=, basins=, record=, seed=}",
     "Euler (dX = b dt + s dB + e dL^alpha) or truncated SGD map over many paths; exit times, "
     "occupancy, trajectories"},
    {"drift", "drift(x, {drift=, H=, center=, K=, minima=, edges=, curvature=})",
     "b(x) = -grad f(x) of a native drift at the rows of x"},
    {NULL, NULL, NULL}};

int luaopen_noiselab_sde(lua_State *L);
int luaopen_noiselab_sde(lua_State *L)
{
    nlL_gsl_init();
    luaL_newlib(L, funcs);
    nlL_register_help(L, "sde", help);
    return 1;
}
