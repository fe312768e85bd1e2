// A quarantine for freed heap memory, preloaded (LD_PRELOAD) into the end-to-end tests' JVMs by
// .ci/qfree-run after a test JVM died in glibc's heap checks. free() does not hand a chunk back to
// glibc at once: it fills it with a pattern and keeps it (the last 2^20 chunks of up to 1032 bytes,
// glibc's tcache sizes, and the last 512 of up to 8 MiB), and checks the pattern when the chunk
// leaves the quarantine and when the process exits. A changed byte is a write after free: the
// report names the chunk, the thread that freed it (its name, as the JVM sets it), how long ago,
// and the bytes written (a counter, an address, HTTP text name the writer, be it native code or
// the kernel through io_uring). A second free of a chunk still in quarantine is reported too.
// Either report aborts the process. Only java processes are watched: children that inherit the
// variable (redis-server with its own allocator, curl) pass every free through.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

extern void __libc_free(void *);

#define SMALL (1u << 20)
#define MAX_SMALL 1032
#define LARGE 512
#define MAX_LARGE (8u << 20)
#define PATTERN 0xA5
#define REPORT "/tmp/qfree.report"

struct held { void *p; size_t n; pid_t tid; void *caller; long ns; char thread[16]; };
static struct held small[SMALL], large[LARGE];
static unsigned small_next, large_next;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static void (*next_free)(void *);
static int watching;

// The chunks in quarantine, to catch a second free: open addressing, backward-shift deletion.
#define SLOTS (1u << 22)
static void *slots[SLOTS];
static unsigned home(void *p) { return (unsigned) ((((uintptr_t) p >> 4) * 0x9E3779B97F4A7C15ull) >> 40) & (SLOTS - 1); }
static int held_now(void *p) {
    for (unsigned i = home(p);; i = (i + 1) & (SLOTS - 1)) {
        if (!slots[i]) return 0;
        if (slots[i] == p) return 1;
    }
}
static void hold(void *p) {
    unsigned i = home(p);
    while (slots[i]) i = (i + 1) & (SLOTS - 1);
    slots[i] = p;
}
static void let_go(void *p) {
    unsigned i = home(p);
    while (slots[i] != p) {
        if (!slots[i]) return;
        i = (i + 1) & (SLOTS - 1);
    }
    slots[i] = 0;
    for (unsigned j = (i + 1) & (SLOTS - 1); slots[j]; j = (j + 1) & (SLOTS - 1)) {
        unsigned k = home(slots[j]);
        if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) { // k not in (i, j]: move it back
            slots[i] = slots[j];
            slots[j] = 0;
            i = j;
        }
    }
}

static long now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void report(const char *msg, int len) {
    write(2, msg, len);
    int fd = open(REPORT, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        write(fd, msg, len);
        close(fd);
    }
}

static void check(const struct held *h) {
    const unsigned char *b = h->p;
    for (size_t i = 0; i < h->n; i++) {
        if (b[i] == PATTERN) continue;
        char msg[4096];
        int k = snprintf(msg, sizeof msg,
                "QFREE: pid %d: %zu-byte chunk %p written at offset %zu after it was freed, %.3f ms ago, by thread %d \"%s\" (free called from %p)\nQFREE: its bytes from offset %zu:",
                (int) getpid(), h->n, h->p, i, (now() - h->ns) / 1e6, h->tid, h->thread, h->caller, i & ~(size_t) 31);
        for (size_t j = i & ~(size_t) 31; j < h->n && j < (i & ~(size_t) 31) + 256 && k < 3900; j++)
            k += snprintf(msg + k, sizeof msg - k, "%s%02x", j % 32 == 0 ? "\nQFREE:   " : " ", b[j]);
        k += snprintf(msg + k, sizeof msg - k, "\n");
        report(msg, k);
        abort();
    }
}

__attribute__((constructor)) static void start(void) {
    char exe[512] = {0};
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    next_free = (void (*)(void *)) dlsym(RTLD_NEXT, "free");
    watching = n > 5 && strcmp(exe + n - 5, "/java") == 0;
}

void free(void *p) {
    if (!p) return;
    if (!watching) {
        if (next_free) next_free(p); else __libc_free(p);
        return;
    }
    size_t n = malloc_usable_size(p);
    if (n > MAX_LARGE) {
        __libc_free(p);
        return;
    }
    struct held h = { p, n, (pid_t) syscall(SYS_gettid), __builtin_return_address(0), now(), {0} };
    prctl(PR_GET_NAME, h.thread);
    pthread_mutex_lock(&lock);
    if (held_now(p)) {
        char msg[512];
        int k = snprintf(msg, sizeof msg, "QFREE: pid %d: %zu-byte chunk %p freed a second time, by thread %d \"%s\" (free called from %p)\n",
                (int) getpid(), n, p, h.tid, h.thread, h.caller);
        report(msg, k);
        abort();
    }
    hold(p);
    memset(p, PATTERN, n);
    struct held out;
    if (n > MAX_SMALL) {
        out = large[large_next];
        large[large_next] = h;
        large_next = (large_next + 1) % LARGE;
    } else {
        out = small[small_next];
        small[small_next] = h;
        small_next = (small_next + 1) & (SMALL - 1);
    }
    if (out.p) {
        check(&out);
        let_go(out.p);
    }
    pthread_mutex_unlock(&lock);
    if (out.p) __libc_free(out.p);
}

__attribute__((destructor)) static void stop(void) {
    if (!watching) return;
    pthread_mutex_lock(&lock);
    for (unsigned i = 0; i < SMALL; i++) if (small[i].p) check(&small[i]);
    for (unsigned i = 0; i < LARGE; i++) if (large[i].p) check(&large[i]);
    pthread_mutex_unlock(&lock);
}
