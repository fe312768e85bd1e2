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
 */
public record RuntimeConfig(Transport transport, Integer workerThreads, Duration idleSpin) {
    public static final Duration DEFAULT_IDLE_SPIN = Duration.ofNanos(20_000);
    public static final Duration MAX_IDLE_SPIN = Duration.ofMillis(1);
    public static final RuntimeConfig DEFAULT = new RuntimeConfig(null, null, null);

    public enum Transport { AUTO, IO_URING, EPOLL, NIO }

    public RuntimeConfig {
        transport = transport == null ? Transport.AUTO : transport;
        workerThreads = workerThreads == null ? 0 : workerThreads;
        ConfigViolation.collector()
                .check(workerThreads >= 0 && workerThreads <= 1024, "workerThreads", "must be 0 (one per core) to 1024, found " + workerThreads)
                .check(idleSpin == null || !idleSpin.isNegative() && idleSpin.compareTo(MAX_IDLE_SPIN) <= 0, "idleSpin",
                        "must be 0 (wait at once) to 1ms, found " + (idleSpin == null ? "" : Durations.format(idleSpin)))
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
}
