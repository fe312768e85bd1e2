package dev.edgegateway.proxy.observe;

import dev.edgegateway.config.AccessLogConfig;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Structured access log: event loops hand finished lines to a bounded lock-free queue and go on;
 * one background thread wakes every {@link #DRAIN_MILLIS} ms, writes what has queued up
 * (buffered) and flushes. Handing a line over never signals or wakes a thread: a per-line wakeup
 * (a blocking queue's condition) costs a context switch per request, which measured at half the
 * throughput. A full queue (a disk slower than the traffic) drops lines and counts them; it never
 * blocks an event loop.
 */
public final class AccessLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AccessLog.class);

    static final long DRAIN_MILLIS = 20;
    private static final int CAPACITY = 65_536;
    private final ConcurrentLinkedQueue<String> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final double sampleRatio;
    private final Writer out;
    private final Thread writer;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private volatile boolean closed;

    private AccessLog(AccessLogConfig c) throws IOException {
        this.sampleRatio = c.sampleRatio();
        this.out = c.path().equals("stdout")
                ? new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16)
                : Files.newBufferedWriter(Path.of(c.path()), StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        this.writer = new Thread(this::run, "edge-access-log");
        writer.setDaemon(true);
        writer.start();
    }

    /** The access log as configured, or null when it is off. */
    public static AccessLog create(AccessLogConfig c) {
        if (!c.enabled()) {
            return null;
        }
        try {
            return new AccessLog(c);
        } catch (IOException e) {
            throw new IllegalStateException("accessLog.path: cannot open " + c.path() + ": " + e.getMessage(), e);
        }
    }

    /** Whether to log this request: all errors, else a sample. */
    public boolean sampled(int status, boolean answeredByGateway) {
        return sampleRatio >= 1 || status >= 500 || answeredByGateway || ThreadLocalRandom.current().nextDouble() < sampleRatio;
    }

    /** Hands a line (without newline) to the writer; drops it if the writer is too far behind. */
    public void write(String line) {
        if (queued.incrementAndGet() > CAPACITY) {
            queued.decrementAndGet();
            dropped.incrementAndGet();
            return;
        }
        queue.offer(line);
    }

    public long dropped() {
        return dropped.get();
    }

    public long written() {
        return written.get();
    }

    private void run() {
        try {
            while (!closed || !queue.isEmpty()) {
                String line = queue.poll();
                if (line == null) {
                    Thread.sleep(DRAIN_MILLIS);
                    continue;
                }
                do {
                    queued.decrementAndGet();
                    out.write(line);
                    out.write('\n');
                    written.incrementAndGet();
                } while ((line = queue.poll()) != null);
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            log.error("access log write failed; access logging stops: {}", e.toString());
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            writer.join(2000);
            out.flush();
        } catch (InterruptedException | IOException e) {
            log.debug("closing the access log: {}", e.toString());
        }
    }

    private volatile long cachedMillis;
    private volatile String cachedTime = "";

    /** The current time in ISO-8601 (UTC, milliseconds), formatted at most once per millisecond. */
    public String now() {
        long ms = System.currentTimeMillis();
        String t = cachedTime;
        if (ms != cachedMillis) {
            t = Instant.ofEpochMilli(ms).toString();
            cachedTime = t;
            cachedMillis = ms;
        }
        return t;
    }

    /** Appends {@code "name":"value"} (JSON-escaped), with a leading comma unless first. */
    public static void field(StringBuilder sb, String name, CharSequence value) {
        if (sb.length() > 1) {
            sb.append(',');
        }
        sb.append('"').append(name).append("\":");
        Json.quote(sb, value);
    }

    public static void field(StringBuilder sb, String name, long value) {
        if (sb.length() > 1) {
            sb.append(',');
        }
        sb.append('"').append(name).append("\":").append(value);
    }
}
