package dev.edgegateway.e2e;

import io.netty.util.ResourceLeakDetector;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Netty's leak detector (paranoid in tests: every buffer tracked), keeping each report so that
 * {@link LeakCheck} fails the test during which it appeared, instead of only logging it.
 * Installed with {@code -Dio.netty.customResourceLeakDetector} (src/test/pom.xml).
 */
public final class FailingLeakDetector<T> extends ResourceLeakDetector<T> {
    static final Queue<String> LEAKS = new ConcurrentLinkedQueue<>();

    public FailingLeakDetector(Class<?> resourceType, int samplingInterval, long maxActive) {
        super(resourceType, samplingInterval, maxActive);
    }

    public FailingLeakDetector(Class<?> resourceType, int samplingInterval) {
        super(resourceType, samplingInterval);
    }

    @Override
    protected boolean needReport() {
        return true;
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
        LEAKS.add("LEAK: " + resourceType + ".release() was not called before it was garbage-collected." + records);
        super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
        LEAKS.add("LEAK: " + resourceType + ".release() was not called before it was garbage-collected (no records)");
        super.reportUntracedLeak(resourceType);
    }
}
