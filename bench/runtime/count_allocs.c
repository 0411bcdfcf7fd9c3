// count_allocs.c — an LD_PRELOAD library that counts a process's allocations (malloc, calloc,
// realloc, the aligned ones, and C++'s operator new) and prints the total on exit (standard
// error), for docs/runtime.md "Where a task's time goes". The process's own allocator does the
// work: each call is counted and passed on to the next definition (TCMalloc's in xdmlc, glibc's
// elsewhere). An operator new that allocates through malloc (libstdc++'s) is counted once.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static atomic_ulong calls;
static _Thread_local int inNew;  // inside operator new: its malloc is the same allocation

static void* (*nextMalloc)(size_t);
static void* (*nextCalloc)(size_t, size_t);
static void* (*nextRealloc)(void*, size_t);
static int (*nextPosixMemalign)(void**, size_t, size_t);
static void* (*nextAlignedAlloc)(size_t, size_t);
static void (*nextFree)(void*);
static void* (*nextNew)(size_t);
static void* (*nextNewArray)(size_t);
static void* (*nextNewAligned)(size_t, size_t);
static void* (*nextNewArrayAligned)(size_t, size_t);

// dlsym may allocate while the wrappers are being resolved: those few bytes come from here.
static _Alignas(16) char boot[8192];
static atomic_size_t bootUsed;
static atomic_int resolving;

static int fromBoot(const void* p) { return (const char*)p >= boot && (const char*)p < boot + sizeof boot; }

static void* bootAlloc(size_t n) {
    n = (n + 15) & ~(size_t)15;
    size_t at = atomic_fetch_add(&bootUsed, n);
    return at + n <= sizeof boot ? boot + at : NULL;
}

static void resolve(void) {
    if (nextFree) return;
    atomic_store(&resolving, 1);
    nextMalloc = (void* (*)(size_t))dlsym(RTLD_NEXT, "malloc");
    nextCalloc = (void* (*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    nextRealloc = (void* (*)(void*, size_t))dlsym(RTLD_NEXT, "realloc");
    nextPosixMemalign = (int (*)(void**, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
    nextAlignedAlloc = (void* (*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
    nextNew = (void* (*)(size_t))dlsym(RTLD_NEXT, "_Znwm");
    nextNewArray = (void* (*)(size_t))dlsym(RTLD_NEXT, "_Znam");
    nextNewAligned = (void* (*)(size_t, size_t))dlsym(RTLD_NEXT, "_ZnwmSt11align_val_t");
    nextNewArrayAligned = (void* (*)(size_t, size_t))dlsym(RTLD_NEXT, "_ZnamSt11align_val_t");
    nextFree = (void (*)(void*))dlsym(RTLD_NEXT, "free");
    atomic_store(&resolving, 0);
}

static void count(void) {
    if (!inNew) atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
}

void* malloc(size_t n) {
    if (!nextFree) {
        if (atomic_load(&resolving)) return bootAlloc(n);
        resolve();
    }
    count();
    return nextMalloc(n);
}

void* calloc(size_t a, size_t b) {
    if (!nextFree) {
        if (atomic_load(&resolving)) return bootAlloc(a * b);  // static memory is zeroed
        resolve();
    }
    count();
    return nextCalloc(a, b);
}

void* realloc(void* p, size_t n) {
    resolve();
    count();
    if (fromBoot(p)) {  // never seen in practice: moved into the real allocator
        void* q = nextMalloc(n);
        if (q) for (size_t i = 0; i < n && (char*)p + i < boot + sizeof boot; ++i) ((char*)q)[i] = ((char*)p)[i];
        return q;
    }
    return nextRealloc(p, n);
}

int posix_memalign(void** p, size_t a, size_t n) {
    resolve();
    count();
    return nextPosixMemalign(p, a, n);
}

void* aligned_alloc(size_t a, size_t n) {
    resolve();
    count();
    return nextAlignedAlloc(a, n);
}

void free(void* p) {
    if (!p || fromBoot(p)) return;
    resolve();
    nextFree(p);
}

// operator new (size), new[] (size), and their align_val_t forms: counted here, so the malloc
// a libstdc++ operator new makes is not counted again.
static void* counted(void* (*next)(size_t), size_t n) {
    count();
    inNew = 1;
    void* p = next(n);
    inNew = 0;
    return p;
}
static void* countedAligned(void* (*next)(size_t, size_t), size_t n, size_t a) {
    count();
    inNew = 1;
    void* p = next(n, a);
    inNew = 0;
    return p;
}
void* _Znwm(size_t n) { resolve(); return counted(nextNew, n); }
void* _Znam(size_t n) { resolve(); return counted(nextNewArray, n); }
void* _ZnwmSt11align_val_t(size_t n, size_t a) { resolve(); return countedAligned(nextNewAligned, n, a); }
void* _ZnamSt11align_val_t(size_t n, size_t a) { resolve(); return countedAligned(nextNewArrayAligned, n, a); }

__attribute__((destructor)) static void report(void) {
    char line[96];
    int len = snprintf(line, sizeof line, "allocations: %lu\n", (unsigned long)atomic_load(&calls));
    if (write(2, line, (size_t)len) < 0) {}
}
