package dev.edgegateway.proxy.server;

import dev.edgegateway.config.LimitsConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many client connections the gateway holds at once ({@code limits.maxClientConnections}, by
 * default three quarters of what the process's file limit leaves after 200 for everything else),
 * as HAProxy's {@code maxconn} does: at the limit the listeners stop accepting, and new connections
 * wait in the listen backlog until one closes. Without it, clients could take every file
 * descriptor, and the connections accepted got 502s because no origin connection could be opened.
 *
 * <p>Counted from any event loop; whether a listener accepts is decided on its own loop from the
 * count then, each time the count crosses the limit either way (so the last decision always sees
 * the last crossing). A listener reads up to 16 accepts at a time, so the count may pass the limit
 * by that many before the pause takes effect.
 */
public final class ClientConnectionBudget {
    private static final Logger log = LoggerFactory.getLogger(ClientConnectionBudget.class);
    /** File descriptors left for origin connections, files and the JVM's own before the automatic limit. */
    static final int RESERVED_FILES = 200;

    private final AtomicInteger open = new AtomicInteger();
    private final List<Channel> listeners = new CopyOnWriteArrayList<>();
    private final long fileLimit;
    private volatile int max;
    private volatile long lastLogNanos;

    ClientConnectionBudget(LimitsConfig limits, MeterRegistry registry) {
        this(limits, processFileLimit(), registry);
    }

    ClientConnectionBudget(LimitsConfig limits, long fileLimit, MeterRegistry registry) {
        this.fileLimit = fileLimit;
        this.max = limitFor(limits, fileLimit);
        Gauge.builder("edge.downstream.connections.limit", this, b -> b.max)
                .description("Client connections held at most before the listeners stop accepting (0: no limit)").register(registry);
    }

    /** The limit a config asks for: its own number, 0 for none, else derived from the file limit. */
    static int limitFor(LimitsConfig limits, long fileLimit) {
        Integer configured = limits.maxClientConnections();
        if (configured != null) {
            return configured;
        }
        return fileLimit <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, Math.max(16, (fileLimit - RESERVED_FILES) * 3 / 4));
    }

    private static long processFileLimit() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix
                ? unix.getMaxFileDescriptorCount() : 0;
    }

    public int limit() {
        return max;
    }

    /** A listener whose accepting this budget governs. */
    public void govern(Channel listener) {
        if (listeners.isEmpty()) {
            log.info("client connections: {}{}", max > 0 ? "at most " + max : "no limit",
                    fileLimit > 0 ? " (limits.maxClientConnections; the process may open " + fileLimit + " files)" : "");
        }
        listeners.add(listener);
        decide(listener);
    }

    /** A reloaded config's limit; takes effect at once. */
    void limit(LimitsConfig limits) {
        int next = limitFor(limits, fileLimit);
        if (next != max) {
            max = next;
            listeners.forEach(this::decide);
        }
    }

    void opened() {
        int m = max;
        if (open.incrementAndGet() >= m && m > 0) {
            listeners.forEach(this::decide);
        }
    }

    void closed() {
        int m = max;
        if (open.decrementAndGet() == m - 1 && m > 0) {
            listeners.forEach(this::decide);
        }
    }

    /** Whether the listeners may accept now. */
    public boolean mayAccept() {
        int m = max;
        return m <= 0 || open.get() < m;
    }

    private void decide(Channel listener) {
        if (!listener.isOpen()) {
            return; // closed by a drain; its loop may be gone with it
        }
        listener.eventLoop().execute(() -> {
            boolean accept = mayAccept();
            if (listener.config().isAutoRead() != accept) {
                listener.config().setAutoRead(accept);
                if (!accept && System.nanoTime() - lastLogNanos > 10_000_000_000L) {
                    lastLogNanos = System.nanoTime();
                    log.warn("{} client connections open, the limit (limits.maxClientConnections: {}{}): new connections wait in the listen backlog",
                            open.get(), max, fileLimit > 0 ? "; the process may open " + fileLimit + " files" : "");
                }
            }
        });
    }
}
