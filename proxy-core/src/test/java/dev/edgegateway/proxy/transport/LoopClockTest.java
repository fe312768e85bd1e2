package dev.edgegateway.proxy.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.config.RuntimeConfig;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The time held for one turn of an event loop (its reads), and nowhere else. */
class LoopClockTest {
    /** Waits until the clock has moved past {@code t} (a clock that never moves fails the test's timeout instead). */
    private static void clockPasses(long t) {
        while (System.nanoTime() == t) {
            Thread.onSpinWait();
        }
    }

    @Test
    void heldFromTheFirstReadingInsideARead_untilTheOutermostReadEnds() throws Exception {
        EventLoopGroup group = Transport.select(RuntimeConfig.Transport.AUTO).newGroup(1, "clock-test");
        try {
            long[] seen = group.submit(() -> {
                assertThat(Thread.currentThread()).isInstanceOf(LoopClock.LoopThread.class);
                LoopClock.enter();
                long first = LoopClock.nanoTime();
                long firstMetersWall = LoopClock.METERS.wallTime();
                long firstMillis = System.currentTimeMillis();
                clockPasses(first);
                while (System.currentTimeMillis() <= firstMillis) {
                    Thread.onSpinWait(); // and the wall clock's millisecond
                }
                long again = LoopClock.nanoTime();
                LoopClock.enter(); // a nested read keeps the outer one's time
                long nested = LoopClock.nanoTime();
                LoopClock.exit();
                long afterNested = LoopClock.nanoTime();
                long meters = LoopClock.METERS.monotonicTime();
                long metersWall = LoopClock.METERS.wallTime();
                LoopClock.exit();
                long outside = LoopClock.nanoTime();
                clockPasses(outside);
                long outsideLater = LoopClock.nanoTime();
                LoopClock.enter(); // the next read reads the clock afresh
                long next = LoopClock.nanoTime();
                LoopClock.exit();
                return new long[] {first, again, nested, afterNested, meters, outside, outsideLater, next, firstMetersWall, metersWall};
            }).get(30, TimeUnit.SECONDS);
            assertThat(seen[1]).isEqualTo(seen[0]);
            assertThat(seen[2]).isEqualTo(seen[0]);
            assertThat(seen[3]).isEqualTo(seen[0]);
            assertThat(seen[4]).isEqualTo(seen[0]);
            assertThat(seen[9]).isEqualTo(seen[8]); // the meters' wall time too, though a millisecond passed
            assertThat(seen[5]).isGreaterThan(seen[0]);
            assertThat(seen[6]).isGreaterThan(seen[5]);
            assertThat(seen[7]).isGreaterThan(seen[0]);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void onAnyOtherThreadEveryReadingIsTheClocks() {
        LoopClock.enter();
        try {
            long first = LoopClock.nanoTime();
            clockPasses(first);
            assertThat(LoopClock.nanoTime()).isGreaterThan(first);
        } finally {
            LoopClock.exit();
        }
    }

    /** A server on {@code group} whose connections have the idle timer, then a handler from {@code after}. */
    private static Channel server(EventLoopGroup group, java.util.function.Supplier<ChannelInboundHandlerAdapter> after) throws InterruptedException {
        return new ServerBootstrap().group(group).channel(Transport.select(RuntimeConfig.Transport.AUTO).serverChannelClass())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new IdleTimer(TimeUnit.MINUTES.toNanos(1)), after.get());
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    /** Over a real socket: the handlers after the idle timer see one time per read; a task after it, the clock's. */
    @Test
    void aReadThroughTheIdleTimerIsProcessedAtOneTime() throws Exception {
        EventLoopGroup group = Transport.select(RuntimeConfig.Transport.AUTO).newGroup(1, "clock-test");
        CompletableFuture<long[]> readings = new CompletableFuture<>();
        try {
            Channel server = server(group, () -> new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ReferenceCountUtil.release(msg);
                    long first = LoopClock.nanoTime();
                    clockPasses(first);
                    long second = LoopClock.nanoTime();
                    ctx.executor().execute(() -> readings.complete(new long[] {first, second, LoopClock.nanoTime()}));
                }
            });
            Channel client = new Bootstrap().group(group).channel(Transport.select(RuntimeConfig.Transport.AUTO).socketChannelClass())
                    .handler(new ChannelInboundHandlerAdapter()).connect(server.localAddress()).sync().channel();
            ByteBuf hello = Unpooled.copiedBuffer(new byte[] {'h', 'i'});
            client.writeAndFlush(hello).sync();
            long[] r = readings.get(30, TimeUnit.SECONDS);
            assertThat(r[1]).isEqualTo(r[0]);
            assertThat(r[2]).isGreaterThan(r[0]);
            client.close().sync();
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
    /** Two sockets ready in one turn: the handlers of both reads see one time, taken after the wait. */
    @Test
    void theReadsOfOneTurnShareItsTime() throws Exception {
        EventLoopGroup group = Transport.select(RuntimeConfig.Transport.AUTO).newGroup(1, "clock-test");
        EventLoopGroup clients = Transport.select(RuntimeConfig.Transport.AUTO).newGroup(1, "clock-clients");
        java.util.List<Long> reads = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.CountDownLatch accepted = new java.util.concurrent.CountDownLatch(2);
        CompletableFuture<Void> both = new CompletableFuture<>();
        try {
            Channel server = server(group, () -> new ChannelInboundHandlerAdapter() {
                @Override
                public void channelActive(ChannelHandlerContext ctx) {
                    accepted.countDown();
                }

                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ReferenceCountUtil.release(msg);
                    long t = LoopClock.nanoTime();
                    reads.add(t);
                    clockPasses(t); // the clock moves on before the other socket's read
                    if (reads.size() == 2) {
                        both.complete(null);
                    }
                }
            });
            Bootstrap b = new Bootstrap().group(clients).channel(Transport.select(RuntimeConfig.Transport.AUTO).socketChannelClass())
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {}
                    });
            Channel c1 = b.connect(server.localAddress()).sync().channel();
            Channel c2 = b.connect(server.localAddress()).sync().channel();
            assertThat(accepted.await(30, TimeUnit.SECONDS)).isTrue();
            // Both requests arrive while the loop is busy with a task: its next wait finds both sockets ready.
            java.util.concurrent.CountDownLatch busy = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch sent = new java.util.concurrent.CountDownLatch(1);
            group.execute(() -> {
                busy.countDown();
                try {
                    sent.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertThat(busy.await(30, TimeUnit.SECONDS)).isTrue();
            c1.writeAndFlush(Unpooled.copiedBuffer(new byte[] {'a'})).sync();
            c2.writeAndFlush(Unpooled.copiedBuffer(new byte[] {'b'})).sync();
            sent.countDown();
            both.get(30, TimeUnit.SECONDS);
            assertThat(reads.get(1)).isEqualTo(reads.get(0));
            c1.close().sync();
            c2.close().sync();
            server.close().sync();
        } finally {
            clients.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
