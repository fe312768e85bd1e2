package dev.edgegateway.proxy.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoRegistration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;

/**
 * {@code runtime.idleSpin}: before the loop blocks, its I/O handler polls without blocking, and
 * stops as soon as something is handled, a task is queued, or the spin's time is up. Against an
 * inner handler that records each call; the end-to-end side (a gateway with the spin serves on
 * each transport) is TransportTest's.
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

    private static IoHandler handler(IoHandler inner, long spinNanos) {
        return LoopIoHandler.wrap(executor -> inner, spinNanos).newHandler(null);
    }

    private static IntSupplier answers(int... values) {
        int[] next = {0};
        return () -> values[Math.min(next[0]++, values.length - 1)];
    }

    /** An inner handler: what each run returns, and whether the context it was given could block. */
    private static final class Recorder implements IoHandler {
        final List<Boolean> calls = new ArrayList<>();
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
        public void wakeup() {}

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
