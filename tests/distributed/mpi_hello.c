/* mpi_hello.c — one line per rank: "rank R of N on HOST", for the test Slurm's MPI checks
   (tests/distributed/run_slurm.py): one MPI_COMM_WORLD across heterogeneous-job components
   prints "of N" with the total, a launch that starts singletons prints "rank 0 of 1" N times. */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int rank = 0, size = 0, length = 0;
    char host[MPI_MAX_PROCESSOR_NAME];
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Get_processor_name(host, &length);
    printf("rank %d of %d on %s\n", rank, size, host);
    fflush(stdout);
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Finalize();
    return 0;
}
