/* The C peer of AllReduceBenchmark.java: the same in-place float32 MPI_Allreduce loop, same sizes and reps.
 *   mpicc -O2 -o allreduce_peer allreduce_peer.c && mpirun -np 2 ./allreduce_peer [REPS] [MB...] */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int provided, rank, size;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    double defaults[] = {1, 4, 16, 64, 256, 400};
    int nsizes = argc > 2 ? argc - 2 : 6;
    if (rank == 0) printf("C MPI_Allreduce, %d ranks, %d reps (median)\n", size, reps);
    double *t = malloc(sizeof(double) * reps);
    for (int s = 0; s < nsizes; s++) {
        double mb = argc > 2 ? atof(argv[2 + s]) : defaults[s];
        long n = (long) (mb * 1e6 / 4);
        float *a = malloc(sizeof(float) * n), one = 1;
        for (long i = 0; i < n; i++) a[i] = 1;
        /* counts are int: this loop stays below 2^31 elements (8 GB), as the sizes here do */
        MPI_Allreduce(MPI_IN_PLACE, a, (int) n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        for (int i = 0; i < reps; i++) {
            MPI_Allreduce(MPI_IN_PLACE, &one, 1, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            double t0 = now();
            MPI_Allreduce(MPI_IN_PLACE, a, (int) n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            t[i] = now() - t0;
        }
        qsort(t, reps, sizeof(double), by_value);
        double med = t[reps / 2], bytes = n * 4.0;
        if (rank == 0) {
            printf("%8.1f MB  %9.5f s  algbw %7.3f GB/s  busbw %7.3f GB/s\n", bytes / 1e6, med, bytes / med / 1e9,
                   bytes / med / 1e9 * 2 * (size - 1) / size);
        }
        free(a);
    }
    free(t);
    MPI_Finalize();
    return 0;
}
