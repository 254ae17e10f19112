/* Internal: the V* macros that are the same for every ISA, over the ones simd_<isa>.h defines
 * (VD2, VSINCOS35_FN, VSINCOS_FN): sincos assigning its two results. */
#ifndef NOISELAB_SIMD_COMMON_H
#define NOISELAB_SIMD_COMMON_H
#define VSINCOS_WITH(fn, arg, s, c) \
    do {                            \
        VD2 sc_ = fn(arg);          \
        (s) = sc_.x;                \
        (c) = sc_.y;                \
    } while (0)
#define VSINCOS35(arg, s, c) VSINCOS_WITH(VSINCOS35_FN, arg, s, c)
#define VSINCOS(arg, s, c) VSINCOS_WITH(VSINCOS_FN, arg, s, c)
#endif
