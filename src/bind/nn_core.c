/* noiselab.nn_core — Lua bindings of the nn kernels (include/noiselab/nn.h).
 *
 * These are the hot path of lua/noiselab/nn.lua and optim.lua, so every call is one check
 * pass plus one kernel: no Lua tables are built, outputs are reused.  A "buffer" argument is
 * the tensor the layer kept from the previous call: it is reused when its dtype and shape are
 * right and it is contiguous, otherwise a new tensor is allocated (Lua-owned, before the
 * kernel runs) and returned, so the layer stores whatever comes back.  The `name` argument
 * (e.g. "Linear(784 -> 16)") only feeds error messages, which state the layer and both shapes.
 * Inputs that are not contiguous are copied once; inputs of the wrong dtype are an error. */
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "bind/common.h"
#include "noiselab/nn.h"

#define NAMEARG(i) luaL_optstring(L, (i), "nn")

/* Raise an error formatted with the C library's printf (Lua's own formatter lacks %lld and
 * %g), without a position prefix: the message names the layer itself. */
static int nn_error(lua_State *L, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    lua_pushstring(L, buf);
    return lua_error(L);
}

/* Input tensor at arg: dtype dt (error otherwise), contiguous (copied if needed; the copy is
 * pushed and stays on the stack).  Returns the tensor to read. */
static const nl_tensor *nn_input(lua_State *L, int arg, nl_dtype dt, const char *name,
                                 const char *what)
{
    nl_tensor *t = nlL_checktensor(L, arg);
    if (t->dtype != dt)
        nn_error(L, "%s: %s has dtype %s, expected %s (convert with :%s())", name, what,
                   nl_dtype_name(t->dtype), nl_dtype_name(dt), dt == NL_F32 ? "float" : "double");
    if (nl_is_contiguous(t)) return t;
    return nlL_pushcontiguous(L, arg, dt);
}

/* The buffer at arg if it fits (dtype, shape, contiguous), pushed; else a new zero tensor. */
static nl_tensor *nn_buffer(lua_State *L, int arg, nl_dtype dt, int ndim, const int64_t *shape)
{
    nl_tensor *t = nlL_testtensor(L, arg);
    if (t && t->storage && t->dtype == dt && t->ndim == ndim && nl_is_contiguous(t)) {
        int same = 1;
        for (int i = 0; i < ndim; i++) same &= t->shape[i] == shape[i];
        if (same) {
            lua_pushvalue(L, arg);
            return t;
        }
    }
    return nlL_newtensor(L, dt, ndim, shape);
}

static const char *shp(char *buf, size_t n, const nl_tensor *t)
{
    return nlL_shapestr(buf, n, t->ndim, t->shape);
}

#define F32(t) ((float *)nl_data(t))
#define F64(t) ((double *)nl_data(t))
#define OPT32(t) ((t) ? F32(t) : NULL)
#define OPT64(t) ((t) ? F64(t) : NULL)

/* Optional tensor: nil/none/false -> NULL. */
static nl_tensor *nn_opttensor(lua_State *L, int arg)
{
    if (lua_isnoneornil(L, arg) || (lua_isboolean(L, arg) && !lua_toboolean(L, arg))) return NULL;
    return nlL_checktensor(L, arg);
}

static void check_param(lua_State *L, const nl_tensor *p, nl_dtype dt, int64_t numel,
                        const char *name, const char *what)
{
    if (p->dtype != dt || !nl_is_contiguous(p) || nl_numel(p) != numel)
        nn_error(L, "%s: %s must be a contiguous %s tensor of %lld entries", name, what,
                   nl_dtype_name(dt), (long long)numel);
}

/* ---- Linear ---------------------------------------------------------------------------- */

/* A scratch buffer of at least n reals of dtype dt: the raw userdata at arg if big enough,
 * else a new one (pushed either way). */
static void *raw_buffer(lua_State *L, int arg, int64_t n, nl_dtype dt)
{
    size_t need = (size_t)(n > 0 ? n : 1) * nl_dtype_size(dt);
    if (lua_type(L, arg) == LUA_TUSERDATA && lua_rawlen(L, arg) >= need) {
        if (lua_getmetatable(L, arg)) {
            lua_pop(L, 1); /* a tensor or other object, not our raw buffer */
        } else {
            lua_pushvalue(L, arg);
            return lua_touserdata(L, -1);
        }
    }
    return lua_newuserdatauv(L, need, 0);
}

/* linear_forward(x, W, b|nil, ybuf|nil, act, alpha, name [, wtbuf]) -> y, wt
 * wt: the layer's scratch for Wᵀ (a raw userdata, kept by the layer and passed back), or nil
 * when the layer's shape does not use one. */
static int l_linear_forward(lua_State *L)
{
    nl_tensor *W = nlL_checktensor(L, 2);
    nl_tensor *b = nn_opttensor(L, 3);
    int act = (int)luaL_optinteger(L, 5, 0);
    double alpha = luaL_optnumber(L, 6, 1.0);
    const char *name = NAMEARG(7);
    int64_t out = W->shape[0], in = W->shape[1];
    nl_tensor *x0 = nlL_checktensor(L, 1);
    char b1[96];
    if (x0->ndim != 2 || x0->shape[1] != in)
        return nn_error(L, "%s: input of shape %s does not match the expected [N,%lld]", name,
                          shp(b1, sizeof b1, x0), (long long)in);
    const nl_tensor *x = nn_input(L, 1, W->dtype, name, "input");
    int64_t n = x->shape[0], ys[2] = {n, out};
    nl_tensor *y = nn_buffer(L, 4, W->dtype, 2, ys);
    void *wt = NULL;
    if (nl_nn_linear_wants_scratch(W->dtype, in, out))
        wt = raw_buffer(L, 8, in * out, W->dtype);
    else
        lua_pushnil(L);
    if (W->dtype == NL_F32)
        nl_nn_linear_forward_f32(F32(x), F32(y), F32(W), OPT32(b), (float *)wt, n, in, out,
                                 (nl_act)act, alpha);
    else
        nl_nn_linear_forward_f64(F64(x), F64(y), F64(W), OPT64(b), (double *)wt, n, in, out,
                                 (nl_act)act, alpha);
    return 2;
}

