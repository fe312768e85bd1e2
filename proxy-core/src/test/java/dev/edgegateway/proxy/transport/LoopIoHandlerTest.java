package dev.edgegateway.proxy.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoRegistration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;

/**
 * {@code runtime.idleSpin}: before the loop blocks, its I/O handler polls without blocking, and
 * stops as soon as something is handled, a task is queued, or the spin's time is up.
 * {@code runtime.idleNap}: a loop that has just handled I/O and finds nothing sleeps on a timer
 * instead of blocking, until quiet for the nap window or woken by a task. Against an inner handler
 * that records each call; the end-to-end side (a gateway serves on each transport, napping on epoll
 * and NIO by default) is TransportTest's and the rest of the suite's.
 */
class LoopIoHandlerTest {
    /** Long enough that only what the test arranges can end a spin, on however busy a machine. */
    private static final long LONG_SPIN = TimeUnit.SECONDS.toNanos(30);

    @Test
    void aSpinThatFindsWorkReturnsItWithoutBlocking() throws Exception {
        Recorder inner = new Recorder(answers(0, 0, 2));
        int handled = handler(inner, LONG_SPIN).run(new Context(() -> true));

        assertThat(handled).isEqualTo(2);
        assertThat(inner.calls).containsExactly(false, false, false);
    }

    @Test
    void aSpinThatFindsNothingEndsInTheBlockingWait() throws Exception {
        Recorder inner = new Recorder(() -> 0);
        int handled = handler(inner, 1).run(new Context(() -> true));

        assertThat(handled).isZero();
        assertThat(inner.calls).endsWith(true).hasSizeGreaterThan(1);
        assertThat(inner.calls.subList(0, inner.calls.size() - 1)).containsOnly(false);
    }

    @Test
    void aTaskQueuedDuringTheSpinEndsItWithoutBlocking() throws Exception {
        Recorder inner = new Recorder(() -> 0);
        // The loop's own answer: it can block until a task is queued, here after the second poll.
        int handled = handler(inner, LONG_SPIN).run(new Context(() -> inner.calls.size() < 2));

        assertThat(handled).isZero();
        assertThat(inner.calls).containsExactly(false, false);
    }

    @Test
    void withoutASpinOrWhenTheLoopCannotBlockTheInnerHandlerRunsOnce() throws Exception {
        Recorder blocking = new Recorder(() -> 0);
        handler(blocking, 0).run(new Context(() -> true));
        assertThat(blocking.calls).containsExactly(true);

        Recorder busy = new Recorder(() -> 1);
        assertThat(handler(busy, LONG_SPIN).run(new Context(() -> false))).isEqualTo(1);
        assertThat(busy.calls).containsExactly(false);
    }

    @Test
    void aLoopThatHasJustHandledIoNapsWhenItFindsNothingAndBlocksOnceQuietForTheWindow() throws Exception {
        Recorder inner = new Recorder(answers(3, 0, 0, 0, 2, 0));
        // Two naps make the window: the third poll in a row that finds nothing blocks.
        IoHandler loop = handler(inner, 0, LoopIoHandler.NAP_WINDOW_NANOS / 2);
        Context context = new Context(() -> true);

        assertThat(loop.run(context)).isEqualTo(3);
        assertThat(loop.run(context)).isZero(); // nothing: a nap, no wait in the kernel
        assertThat(loop.run(context)).isZero(); // again
        assertThat(inner.calls).containsExactly(false, false, false);
        assertThat(loop.run(context)).isZero(); // quiet for the window: the inner handler may block, at once
        assertThat(inner.calls).containsExactly(false, false, false, true);
        assertThat(loop.run(context)).isEqualTo(2); // woken by I/O, still from the blocking wait
        assertThat(loop.run(context)).isZero(); // just busy again: naps again
        assertThat(inner.calls).containsExactly(false, false, false, true, true, false);
    }

    @Test
    void aTaskQueuedFromAnotherThreadEndsANap() throws Exception {
        Recorder inner = new Recorder(answers(1, 0));
        // A nap far longer than the wait below: only the wake-up can end it in time.
        IoHandler loop = handler(inner, 0, TimeUnit.MINUTES.toNanos(10));
        Context context = new Context(() -> true);
        assertThat(loop.run(context)).isEqualTo(1);
        CompletableFuture<Thread> napper = new CompletableFuture<>();
        CompletableFuture<Integer> napped = CompletableFuture.supplyAsync(() -> {
            napper.complete(Thread.currentThread());
            return loop.run(context);
        });
        Thread t = napper.get(30, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (t.getState() != Thread.State.TIMED_WAITING && System.nanoTime() - deadline < 0) {
            Thread.onSpinWait(); // until it is asleep in its nap
        }
        assertThat(t.getState()).isEqualTo(Thread.State.TIMED_WAITING);

        loop.wakeup();

        assertThat(napped.get(30, TimeUnit.SECONDS)).isZero();
        assertThat(inner.calls).containsExactly(false, false);
        assertThat(inner.wakeups).isEqualTo(1); // the inner handler's own wake-up too, as before
    }

    @Test
    void withASpinAndANapTheSpinComesFirst() throws Exception {
        Recorder inner = new Recorder(answers(1, 0));
        IoHandler loop = handler(inner, 1, LoopIoHandler.NAP_WINDOW_NANOS);
        Context context = new Context(() -> true);
        assertThat(loop.run(context)).isEqualTo(1);
        assertThat(loop.run(context)).isZero(); // spun (at least one poll), then napped: one nap is the window
        assertThat(inner.calls).doesNotContain(true);
        assertThat(loop.run(context)).isZero();
        assertThat(inner.calls).last().isEqualTo(true);
    }

    private static IoHandler handler(IoHandler inner, long spinNanos) {
        return handler(inner, spinNanos, 0);
    }

    private static IoHandler handler(IoHandler inner, long spinNanos, long napNanos) {
        return LoopIoHandler.wrap(executor -> inner, spinNanos, napNanos).newHandler(null);
    }

    private static IntSupplier answers(int... values) {
        int[] next = {0};
        return () -> values[Math.min(next[0]++, values.length - 1)];
    }

    /** An inner handler: what each run returns, and whether the context it was given could block. */
    private static final class Recorder implements IoHandler {
        final List<Boolean> calls = new ArrayList<>();
        volatile int wakeups;
        private final IntSupplier handled;

        Recorder(IntSupplier handled) {
            this.handled = handled;
        }

        @Override
        public int run(IoHandlerContext context) {
            calls.add(context.canBlock());
            return handled.getAsInt();
        }

        @Override
        public void wakeup() {
            wakeups++;
        }

        @Override
        public IoRegistration register(IoHandle handle) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean isCompatible(Class<? extends IoHandle> handleType) {
            return false;
        }
    }

    private record Context(BooleanSupplier loopCanBlock) implements IoHandlerContext {
        @Override
        public boolean canBlock() {
            return loopCanBlock.getAsBoolean();
        }

        @Override
        public long delayNanos(long currentTimeNanos) {
            return -1;
        }

        @Override
        public long deadlineNanos() {
            return -1;
        }
    }
}
