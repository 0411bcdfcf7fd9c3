// count_allocs.c — an LD_PRELOAD library that counts a process's malloc, calloc, realloc and aligned
// allocations and prints the total on exit (standard error), for docs/runtime.md "Where a
// task's time goes". glibc's own allocator does the work; only the calls are counted.
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static atomic_ulong calls;
extern void* __libc_malloc(size_t);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);
extern void* __libc_memalign(size_t, size_t);
void* malloc(size_t n) { atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed); return __libc_malloc(n); }
void* calloc(size_t a, size_t b) { atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed); return __libc_calloc(a, b); }
void* realloc(void* p, size_t n) { atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed); return __libc_realloc(p, n); }
int posix_memalign(void** p, size_t a, size_t n) { atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed); *p = __libc_memalign(a, n); return *p ? 0 : 12; }
void* aligned_alloc(size_t a, size_t n) { atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed); return __libc_memalign(a, n); }
__attribute__((destructor)) static void report(void) {
    char line[96];
    int len = snprintf(line, sizeof line, "allocations: %lu\n", (unsigned long)atomic_load(&calls));
    if (write(2, line, (size_t)len) < 0) {}
}