/* linear_backward(x, gy, W, gW, gb|nil, gxbuf|nil|false, name) -> gx | nothing */
static int l_linear_backward(lua_State *L)
{
    nl_tensor *W = nlL_checktensor(L, 3);
    nl_tensor *gW = nlL_checktensor(L, 4);
    nl_tensor *gb = nn_opttensor(L, 5);
    int want_gx = !(lua_isboolean(L, 6) && !lua_toboolean(L, 6));
    const char *name = NAMEARG(7);
    int64_t out = W->shape[0], in = W->shape[1];
    nl_tensor *x0 = nlL_checktensor(L, 1), *gy0 = nlL_checktensor(L, 2);
    char b1[96], b2[96];
    if (x0->ndim != 2 || x0->shape[1] != in)
        return nn_error(L, "%s: input of shape %s does not match the expected [N,%lld]", name,
                          shp(b1, sizeof b1, x0), (long long)in);
    if (gy0->ndim != 2 || gy0->shape[0] != x0->shape[0] || gy0->shape[1] != out)
        return nn_error(L, "%s: gradOutput of shape %s does not match the output shape [%lld,%lld]",
                          name, shp(b2, sizeof b2, gy0), (long long)x0->shape[0], (long long)out);
    const nl_tensor *x = nn_input(L, 1, W->dtype, name, "input");
    const nl_tensor *gy = nn_input(L, 2, W->dtype, name, "gradOutput");
    int64_t n = x->shape[0];
    nl_tensor *gx = NULL;
    if (want_gx) {
        int64_t s[2] = {n, in};
        gx = nn_buffer(L, 6, W->dtype, 2, s);
    }
    if (W->dtype == NL_F32)
        nl_nn_linear_backward_f32(F32(x), F32(gy), OPT32(gx), F32(W), F32(gW), OPT32(gb), n, in, out);
    else
        nl_nn_linear_backward_f64(F64(x), F64(gy), OPT64(gx), F64(W), F64(gW), OPT64(gb), n, in, out);
    return want_gx ? 1 : 0;
}

/* ---- activations ----------------------------------------------------------------------- */

/* act_forward(kind, x, ybuf, alpha, name) -> y (same shape as x) */
static int l_act_forward(lua_State *L)
{
    int kind = (int)luaL_checkinteger(L, 1);
    nl_tensor *x0 = nlL_checktensor(L, 2);
    double alpha = luaL_optnumber(L, 4, 1.0);
    const char *name = NAMEARG(5);
    const nl_tensor *x = nn_input(L, 2, x0->dtype, name, "input");
    nl_tensor *y = nn_buffer(L, 3, x->dtype, x->ndim, x->shape);
    int64_t n = nl_numel(x);
    if (x->dtype == NL_F32)
        nl_nn_act_forward_f32((nl_act)kind, F32(x), F32(y), n, alpha);
    else
        nl_nn_act_forward_f64((nl_act)kind, F64(x), F64(y), n, alpha);
    return 1;
}

/* act_backward(kind, x, y, gy, gxbuf, alpha, name) -> gx */
static int l_act_backward(lua_State *L)
{
    int kind = (int)luaL_checkinteger(L, 1);
    nl_tensor *x0 = nlL_checktensor(L, 2);
    nl_tensor *y = nlL_checktensor(L, 3);
    nl_tensor *gy0 = nlL_checktensor(L, 4);
    double alpha = luaL_optnumber(L, 6, 1.0);
    const char *name = NAMEARG(7);
    char b1[96], b2[96];
    int64_t n = nl_numel(x0);
    if (nl_numel(gy0) != n || nl_numel(y) != n || gy0->ndim != x0->ndim)
        return nn_error(L, "%s: gradOutput of shape %s does not match the output shape %s", name,
                          shp(b1, sizeof b1, gy0), shp(b2, sizeof b2, x0));
    const nl_tensor *x = nn_input(L, 2, x0->dtype, name, "input");
    const nl_tensor *gy = nn_input(L, 4, x0->dtype, name, "gradOutput");
    if (y->dtype != x->dtype || !nl_is_contiguous(y))
        return nn_error(L, "%s: backward called before forward", name);
    nl_tensor *gx = nn_buffer(L, 5, x->dtype, x->ndim, x->shape);
    if (x->dtype == NL_F32)
        nl_nn_act_backward_f32((nl_act)kind, F32(x), F32(y), F32(gy), F32(gx), n, alpha);
    else
        nl_nn_act_backward_f64((nl_act)kind, F64(x), F64(y), F64(gy), F64(gx), n, alpha);
    return 1;
}

/* ---- losses ---------------------------------------------------------------------------- */

static const nl_tensor *check_labels(lua_State *L, int arg, int64_t n, const char *name)
{
    nl_tensor *t = nlL_checktensor(L, arg);
    char b1[96];
    if (nl_numel(t) != n || t->ndim > 2 || (t->ndim == 2 && t->shape[1] != 1))
        nn_error(L, "%s: labels of shape %s do not match the %lld rows of the input (expected [%lld])",
                   name, shp(b1, sizeof b1, t), (long long)n, (long long)n);
    if (nl_is_contiguous(t)) return t;
    return nlL_pushcontiguous(L, arg, t->dtype);
}

static int label_error(lua_State *L, const nl_tensor *lab, int64_t bad, int64_t C,
                       const char *name)
{
    double v = nl_get_flat(lab, bad);
    return nn_error(L, "%s: label %g at position %lld is not a class index in 1..%lld", name, v,
                      (long long)bad + 1, (long long)C);
}

static const nl_tensor *check_logits(lua_State *L, int arg, const char *name)
{
    nl_tensor *z = nlL_checktensor(L, arg);
    char b1[96];
    if (z->ndim != 2)
        nn_error(L, "%s: input of shape %s is not [N,C] logits", name, shp(b1, sizeof b1, z));
    return nn_input(L, arg, z->dtype, name, "input");
}

/* xent_forward(z, labels, psbuf, name) -> sum, per_sample */
static int l_xent_forward(lua_State *L)
{
    const char *name = NAMEARG(4);
    const nl_tensor *z = check_logits(L, 1, name);
    int64_t n = z->shape[0], C = z->shape[1], bad = 0;
    const nl_tensor *lab = check_labels(L, 2, n, name);
    int64_t s[1] = {n};
    nl_tensor *ps = nn_buffer(L, 3, z->dtype, 1, s);
    double sum = 0;
    nl_status st = z->dtype == NL_F32
        ? nl_nn_xent_forward_f32(F32(z), nl_data(lab), lab->dtype, F32(ps), n, C, &sum, &bad)
        : nl_nn_xent_forward_f64(F64(z), nl_data(lab), lab->dtype, F64(ps), n, C, &sum, &bad);
    if (st != NL_OK) return label_error(L, lab, bad, C, name);
    lua_pushnumber(L, sum);
    lua_rotate(L, -2, 1);
    return 2;
}

