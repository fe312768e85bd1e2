package dev.edgegateway.proxy.transport;

import dev.edgegateway.proxy.transport.LoopClock.LoopThread;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoRegistration;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.util.concurrent.ThreadAwareExecutor;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An event loop's I/O handler (epoll's, io_uring's, NIO's) with {@link LoopFlushes} run as soon as it has
 * processed the ready sockets: the flushes a turn's reads asked for no longer go through the
 * loop's task queue (an MPSC offer and a task per turn: {@code SingleThreadEventExecutor.execute}
 * was 0.75% of the event loop's samples, benchmarks/README.md) but are done right there,
 * still before the loop's tasks and its next wait. A flush asked for anywhere else on the loop
 * (a task, a timer) is queued as a task, as before. On io_uring a flush is done at once and the batch
 * stays empty ({@link LoopFlushes}: the ring batches the sends). The wrapper is only the loop's: a channel's
 * registration is the inner handler's (io_uring's channels take their handler from it).
 *
 * <p>Before a traffic loop blocks, it polls without blocking for up to {@code runtime.idleSpin}
 * ({@link #spin}; by default 20 us on io_uring, none on epoll and NIO: {@code RuntimeConfig.idleSpinOn}).
 * A loop asleep in the kernel is woken by whoever makes its socket ready: on another CPU, that is
 * an interrupt to this one (a rescheduling or function-call IPI; in a VM an exit on the sender and
 * an injection here), paid by the sender's CPU, which on an edge is the NIC's softirq or the other
 * loops. A loop still polling is found running and costs the sender nothing. Measured on issue
 * 24's host (benchmarks/README.md, eighteenth step): such interrupts into the gateway's CPU fell
 * from 0.26-0.51 to 0.05 per request, and in two of three comparisons so did the CPU the origin
 * and load generator spent per request. On io_uring a poll with nothing to do is
 * a look at the rings' shared memory ({@link RingPeek}), no system call and no call into Netty's
 * handler, which allocates on each run; on epoll and NIO it is an {@code epoll_wait}/{@code selectNow}
 * with no timeout. The spin ends at the first thing
 * handled, or when a task is queued (the loop can no longer block); a loop with nothing to do
 * spins once and then sleeps, so an idle gateway spends at most the spin per wake-up (a timer, a task).
 *
 * <p>Where polling costs a system call (epoll, NIO), a loop that has just handled I/O and finds
 * nothing more naps instead ({@code runtime.idleNap}, by default 20 us there, none on io_uring:
 * {@code RuntimeConfig.idleNapOn}): it sleeps on a timer, not in {@code epoll_wait}, then polls
 * without blocking. A socket made ready during the nap finds no one waiting on it, so its sender
 * wakes no one and sends no interrupt; the loop takes what came during the nap in one turn when the
 * timer ends it. Only a task queued from another thread ends a nap early ({@link #wakeup}). After
 * {@link #maxNaps} naps in a row with nothing handled (about {@link #NAP_WINDOW_NANOS} of quiet) the
 * loop blocks as before, so an idle gateway naps a few dozen times after its last event and then
 * sleeps. A timer due during a nap runs at its end. Measured on issue 24's host (benchmarks/README.md,
 * twenty-ninth step), paired against blocking at once: interrupts into the gateway's CPU from 0.56
 * to 0.01 per request at 64 connections, 1.14x the requests/s and 1.75 us less CPU per request.
 */
final class LoopIoHandler implements IoHandler {
    private static final Logger log = LoggerFactory.getLogger(LoopIoHandler.class);

    private final IoHandler io;
    /** {@code runtime.idleSpin}: how long the loop polls before it blocks; 0 blocks at once. */
    private final long spinNanos;
    /** io_uring's rings, looked at before each poll of the spin; null on the other transports. */
    private final RingPeek ring;
    private final NonBlocking nonBlocking = new NonBlocking();
    private LoopFlushes flushes;
    /** The quiet, in naps' nominal time, after which a napping loop blocks: {@link #maxNaps} is this over the nap. */
    static final long NAP_WINDOW_NANOS = 1_000_000;
    /** {@code runtime.idleNap}: how long a loop that has just handled I/O sleeps before it polls again; 0 never. */
    private final long napNanos;
    /** Naps in a row with nothing handled, after which the loop blocks. */
    private final int maxNaps;
    private int naps;
    /** The loop's thread while it naps, for {@link #wakeup} to end the nap; null otherwise. */
    private volatile Thread napping;

    private LoopIoHandler(IoHandler io, long spinNanos, long napNanos) {
        this.io = io;
        this.spinNanos = spinNanos;
        this.ring = spinNanos == 0 ? null : RingPeek.of(io);
        this.napNanos = napNanos;
        this.maxNaps = napNanos == 0 ? 0 : (int) Math.max(1, Math.min(Integer.MAX_VALUE, NAP_WINDOW_NANOS / napNanos));
    }

    /** {@code inner}'s handlers, each wrapped: polling for up to {@code spinNanos}, then napping {@code napNanos} at a time, before they block. */
    static IoHandlerFactory wrap(IoHandlerFactory inner, long spinNanos, long napNanos) {
        return new IoHandlerFactory() {
            @Override
            public IoHandler newHandler(ThreadAwareExecutor executor) {
                return new LoopIoHandler(inner.newHandler(executor), spinNanos, napNanos);
            }

            @Override
            public boolean isChangingThreadSupported() {
                return inner.isChangingThreadSupported();
            }
        };
    }

    @Override
    public int run(IoHandlerContext context) {
        LoopFlushes f = flushes;
        if (f == null) {
            if (!(Thread.currentThread() instanceof LoopThread t)) {
                return poll(context); // not a gateway loop's thread: flushes are immediate there
            }
            f = flushes = t.flushes;
            f.sendsQueued = io instanceof IoUringIoHandler;
        }
        f.inIo = true;
        LoopClock.enter(); // the turn's reads share one reading of the clock, taken when first asked for
        int handled;
        try {
            handled = poll(context);
        } finally {
            LoopClock.exit();
            f.inIo = false;
        }
        try {
            f.run();
        } catch (Throwable e) {
            log.warn("a batched flush failed", e); // as the loop would have logged it from a task
        }
        return handled;
    }

    /** The inner handler's run: where it may block, after {@link #spin} has found nothing and the naps are over. */
    private int poll(IoHandlerContext context) {
        int handled;
        if (spinNanos == 0 && naps >= maxNaps || !context.canBlock()) {
            // no spin and no nap left (none set, or quiet for the window): the inner handler may block
            handled = io.run(context);
        } else {
            handled = spinNanos > 0 ? spin(context) : pollNow(context);
            if (handled == 0 && context.canBlock()) {
                if (naps < maxNaps) {
                    naps++;
                    nap(context);
                    return 0; // the loop runs its tasks, if any came, and then this again
                }
                handled = io.run(context);
            }
        }
        if (handled > 0) {
            naps = 0;
        }
        return handled;
    }

    private int pollNow(IoHandlerContext context) {
        nonBlocking.outer = context;
        return io.run(nonBlocking);
    }

    /**
     * Sleeps {@link #napNanos} plus the kernel's timer slack (50 us by default for a thread; with it
     * lowered to 1 us the naps were shorter and more of them, and cost 2 us/request more CPU:
     * benchmarks/README.md, twenty-ninth step), unless a task is queued first. The thread is
     * published before the last look at the task queue, so that a task queued after that look
     * finds it to unpark.
     */
    private void nap(IoHandlerContext context) {
        napping = Thread.currentThread();
        if (context.canBlock()) {
            LockSupport.parkNanos(this, napNanos);
        }
        napping = null;
    }

    /**
     * Polls without blocking until something is handled, a task is queued (the loop can no longer
     * block) or {@link #spinNanos} have passed; 0 when nothing came. On io_uring the inner handler
     * runs only when {@link RingPeek} sees something for it; elsewhere each poll is its run.
     */
    private int spin(IoHandlerContext context) {
        nonBlocking.outer = context;
        RingPeek ring = this.ring;
        long end = System.nanoTime() + spinNanos;
        do {
            if (ring == null || ring.pending()) {
                int n = io.run(nonBlocking);
                if (n > 0) {
                    return n;
                }
            }
            Thread.onSpinWait();
        } while (context.canBlock() && System.nanoTime() - end < 0);
        return 0;
    }

    private static final class NonBlocking implements IoHandlerContext {
        IoHandlerContext outer;

        @Override
        public boolean canBlock() {
            return false;
        }

        @Override
        public long delayNanos(long currentTimeNanos) {
            return outer.delayNanos(currentTimeNanos);
        }

        @Override
        public long deadlineNanos() {
            return outer.deadlineNanos();
        }

        @Override
        public void reportActiveIoTime(long activeNanos) {
            outer.reportActiveIoTime(activeNanos);
        }

        @Override
        public boolean shouldReportActiveIoTime() {
            return outer.shouldReportActiveIoTime();
        }
    }

    @Override
    public void initialize() {
        io.initialize();
    }

    @Override
    public void prepareToDestroy() {
        io.prepareToDestroy();
    }

    @Override
    public void destroy() {
        io.destroy();
    }

    @Override
    public IoRegistration register(IoHandle handle) throws Exception {
        return io.register(handle);
    }

    @Override
    public void wakeup() {
        io.wakeup();
        Thread t = napping;
        if (t != null) {
            LockSupport.unpark(t); // a task queued from another thread: the nap ends, the loop runs it
        }
    }

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
        return io.isCompatible(handleType);
    }
}
