package dev.edgegateway.proxy.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.util.concurrent.ThreadAwareExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The idle spin's look into io_uring's rings, against a real ring on this machine's kernel: it
 * sees nothing while nothing has completed, sees a completion the loop has not run yet (here the
 * read of the loop's wake-up eventfd, completed by another thread's write), and nothing again once
 * the loop has run it. It fails on a Netty whose rings it can no longer reach, rather than the
 * spin quietly polling through {@code run()} again.
 */
class RingPeekTest {
    @Test
    void seesACompletionTheLoopHasNotRunYet() throws Exception {
        assumeTrue(IoUring.isAvailable(), () -> "io_uring unavailable: " + IoUring.unavailabilityCause());
        assertThat(RingPeek.UNAVAILABLE).isNull();
        Thread loop = Thread.currentThread();
        ThreadAwareExecutor executor = new ThreadAwareExecutor() {
            @Override
            public boolean isExecutorThread(Thread thread) {
                return thread == loop;
            }

            @Override
            public void execute(Runnable task) {
                throw new UnsupportedOperationException();
            }
        };
        IoHandler handler = IoUringIoHandler.newFactory().newHandler(executor);
        handler.initialize();
        try {
            RingPeek ring = RingPeek.of(handler);
            assertThat(ring).isNotNull();

            // A blocking run arms the wake-up eventfd's read and returns when its short timeout ends.
            handler.run(new Context(true, TimeUnit.MILLISECONDS.toNanos(1)));
            assertThat(ring.pending()).isFalse();

            Thread waker = new Thread(handler::wakeup);
            waker.start();
            waker.join();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!ring.pending() && System.nanoTime() - deadline < 0) {
                Thread.onSpinWait();
            }
            assertThat(ring.pending()).as("the eventfd's read completed and is not yet run").isTrue();

            handler.run(new Context(false, 0)); // the loop's own wake-up: run, though not counted as a channel's I/O
            assertThat(ring.pending()).isFalse();
        } finally {
            handler.prepareToDestroy();
            handler.destroy();
        }
    }

    @Test
    void otherTransportsHaveNoRingToLookAt() {
        ThreadAwareExecutor executor = new ThreadAwareExecutor() {
            @Override
            public boolean isExecutorThread(Thread thread) {
                return true;
            }

            @Override
            public void execute(Runnable task) {
                throw new UnsupportedOperationException();
            }
        };
        IoHandler nio = NioIoHandler.newFactory().newHandler(executor);
        try {
            assertThat(RingPeek.of(nio)).isNull();
        } finally {
            nio.destroy();
        }
    }

    private record Context(boolean canBlock, long timeoutNanos) implements IoHandlerContext {
        @Override
        public long delayNanos(long currentTimeNanos) {
            return timeoutNanos;
        }

        @Override
        public long deadlineNanos() {
            return canBlock ? System.nanoTime() + timeoutNanos : -1;
        }
    }
}