/* xent_backward(z, labels, scale, gzbuf, name) -> gz */
static int l_xent_backward(lua_State *L)
{
    double scale = luaL_checknumber(L, 3);
    const char *name = NAMEARG(5);
    const nl_tensor *z = check_logits(L, 1, name);
    int64_t n = z->shape[0], C = z->shape[1], bad = 0;
    const nl_tensor *lab = check_labels(L, 2, n, name);
    nl_tensor *gz = nn_buffer(L, 4, z->dtype, 2, z->shape);
    nl_status st = z->dtype == NL_F32
        ? nl_nn_xent_backward_f32(F32(z), nl_data(lab), lab->dtype, F32(gz), n, C, scale, &bad)
        : nl_nn_xent_backward_f64(F64(z), nl_data(lab), lab->dtype, F64(gz), n, C, scale, &bad);
    if (st != NL_OK) return label_error(L, lab, bad, C, name);
    return 1;
}

static void check_same_shape(lua_State *L, const nl_tensor *a, const nl_tensor *b,
                             const char *name, const char *wa, const char *wb)
{
    char b1[96], b2[96];
    int same = a->ndim == b->ndim;
    for (int i = 0; same && i < a->ndim; i++) same = a->shape[i] == b->shape[i];
    if (!same)
        nn_error(L, "%s: %s of shape %s does not match %s of shape %s", name, wa,
                   shp(b1, sizeof b1, a), wb, shp(b2, sizeof b2, b));
}

/* The input (arg 1) and target (arg 2) of an MSE loss: same shape, the input's dtype,
 * contiguous (copied if needed). */
static void mse_inputs(lua_State *L, const char *name, const nl_tensor **x, const nl_tensor **t)
{
    nl_tensor *x0 = nlL_checktensor(L, 1), *t0 = nlL_checktensor(L, 2);
    check_same_shape(L, x0, t0, name, "input", "target");
    *x = nn_input(L, 1, x0->dtype, name, "input");
    *t = nn_input(L, 2, x0->dtype, name, "target");
}

/* mse_forward(x, t, psbuf, name) -> sum, per_sample (sum over all but the first dim) */
static int l_mse_forward(lua_State *L)
{
    const char *name = NAMEARG(4);
    const nl_tensor *x, *t;
    mse_inputs(L, name, &x, &t);
    int64_t n = x->ndim >= 1 ? x->shape[0] : 1, cnt = nl_numel(x);
    int64_t d = n > 0 ? cnt / n : 0, s[1] = {n};
    nl_tensor *ps = nn_buffer(L, 3, x->dtype, 1, s);
    double sum = x->dtype == NL_F32 ? nl_nn_mse_forward_f32(F32(x), F32(t), F32(ps), n, d)
                                    : nl_nn_mse_forward_f64(F64(x), F64(t), F64(ps), n, d);
    lua_pushnumber(L, sum);
    lua_rotate(L, -2, 1);
    return 2;
}

/* mse_backward(x, t, scale, gxbuf, name) -> gx = 2 scale (x − t) */
static int l_mse_backward(lua_State *L)
{
    double scale = luaL_checknumber(L, 3);
    const char *name = NAMEARG(5);
    const nl_tensor *x, *t;
    mse_inputs(L, name, &x, &t);
    nl_tensor *gx = nn_buffer(L, 4, x->dtype, x->ndim, x->shape);
    if (x->dtype == NL_F32)
        nl_nn_mse_backward_f32(F32(x), F32(t), F32(gx), nl_numel(x), scale);
    else
        nl_nn_mse_backward_f64(F64(x), F64(t), F64(gx), nl_numel(x), scale);
    return 1;
}

/* ---- Conv2d and MaxPool2d -------------------------------------------------------------- */

static void conv_geom(lua_State *L, nl_conv_geom *g, const nl_tensor *x, int64_t C, int64_t O,
                      int64_t kh, int64_t kw, int arg_stride, const char *name)
{
    char b1[96];
    if (x->ndim != 4 || (C > 0 && x->shape[1] != C))
        nn_error(L, "%s: input of shape %s does not match the expected [N,%lld,H,W]", name,
                   shp(b1, sizeof b1, x), (long long)(C > 0 ? C : 0));
    g->N = x->shape[0];
    g->C = x->shape[1];
    g->H = x->shape[2];
    g->W = x->shape[3];
    g->O = O > 0 ? O : g->C;
    g->kh = kh;
    g->kw = kw;
    g->sh = luaL_checkinteger(L, arg_stride);
    g->sw = luaL_checkinteger(L, arg_stride + 1);
    g->ph = luaL_checkinteger(L, arg_stride + 2);
    g->pw = luaL_checkinteger(L, arg_stride + 3);
    nl_status st = nl_conv_geom_init(g);
    if (st == NL_ERR_SHAPE)
        nn_error(L, "%s: input of shape %s is smaller than the %lldx%lld window (padding %lld,%lld)",
                   name, shp(b1, sizeof b1, x), (long long)kh, (long long)kw, (long long)g->ph,
                   (long long)g->pw);
    if (st != NL_OK) nn_error(L, "%s: invalid window geometry", name);
}

/* conv2d_forward(x, W, b|nil, ybuf, colsbuf, sh, sw, ph, pw, name) -> y, cols */
static int l_conv2d_forward(lua_State *L)
{
    nl_tensor *W = nlL_checktensor(L, 2);
    nl_tensor *b = nn_opttensor(L, 3);
    const char *name = NAMEARG(10);
    nl_tensor *x0 = nlL_checktensor(L, 1);
    nl_conv_geom g;
    conv_geom(L, &g, x0, W->shape[1], W->shape[0], W->shape[2], W->shape[3], 6, name);
    const nl_tensor *x = nn_input(L, 1, W->dtype, name, "input");
    int64_t ys[4] = {g.N, g.O, g.Ho, g.Wo};
    int64_t cs[1] = {(g.C * g.kh * g.kw + g.O) * g.N * g.Ho * g.Wo};
    nl_tensor *y = nn_buffer(L, 4, W->dtype, 4, ys);
    nl_tensor *cols = nn_buffer(L, 5, W->dtype, 1, cs);
    if (W->dtype == NL_F32)
        nl_nn_conv2d_forward_f32(F32(x), F32(y), F32(W), OPT32(b), F32(cols), &g);
    else
        nl_nn_conv2d_forward_f64(F64(x), F64(y), F64(W), OPT64(b), F64(cols), &g);
    return 2;
}

