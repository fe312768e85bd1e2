package dev.edgegateway.config;

import java.time.Duration;

/**
 * Process-level settings, read at start only.
 *
 * @param transport which I/O transport to use; {@code auto} is epoll, else NIO (io_uring only when named)
 * @param workerThreads event loops serving traffic; 0 means one per available core
 * @param idleSpin how long a traffic event loop with nothing to do keeps polling for work, without
 *     blocking, before it waits in the kernel; 0 waits at once; unset (null), the transport's
 *     default ({@link #idleSpinOn})
 * @param idleNap how long a traffic event loop that has just handled I/O and finds nothing more
 *     sleeps on a timer, rather than in the kernel's wait, before it looks again; 0 waits at once;
 *     unset (null), the transport's default ({@link #idleNapOn})
 */
public record RuntimeConfig(Transport transport, Integer workerThreads, Duration idleSpin, Duration idleNap) {
    public static final Duration DEFAULT_IDLE_SPIN = Duration.ofNanos(20_000);
    public static final Duration MAX_IDLE_SPIN = Duration.ofMillis(1);
    public static final Duration DEFAULT_IDLE_NAP = Duration.ofNanos(20_000);
    public static final Duration MAX_IDLE_NAP = Duration.ofMillis(1);
    public static final RuntimeConfig DEFAULT = new RuntimeConfig(null, null, null, null);

    public enum Transport { AUTO, IO_URING, EPOLL, NIO }

    public RuntimeConfig {
        transport = transport == null ? Transport.AUTO : transport;
        workerThreads = workerThreads == null ? 0 : workerThreads;
        ConfigViolation.collector()
                .check(workerThreads >= 0 && workerThreads <= 1024, "workerThreads", "must be 0 (one per core) to 1024, found " + workerThreads)
                .check(idleSpin == null || !idleSpin.isNegative() && idleSpin.compareTo(MAX_IDLE_SPIN) <= 0, "idleSpin",
                        "must be 0 (wait at once) to 1ms, found " + (idleSpin == null ? "" : Durations.format(idleSpin)))
                .check(idleNap == null || !idleNap.isNegative() && idleNap.compareTo(MAX_IDLE_NAP) <= 0, "idleNap",
                        "must be 0 (wait at once) to 1ms, found " + (idleNap == null ? "" : Durations.format(idleNap)))
                .throwIfAny();
    }

    /**
     * The spin on the transport that serves ({@code auto} resolved): {@link #idleSpin} if set, else
     * {@link #DEFAULT_IDLE_SPIN} on io_uring, whose poll with nothing ready is a read of shared
     * memory, and 0 on epoll and NIO, whose every poll is a system call (on the benchmark host the
     * spin cost epoll 1.8-3.1 us more CPU per request; benchmarks/README.md, issue 24's eighteenth step).
     */
    public Duration idleSpinOn(Transport serving) {
        return idleSpin != null ? idleSpin : serving == Transport.IO_URING ? DEFAULT_IDLE_SPIN : Duration.ZERO;
    }

    /**
     * The nap on the transport that serves ({@code auto} resolved): {@link #idleNap} if set, else
     * {@link #DEFAULT_IDLE_NAP} on epoll and NIO, whose wait in the kernel is what a ready socket's
     * sender must wake (on the benchmark host, napping instead cost 1.75 us less CPU per request
     * and gave 1.14x the requests/s at 64 connections; benchmarks/README.md, issue 24's
     * twenty-ninth step), and 0 on io_uring, whose {@link #idleSpinOn spin} reads shared memory.
     */
    public Duration idleNapOn(Transport serving) {
        return idleNap != null ? idleNap : serving == Transport.IO_URING ? Duration.ZERO : DEFAULT_IDLE_NAP;
    }
}
