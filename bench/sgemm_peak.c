/* The machine's ceiling for `make bench`: OpenBLAS cblas_sgemm called directly (no wrapper),
 * n x n, one thread; prints GFLOP/s of the best of several runs.  Built by bench/tensor.lua. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time, as the Lua side (os.clock) */
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2048;
    openblas_set_num_threads(1);
    float *a = malloc(sizeof(float) * (size_t)n * (size_t)n), *b = malloc(sizeof(float) * (size_t)n * (size_t)n),
          *c = malloc(sizeof(float) * (size_t)n * (size_t)n);
    if (!a || !b || !c) return 1;
    for (size_t i = 0; i < (size_t)n * (size_t)n; i++) {
        a[i] = (float)(i % 7) - 3.0f;
        b[i] = (float)(i % 5) - 2.0f;
    }
    double best = 0;
    for (int r = 0; r < 8; r++) {
        double t0 = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        double g = 2.0 * n * (double)n * n / (now() - t0) / 1e9;
        if (g > best) best = g;
    }
    printf("%.3f\n", best);
    free(a);
    free(b);
    free(c);
    return 0;
}