/* conv2d_backward(x, gy, W, gW, gb|nil, cols, gcolsbuf, gxbuf|nil|false, sh, sw, ph, pw, name)
 *   -> gx|false, gcols */
static int l_conv2d_backward(lua_State *L)
{
    nl_tensor *W = nlL_checktensor(L, 3);
    nl_tensor *gW = nlL_checktensor(L, 4);
    nl_tensor *gb = nn_opttensor(L, 5);
    nl_tensor *cols = nlL_checktensor(L, 6);
    int want_gx = !(lua_isboolean(L, 8) && !lua_toboolean(L, 8));
    const char *name = NAMEARG(13);
    nl_tensor *x0 = nlL_checktensor(L, 1), *gy0 = nlL_checktensor(L, 2);
    nl_conv_geom g;
    conv_geom(L, &g, x0, W->shape[1], W->shape[0], W->shape[2], W->shape[3], 9, name);
    char b1[96];
    int64_t K = g.C * g.kh * g.kw, P = g.Ho * g.Wo;
    if (gy0->ndim != 4 || gy0->shape[0] != g.N || gy0->shape[1] != g.O || gy0->shape[2] != g.Ho ||
        gy0->shape[3] != g.Wo)
        return nn_error(L, "%s: gradOutput of shape %s does not match the output shape [%lld,%lld,%lld,%lld]",
                          name, shp(b1, sizeof b1, gy0), (long long)g.N, (long long)g.O,
                          (long long)g.Ho, (long long)g.Wo);
    if (cols->dtype != W->dtype || nl_numel(cols) != (K + g.O) * g.N * P)
        return nn_error(L, "%s: backward called before forward on this input", name);
    const nl_tensor *gy = nn_input(L, 2, W->dtype, name, "gradOutput");
    int64_t gs[1] = {K * g.N * P};
    nl_tensor *gcols = NULL;
    if (want_gx)
        gcols = nn_buffer(L, 7, W->dtype, 1, gs);
    else
        lua_pushvalue(L, 7); /* not needed: keep whatever the layer had */
    nl_tensor *gx = NULL;
    if (want_gx)
        gx = nn_buffer(L, 8, W->dtype, 4, x0->shape);
    else
        lua_pushboolean(L, 0);
    lua_rotate(L, -2, 1); /* gx (or false), gcols */
    if (W->dtype == NL_F32)
        nl_nn_conv2d_backward_f32(F32(gy), OPT32(gx), F32(W), F32(gW), OPT32(gb), F32(cols),
                                  OPT32(gcols), &g);
    else
        nl_nn_conv2d_backward_f64(F64(gy), OPT64(gx), F64(W), F64(gW), OPT64(gb), F64(cols),
                                  OPT64(gcols), &g);
    return 2;
}

/* An int32 index buffer of at least n entries: the userdata at arg if big enough, else new. */
static int32_t *idx_buffer(lua_State *L, int arg, int64_t n)
{
    size_t need = (size_t)(n > 0 ? n : 1) * sizeof(int32_t);
    if (lua_type(L, arg) == LUA_TUSERDATA && lua_rawlen(L, arg) >= need) {
        if (lua_getmetatable(L, arg)) {
            lua_pop(L, 1); /* a tensor or other object, not our raw buffer */
        } else {
            lua_pushvalue(L, arg);
            return (int32_t *)lua_touserdata(L, -1);
        }
    }
    return (int32_t *)lua_newuserdatauv(L, need, 0);
}

/* maxpool2d_forward(x, kh, kw, ybuf, idxbuf, sh, sw, ph, pw, name) -> y, idx */
static int l_maxpool2d_forward(lua_State *L)
{
    nl_tensor *x0 = nlL_checktensor(L, 1);
    int64_t kh = luaL_checkinteger(L, 2), kw = luaL_checkinteger(L, 3);
    const char *name = NAMEARG(10);
    nl_conv_geom g;
    conv_geom(L, &g, x0, 0, 0, kh, kw, 6, name);
    const nl_tensor *x = nn_input(L, 1, x0->dtype, name, "input");
    int64_t ys[4] = {g.N, g.C, g.Ho, g.Wo};
    nl_tensor *y = nn_buffer(L, 4, x->dtype, 4, ys);
    int32_t *idx = idx_buffer(L, 5, g.N * g.C * g.Ho * g.Wo);
    if (x->dtype == NL_F32)
        nl_nn_maxpool2d_forward_f32(F32(x), F32(y), idx, &g);
    else
        nl_nn_maxpool2d_forward_f64(F64(x), F64(y), idx, &g);
    return 2;
}

/* maxpool2d_backward(x, gy, idx, kh, kw, gxbuf, sh, sw, ph, pw, name) -> gx */
static int l_maxpool2d_backward(lua_State *L)
{
    nl_tensor *x0 = nlL_checktensor(L, 1), *gy0 = nlL_checktensor(L, 2);
    int64_t kh = luaL_checkinteger(L, 4), kw = luaL_checkinteger(L, 5);
    const char *name = NAMEARG(11);
    nl_conv_geom g;
    conv_geom(L, &g, x0, 0, 0, kh, kw, 7, name);
    char b1[96];
    if (gy0->ndim != 4 || gy0->shape[0] != g.N || gy0->shape[1] != g.C || gy0->shape[2] != g.Ho ||
        gy0->shape[3] != g.Wo)
        return nn_error(L, "%s: gradOutput of shape %s does not match the output shape [%lld,%lld,%lld,%lld]",
                          name, shp(b1, sizeof b1, gy0), (long long)g.N, (long long)g.C,
                          (long long)g.Ho, (long long)g.Wo);
    if (lua_type(L, 3) != LUA_TUSERDATA ||
        lua_rawlen(L, 3) < (size_t)(g.N * g.C * g.Ho * g.Wo) * sizeof(int32_t))
        return nn_error(L, "%s: backward called before forward on this input", name);
    const int32_t *idx = (const int32_t *)lua_touserdata(L, 3);
    const nl_tensor *gy = nn_input(L, 2, x0->dtype, name, "gradOutput");
    nl_tensor *gx = nn_buffer(L, 6, x0->dtype, 4, x0->shape);
    if (x0->dtype == NL_F32)
        nl_nn_maxpool2d_backward_f32(F32(gy), F32(gx), idx, &g);
    else
        nl_nn_maxpool2d_backward_f64(F64(gy), F64(gx), idx, &g);
    return 1;
}

