/* Helpers shared by every binding file (one definition in common.c).
 *
 * Conventions (see STYLE.md): bindings parse and check arguments, allocate their outputs as
 * Lua-owned userdata *before* calling the core, then call the core and turn its status into a
 * Lua error.  Nothing allocated with malloc is ever live across a call that may raise. */
#ifndef NOISELAB_BIND_COMMON_H
#define NOISELAB_BIND_COMMON_H
#include <lua.h>
#include <lauxlib.h>
#include "noiselab/rng.h"
#include "noiselab/tensor.h"

#define NL_TENSOR_MT "noiselab.Tensor"
#define NL_RNG_MT "noiselab.Generator"

/* ---- tensors ---- */
nl_tensor *nlL_checktensor(lua_State *L, int arg);
nl_tensor *nlL_testtensor(lua_State *L, int arg);
/* Push a new zero-filled contiguous tensor; raises "cannot allocate N bytes for ..." if the
 * memory cannot be had.  The userdata is on the stack before the storage is allocated. */
nl_tensor *nlL_newtensor(lua_State *L, nl_dtype dt, int ndim, const int64_t *shape);
/* Same, contents undefined: only for outputs the caller overwrites completely. */
nl_tensor *nlL_newtensor_uninit(lua_State *L, nl_dtype dt, int ndim, const int64_t *shape);
/* Same shape and dtype as t. */
nl_tensor *nlL_newlike(lua_State *L, const nl_tensor *t);
/* Push a tensor sharing src's storage and geometry (then edit its geometry: a view). */
nl_tensor *nlL_pushview(lua_State *L, const nl_tensor *src);
/* Push a contiguous tensor of dtype dt with t's values: t itself (pushed again) if it is
 * already contiguous with that dtype, else a copy. */
nl_tensor *nlL_pushcontiguous(lua_State *L, int arg, nl_dtype dt);
/* Parse a shape at arg: an integer n, a table {d1, d2, ...}, or integers arg..top.
 * Checks every dimension is a non-negative integer, at most NL_MAXDIM dims. Returns ndim. */
int nlL_checkshape(lua_State *L, int arg, int64_t *shape, const char *fname);
/* "[3,4]" into buf. */
const char *nlL_shapestr(char *buf, size_t len, int ndim, const int64_t *shape);
/* Optional dtype argument: "f32" | "f64" | nil (-> def). */
nl_dtype nlL_optdtype(lua_State *L, int arg, nl_dtype def);
/* dtype field of an options table at arg (may be nil/none). */
nl_dtype nlL_optdtype_field(lua_State *L, int arg, nl_dtype def);
/* Raise an error for a core status: "<fname>: <status text>[: detail]". */
int nlL_status_error(lua_State *L, nl_status s, const char *fname, const char *detail);
/* Check a dim argument (1-based, negative counts from the end) and return it 0-based. */
int nlL_checkdim(lua_State *L, int arg, int ndim, const char *fname);

/* luaL_error with C's printf formats (%lld, %zu, %g, %.3e ... which lua_pushfstring lacks):
 * the message is formatted into a stack buffer, prefixed with the position like luaL_error. */
int nlL_error(lua_State *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- random generators ---- */
nl_rng *nlL_checkrng(lua_State *L, int arg);
nl_rng *nlL_testrng(lua_State *L, int arg);
/* The generator at arg if it is one, else the state's default generator (arg none/nil). A
 * non-generator, non-nil value is an error. */
nl_rng *nlL_optrng(lua_State *L, int arg);
/* The `rng` field of an options table at arg (absent -> default generator). */
nl_rng *nlL_optrng_field(lua_State *L, int arg);
nl_rng *nlL_default_rng(lua_State *L);

/* ---- options tables ---- */
double nlL_optnumber_field(lua_State *L, int arg, const char *key, double def);
lua_Integer nlL_optinteger_field(lua_State *L, int arg, const char *key, lua_Integer def);
int nlL_optboolean_field(lua_State *L, int arg, const char *key, int def);
/* Returns a pointer valid while the options table is on the stack, or def. */
const char *nlL_optstring_field(lua_State *L, int arg, const char *key, const char *def);
/* Error unless the value is finite: "bad argument #n to 'f' (finite number expected, got inf)". */
double nlL_checkfinite(lua_State *L, int arg);

/* ---- GSL ---- */
/* Turns GSL's abort-on-error handler off (idempotent). Every module's luaopen calls it. */
void nlL_gsl_init(void);

/* Register a module's functions and a "__help" table: help[i] = {name, signature, summary}. */
typedef struct nlL_help {
    const char *name;
    const char *signature;
    const char *summary;
} nlL_help;
/* Stores the help rows in the registry table "noiselab.help" keyed by function value, so
 * help(f) in the REPL finds them.  Call after the module table is on top of the stack. */
void nlL_register_help(lua_State *L, const char *module, const nlL_help *rows);

#endif
