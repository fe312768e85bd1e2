package dev.edgegateway.proxy.transport;

import io.micrometer.core.instrument.Clock;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.FastThreadLocalThread;

/**
 * The time as the event loops see it: read once per turn of the loop (the ready sockets it
 * processes after a wait) and then held, like Envoy's approximate monotonic time and HAProxy's
 * {@code now_ms}, which are updated once per turn as well. A request used to read the clock a
 * dozen times on its way through (its start, the try, the balancer, the limiter's bucket and
 * cache, the meters' windows, the end), each read a {@code clock_gettime}: 2.7% of the event
 * loop's time under load on the benchmark host, where a virtual machine's clock costs more than a
 * bare machine's; held per read event instead of per turn, the two reads a request still made
 * were 0.4%.
 *
 * <p>The hold is exact in scope: {@link LoopIoHandler} {@linkplain #enter() enters} a turn's I/O
 * on a {@link LoopThread} and {@linkplain #exit() leaves} it when the ready sockets have been
 * processed; the first reading inside takes the clock (after the wait, so the wait is never
 * counted), the rest return the same value. {@link IdleTimer}, first in a pipeline that has one,
 * enters each read as well, for a loop whose handler is not wrapped (the gateway wraps all of its own).
 * Anywhere else (the turn's batched flushes, timers, tasks, other threads) a reading is the
 * clock's, so nothing sees a time older than the turn it runs in: at most that turn's
 * processing late, which is also how long the turn's first request had waited in it. Durations
 * that begin and end in one turn (an answer from the gateway itself) read as zero. An answer from
 * elsewhere can come in the same turn on io_uring: a flush there is done in the turn
 * ({@link LoopFlushes}), and the loop submits it and goes on to process the completions that
 * follow, the origin's response among them. So such a flush ends the hold ({@link #sent}): what
 * comes back is timed from a new reading, and an origin's latency never reads as zero.
 */
public final class LoopClock {
    private LoopClock() {}

    /** An event loop's thread, holding the time of the turn it is processing, its {@link LoopFlushes} and its {@link LoopBuffers}. */
    public static final class LoopThread extends FastThreadLocalThread {
        private int depth;
        private boolean held;
        private long nanos;
        final LoopFlushes flushes = new LoopFlushes();
        final LoopBuffers buffers = new LoopBuffers();

        LoopThread(ThreadGroup group, Runnable task, String name) {
            super(group, task, name);
        }

        @Override
        public void run() {
            try {
                super.run();
            } finally {
                buffers.release();
            }
        }
    }

    /** Makes the event loops' threads (daemons, named {@code prefix-N-M} as Netty's factory names them). */
    public static DefaultThreadFactory threads(String prefix) {
        return new DefaultThreadFactory(prefix, true) {
            @Override
            protected Thread newThread(Runnable r, String name) {
                return new LoopThread(threadGroup, r, name);
            }
        };
    }

    /** A turn's I/O or a read begins on this thread (nested ones share the outermost one's time). */
    public static void enter() {
        if (Thread.currentThread() instanceof LoopThread t && t.depth++ == 0) {
            t.held = false;
        }
    }

    /** What {@link #enter()} began has been processed. */
    public static void exit() {
        if (Thread.currentThread() instanceof LoopThread t && t.depth > 0) {
            t.depth--;
        }
    }

    /** A send left in the turn on {@code t} (an io_uring flush): the next reading takes the clock again. */
    static void sent(LoopThread t) {
        t.held = false;
    }

    /** {@link System#nanoTime()}, held for the turn being processed. */
    public static long nanoTime() {
        if (Thread.currentThread() instanceof LoopThread t && t.depth > 0) {
            if (!t.held) {
                t.nanos = System.nanoTime();
                t.held = true;
            }
            return t.nanos;
        }
        return System.nanoTime();
    }

    private static final long START_MILLIS = System.currentTimeMillis();
    private static final long START_NANOS = System.nanoTime();

    /**
     * The meters' clock: a timer's record rotates its time windows by the wall clock and a
     * histogram's by the monotonic one, two readings per record without this. The wall time is
     * the held monotonic time counted from the start, so it costs no reading of its own; it
     * drifts from the system's as NTP slews that, which the windows' rotation (all the meters
     * use it for; the Prometheus scrape carries no timestamps) does not notice.
     */
    public static final Clock METERS = new Clock() {
        @Override
        public long wallTime() {
            return START_MILLIS + (nanoTime() - START_NANOS) / 1_000_000;
        }

        @Override
        public long monotonicTime() {
            return nanoTime();
        }
    };
}