/* ---- noise masks and elementwise helpers ------------------------------------------------ */

/* dropout_mask(like, mbuf, p, rng) -> m (shape of like) */
static int l_dropout_mask(lua_State *L)
{
    nl_tensor *x = nlL_checktensor(L, 1);
    double p = luaL_checknumber(L, 3);
    nl_rng *rng = nlL_optrng(L, 4);
    nl_tensor *m = nn_buffer(L, 2, x->dtype, x->ndim, x->shape);
    if (x->dtype == NL_F32)
        nl_nn_dropout_mask_f32(rng, F32(m), nl_numel(m), p);
    else
        nl_nn_dropout_mask_f64(rng, F64(m), nl_numel(m), p);
    return 1;
}

/* normal_fill(like, ebuf, mean, sd, rng) -> e (shape of like) */
static int l_normal_fill(lua_State *L)
{
    nl_tensor *x = nlL_checktensor(L, 1);
    double mean = luaL_checknumber(L, 3), sd = luaL_checknumber(L, 4);
    nl_rng *rng = nlL_optrng(L, 5);
    nl_tensor *e = nn_buffer(L, 2, x->dtype, x->ndim, x->shape);
    if (x->dtype == NL_F32)
        nl_nn_normal_fill_f32(rng, F32(e), nl_numel(e), mean, sd);
    else
        nl_nn_normal_fill_f64(rng, F64(e), nl_numel(e), mean, sd);
    return 1;
}

/* binop(op, a, b, outbuf, name) -> out = a*b (op 0) or a+b (op 1); b has a's shape */
static int l_binop(lua_State *L)
{
    int op = (int)luaL_checkinteger(L, 1);
    const char *name = NAMEARG(5);
    nl_tensor *a0 = nlL_checktensor(L, 2), *b0 = nlL_checktensor(L, 3);
    check_same_shape(L, a0, b0, name, "input", "mask");
    const nl_tensor *a = nn_input(L, 2, b0->dtype, name, "input");
    const nl_tensor *b = nn_input(L, 3, b0->dtype, name, "mask");
    nl_tensor *o = nn_buffer(L, 4, a->dtype, a->ndim, a->shape);
    int64_t n = nl_numel(a);
    if (a->dtype == NL_F32)
        (op ? nl_nn_add_f32 : nl_nn_mul_f32)(F32(a), F32(b), F32(o), n);
    else
        (op ? nl_nn_add_f64 : nl_nn_mul_f64)(F64(a), F64(b), F64(o), n);
    return 1;
}

/* tile(x, M, outbuf) -> [M·n, ...] copies of x stacked along dim 1 */
static int l_tile(lua_State *L)
{
    nl_tensor *x0 = nlL_checktensor(L, 1);
    lua_Integer M = luaL_checkinteger(L, 2);
    luaL_argcheck(L, M >= 1, 2, "M must be >= 1");
    luaL_argcheck(L, x0->ndim >= 1, 1, "tensor of at least one dimension expected");
    const nl_tensor *x = nn_input(L, 1, x0->dtype, "tile", "input");
    int64_t s[NL_MAXDIM];
    memcpy(s, x->shape, sizeof s);
    s[0] *= M;
    nl_tensor *o = nn_buffer(L, 3, x->dtype, x->ndim, s);
    if (x->dtype == NL_F32)
        nl_nn_tile_f32(F32(x), F32(o), nl_numel(x), M);
    else
        nl_nn_tile_f64(F64(x), F64(o), nl_numel(x), M);
    return 1;
}

/* ---- flat parameter storage ------------------------------------------------------------ */

/* zeros(n, dtype) -> contiguous 1-d tensor */
static int l_zeros(lua_State *L)
{
    int64_t n = luaL_checkinteger(L, 1);
    luaL_argcheck(L, n >= 0, 1, "size must be >= 0");
    nl_dtype dt = nlL_optdtype(L, 2, NL_F32);
    nlL_newtensor(L, dt, 1, &n);
    return 1;
}

/* view(flat, offset0, {shape}) -> a view of flat[offset0 .. offset0 + numel) with that shape */
static int l_view(lua_State *L)
{
    nl_tensor *f = nlL_checktensor(L, 1);
    int64_t off = luaL_checkinteger(L, 2);
    int64_t shape[NL_MAXDIM];
    int nd = nlL_checkshape(L, 3, shape, "view");
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    luaL_argcheck(L, nl_is_contiguous(f) && off >= 0 && off + n <= nl_numel(f), 2,
                  "view outside the flat vector");
    nl_tensor *v = nlL_pushview(L, f);
    v->offset = f->offset + off;
    v->ndim = nd;
    for (int i = 0; i < nd; i++) v->shape[i] = shape[i];
    nl_set_contiguous_strides(v);
    return 1;
}

/* copy(dst, src): elementwise copy (shapes must have the same number of entries) */
static int l_copy(lua_State *L)
{
    nl_tensor *d = nlL_checktensor(L, 1), *s = nlL_checktensor(L, 2);
    char b1[96], b2[96];
    if (nl_numel(d) != nl_numel(s))
        return nn_error(L, "copy: shape %s does not match %s", shp(b1, sizeof b1, d),
                          shp(b2, sizeof b2, s));
    nl_status st;
    if (d->ndim == s->ndim) {
        st = nl_copy(d, s);
    } else {
        nl_tensor *sv = nlL_pushview(L, s);
        st = nl_view_reshape(sv, d->ndim, d->shape);
        if (st == NL_OK) st = nl_copy(d, sv);
    }
    if (st != NL_OK) return nlL_status_error(L, st, "copy", NULL);
    return 0;
}

/* zero(t): t must be contiguous */
static int l_zero(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    if (nl_is_contiguous(t))
        memset(nl_data(t), 0, (size_t)nl_numel(t) * nl_dtype_size(t->dtype));
    else
        nl_fill(t, 0);
    return 0;
}

/* ---- initialisation --------------------------------------------------------------------- */

