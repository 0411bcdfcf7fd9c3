// MpiPlugin.cpp — every MPI call of XDML, behind the C ABI of runtime/distributed/MpiApi.h.
// Built twice from this one source (CMakeLists.txt): against OpenMPI and against MPICH, whose
// headers and libraries are not compatible; xdmlc loads the one its launcher belongs to.
#include "runtime/distributed/MpiApi.h"

// The C API only: the C++ bindings would need libmpi_cxx.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdio>

namespace {

int init(int* provided) {
    int argc = 0;
    char** argv = nullptr;
    // One communication thread per rank makes every MPI call, but not the main thread:
    // MPI_THREAD_SERIALIZED is the level that allows it (docs/distributed.md).
    int rc = MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, provided);
    if (rc != MPI_SUCCESS) return rc;
    // Errors come back as codes, so a dead peer is reported in XDML's words.
    return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

int rank(int* out) { return MPI_Comm_rank(MPI_COMM_WORLD, out); }
int size(int* out) { return MPI_Comm_size(MPI_COMM_WORLD, out); }

int processorName(char* out, int capacity) {
    char name[MPI_MAX_PROCESSOR_NAME + 1] = {};
    int length = 0;
    int rc = MPI_Get_processor_name(name, &length);
    std::snprintf(out, static_cast<std::size_t>(capacity), "%s", name);
    return rc;
}

int isend(int dest, int tag, const void* bytes, std::size_t size, void** handle) {
    if (size > static_cast<std::size_t>(INT_MAX)) return MPI_ERR_COUNT;
    auto* request = new MPI_Request;
    int rc = MPI_Isend(bytes, static_cast<int>(size), MPI_BYTE, dest, tag, MPI_COMM_WORLD, request);
    if (rc != MPI_SUCCESS) {
        delete request;
        return rc;
    }
    *handle = request;
    return MPI_SUCCESS;
}

int testSend(void* handle, int* done) {
    auto* request = static_cast<MPI_Request*>(handle);
    int rc = MPI_Test(request, done, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS || *done) delete request;
    return rc;
}

int probe(int* found, int* source, int* tag, std::size_t* size) {
    MPI_Status status;
    int rc = MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, found, &status);
    if (rc != MPI_SUCCESS || !*found) return rc;
    int count = 0;
    rc = MPI_Get_count(&status, MPI_BYTE, &count);
    *source = status.MPI_SOURCE;
    *tag = status.MPI_TAG;
    *size = static_cast<std::size_t>(count);
    return rc;
}

int receive(int source, int tag, void* bytes, std::size_t size) {
    return MPI_Recv(bytes, static_cast<int>(size), MPI_BYTE, source, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
}

/// Waits (up to a second) until the launcher has read what this rank wrote to `fd`, when it is
/// a pipe to the launcher. MPI_Abort makes the launcher end the job at once, and MPICH's hydra
/// then drops output it has not read yet: the message saying why the job ended was lost.
void letLauncherRead(int fd) {
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)) return;
    for (int waited = 0; waited < 1000; ++waited) {
        int unread = 0;
        if (ioctl(fd, FIONREAD, &unread) != 0 || unread == 0) return;
        usleep(1000);
    }
}

void abortAll(int code) {
    std::fflush(stdout);
    std::fflush(stderr);
    letLauncherRead(STDOUT_FILENO);
    letLauncherRead(STDERR_FILENO);
    MPI_Abort(MPI_COMM_WORLD, code);
}
int finalize() { return MPI_Finalize(); }

void errorText(int code, char* out, int capacity) {
    char text[MPI_MAX_ERROR_STRING + 1] = {};
    int length = 0;
    if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) std::snprintf(text, sizeof text, "MPI error %d", code);
    std::snprintf(out, static_cast<std::size_t>(capacity), "%s", text);
}

const XdmlMpiApi kApi{kXdmlMpiAbiVersion, XDML_MPI_IMPLEMENTATION, init, rank, size, processorName, isend,
                      testSend, probe, receive, abortAll, finalize, errorText};

}  // namespace

extern "C" __attribute__((visibility("default"))) const XdmlMpiApi* xdml_mpi_api() { return &kApi; }
