/* Internal: the broadcasting elementwise iterator shared by the tensor kernels. */
#ifndef NOISELAB_TENSOR_ITER_H
#define NOISELAB_TENSOR_ITER_H
#include "noiselab/tensor.h"

#define NL_ITER_MAXOPS 4

/* Inner-loop kernel: n elements, p[k] = first element of operand k (0 = output), s[k] = its
 * stride in elements (0 for a broadcast operand). */
typedef void (*nl_kernel)(int64_t n, char **p, const int64_t *s, const void *ctx);

typedef struct nl_iter {
    int nops; /* output + inputs */
    int ndim;
    int64_t numel;
    int64_t shape[NL_MAXDIM];
    int64_t stride[NL_ITER_MAXOPS][NL_MAXDIM];
    char *ptr[NL_ITER_MAXOPS];
    size_t esize[NL_ITER_MAXOPS];
} nl_iter;

nl_status nl_iter_init(nl_iter *it, const nl_tensor *out, const nl_tensor *const *ops, int nops);
void nl_iter_run(const nl_iter *it, nl_kernel fn, const void *ctx);
#endif
