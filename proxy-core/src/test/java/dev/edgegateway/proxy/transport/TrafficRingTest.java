package dev.edgegateway.proxy.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgegateway.config.RuntimeConfig;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandler;
import io.netty.channel.SingleThreadIoEventLoop;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The traffic loops' io_uring has the large submission queue (a turn's sends and receives go to
 * the kernel in one {@code io_uring_enter}, not one per 128) with four completion entries for each,
 * and the other loops keep Netty's defaults: read from the rings of real loops on this machine's kernel.
 */
class TrafficRingTest {
    @Test
    void trafficLoopsQueue4096EntriesWith16384CompletionsTheOthersNettysDefault() throws Exception {
        assumeTrue(IoUring.isAvailable(), () -> "io_uring unavailable: " + IoUring.unavailabilityCause());
        Transport uring = Transport.select(RuntimeConfig.Transport.IO_URING);
        EventLoopGroup traffic = uring.newTrafficGroup(1, "ring-traffic", 0, 0);
        EventLoopGroup other = uring.newGroup(1, "ring-other");
        try {
            assertThat(Transport.TRAFFIC_RING_ENTRIES).isEqualTo(4096);
            assertThat(entries(traffic, "ioUringSubmissionQueue")).isEqualTo(4096);
            assertThat(entries(other, "ioUringSubmissionQueue")).isEqualTo(128);
            assertThat(entries(traffic, "ioUringCompletionQueue")).isEqualTo(16384);
            assertThat(entries(other, "ioUringCompletionQueue")).isEqualTo(4096);
        } finally {
            traffic.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            other.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** The entries of the ring's queue that {@code queue} ({@code RingBuffer}'s accessor) returns. */
    private static int entries(EventLoopGroup group, String queue) throws Exception {
        Method ioHandler = SingleThreadIoEventLoop.class.getDeclaredMethod("ioHandler");
        ioHandler.setAccessible(true);
        IoHandler wrapper = (IoHandler) ioHandler.invoke(group.next());
        IoHandler handler = (IoHandler) field(LoopIoHandler.class, "io").get(wrapper);
        assertThat(handler).isInstanceOf(IoUringIoHandler.class);
        Object ring = field(IoUringIoHandler.class, "ringBuffer").get(handler);
        Method accessor = ring.getClass().getDeclaredMethod(queue);
        accessor.setAccessible(true);
        Object q = accessor.invoke(ring);
        return (int) field(q.getClass(), "ringEntries").get(q);
    }

    private static Field field(Class<?> type, String name) throws NoSuchFieldException {
        Field f = type.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }
}
