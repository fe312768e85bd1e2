package dev.edgegateway.proxy.transport;

import io.netty.channel.IoHandler;
import io.netty.channel.uring.IoUringIoHandler;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether an io_uring loop's {@code run} would find anything to do, read from the rings' shared
 * memory: a completion in the completion queue, or in the submission queue's flags the kernel's
 * mark that completions wait to be run ({@code IORING_SQ_TASKRUN}, under
 * {@code IORING_SETUP_DEFER_TASKRUN}) or that the completion queue overflowed, or entries queued and
 * not yet submitted. That is {@code IoUringIoHandler.run}'s own test of whether to enter the kernel,
 * asked without calling it: each call of {@code run} allocates a callback ({@code this::handle},
 * 18% of the gateway's allocated bytes at 64 connections while the loop spun on it, benchmarks/README.md,
 * nineteenth step), and does the submission queue's and completion queue's bookkeeping.
 *
 * <p>Netty keeps the rings package-private, so the handles are looked up once, reflectively (the
 * Netty jars are on the class path, whose packages are open). A Netty whose internals moved is
 * met with {@link #of} returning null, logged once, and the spin polls {@code run} as on the other
 * transports; {@code RingPeekTest} fails on such a Netty, so an upgrade cannot lose it unnoticed.
 */
final class RingPeek {
    private static final Logger log = LoggerFactory.getLogger(RingPeek.class);
    /** {@code IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN} (include/uapi/linux/io_uring.h). */
    private static final int ENTER_FLAGS = (1 << 1) | (1 << 2);

    private static final MethodHandle RING_BUFFER;
    private static final MethodHandle COMPLETION_QUEUE;
    private static final MethodHandle SUBMISSION_QUEUE;
    private static final MethodHandle HAS_COMPLETIONS;
    private static final MethodHandle FLAGS;
    private static final MethodHandle QUEUED;
    static final Throwable UNAVAILABLE;
    /** Whether a loop has said it polls through {@code run()}: once per process, not once per loop. */
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    static {
        MethodHandle ring = null, cq = null, sq = null, has = null, flags = null, queued = null;
        Throwable failure = null;
        try {
            MethodHandles.Lookup l = MethodHandles.privateLookupIn(IoUringIoHandler.class, MethodHandles.lookup());
            Class<?> ringBuffer = l.findClass("io.netty.channel.uring.RingBuffer");
            Class<?> completions = l.findClass("io.netty.channel.uring.CompletionQueue");
            Class<?> submissions = l.findClass("io.netty.channel.uring.SubmissionQueue");
            MethodType toObject = MethodType.methodType(Object.class, Object.class);
            ring = l.findGetter(IoUringIoHandler.class, "ringBuffer", ringBuffer).asType(toObject);
            cq = l.findVirtual(ringBuffer, "ioUringCompletionQueue", MethodType.methodType(completions)).asType(toObject);
            sq = l.findVirtual(ringBuffer, "ioUringSubmissionQueue", MethodType.methodType(submissions)).asType(toObject);
            has = l.findVirtual(completions, "hasCompletions", MethodType.methodType(boolean.class))
                    .asType(MethodType.methodType(boolean.class, Object.class));
            flags = l.findVirtual(submissions, "flags", MethodType.methodType(int.class))
                    .asType(MethodType.methodType(int.class, Object.class));
            queued = l.findVirtual(submissions, "count", MethodType.methodType(int.class))
                    .asType(MethodType.methodType(int.class, Object.class));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            failure = e;
        }
        RING_BUFFER = ring;
        COMPLETION_QUEUE = cq;
        SUBMISSION_QUEUE = sq;
        HAS_COMPLETIONS = has;
        FLAGS = flags;
        QUEUED = queued;
        UNAVAILABLE = failure;
    }

    private final Object completions;
    private final Object submissions;

    private RingPeek(Object completions, Object submissions) {
        this.completions = completions;
        this.submissions = submissions;
    }

    /** A look into {@code handler}'s rings, or null when it is not io_uring's or its rings cannot be reached. */
    static RingPeek of(IoHandler handler) {
        if (!(handler instanceof IoUringIoHandler)) {
            return null;
        }
        Throwable failure = UNAVAILABLE;
        if (failure == null) {
            try {
                Object ring = RING_BUFFER.invokeExact((Object) handler);
                return new RingPeek(COMPLETION_QUEUE.invokeExact(ring), SUBMISSION_QUEUE.invokeExact(ring));
            } catch (Throwable e) {
                failure = e;
            }
        }
        if (WARNED.compareAndSet(false, true)) {
            log.warn("the idle spin polls io_uring through its run(): this Netty's rings cannot be read ({})", failure.toString());
        }
        return null;
    }

    /** True when the loop's {@code run} would handle a completion or enter the kernel. */
    boolean pending() {
        try {
            return (boolean) HAS_COMPLETIONS.invokeExact(completions)
                    || ((int) FLAGS.invokeExact(submissions) & ENTER_FLAGS) != 0
                    || (int) QUEUED.invokeExact(submissions) > 0;
        } catch (Throwable e) {
            throw new IllegalStateException("reading io_uring's rings", e); // the handles' types are fixed above: not reached
        }
    }
}
