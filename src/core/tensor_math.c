/* Elementwise arithmetic, comparisons and math functions over the broadcasting iterator.
 * Kernels are generated per (operation, dtype) so the inner loop has no switch; each has a
 * unit-stride path (vectorised by the compiler) and a general strided path.  f32 data are
 * computed in float with the float variants of libm (through <tgmath.h>), as PyTorch does. */
#include "noiselab/tensor.h"
#include "tensor_iter.h"
#include "noiselab/vecmath.h"
#include <tgmath.h>

static inline double mod_floor_d(double x, double y)
{
    double r = fmod(x, y);
    return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r;
}
static inline float mod_floor_f(float x, float y)
{
    float r = fmod(x, y);
    return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r;
}
/* sign keeps 0 and NaN as they are (numpy/PyTorch convention). */
#define SIGN(x) ((x) > 0 ? 1 : ((x) < 0 ? -1 : (x)))
/* Logistic function without overflow for either sign of x. */
#define SIGMOID(x) ((x) >= 0 ? 1 / (1 + exp(-(x))) : exp(x) / (1 + exp(x)))

#define BINOPS(X)                                  \
    X(NL_OP_ADD, add, x + y)                       \
    X(NL_OP_SUB, sub, x - y)                       \
    X(NL_OP_MUL, mul, x * y)                       \
    X(NL_OP_DIV, dvd, x / y)                       \
    X(NL_OP_POW, pw, pow(x, y))                    \
    X(NL_OP_MAXIMUM, maxi, (x > y || x != x) ? x : y) \
    X(NL_OP_MINIMUM, mini, (x < y || x != x) ? x : y) \
    X(NL_OP_ATAN2, at2, atan2(x, y))               \
    X(NL_OP_EQ, eq, x == y)                        \
    X(NL_OP_NE, ne, x != y)                        \
    X(NL_OP_LT, lt, x < y)                         \
    X(NL_OP_LE, le, x <= y)                        \
    X(NL_OP_GT, gt, x > y)                         \
    X(NL_OP_GE, ge, x >= y)

#define BINARY_KERNEL(NAME, T, EXPR)                                                 \
    static void NAME(int64_t n, char **p, const int64_t *s, const void *ctx)         \
    {                                                                                \
        (void)ctx;                                                                   \
        T *o = (T *)p[0];                                                            \
        const T *A = (const T *)p[1], *B = (const T *)p[2];                          \
        if (s[0] == 1 && s[1] == 1 && s[2] == 1) {                                   \
            for (int64_t i = 0; i < n; i++) {                                        \
                T x = A[i], y = B[i];                                                \
                o[i] = (T)(EXPR);                                                    \
            }                                                                        \
        } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {                            \
            T y = B[0];                                                              \
            for (int64_t i = 0; i < n; i++) {                                        \
                T x = A[i];                                                          \
                o[i] = (T)(EXPR);                                                    \
            }                                                                        \
        } else if (s[0] == 1 && s[1] == 0 && s[2] == 1) {                            \
            T x = A[0];                                                              \
            for (int64_t i = 0; i < n; i++) {                                        \
                T y = B[i];                                                          \
                o[i] = (T)(EXPR);                                                    \
            }                                                                        \
        } else {                                                                     \
            for (int64_t i = 0; i < n; i++) {                                        \
                T x = A[i * s[1]], y = B[i * s[2]];                                  \
                o[i * s[0]] = (T)(EXPR);                                             \
            }                                                                        \
        }                                                                            \
    }

#define DEF_BIN(E, name, expr) BINARY_KERNEL(name##_d, double, expr) BINARY_KERNEL(name##_f, float, expr)
BINOPS(DEF_BIN)
BINARY_KERNEL(mod_d, double, mod_floor_d(x, y))
BINARY_KERNEL(mod_f, float, mod_floor_f(x, y))
#define TAB_D(E, name, expr) [E] = name##_d,
#define TAB_F(E, name, expr) [E] = name##_f,
static const nl_kernel binary_d[] = {BINOPS(TAB_D)[NL_OP_MOD] = mod_d};
static const nl_kernel binary_f[] = {BINOPS(TAB_F)[NL_OP_MOD] = mod_f};

