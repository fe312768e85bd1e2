package dev.edgegateway.e2e;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * After each test: collects garbage, makes Netty look at what was collected (the detector checks
 * on the next tracked allocation), and fails the test if a pooled buffer was leaked during it. On
 * every test of this module (registered through {@code META-INF/services}, with JUnit's extension
 * auto-detection on in {@code junit-platform.properties}).
 */
public final class LeakCheck implements AfterEachCallback {
    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        for (int round = 0; round < 2; round++) {
            System.gc();
            Thread.sleep(30); // the reference handler enqueues what the collection found
            for (int i = 0; i < 4; i++) {
                ByteBuf b = ByteBufAllocator.DEFAULT.directBuffer(1);
                b.release();
                ByteBuf h = ByteBufAllocator.DEFAULT.heapBuffer(1);
                h.release();
            }
        }
        if (!FailingLeakDetector.LEAKS.isEmpty()) {
            StringBuilder all = new StringBuilder();
            for (String leak; (leak = FailingLeakDetector.LEAKS.poll()) != null; ) {
                all.append(leak).append("\n\n");
            }
            throw new AssertionError("Netty reported a leaked buffer during " + context.getDisplayName() + ":\n" + all);
        }
    }
}
