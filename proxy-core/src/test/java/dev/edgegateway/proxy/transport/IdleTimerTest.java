package dev.edgegateway.proxy.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The idle timer that notes activity without reading the clock: the event never comes early, and it does come. */
class IdleTimerTest {
    private static final long IDLE = TimeUnit.MILLISECONDS.toNanos(80);

    @Test
    void firesOnlyAfterAFullIdleTimeWithoutReadsOrWrites() throws Exception {
        List<Long> events = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(new IdleTimer(IDLE), new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                if (evt == IdleStateEvent.ALL_IDLE_STATE_EVENT) {
                    events.add(System.nanoTime());
                }
            }
        });
        // Busy for three idle times, alternating reads and writes: no event.
        long busyUntil = System.nanoTime() + 3 * IDLE;
        boolean read = true;
        while (System.nanoTime() < busyUntil) {
            if (read) {
                ch.writeInbound("request");
                ch.readInbound();
            } else {
                ch.writeOutbound("response");
                ch.readOutbound();
            }
            read = !read;
            ch.runPendingTasks();
            Thread.sleep(5);
        }
        assertThat(events).isEmpty();
        long lastActivity = System.nanoTime();
        ch.writeOutbound("last");
        ch.readOutbound();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (events.isEmpty() && System.nanoTime() < deadline) {
            ch.runPendingTasks();
            Thread.sleep(5);
        }
        assertThat(events).hasSize(1);
        assertThat(events.get(0) - lastActivity).isGreaterThanOrEqualTo(IDLE);
        ch.finishAndReleaseAll();
    }
}