#define UNOPS(X)                                  \
    X(NL_UN_NEG, neg, -x)                         \
    X(NL_UN_ABS, abs_, fabs(x))                   \
    X(NL_UN_SQRT, sqrt_, sqrt(x))                 \
    X(NL_UN_EXP, exp_, exp(x))                    \
    X(NL_UN_LOG, log_, log(x))                    \
    X(NL_UN_LOG1P, log1p_, log1p(x))              \
    X(NL_UN_EXPM1, expm1_, expm1(x))              \
    X(NL_UN_TANH, tanh_, tanh(x))                 \
    X(NL_UN_SIGMOID, sigm, SIGMOID(x))            \
    X(NL_UN_SIGN, sign_, SIGN(x))                 \
    X(NL_UN_SIN, sin_, sin(x))                    \
    X(NL_UN_COS, cos_, cos(x))                    \
    X(NL_UN_FLOOR, floor_, floor(x))              \
    X(NL_UN_CEIL, ceil_, ceil(x))                 \
    X(NL_UN_ROUND, round_, nearbyint(x))          \
    X(NL_UN_SQUARE, sq, x * x)                    \
    X(NL_UN_RECIPROCAL, recip, 1 / x)             \
    X(NL_UN_RELU, relu, x > 0 ? x : 0)            \
    X(NL_UN_ISFINITE, isfin, isfinite(x) ? 1 : 0) \
    X(NL_UN_ISNAN, isnan_, x != x)                \
    X(NL_UN_LGAMMA, lgamma_, lgamma(x))           \
    X(NL_UN_ERF, erf_, erf(x))                    \
    X(NL_UN_LOG2, log2_, log2(x))                 \
    X(NL_UN_LOG10, log10_, log10(x))

#define UNARY_KERNEL(NAME, T, EXPR)                                          \
    static void NAME(int64_t n, char **p, const int64_t *s, const void *ctx) \
    {                                                                        \
        (void)ctx;                                                           \
        T *o = (T *)p[0];                                                    \
        const T *A = (const T *)p[1];                                        \
        if (s[0] == 1 && s[1] == 1) {                                        \
            for (int64_t i = 0; i < n; i++) {                                \
                T x = A[i];                                                  \
                o[i] = (T)(EXPR);                                            \
            }                                                                \
        } else {                                                             \
            for (int64_t i = 0; i < n; i++) {                                \
                T x = A[i * s[1]];                                           \
                o[i * s[0]] = (T)(EXPR);                                     \
            }                                                                \
        }                                                                    \
    }
#define DEF_UN(E, name, expr) UNARY_KERNEL(name##_d, double, expr) UNARY_KERNEL(name##_f, float, expr)
UNOPS(DEF_UN)
static const nl_kernel unary_d[] = {UNOPS(TAB_D)};
static const nl_kernel unary_f[] = {UNOPS(TAB_F)};

/* exp, log and tanh on unit-stride runs go through SLEEF's vector routines (vecmath.c). */
#define VEC_KERNEL(NAME, T, VFN, SCALAR_KERNEL)                                 \
    static void NAME(int64_t n, char **p, const int64_t *s, const void *ctx)    \
    {                                                                           \
        if (s[0] == 1 && s[1] == 1) VFN((const T *)p[1], (T *)p[0], (size_t)n); \
        else SCALAR_KERNEL(n, p, s, ctx);                                       \
    }
VEC_KERNEL(vexp_d, double, nl_vexp_f64, exp__d)
VEC_KERNEL(vlog_d, double, nl_vlog_f64, log__d)
VEC_KERNEL(vtanh_d, double, nl_vtanh_f64, tanh__d)
VEC_KERNEL(vexp_f, float, nl_vexp_f32, exp__f)
VEC_KERNEL(vlog_f, float, nl_vlog_f32, log__f)
VEC_KERNEL(vtanh_f, float, nl_vtanh_f32, tanh__f)

static nl_kernel unary_kernel(nl_dtype dt, nl_unop op)
{
    int d = dt == NL_F64;
    switch (op) {
    case NL_UN_EXP: return d ? vexp_d : vexp_f;
    case NL_UN_LOG: return d ? vlog_d : vlog_f;
    case NL_UN_TANH: return d ? vtanh_d : vtanh_f;
    default: return d ? unary_d[op] : unary_f[op];
    }
}

static nl_status run(const nl_tensor *out, const nl_tensor *const *ops, int nops, nl_kernel k,
                     const void *ctx)
{
    for (int i = 0; i < nops; i++)
        if (ops[i]->dtype != out->dtype) return NL_ERR_ARG;
    nl_iter it;
    nl_status st = nl_iter_init(&it, out, ops, nops);
    if (st != NL_OK) return st;
    nl_iter_run(&it, k, ctx);
    return NL_OK;
}

