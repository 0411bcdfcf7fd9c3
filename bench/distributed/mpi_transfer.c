/* mpi_transfer.c — MPI's own transfer rate between two ranks, the way XDML's mailbox sends a
   value (bench_distributed.py, figure 3b): SIZE bytes from rank 0 to rank 1 as MPI_Isend of
   chunks of at most CHUNK bytes (4 MiB, kDefaultChunkBytes), rank 1 receiving each with
   MPI_Recv, then a one-byte answer; REPS times. Prints "SIZE seconds_per_transfer". No folder
   copy, no encoding: the ceiling the distributed run's value transfers can reach. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    const long size = argc > 1 ? atol(argv[1]) : 1 << 20;
    const int reps = argc > 2 ? atoi(argv[2]) : 4;
    const long chunk = 4L << 20;
    const long chunks = size > 0 ? (size + chunk - 1) / chunk : 1;
    char* buffer = calloc((size_t)(size > 0 ? size : 1), 1);
    MPI_Request* requests = malloc(sizeof(MPI_Request) * (size_t)chunks);
    char ack = 0;
    double total = 0;
    for (int r = 0; r <= reps; ++r) { /* the first is a warm-up: connections are made lazily */
        MPI_Barrier(MPI_COMM_WORLD);
        const double start = MPI_Wtime();
        for (long c = 0; c < chunks; ++c) {
            const long at = c * chunk, n = size - at < chunk ? size - at : chunk;
            if (rank == 0)
                MPI_Isend(buffer + at, (int)n, MPI_BYTE, 1, 7, MPI_COMM_WORLD, &requests[c]);
            else if (rank == 1)
                MPI_Recv(buffer + at, (int)n, MPI_BYTE, 0, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        }
        if (rank == 0) {
            MPI_Waitall((int)chunks, requests, MPI_STATUSES_IGNORE);
            MPI_Recv(&ack, 1, MPI_BYTE, 1, 8, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else if (rank == 1) {
            MPI_Send(&ack, 1, MPI_BYTE, 0, 8, MPI_COMM_WORLD);
        }
        if (r > 0) total += MPI_Wtime() - start;
    }
    if (rank == 0) printf("%ld %.9f\n", size, total / reps);
    free(requests);
    free(buffer);
    MPI_Finalize();
    return 0;
}
