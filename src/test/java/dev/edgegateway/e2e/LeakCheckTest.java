package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;

/** The leak check is wired: a buffer dropped without release() is reported to it (and this test takes the report back). */
class LeakCheckTest {
    @Test
    void aDroppedBufferIsReportedToTheCheck() throws Exception {
        leak();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (FailingLeakDetector.LEAKS.isEmpty() && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
            ByteBufAllocator.DEFAULT.directBuffer(1).release();
        }
        assertThat(FailingLeakDetector.LEAKS).isNotEmpty();
        assertThat(FailingLeakDetector.LEAKS.peek()).contains("LEAK: ByteBuf.release() was not called");
        FailingLeakDetector.LEAKS.clear(); // the leak was this test's own doing
    }

    private static void leak() {
        ByteBuf b = ByteBufAllocator.DEFAULT.directBuffer(64);
        b.writeLong(42);
    }
}