/* uniform_(t, a, b, rng) ; normal_(t, mean, sd, rng) ; truncnormal_(t, sd, lo, hi, rng) */
static void fill_from(lua_State *L, nl_tensor *t, double (*gen)(nl_rng *, const double *),
                      const double *par, nl_rng *rng)
{
    int64_t n = nl_numel(t);
    luaL_argcheck(L, nl_is_contiguous(t), 1, "contiguous tensor expected");
    for (int64_t i = 0; i < n; i++) {
        double v = gen(rng, par);
        if (t->dtype == NL_F32)
            F32(t)[i] = (float)v;
        else
            F64(t)[i] = v;
    }
}
static double gen_uniform(nl_rng *g, const double *p) { return p[0] + (p[1] - p[0]) * nl_rng_uniform(g); }
static double gen_normal(nl_rng *g, const double *p) { return p[0] + p[1] * nl_rng_normal(g); }
static double gen_truncnormal(nl_rng *g, const double *p)
{
    /* Rejection from N(0, sd²) restricted to [lo, hi] (lo < 0 < hi, at least ±1 sd wide in
     * practice, so the acceptance rate is high). */
    for (;;) {
        double v = p[0] * nl_rng_normal(g);
        if (v >= p[1] && v <= p[2]) return v;
    }
}

static int l_uniform_(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    double p[2] = {luaL_checknumber(L, 2), luaL_checknumber(L, 3)};
    fill_from(L, t, gen_uniform, p, nlL_optrng(L, 4));
    lua_settop(L, 1);
    return 1;
}
static int l_normal_(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    double p[2] = {luaL_checknumber(L, 2), luaL_checknumber(L, 3)};
    luaL_argcheck(L, p[1] >= 0, 3, "standard deviation must be >= 0");
    fill_from(L, t, gen_normal, p, nlL_optrng(L, 4));
    lua_settop(L, 1);
    return 1;
}
static int l_truncnormal_(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    double p[3] = {luaL_checknumber(L, 2), luaL_checknumber(L, 3), luaL_checknumber(L, 4)};
    luaL_argcheck(L, p[0] > 0, 2, "standard deviation must be > 0");
    luaL_argcheck(L, p[1] < p[2] && p[2] - p[1] >= 0.5 * p[0], 3,
                  "interval [a, b] must be at least half a standard deviation wide");
    luaL_argcheck(L, p[1] <= 0 && p[2] >= 0, 3, "interval [a, b] must contain 0");
    fill_from(L, t, gen_truncnormal, p, nlL_optrng(L, 5));
    lua_settop(L, 1);
    return 1;
}

/* ---- optimizers ------------------------------------------------------------------------- */

static nl_tensor *flat_arg(lua_State *L, int arg, const nl_tensor *like, const char *what)
{
    nl_tensor *t = nlL_checktensor(L, arg);
    check_param(L, t, like->dtype, nl_numel(like), "optim", what);
    return t;
}

/* sgd_step(p, g, buf|nil, lr, mom, damp, wd, nesterov, first) */
static int l_sgd_step(lua_State *L)
{
    nl_tensor *p = nlL_checktensor(L, 1);
    check_param(L, p, p->dtype, nl_numel(p), "optim", "parameters");
    nl_tensor *g = flat_arg(L, 2, p, "gradients");
    nl_tensor *buf = nn_opttensor(L, 3);
    if (buf) check_param(L, buf, p->dtype, nl_numel(p), "optim", "momentum buffer");
    double lr = luaL_checknumber(L, 4), mom = luaL_checknumber(L, 5);
    double damp = luaL_checknumber(L, 6), wd = luaL_checknumber(L, 7);
    int nest = lua_toboolean(L, 8), first = lua_toboolean(L, 9);
    if (p->dtype == NL_F32)
        nl_nn_sgd_step_f32(F32(p), F32(g), OPT32(buf), nl_numel(p), lr, mom, damp, wd, nest, first);
    else
        nl_nn_sgd_step_f64(F64(p), F64(g), OPT64(buf), nl_numel(p), lr, mom, damp, wd, nest, first);
    return 0;
}

/* adam_step(p, g, m, v, lr, b1, b2, eps, wd, t) */
static int l_adam_step(lua_State *L)
{
    nl_tensor *p = nlL_checktensor(L, 1);
    check_param(L, p, p->dtype, nl_numel(p), "optim", "parameters");
    nl_tensor *g = flat_arg(L, 2, p, "gradients"), *m = flat_arg(L, 3, p, "first moment");
    nl_tensor *v = flat_arg(L, 4, p, "second moment");
    double lr = luaL_checknumber(L, 5), b1 = luaL_checknumber(L, 6), b2 = luaL_checknumber(L, 7);
    double eps = luaL_checknumber(L, 8), wd = luaL_checknumber(L, 9);
    int64_t t = luaL_checkinteger(L, 10);
    if (p->dtype == NL_F32)
        nl_nn_adam_step_f32(F32(p), F32(g), F32(m), F32(v), nl_numel(p), lr, b1, b2, eps, wd, t);
    else
        nl_nn_adam_step_f64(F64(p), F64(g), F64(m), F64(v), nl_numel(p), lr, b1, b2, eps, wd, t);
    return 0;
}

/* opt_prepare(p, g, d, wd): d = g + wd p */
static int l_opt_prepare(lua_State *L)
{
    nl_tensor *p = nlL_checktensor(L, 1);
    check_param(L, p, p->dtype, nl_numel(p), "optim", "parameters");
    nl_tensor *g = flat_arg(L, 2, p, "gradients"), *d = flat_arg(L, 3, p, "direction");
    double wd = luaL_checknumber(L, 4);
    if (p->dtype == NL_F32)
        nl_nn_opt_prepare_f32(F32(p), F32(g), F32(d), nl_numel(p), wd);
    else
        nl_nn_opt_prepare_f64(F64(p), F64(g), F64(d), nl_numel(p), wd);
    return 0;
}

/* sgd_dir(d, buf|nil, lr, mom, damp, nesterov, first) */
static int l_sgd_dir(lua_State *L)
{
    nl_tensor *d = nlL_checktensor(L, 1);
    check_param(L, d, d->dtype, nl_numel(d), "optim", "direction");
    nl_tensor *buf = nn_opttensor(L, 2);
    if (buf) check_param(L, buf, d->dtype, nl_numel(d), "optim", "momentum buffer");
    double lr = luaL_checknumber(L, 3), mom = luaL_checknumber(L, 4), damp = luaL_checknumber(L, 5);
    int nest = lua_toboolean(L, 6), first = lua_toboolean(L, 7);
    if (d->dtype == NL_F32)
        nl_nn_sgd_dir_f32(F32(d), OPT32(buf), nl_numel(d), lr, mom, damp, nest, first);
    else
        nl_nn_sgd_dir_f64(F64(d), OPT64(buf), nl_numel(d), lr, mom, damp, nest, first);
    return 0;
}

