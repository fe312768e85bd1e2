package dev.edgegateway.proxy.server;

import dev.edgegateway.proxy.http1.DuplexCodec;
import dev.edgegateway.proxy.http1.EncoderOutput;
import dev.edgegateway.proxy.http1.FlatHeaders;
import dev.edgegateway.proxy.http1.RequestDecoder;
import dev.edgegateway.proxy.http1.UnchunkedWrites;
import dev.edgegateway.proxy.transport.LoopClock;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * HTTP/1.1 server codec for the listener: {@link RequestDecoder} (which refuses a request with both
 * {@code Content-Length} and {@code Transfer-Encoding}, among others, rather than repair it as
 * Netty's decoder does) and Netty's response encoder.
 *
 * <p>The encoder remembers each request's method so a response to HEAD has no body whatever its
 * headers say. A final response framed by length goes out through {@link UnchunkedWrites}, past
 * Netty's encoder.
 *
 * <p>It also bounds the time from a request's first byte to the end of its headers (slowloris
 * defence), as it sees the bytes before decoding them: the first byte that arrives while the
 * connection awaits a request starts the clock, {@link #requestReceived()} stops it. When it runs
 * out, {@link #HEADER_TIMEOUT} goes to the handlers after this one; the proxy handler answers 408
 * and closes. The keep-alive wait before the first byte is the idle timer's business, not this
 * one's; on a clear-text connection this codec is that timer too ({@link DuplexCodec}).
 */
public final class ServerCodec extends DuplexCodec {
    /** The user event fired when a request's headers took too long. */
    static final Object HEADER_TIMEOUT = new Object() {
        @Override
        public String toString() {
            return "ServerCodec.HEADER_TIMEOUT";
        }
    };

    private final long headerTimeoutNanos;
    private final Runnable headerCheck = this::checkHeaders;
    private boolean awaitingRequest = true;
    /** When the current request's headers must be in; 0 while no request is being read. */
    private long deadline;
    /**
     * One timer per connection, not per request: it is armed by the first request and, when it
     * fires, re-armed for the current deadline if there is one. A keep-alive connection with
     * quick requests schedules one task per timeout period, not one (and a cancel) per request.
     */
    private ScheduledFuture<?> headerTimer;

    /** No header timeout, no idle timer. */
    public ServerCodec(int maxRequestLineBytes, int maxHeaderBytes, int maxChunkBytes) {
        this(maxRequestLineBytes, maxHeaderBytes, maxChunkBytes, 0, 0);
    }

    /** {@code headerTimeoutNanos}, {@code idleNanos}: 0 for none. */
    public ServerCodec(int maxRequestLineBytes, int maxHeaderBytes, int maxChunkBytes, long headerTimeoutNanos, long idleNanos) {
        this(new ArrayDeque<>(), maxRequestLineBytes, maxHeaderBytes, maxChunkBytes, headerTimeoutNanos, idleNanos);
    }

    private ServerCodec(ArrayDeque<HttpMethod> methods, int maxRequestLineBytes, int maxHeaderBytes, int maxChunkBytes,
                        long headerTimeoutNanos, long idleNanos) {
        super(new RequestDecoder(maxRequestLineBytes, maxHeaderBytes, maxChunkBytes, methods::add), new MethodAwareResponseEncoder(methods),
                idleNanos);
        this.headerTimeoutNanos = headerTimeoutNanos;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (awaitingRequest && deadline == 0 && headerTimeoutNanos > 0 && msg instanceof ByteBuf b && b.isReadable()) {
            deadline = LoopClock.nanoTime() + headerTimeoutNanos;
            if (headerTimer == null) {
                headerTimer = ctx.executor().schedule(headerCheck, headerTimeoutNanos, TimeUnit.NANOSECONDS);
            }
        }
        super.channelRead(ctx, msg);
    }

    /**
     * The headers of a request are in: stop the clock. Returns when the request's first byte
     * arrived (a {@link LoopClock#nanoTime()} reading; now, if that is not known), which the
     * exchange takes as its start rather than reading the clock again.
     */
    long requestReceived() {
        long start = deadline != 0 ? deadline - headerTimeoutNanos : LoopClock.nanoTime();
        awaitingRequest = false;
        deadline = 0;
        return start;
    }

    /** The connection waits for its next request: the next byte starts the clock. */
    void awaitRequest() {
        awaitingRequest = true;
    }

    private void checkHeaders() {
        ChannelHandlerContext ctx = context();
        headerTimer = null;
        if (deadline == 0 || !ctx.channel().isActive()) {
            return;
        }
        long left = deadline - System.nanoTime();
        if (left > 0) {
            headerTimer = ctx.executor().schedule(headerCheck, left, TimeUnit.NANOSECONDS);
            return;
        }
        deadline = 0;
        if (awaitingRequest) {
            ctx.fireUserEventTriggered(HEADER_TIMEOUT); // to the handlers after this one
        }
    }

    private void stopHeaderTimer() {
        if (headerTimer != null) {
            headerTimer.cancel(false);
            headerTimer = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        stopHeaderTimer();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) throws Exception {
        stopHeaderTimer();
        super.handlerRemoved(ctx);
    }

    static final class MethodAwareResponseEncoder extends HttpResponseEncoder {
        private final ArrayDeque<HttpMethod> methods;
        private final EncoderOutput output = new EncoderOutput(this::encode, super::write);
        private final UnchunkedWrites direct = new UnchunkedWrites();

        MethodAwareResponseEncoder(ArrayDeque<HttpMethod> methods) {
            this.methods = methods;
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (direct.part(ctx, msg, promise)) {
                return;
            }
            HttpMethod method = methods.peek();
            if (method != null && !HttpMethod.HEAD.equals(method) && direct.response(ctx, msg, promise)) {
                methods.poll(); // as isContentAlwaysEmpty does for the encoder's final responses
                return;
            }
            output.write(ctx, msg, promise); // without the empty buffer of a body-less end
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            direct.writeHeld(ctx);
            ctx.flush();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) throws Exception {
            direct.discard();
            super.handlerRemoved(ctx);
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpResponse msg) {
            // An interim (1xx) response is followed by the real one for the same request.
            if (msg.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                return super.isContentAlwaysEmpty(msg);
            }
            HttpMethod method = methods.poll();
            return HttpMethod.HEAD.equals(method) || super.isContentAlwaysEmpty(msg);
        }

        @Override
        protected void encodeHeaders(HttpHeaders headers, ByteBuf buf) {
            if (headers instanceof FlatHeaders flat) {
                flat.encode(buf); // an origin's response head, as its decoder kept it
            } else {
                super.encodeHeaders(headers, buf);
            }
        }
    }
}
