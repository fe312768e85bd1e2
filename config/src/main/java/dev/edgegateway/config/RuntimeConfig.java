package dev.edgegateway.config;

/**
 * Process-level settings, read at start only.
 *
 * @param transport which I/O transport to use; {@code auto} is epoll, else NIO (io_uring only when named)
 * @param workerThreads event loops serving traffic; 0 means one per available core
 */
public record RuntimeConfig(Transport transport, Integer workerThreads) {
    public static final RuntimeConfig DEFAULT = new RuntimeConfig(null, null);

    public enum Transport { AUTO, IO_URING, EPOLL, NIO }

    public RuntimeConfig {
        transport = transport == null ? Transport.AUTO : transport;
        workerThreads = workerThreads == null ? 0 : workerThreads;
        ConfigViolation.collector()
                .check(workerThreads >= 0 && workerThreads <= 1024, "workerThreads", "must be 0 (one per core) to 1024, found " + workerThreads)
                .throwIfAny();
    }
}
