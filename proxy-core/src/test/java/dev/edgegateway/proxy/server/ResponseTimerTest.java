package dev.edgegateway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.DefaultEventLoop;
import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The lazily cancelled response-header timer on a real event loop: never early, never for a disarmed try. */
class ResponseTimerTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private final EventExecutor loop = new DefaultEventLoop();

    @AfterEach
    void stop() {
        loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }

    private void on(Runnable r) throws Exception {
        loop.submit(r).get(10, TimeUnit.SECONDS);
    }

    @Test
    void expiresNoEarlierThanItsTimeoutAfterTheLatestArming() throws Exception {
        AtomicLong firedAt = new AtomicLong();
        CountDownLatch fired = new CountDownLatch(1);
        ResponseTimer[] t = new ResponseTimer[1];
        long[] armedAt = new long[1];
        on(() -> {
            t[0] = new ResponseTimer(loop, () -> {
                firedAt.set(System.nanoTime());
                fired.countDown();
            }, true);
            // A first try answered at once: its task stays scheduled, and finds the second try armed.
            t[0].arm(System.nanoTime(), 30 * MS);
            t[0].disarm();
            armedAt[0] = System.nanoTime();
            t[0].arm(armedAt[0], 120 * MS);
        });
        assertThat(fired.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(firedAt.get() - armedAt[0]).isGreaterThanOrEqualTo(120 * MS);
        on(() -> assertThat(t[0].armed()).isFalse());
    }

    @Test
    void aDisarmedTimerNeverExpiresAndAShorterTimeoutIsNotDelayedByALongerTask() throws Exception {
        AtomicInteger expiries = new AtomicInteger();
        CountDownLatch fired = new CountDownLatch(1);
        ResponseTimer[] t = new ResponseTimer[1];
        on(() -> {
            t[0] = new ResponseTimer(loop, () -> {
                expiries.incrementAndGet();
                fired.countDown();
            }, true);
            t[0].arm(System.nanoTime(), 20 * MS);
            t[0].disarm();
        });
        // Its task ran (a marker scheduled after it has run too) and found nothing armed.
        CountDownLatch after = new CountDownLatch(1);
        loop.schedule(after::countDown, 60, TimeUnit.MILLISECONDS);
        assertThat(after.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(expiries.get()).isZero();
        // Armed for an hour, then for 20 ms: the short one is not left waiting behind the long task.
        on(() -> {
            t[0].arm(System.nanoTime(), TimeUnit.HOURS.toNanos(1));
            t[0].disarm();
            t[0].arm(System.nanoTime(), 20 * MS);
        });
        assertThat(fired.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(expiries.get()).isEqualTo(1);
    }

    @Test
    void anEagerTimerCancelsItsTaskWhenDisarmedAndCloseCancelsALazyOne() throws Exception {
        on(() -> {
            ResponseTimer eager = new ResponseTimer(loop, () -> { }, false);
            eager.arm(System.nanoTime(), TimeUnit.HOURS.toNanos(1));
            assertThat(eager.scheduled()).isTrue();
            eager.disarm();
            assertThat(eager.scheduled()).isFalse();
            ResponseTimer lazy = new ResponseTimer(loop, () -> { }, true);
            lazy.arm(System.nanoTime(), TimeUnit.HOURS.toNanos(1));
            lazy.disarm();
            assertThat(lazy.scheduled()).isTrue();
            lazy.close();
            assertThat(lazy.scheduled()).isFalse();
        });
    }
}
