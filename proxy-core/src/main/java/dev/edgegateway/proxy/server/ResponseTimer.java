package dev.edgegateway.proxy.server;

import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The response-header timer of one client connection's tries. Arming and disarming it per
 * request is two field writes: the scheduled task is not cancelled when a response arrives in
 * time but left to run, and when it runs it finds itself disarmed (or armed for a later try, and
 * sleeps until then). A keep-alive connection therefore costs one scheduled task per timeout
 * period rather than a task (an object and a priority-queue insertion and removal) per request.
 * With {@code lazy} false (an HTTP/2 stream, whose attempt ends with it) disarming cancels the
 * task at once, so that no task outlives its stream. Confined to the connection's event loop.
 */
final class ResponseTimer implements Runnable {
    private final EventExecutor loop;
    private final Runnable onExpiry;
    private final boolean lazy;
    private boolean armed;
    private long fireAt;
    private ScheduledFuture<?> task;
    private long taskAt;

    ResponseTimer(EventExecutor loop, Runnable onExpiry, boolean lazy) {
        this.loop = loop;
        this.onExpiry = onExpiry;
        this.lazy = lazy;
    }

    /**
     * Arms the timer for {@code x}'s current try: the per-try timeout, but never past the request's
     * own deadline (responseHeader from the end of the first try's request), so retries cannot
     * stretch a request beyond what the config promises the client.
     */
    void armFor(Exchange x, long now) {
        if (!x.responseDeadlineSet) {
            x.responseDeadlineSet = true;
            x.responseDeadlineNanos = now + x.state.responseHeaderTimeoutNanos;
        }
        long timeout = Math.max(0, x.responseDeadlineNanos - now);
        long perTry = x.retryPolicy.perTryTimeoutNanos();
        if (perTry > 0 && perTry < timeout) {
            timeout = perTry;
        }
        arm(now, timeout);
    }

    /** Expires {@code timeoutNanos} after {@code now} (a {@link System#nanoTime()} reading) unless disarmed first. */
    void arm(long now, long timeoutNanos) {
        armed = true;
        fireAt = now + timeoutNanos;
        if (task != null && taskAt - fireAt > 0) {
            task.cancel(false); // a shorter timeout than the one the task sleeps for
            task = null;
        }
        if (task == null) {
            schedule(now);
        }
    }

    void disarm() {
        armed = false;
        if (!lazy) {
            cancel();
        }
    }

    boolean armed() {
        return armed;
    }

    /** Whether a task is scheduled (for tests). */
    boolean scheduled() {
        return task != null;
    }

    /** Disarmed, and the task (if any) cancelled: the connection is done. */
    void close() {
        armed = false;
        cancel();
    }

    private void cancel() {
        if (task != null) {
            task.cancel(false);
            task = null;
        }
    }

    private void schedule(long now) {
        taskAt = fireAt;
        task = loop.schedule(this, Math.max(0, fireAt - now), TimeUnit.NANOSECONDS);
    }

    @Override
    public void run() {
        task = null;
        if (!armed) {
            return;
        }
        long now = System.nanoTime();
        if (fireAt - now > 0) {
            schedule(now); // armed again, for a later try, since this task was scheduled
            return;
        }
        armed = false;
        onExpiry.run();
    }
}
