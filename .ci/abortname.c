// A JVM agent for CI (.ci/run builds it and the test JVMs load it, see the root pom's ci-abort-names
// profile): when glibc aborts the JVM (SIGABRT, which HotSpot does not handle: no hs_err file, and
// a core's threads have no names), it writes which thread aborted, by its kernel id (gdb's "LWP")
// and its name (HotSpot names each thread's native side after its Java name, cut to 15 bytes),
// to stderr and to the file named by the agent's option. Then the abort goes on: glibc's abort()
// restores the default action and raises SIGABRT again, so the core is written as before.
// Only the JVM that loads it is watched; the processes it starts are not.
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static char report[512];

static size_t put(char *to, size_t at, size_t cap, const char *s, size_t n) {
    while (n-- > 0 && at < cap) {
        to[at++] = *s++;
    }
    return at;
}

static size_t put_number(char *to, size_t at, size_t cap, long v) {
    char digits[24];
    size_t n = 0;
    do {
        digits[n++] = (char) ('0' + v % 10);
        v /= 10;
    } while (v > 0 && n < sizeof digits);
    while (n > 0 && at < cap) {
        to[at++] = digits[--n];
    }
    return at;
}

// Only async-signal-safe calls: syscall, open, read, write, close.
static void on_abort(int sig) {
    (void) sig;
    char name[32] = "?";
    int fd = open("/proc/thread-self/comm", O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, name, sizeof name - 1);
        close(fd);
        name[n > 0 ? n : 0] = 0;
        char *nl = strchr(name, '\n');
        if (nl) *nl = 0;
    }
    char line[160];
    size_t at = 0, cap = sizeof line;
    static const char a[] = "ci: SIGABRT in the JVM's thread LWP ", b[] = " named '", c[] = "'\n";
    at = put(line, at, cap, a, sizeof a - 1);
    at = put_number(line, at, cap, (long) syscall(SYS_gettid));
    at = put(line, at, cap, b, sizeof b - 1);
    at = put(line, at, cap, name, strlen(name));
    at = put(line, at, cap, c, sizeof c - 1);
    ssize_t ignored = write(2, line, at);
    if (report[0]) {
        fd = open(report, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            ignored = write(fd, line, at);
            close(fd);
        }
    }
    (void) ignored;
}

// The JVM calls this when it loads the agent (-agentpath:<this library>=<report file>).
int Agent_OnLoad(void *vm, char *options, void *reserved) {
    (void) vm;
    (void) reserved;
    if (options) {
        strncpy(report, options, sizeof report - 1);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_abort;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    return sigaction(SIGABRT, &sa, NULL) == 0 ? 0 : 1;
}