nl_status nl_binary(const nl_tensor *out, const nl_tensor *a, const nl_tensor *b, nl_binop op)
{
    if ((unsigned)op > NL_OP_GE) return NL_ERR_ARG;
    const nl_tensor *ops[2] = {a, b};
    return run(out, ops, 2, out->dtype == NL_F64 ? binary_d[op] : binary_f[op], NULL);
}

/* A scalar is a 0-d tensor over a one-element storage on the stack. */
nl_status nl_binary_scalar(const nl_tensor *out, const nl_tensor *a, double s, nl_binop op,
                           int scalar_first)
{
    float sf = (float)s;
    nl_storage st = {a->dtype == NL_F64 ? (void *)&s : (void *)&sf, 8, 1};
    nl_tensor sc = {.storage = &st, .offset = 0, .ndim = 0, .dtype = a->dtype};
    return scalar_first ? nl_binary(out, &sc, a, op) : nl_binary(out, a, &sc, op);
}

nl_status nl_unary(const nl_tensor *out, const nl_tensor *a, nl_unop op)
{
    if ((unsigned)op > NL_UN_LOG10) return NL_ERR_ARG;
    const nl_tensor *ops[1] = {a};
    return run(out, ops, 1, unary_kernel(out->dtype, op), NULL);
}

typedef struct { double lo, hi; } clamp_ctx;
#define CLAMP_KERNEL(NAME, T)                                                \
    static void NAME(int64_t n, char **p, const int64_t *s, const void *ctx) \
    {                                                                        \
        const clamp_ctx *c = ctx;                                            \
        T lo = (T)c->lo, hi = (T)c->hi, *o = (T *)p[0];                      \
        const T *A = (const T *)p[1];                                        \
        for (int64_t i = 0; i < n; i++) {                                    \
            T x = A[i * s[1]];                                               \
            o[i * s[0]] = x < lo ? lo : (x > hi ? hi : x);                   \
        }                                                                    \
    }
CLAMP_KERNEL(clamp_d, double)
CLAMP_KERNEL(clamp_f, float)

nl_status nl_clamp(const nl_tensor *out, const nl_tensor *a, double lo, double hi)
{
    if (lo > hi) return NL_ERR_ARG;
    clamp_ctx c = {lo, hi};
    const nl_tensor *ops[1] = {a};
    return run(out, ops, 1, out->dtype == NL_F64 ? clamp_d : clamp_f, &c);
}

#define WHERE_KERNEL(NAME, T)                                                  \
    static void NAME(int64_t n, char **p, const int64_t *s, const void *ctx)   \
    {                                                                          \
        (void)ctx;                                                             \
        T *o = (T *)p[0];                                                      \
        const T *C = (const T *)p[1], *A = (const T *)p[2], *B = (const T *)p[3]; \
        for (int64_t i = 0; i < n; i++)                                        \
            o[i * s[0]] = C[i * s[1]] != 0 ? A[i * s[2]] : B[i * s[3]];        \
    }
WHERE_KERNEL(where_d, double)
WHERE_KERNEL(where_f, float)

nl_status nl_where(const nl_tensor *out, const nl_tensor *cond, const nl_tensor *a,
                   const nl_tensor *b)
{
    const nl_tensor *ops[3] = {cond, a, b};
    return run(out, ops, 3, out->dtype == NL_F64 ? where_d : where_f, NULL);
}

#define AXPY_KERNEL(NAME, T)                                                   \
    static void NAME(int64_t n, char **p, const int64_t *s, const void *ctx)   \
    {                                                                          \
        T alpha = (T)*(const double *)ctx, *o = (T *)p[0];                     \
        const T *A = (const T *)p[1], *B = (const T *)p[2];                    \
        if (s[0] == 1 && s[1] == 1 && s[2] == 1)                               \
            for (int64_t i = 0; i < n; i++) o[i] = A[i] + alpha * B[i];        \
        else                                                                   \
            for (int64_t i = 0; i < n; i++)                                    \
                o[i * s[0]] = A[i * s[1]] + alpha * B[i * s[2]];               \
    }
AXPY_KERNEL(axpy_d, double)
AXPY_KERNEL(axpy_f, float)

nl_status nl_axpy(const nl_tensor *out, const nl_tensor *a, double alpha, const nl_tensor *b)
{
    const nl_tensor *ops[2] = {a, b};
    return run(out, ops, 2, out->dtype == NL_F64 ? axpy_d : axpy_f, &alpha);
}
