package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;

/**
 * The leak check is wired: a buffer dropped without release() is reported to it. This test takes
 * back its own report, and only its own: a leak of an earlier test's gateway reported meanwhile
 * stays for {@link LeakCheck} to fail on.
 */
class LeakCheckTest {
    @Test
    void aDroppedBufferIsReportedToTheCheck() throws Exception {
        leak();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (own() == null && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
            ByteBufAllocator.DEFAULT.directBuffer(1).release();
        }
        String own = own();
        assertThat(own).as("this test's leak, reported").isNotNull().contains("LEAK: ByteBuf.release() was not called");
        FailingLeakDetector.LEAKS.remove(own);
    }

    /** The report whose allocation record names {@link #leak}, or null. */
    private static String own() {
        for (String r : FailingLeakDetector.LEAKS) {
            if (r.contains(LeakCheckTest.class.getName() + ".leak(")) {
                return r;
            }
        }
        return null;
    }

    private static void leak() {
        ByteBuf b = ByteBufAllocator.DEFAULT.directBuffer(64);
        b.writeLong(42);
    }
}
