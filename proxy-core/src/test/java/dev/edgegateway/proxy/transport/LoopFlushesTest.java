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
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.uring.IoUring;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Flushes asked for during a read go out once the loop's I/O is done; elsewhere at once; on
 * io_uring, whose flushes only queue sends for the turn's submission, at once. Over real sockets.
 */
class LoopFlushesTest {
    /**
     * epoll (NIO without it), where a flush writes at once, so the outbound buffer shows whether it has
     * happened; io_uring's writes wait for their completion either way, so its buffer cannot tell.
     */
    private static final Transport TRANSPORT = Transport.select(
            io.netty.channel.epoll.Epoll.isAvailable() ? RuntimeConfig.Transport.EPOLL : RuntimeConfig.Transport.NIO);
    private Transport transport = TRANSPORT;
    private EventLoopGroup group;
    private Channel server;
    private final CompletableFuture<Channel> accepted = new CompletableFuture<>();
    /** Inside the server's read, right after asking: {flushed entries, bytes waiting}; then the same in a task queued behind. */
    private final CompletableFuture<long[]> seen = new CompletableFuture<>();
    /** How many times the server's read asks for the flush. */
    private volatile int asks = 2;

    @BeforeEach
    void echoServer() throws Exception {
        start(TRANSPORT);
    }

    private void start(Transport t) throws Exception {
        transport = t;
        group = t.newGroup(1, "flush-test");
        server = new ServerBootstrap().group(group).channel(t.serverChannelClass())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted.complete(ch);
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                long before = LoopClock.nanoTime(); // the turn's reading, held
                                ctx.write(msg, ctx.voidPromise());
                                for (int i = 0; i < asks; i++) {
                                    LoopFlushes.later(ctx.channel()); // more than once in a turn: the later ones find nothing to do
                                }
                                long after = LoopClock.nanoTime();
                                ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
                                long[] inRead = {out.size(), out.totalPendingWriteBytes()};
                                ctx.executor().execute(() -> seen.complete(
                                        new long[] {inRead[0], inRead[1], out.size(), out.totalPendingWriteBytes(), after - before}));
                            }
                        });
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    @AfterEach
    void stop() throws Exception {
        server.close().sync();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    /** A client that collects what it reads until it has {@code n} bytes. */
    private Channel client(int n, CompletableFuture<String> got) throws Exception {
        StringBuilder text = new StringBuilder();
        return new Bootstrap().group(group).channel(transport.socketChannelClass())
                .handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ByteBuf b = (ByteBuf) msg;
                        text.append(b.toString(StandardCharsets.US_ASCII));
                        b.release();
                        if (text.length() >= n) {
                            got.complete(text.toString());
                        }
                    }
                }).connect(server.localAddress()).sync().channel();
    }

    /** "hello" from a new client through the echo server: what the server's read saw, once the echo is back. */
    private long[] echoHello() throws Exception {
        CompletableFuture<String> echo = new CompletableFuture<>();
        Channel client = client(5, echo);
        client.writeAndFlush(Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII)).sync();
        assertThat(echo.get(30, TimeUnit.SECONDS)).isEqualTo("hello");
        long[] s = seen.get(30, TimeUnit.SECONDS);
        client.close().sync();
        return s;
    }

    @Test
    void aFlushAskedForInAReadWaitsForTheEndOfTheLoopsIo_thenGoesBeforeItsTasks() throws Exception {
        long[] s = echoHello();
        assertThat(s[0]).as("flushed entries inside the read").isZero();
        assertThat(s[1]).as("bytes written (and the entry's overhead), waiting for the flush").isGreaterThanOrEqualTo(5);
        assertThat(s[3]).as("bytes waiting when a task queued after the read runs").isZero();
        assertThat(s[4]).as("the clock's reading in the read, after asking for the flush, against before").isZero();
    }

    /**
     * A turn holds at most {@link LoopFlushes#BATCH} flushes: the one that fills the batch sends it
     * there, in the read, and the clock's next reading is a new one (an answer may come in the turn).
     */
    @Test
    void aFullBatchGoesOutInTheRead() throws Exception {
        asks = LoopFlushes.BATCH;
        long[] s = echoHello();
        assertThat(s[1]).as("bytes waiting inside the read, once the batch was full").isZero();
        assertThat(s[4]).as("the clock's reading in the read, after the batch went out, against before").isPositive();
    }

    @Test
    void aBatchOneShortOfFullWaitsForTheEndOfTheLoopsIo() throws Exception {
        asks = LoopFlushes.BATCH - 1;
        long[] s = echoHello();
        assertThat(s[1]).as("bytes waiting inside the read, the batch one short").isGreaterThanOrEqualTo(5);
        assertThat(s[3]).as("bytes waiting when a task queued after the read runs").isZero();
    }

    @Test
    void aFlushAskedForInATaskOfTheLoopIsTheNextTask() throws Exception {
        CompletableFuture<String> got = new CompletableFuture<>();
        CompletableFuture<Long> waiting = new CompletableFuture<>();
        Channel client = client(3, got);
        Channel ch = accepted.get(30, TimeUnit.SECONDS);
        ch.eventLoop().execute(() -> {
            ch.write(Unpooled.copiedBuffer("xyz", StandardCharsets.US_ASCII), ch.voidPromise());
            LoopFlushes.later(ch); // on the loop, outside its I/O: no I/O is coming to flush it after
            ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
            ch.eventLoop().execute(() -> waiting.complete(out.totalPendingWriteBytes()));
        });
        assertThat(waiting.get(30, TimeUnit.SECONDS)).as("bytes waiting when a task queued after it runs").isZero();
        assertThat(got.get(30, TimeUnit.SECONDS)).isEqualTo("xyz");
        client.close().sync();
    }

    @Test
    void fromAnyOtherThreadTheFlushIsImmediate() throws Exception {
        CompletableFuture<String> got = new CompletableFuture<>();
        Channel client = client(3, got);
        Channel ch = accepted.get(30, TimeUnit.SECONDS);
        ch.write(Unpooled.copiedBuffer("abc", StandardCharsets.US_ASCII), ch.voidPromise());
        LoopFlushes.later(ch); // the test's thread: no turn of a loop to wait for
        assertThat(got.get(30, TimeUnit.SECONDS)).isEqualTo("abc");
        client.close().sync();
    }

    /**
     * On io_uring the flush asked for inside the read is done there: the write is already marked
     * flushed (its send queued in the ring, to complete after the turn's submission), where the
     * batch would still hold it unflushed. The answer to that send may come in this turn, so the
     * clock's next reading is a new one, not the turn's.
     */
    @Test
    void onIoUringAFlushAskedForInAReadIsDoneThere() throws Exception {
        Assumptions.assumeTrue(IoUring.isAvailable(), "io_uring is not available here");
        stop();
        start(Transport.select(RuntimeConfig.Transport.IO_URING));
        long[] s = echoHello();
        assertThat(s[0]).as("flushed entries inside the read").isEqualTo(1);
        assertThat(s[4]).as("the clock's reading in the read, after the flush, against before").isPositive();
    }
}