/* adam_dir(d, m, v, lr, b1, b2, eps, t) */
static int l_adam_dir(lua_State *L)
{
    nl_tensor *d = nlL_checktensor(L, 1);
    check_param(L, d, d->dtype, nl_numel(d), "optim", "direction");
    nl_tensor *m = flat_arg(L, 2, d, "first moment"), *v = flat_arg(L, 3, d, "second moment");
    double lr = luaL_checknumber(L, 4), b1 = luaL_checknumber(L, 5), b2 = luaL_checknumber(L, 6);
    double eps = luaL_checknumber(L, 7);
    int64_t t = luaL_checkinteger(L, 8);
    if (d->dtype == NL_F32)
        nl_nn_adam_dir_f32(F32(d), F32(m), F32(v), nl_numel(d), lr, b1, b2, eps, t);
    else
        nl_nn_adam_dir_f64(F64(d), F64(m), F64(v), nl_numel(d), lr, b1, b2, eps, t);
    return 0;
}

/* truncate(d, mode "norm"|"coord"|"none", b) -> norm before truncation */
static int l_truncate(lua_State *L)
{
    nl_tensor *d = nlL_checktensor(L, 1);
    check_param(L, d, d->dtype, nl_numel(d), "optim", "direction");
    static const char *const modes[] = {"none", "norm", "coord", NULL};
    int mode = luaL_checkoption(L, 2, "none", modes);
    double b = luaL_optnumber(L, 3, INFINITY);
    luaL_argcheck(L, b > 0, 3, "truncation level b must be > 0");
    double nrm = d->dtype == NL_F32 ? nl_nn_truncate_f32(F32(d), nl_numel(d), (nl_trunc)mode, b)
                                    : nl_nn_truncate_f64(F64(d), nl_numel(d), (nl_trunc)mode, b);
    lua_pushnumber(L, nrm);
    return 1;
}

/* apply_step(p, d): p −= d */
static int l_apply_step(lua_State *L)
{
    nl_tensor *p = nlL_checktensor(L, 1);
    check_param(L, p, p->dtype, nl_numel(p), "optim", "parameters");
    nl_tensor *d = flat_arg(L, 2, p, "direction");
    if (p->dtype == NL_F32)
        nl_nn_apply_step_f32(F32(p), F32(d), nl_numel(p));
    else
        nl_nn_apply_step_f64(F64(p), F64(d), nl_numel(p));
    return 0;
}

/* noise_sub(d, kind "gaussian"|"stable"|"pareto", alpha, scale, isotropic, rng): d −= Z */
static int l_noise_sub(lua_State *L)
{
    nl_tensor *d = nlL_checktensor(L, 1);
    check_param(L, d, d->dtype, nl_numel(d), "optim", "direction");
    static const char *const kinds[] = {"gaussian", "stable", "pareto", NULL};
    int kind = luaL_checkoption(L, 2, NULL, kinds);
    double alpha = luaL_optnumber(L, 3, 2);
    double scale = luaL_checknumber(L, 4);
    int iso = lua_toboolean(L, 5);
    nl_rng *rng = nlL_optrng(L, 6);
    if (kind == NL_NOISE_STABLE)
        luaL_argcheck(L, alpha > 0 && alpha <= 2, 3, "alpha must be in (0, 2] for stable noise");
    if (kind == NL_NOISE_PARETO)
        luaL_argcheck(L, alpha > 0 && isfinite(alpha), 3, "alpha must be > 0 for Pareto noise");
    luaL_argcheck(L, scale >= 0 && isfinite(scale), 4, "scale must be finite and >= 0");
    if (scale == 0) return 0;
    if (d->dtype == NL_F32)
        nl_nn_noise_sub_f32(rng, F32(d), nl_numel(d), (nl_noise_kind)kind, alpha, scale, iso);
    else
        nl_nn_noise_sub_f64(rng, F64(d), nl_numel(d), (nl_noise_kind)kind, alpha, scale, iso);
    return 0;
}

/* ---- files -------------------------------------------------------------------------------- */

/* npy_save(t, path) (atomic: temp file + rename, by the tensor core) */
static int l_npy_save(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    const char *path = luaL_checkstring(L, 2);
    char err[256] = "";
    nl_status st = nl_npy_save(path, t, t->dtype == NL_F32 ? NL_NPY_F32 : NL_NPY_F64, err, sizeof err);
    if (st != NL_OK) return nlL_status_error(L, st, "save", err[0] ? err : path);
    return 0;
}

/* npy_read_into(t, path, name): the file's shape must equal t's */
static int l_npy_read_into(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    const char *path = luaL_checkstring(L, 2);
    const char *name = luaL_optstring(L, 3, path);
    nl_npy_header h;
    char err[256] = "", b1[96], b2[96];
    nl_status st = nl_npy_read_header(path, &h, err, sizeof err);
    if (st != NL_OK) return nlL_status_error(L, st, "load", err[0] ? err : path);
    int same = h.ndim == t->ndim;
    for (int i = 0; same && i < h.ndim; i++) same = h.shape[i] == t->shape[i];
    if (!same)
        return nn_error(L, "load: %s in %s has shape %s, the network expects %s", name, path,
                          nlL_shapestr(b1, sizeof b1, h.ndim, h.shape), shp(b2, sizeof b2, t));
    nl_tensor *tmp = nlL_newtensor(L, nl_npy_result_dtype(&h), h.ndim, h.shape);
    st = nl_npy_read_data(path, &h, tmp, err, sizeof err);
    if (st != NL_OK) return nlL_status_error(L, st, "load", err[0] ? err : path);
    st = nl_copy(t, tmp);
    if (st != NL_OK) return nlL_status_error(L, st, "load", path);
    return 0;
}

