package dev.edgegateway.proxy.metrics;

import com.sun.management.OperatingSystemMXBean;
import com.sun.management.ThreadMXBean;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * The JVM's and the process's meters (Micrometer's binders) under names {@code promtool check
 * metrics} accepts: Micrometer's {@code process.cpu.time} counts nanoseconds
 * ({@code process_cpu_time_ns_total}: an abbreviated unit), so it is replaced by the usual
 * {@code process_cpu_seconds_total}; {@code system.cpu.count} would end in {@code _count} without
 * being a histogram, so it is {@code system_cpus}.
 *
 * <p>The collector's meters are read from its MXBeans when scraped, not from Micrometer's
 * {@code JvmGcMetrics}: that binder listens for the JVM's GC notifications, and a listener makes
 * the JVM build a notification and run the listener on its notification thread after every
 * collection, in code that runs too seldom to be compiled early. With one CPU for the whole
 * gateway that was 0.6-0.9 ms after each young collection, then the compilers' work, while the
 * event loop and every request in flight waited (benchmarks/README.md, issue 24, thirty-first step).
 * What the heap took, {@code jvm_gc_memory_allocated_bytes_total}, comes from the threads' bean
 * (each thread's own count, those of ended threads kept), not from the collections.
 */
final class JvmMeters {
    private JvmMeters() {}

    /** The renames, before any meter is registered (a filter added later does not apply to meters already there). */
    static <R extends MeterRegistry> R lintClean(R registry) {
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public MeterFilterReply accept(Meter.Id id) {
                return id.getName().equals("process.cpu.time") ? MeterFilterReply.DENY : MeterFilterReply.NEUTRAL;
            }

            @Override
            public Meter.Id map(Meter.Id id) {
                return id.getName().equals("system.cpu.count") ? id.withName("system.cpus") : id;
            }
        });
        return registry;
    }

    static void bindTo(MeterRegistry registry) {
        new JvmMemoryMetrics().bindTo(registry);
        bindGc(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
            FunctionCounter.builder("process.cpu", os, o -> o.getProcessCpuTime() / 1e9).baseUnit("seconds")
                    .description("CPU time the gateway process has used").register(registry);
        }
        if (ManagementFactory.getThreadMXBean() instanceof ThreadMXBean threads
                && threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled()) {
            FunctionCounter.builder("jvm.gc.memory.allocated", threads, t -> Math.max(0, t.getTotalThreadAllocatedBytes()))
                    .baseUnit("bytes").description("Heap allocated by all threads, ended ones included: per request, the young "
                            + "collections' pace").register(registry);
        }
    }

    /**
     * {@code jvm_gc_pause_seconds} (count and sum) per collector, as the MXBean counts them (for a
     * concurrent collector its time includes concurrent work), and the long-lived pools' use after
     * the last collection and their maximum ({@code jvm_gc_live_data_size_bytes},
     * {@code jvm_gc_max_data_size_bytes}): the names JvmGcMetrics gave them.
     */
    private static void bindGc(MeterRegistry registry) {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            FunctionTimer.builder("jvm.gc.pause", gc, GarbageCollectorMXBean::getCollectionCount,
                            b -> Math.max(0, b.getCollectionTime()), TimeUnit.MILLISECONDS)
                    .tag("gc", gc.getName()).description("Collections and the time they took, per collector")
                    .register(registry);
        }
        List<MemoryPoolMXBean> longLived = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP && isLongLived(p.getName())).toList();
        if (longLived.isEmpty()) {
            return;
        }
        Gauge.builder("jvm.gc.live.data.size", longLived, pools -> sum(pools, MemoryPoolMXBean::getCollectionUsage, MemoryUsage::getUsed))
                .baseUnit("bytes").description("The long-lived heap pools' use after the last collection").register(registry);
        Gauge.builder("jvm.gc.max.data.size", longLived, pools -> sum(pools, MemoryPoolMXBean::getUsage, MemoryUsage::getMax))
                .baseUnit("bytes").description("The long-lived heap pools' maximum size").register(registry);
    }

    /** Old, tenured, or a single-generation collector's one pool (ZGC, Shenandoah). */
    static boolean isLongLived(String pool) {
        return pool.contains("Old Gen") || pool.contains("Tenured Gen") || pool.equals("ZHeap") || pool.equals("Shenandoah")
                || pool.equals("ZGC Old Generation");
    }

    private static double sum(List<MemoryPoolMXBean> pools, Function<MemoryPoolMXBean, MemoryUsage> usage,
            ToDoubleFunction<MemoryUsage> figure) {
        double total = 0;
        for (MemoryPoolMXBean p : pools) {
            MemoryUsage u = usage.apply(p);
            double v = u == null ? -1 : figure.applyAsDouble(u);
            if (v >= 0) {
                total += v; // -1: undefined (no maximum, or no collection yet)
            }
        }
        return total;
    }
}
