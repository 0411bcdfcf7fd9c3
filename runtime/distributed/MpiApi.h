// MpiApi.h — the C ABI between xdmlc and its MPI plugin (mpi/MpiPlugin.cpp, built once per MPI:
// xdml_mpi_openmpi.so, xdml_mpi_mpich.so). OpenMPI and MPICH differ in their ABI (MPI_Comm is a
// pointer in one, an int in the other), so no MPI type crosses this line: only ints, sizes and
// bytes. Every function returns 0 on success or an MPI error code (xdml_mpi_error text says what).
#pragma once

#include <cstddef>

extern "C" {

/// The plugin's table of functions, filled by xdml_mpi_api().
struct XdmlMpiApi {
    int abiVersion;  // kXdmlMpiAbiVersion
    const char* implementation;  // "openmpi" or "mpich", as built
    /// MPI_Init_thread with MPI_THREAD_SERIALIZED; `provided` receives the level granted
    /// (0 single .. 3 multiple).
    int (*init)(int* provided);
    int (*rank)(int* out);
    int (*size)(int* out);
    int (*processorName)(char* out, int capacity);
    /// Starts sending `bytes` (at most INT_MAX) to `dest` with `tag`; `*handle` is polled
    /// with testSend. The bytes must stay alive until it reports done.
    int (*isend)(int dest, int tag, const void* bytes, std::size_t size, void** handle);
    /// `*done` = 1 when the send completed (the handle is freed then).
    int (*testSend)(void* handle, int* done);
    /// A message waiting from any rank with any tag: `*found` = 1 and its source, tag, size.
    int (*probe)(int* found, int* source, int* tag, std::size_t* size);
    /// Receives the probed message (source and tag as probe gave them) into `bytes`.
    int (*receive)(int source, int tag, void* bytes, std::size_t size);
    /// MPI_Abort, once the launcher has read what this rank wrote to stdout and stderr (the
    /// message saying why), waiting a second at most.
    void (*abort)(int code);
    int (*finalize)();
    void (*errorText)(int code, char* out, int capacity);
};

/// The plugin's one exported symbol.
using XdmlMpiApiFunction = const XdmlMpiApi* (*)();
}

inline constexpr int kXdmlMpiAbiVersion = 1;
