package dev.edgegateway.proxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

class JvmMetersTest {
    @Test
    void collectionsAreCountedFromTheMxBeansWhenRead() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        JvmMeters.bindTo(registry);
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            assertThat(registry.find("jvm.gc.pause").tag("gc", gc.getName()).functionTimer()).as(gc.getName()).isNotNull();
        }
        double before = total(registry);
        System.gc(); // a full collection, done when it returns
        assertThat(total(registry)).isGreaterThan(before);
        assertThat(registry.get("jvm.gc.live.data.size").gauge().value()).isPositive();
        assertThat(registry.get("jvm.gc.max.data.size").gauge().value()).isPositive();
        assertThat(registry.find("jvm.gc.memory.promoted").meter()).as("no meter that needs the GC's notifications").isNull();
    }

    @Test
    void allocatedBytesAreReadFromTheThreadsBeanAndCountEndedThreads() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        JvmMeters.bindTo(registry);
        double before = registry.get("jvm.gc.memory.allocated").functionCounter().count();
        Thread t = new Thread(() -> {
            byte[][] keep = new byte[64][];
            for (int i = 0; i < keep.length; i++) {
                keep[i] = new byte[64 * 1024];
            }
            sink = keep;
        });
        t.start();
        t.join();
        assertThat(registry.get("jvm.gc.memory.allocated").functionCounter().count() - before)
                .as("a thread's 4 MiB, counted after it ended").isGreaterThanOrEqualTo(64 * 64 * 1024);
    }

    static volatile Object sink;

    @Test
    void longLivedPoolsOfEachCollectorAreKnown() {
        for (String pool : new String[] {"G1 Old Gen", "Tenured Gen", "PS Old Gen", "ZHeap", "Shenandoah", "ZGC Old Generation"}) {
            assertThat(JvmMeters.isLongLived(pool)).as(pool).isTrue();
        }
        for (String pool : new String[] {"G1 Eden Space", "Eden Space", "Survivor Space", "ZGC Young Generation", "Metaspace"}) {
            assertThat(JvmMeters.isLongLived(pool)).as(pool).isFalse();
        }
    }

    /** Collections counted over all collectors. */
    private static double total(SimpleMeterRegistry registry) {
        return registry.find("jvm.gc.pause").functionTimers().stream().mapToDouble(FunctionTimer::count).sum();
    }
}
