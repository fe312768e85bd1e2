package dev.edgegateway.config;

import java.time.Duration;

/**
 * Process-level settings, read at start only.
 *
 * @param transport which I/O transport to use; {@code auto} is io_uring where the kernel allows it, else epoll, else NIO
 * @param workerThreads event loops serving traffic; 0 means one per available core
 * @param idleSpin how long a traffic event loop with nothing to do keeps polling for work, without
 *     blocking, before it waits in the kernel; 0 waits at once
 */
public record RuntimeConfig(Transport transport, Integer workerThreads, Duration idleSpin) {
    public static final Duration DEFAULT_IDLE_SPIN = Duration.ofNanos(20_000);
    public static final Duration MAX_IDLE_SPIN = Duration.ofMillis(1);
    public static final RuntimeConfig DEFAULT = new RuntimeConfig(null, null, null); // after the durations it uses

    public enum Transport { AUTO, IO_URING, EPOLL, NIO }

    public RuntimeConfig {
        transport = transport == null ? Transport.AUTO : transport;
        workerThreads = workerThreads == null ? 0 : workerThreads;
        idleSpin = idleSpin == null ? DEFAULT_IDLE_SPIN : idleSpin;
        ConfigViolation.collector()
                .check(workerThreads >= 0 && workerThreads <= 1024, "workerThreads", "must be 0 (one per core) to 1024, found " + workerThreads)
                .check(!idleSpin.isNegative() && idleSpin.compareTo(MAX_IDLE_SPIN) <= 0, "idleSpin",
                        "must be 0 (wait at once) to 1ms, found " + Durations.format(idleSpin))
                .throwIfAny();
    }
}