/* mkdir(path) -> true | nil, message (existing directory is fine) */
static int l_mkdir(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        lua_pushnil(L);
        lua_pushfstring(L, "cannot create directory %s: %s", path, strerror(errno));
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* allfinite(t) -> true if no entry is NaN or ±inf (contiguous t) */
static int l_allfinite(lua_State *L)
{
    nl_tensor *t = nlL_checktensor(L, 1);
    luaL_argcheck(L, nl_is_contiguous(t), 1, "contiguous tensor expected");
    int64_t n = nl_numel(t);
    int ok = 1;
    if (t->dtype == NL_F32) {
        const float *a = F32(t);
        float acc = 0;
        for (int64_t i = 0; i < n; i++) acc += a[i] * 0.0f; /* NaN or inf make a NaN */
        ok = acc == 0;
    } else {
        const double *a = F64(t);
        double acc = 0;
        for (int64_t i = 0; i < n; i++) acc += a[i] * 0.0;
        ok = acc == 0;
    }
    lua_pushboolean(L, ok);
    return 1;
}

static const luaL_Reg funcs[] = {
    {"allfinite", l_allfinite},
    {"linear_forward", l_linear_forward},
    {"linear_backward", l_linear_backward},
    {"act_forward", l_act_forward},
    {"act_backward", l_act_backward},
    {"xent_forward", l_xent_forward},
    {"xent_backward", l_xent_backward},
    {"mse_forward", l_mse_forward},
    {"mse_backward", l_mse_backward},
    {"conv2d_forward", l_conv2d_forward},
    {"conv2d_backward", l_conv2d_backward},
    {"maxpool2d_forward", l_maxpool2d_forward},
    {"maxpool2d_backward", l_maxpool2d_backward},
    {"dropout_mask", l_dropout_mask},
    {"normal_fill", l_normal_fill},
    {"binop", l_binop},
    {"tile", l_tile},
    {"zeros", l_zeros},
    {"view", l_view},
    {"copy", l_copy},
    {"zero", l_zero},
    {"uniform_", l_uniform_},
    {"normal_", l_normal_},
    {"truncnormal_", l_truncnormal_},
    {"sgd_step", l_sgd_step},
    {"adam_step", l_adam_step},
    {"opt_prepare", l_opt_prepare},
    {"sgd_dir", l_sgd_dir},
    {"adam_dir", l_adam_dir},
    {"truncate", l_truncate},
    {"apply_step", l_apply_step},
    {"noise_sub", l_noise_sub},
    {"npy_save", l_npy_save},
    {"npy_read_into", l_npy_read_into},
    {"mkdir", l_mkdir},
    {NULL, NULL}};

static const nlL_help help[] = {
    {"linear_forward", "(x, W, b|nil, ybuf, act, alpha, name [, wtbuf]) -> y, wt", "y = x Wᵀ + b (+ fused activation)"},
    {"linear_backward", "(x, gy, W, gW, gb|nil, gxbuf|false, name) -> gx", "Linear backward; accumulates gW, gb"},
    {"act_forward", "(kind, x, ybuf, alpha, name) -> y", "elementwise activation (1 ReLU, 2 Tanh, 3 Sigmoid, 4 ELU)"},
    {"act_backward", "(kind, x, y, gy, gxbuf, alpha, name) -> gx", "activation backward"},
    {"xent_forward", "(z, labels, psbuf, name) -> sum, per_sample", "softmax cross-entropy from logits, labels 1..C"},
    {"xent_backward", "(z, labels, scale, gzbuf, name) -> gz", "scale·(softmax(z) − onehot)"},
    {"mse_forward", "(x, t, psbuf, name) -> sum, per_sample", "sum of squared errors"},
    {"mse_backward", "(x, t, scale, gxbuf, name) -> gx", "2·scale·(x − t)"},
    {"conv2d_forward", "(x, W, b, ybuf, cols, sh, sw, ph, pw, name) -> y, cols", "im2col + GEMM convolution"},
    {"conv2d_backward", "(x, gy, W, gW, gb, cols, gcols, gxbuf|false, sh, sw, ph, pw, name) -> gx, gcols", "convolution backward"},
    {"maxpool2d_forward", "(x, kh, kw, ybuf, idx, sh, sw, ph, pw, name) -> y, idx", "max pooling with argmax"},
    {"maxpool2d_backward", "(x, gy, idx, kh, kw, gxbuf, sh, sw, ph, pw, name) -> gx", "max pooling backward"},
    {"dropout_mask", "(like, mbuf, p [, rng]) -> m", "inverted-dropout mask"},
    {"normal_fill", "(like, ebuf, mean, sd [, rng]) -> e", "Gaussian noise sample"},
    {"binop", "(op, a, b, outbuf, name) -> out", "a*b (op 0) or a+b (op 1)"},
    {"tile", "(x, M, outbuf) -> out", "x stacked M times along dim 1"},
    {"zeros", "(n [, dtype]) -> t", "flat zero vector"},
    {"view", "(flat, offset0, shape) -> view", "view of a flat vector"},
    {"copy", "(dst, src)", "copy entries (same count)"},
    {"zero", "(t)", "fill with zeros"},
    {"uniform_", "(t, a, b [, rng]) -> t", "fill with U(a, b)"},
    {"normal_", "(t, mean, sd [, rng]) -> t", "fill with N(mean, sd²)"},
    {"truncnormal_", "(t, sd, a, b [, rng]) -> t", "fill with N(0, sd²) truncated to [a, b]"},
    {"sgd_step", "(p, g, buf, lr, mom, damp, wd, nesterov, first)", "PyTorch SGD step"},
    {"adam_step", "(p, g, m, v, lr, b1, b2, eps, wd, t)", "PyTorch Adam step"},
    {"opt_prepare", "(p, g, d, wd)", "d = g + wd p"},
    {"sgd_dir", "(d, buf, lr, mom, damp, nesterov, first)", "SGD step direction into d"},
    {"adam_dir", "(d, m, v, lr, b1, b2, eps, t)", "Adam step direction into d"},
    {"truncate", "(d, mode, b) -> norm", "φ_b: clip the step to norm b or per coordinate"},
    {"apply_step", "(p, d)", "p −= d"},
    {"noise_sub", "(d, kind, alpha, scale, isotropic [, rng])", "d −= Z (gaussian, stable, pareto)"},
    {"npy_save", "(t, path)", "save a tensor as .npy (atomic)"},
    {"npy_read_into", "(t, path [, name])", "read a .npy file into t (same shape)"},
    {"mkdir", "(path) -> true | nil, msg", "create a directory"},
    {"allfinite", "(t) -> boolean", "true if every entry is finite"},
    {NULL, NULL, NULL}};

int luaopen_noiselab_nn_core(lua_State *L);
int luaopen_noiselab_nn_core(lua_State *L)
{
    nlL_gsl_init();
    luaL_newlib(L, funcs);
    nlL_register_help(L, "nn_core", help);
    return 1;
}
