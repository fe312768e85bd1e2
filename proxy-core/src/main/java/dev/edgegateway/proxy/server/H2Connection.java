package dev.edgegateway.proxy.server;

import dev.edgegateway.config.GatewayConfig;
import dev.edgegateway.config.Http2Config;
import dev.edgegateway.proxy.metrics.GatewayMetrics.Rejection;
import dev.edgegateway.proxy.transport.LoopClock;
import dev.edgegateway.proxy.upstream.UpstreamPool;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2FrameStreamEvent;
import io.netty.handler.codec.http2.Http2FrameStreamException;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.collection.IntObjectHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/2 client connection: Netty's frame codec with the listener's limits, then this handler,
 * which turns each stream into an {@link H2Stream} (an exchange without a channel or pipeline of
 * its own) and routes frames to it by stream id. It also
 * <ul>
 *   <li>starts new streams at the end of the read batch that brought their HEADERS, so a stream
 *       the client resets in the same batch (rapid reset) never reaches an origin;</li>
 *   <li>counts the client's RST_STREAMs; past {@code maxResetsPerWindow} in {@code resetWindow} it
 *       sends GOAWAY(ENHANCE_YOUR_CALM) naming the last stream it took, and closes;</li>
 *   <li>answers a header list over {@code maxHeaderListBytes} with 431 on its stream, up to
 *       {@link #HEADER_BLOCK_HARD_FACTOR} times that, where decoding stops and the connection
 *       must end (the HPACK state would be lost);</li>
 *   <li>counts the connection, closes it when idle with no stream open, and is what drain
 *       closes (the codec then sends GOAWAY and lets open streams finish).</li>
 * </ul>
 * Confined to the connection's event loop.
 */
final class H2Connection extends ChannelInboundHandlerAdapter {
    /**
     * How far past maxHeaderListBytes a header block is still decoded, to answer 431 on its stream:
     * this multiple is what SETTINGS advertises and Netty decodes; it answers 431 itself up to 1.25
     * times that, and past it stops decoding and ends the connection (the HPACK state of a block
     * it did not decode is lost, so no other stream could be read).
     */
    static final int HEADER_BLOCK_HARD_FACTOR = 4;

    final ServerContext server;
    final ConnectionInfo info;
    final ExchangeRecorder recorder;
    private final Http2FrameCodec codec;
    private final long maxHeaderListBytes;
    private final int maxResets;
    private final long resetWindowNanos;
    private final IntObjectHashMap<H2Stream> streams = new IntObjectHashMap<>();
    private final List<H2Stream> starting = new ArrayList<>(4);
    ChannelHandlerContext ctx;
    UpstreamPool pool;
    private boolean calmDown;
    private int resets;
    private long resetWindowStart;
    private final long idleNanos;
    private final long tunnelIdleNanos;
    /** The next look for idle streams, while any is open. */
    private ScheduledFuture<?> idleLook;

    private H2Connection(ServerContext server, Http2FrameCodec codec, ConnectionInfo info, long maxHeaderListBytes, Http2Config h2) {
        this.server = server;
        this.codec = codec;
        this.info = info;
        this.recorder = new ExchangeRecorder(server, info);
        this.maxHeaderListBytes = maxHeaderListBytes;
        this.maxResets = h2.maxResetsPerWindow();
        this.resetWindowNanos = h2.resetWindow().toNanos();
        this.idleNanos = server.state().config().timeouts().idle().toNanos();
        this.tunnelIdleNanos = server.state().config().timeouts().tunnelIdle().toNanos();
    }

    /** Turns {@code ch} (its TLS, if any, already in place) into an HTTP/2 server connection. */
    static void configure(Channel ch, ServerContext server, Http2Config h2, ConnectionInfo info) {
        GatewayConfig c = server.state().config();
        int maxHeaderList = h2.maxHeaderListBytes() != null ? h2.maxHeaderListBytes() : c.limits().maxHeaderBytes();
        Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
                .initialSettings(Http2Settings.defaultSettings()
                        .maxConcurrentStreams(h2.maxConcurrentStreams())
                        .maxHeaderListSize((long) maxHeaderList * HEADER_BLOCK_HARD_FACTOR) // the limit itself is enforced per stream
                        .initialWindowSize(h2.initialWindowBytes())
                        .maxFrameSize(h2.maxFrameBytes())
                        .connectProtocolEnabled(true)) // RFC 8441: WebSocket over a stream
                .validateHeaders(true)
                .decoderEnforceMaxRstFramesPerWindow(0, 0) // counted here, to send an honest GOAWAY
                .decoderEnforceMaxConsecutiveEmptyDataFrames(2)
                .gracefulShutdownTimeoutMillis(c.drain().timeout().toMillis())
                .build();
        H2Connection connection = new H2Connection(server, codec, info, maxHeaderList, h2);
        ChannelPipeline p = ch.pipeline();
        // Responses of several streams finish in one event-loop turn (each on its own origin
        // connection's read): one flush for all of them, so one TLS record and one write, not one each.
        p.addLast(new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true), codec, connection);
        ch.config().setAutoRead(true);
        ch.read();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.pool = server.pool(ctx.channel().eventLoop());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2HeadersFrame h) {
            onHeaders(h);
        } else if (msg instanceof Http2DataFrame d) {
            H2Stream s = calmDown ? null : streams.get(d.stream().id());
            if (s != null) {
                s.data(d);
            } else {
                d.release();
            }
        } else if (msg instanceof Http2ResetFrame r) {
            onReset(r);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onHeaders(Http2HeadersFrame h) {
        int id = h.stream().id();
        H2Stream s = streams.get(id);
        if (s != null) {
            // Trailers end the request body.
            DefaultLastHttpContent trailers = new DefaultLastHttpContent();
            try {
                HttpConversionUtil.addHttp2ToHttpHeaders(id, h.headers(), trailers.trailingHeaders(), HttpVersion.HTTP_1_1, true, true);
                s.data(trailers);
            } catch (Http2Exception e) {
                trailers.release();
                reset(h.stream(), Http2Error.PROTOCOL_ERROR);
            }
            return;
        }
        if (calmDown) {
            return;
        }
        s = new H2Stream(this, h.stream());
        if (!s.headers(h.headers(), h.isEndStream(), maxHeaderListBytes)) {
            reset(h.stream(), Http2Error.PROTOCOL_ERROR);
            return;
        }
        streams.put(id, s);
        starting.add(s);
        if (idleLook == null && idleNanos > 0) {
            idleLook = ctx.executor().schedule(this::lookForIdleStreams, idleNanos / 4, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Every quarter of {@code timeouts.idle} while streams are open: a stream with no frame either
     * way for the idle timeout ({@code tunnelIdle} for a WebSocket), and not waiting on its origin,
     * is answered 408 if its request body stopped coming, else reset with CANCEL, and its
     * exchange ends (Envoy's stream idle timeout). The connection's own idle timer cannot see it
     * while other frames (PINGs, other streams) keep the connection busy: a request whose body
     * stopped coming held its stream and origin connection for ever. The first look after a
     * frame starts the quiet period, so a reset never comes early.
     */
    private void lookForIdleStreams() {
        idleLook = null;
        if (!ctx.channel().isOpen() || streams.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        List<H2Stream> idle = null;
        for (H2Stream s : streams.values()) {
            if (s.active) {
                s.active = false;
                s.quietSince = now;
            } else if (!s.quietAllowed(now - s.quietSince, idleNanos, tunnelIdleNanos)) {
                (idle == null ? idle = new ArrayList<>(2) : idle).add(s);
            }
        }
        if (idle != null) {
            for (H2Stream s : idle) {
                if (!s.upstream.bodyTimedOut()) { // answered 408 if its body stopped coming
                    streams.remove(s.stream.id());
                    s.closed();
                    reset(s.stream, Http2Error.CANCEL);
                }
            }
        }
        if (!streams.isEmpty()) {
            idleLook = ctx.executor().schedule(this::lookForIdleStreams, idleNanos / 4, TimeUnit.NANOSECONDS);
        }
    }

    private void onReset(Http2ResetFrame r) {
        H2Stream s = streams.remove(r.stream().id());
        if (s != null) {
            s.closed(); // one reset before it began never begins: never sent anywhere
        }
        long now = LoopClock.nanoTime();
        if (now - resetWindowStart > resetWindowNanos) {
            resetWindowStart = now;
            resets = 0;
        }
        if (maxResets > 0 && ++resets > maxResets && !calmDown) {
            // Rapid reset (CVE-2023-44487): the GOAWAY names the last stream taken, so the client
            // knows what may have been processed; the codec computes it.
            calmDown = true;
            ctx.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.ENHANCE_YOUR_CALM,
                            ByteBufUtil.writeAscii(ctx.alloc(), "too many stream resets")))
                    .addListener((ChannelFutureListener) f -> ctx.pipeline().context(codec).close());
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // Streams answered at once close as they start; they are not taken out of the list here.
        for (int i = 0; i < starting.size(); i++) {
            starting.get(i).start();
        }
        starting.clear();
        ctx.flush(); // window updates and anything the streams wrote
        ctx.fireChannelReadComplete();
    }

    /** Gives {@code bytes} of a stream's (and the connection's) receive window back to the client. */
    void returnWindow(Http2FrameStream stream, int bytes) {
        if (bytes > 0 && stream.state() != Http2Stream.State.CLOSED) {
            ctx.write(new DefaultHttp2WindowUpdateFrame(bytes).stream(stream), ctx.voidPromise());
        }
    }

    /** Whether the connection, and {@code stream}'s send window, can take more now. */
    boolean writable(Http2FrameStream stream) {
        if (!ctx.channel().isWritable()) {
            return false;
        }
        Http2Stream s = codec.connection().stream(stream.id());
        return s == null || codec.connection().remote().flowController().isWritable(s);
    }

    private void reset(Http2FrameStream stream, Http2Error error) {
        ctx.writeAndFlush(new DefaultHttp2ResetFrame(error).stream(stream), ctx.voidPromise());
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            streams.values().forEach(H2Stream::writabilityChanged);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Http2FrameStreamEvent e) {
            H2Stream s = streams.get(e.stream().id());
            if (s == null) {
                return;
            }
            if (e.type() == Http2FrameStreamEvent.Type.State && e.stream().state() == Http2Stream.State.CLOSED) {
                streams.remove(e.stream().id());
                s.closed();
            } else if (e.type() == Http2FrameStreamEvent.Type.Writability) {
                s.writabilityChanged();
            }
            return;
        }
        if (evt instanceof IdleStateEvent) {
            // Idle with no stream open: the keep-alive timeout (GOAWAY, then close). Streams
            // waiting on an origin are bounded by their own timers.
            if (codec.connection().numActiveStreams() == 0) {
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (idleLook != null) {
            idleLook.cancel(false);
            idleLook = null;
        }
        for (H2Stream s : new ArrayList<>(streams.values())) {
            s.closed();
        }
        streams.clear();
        starting.clear();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A connection error is the codec's: it sends the GOAWAY. A stream error is answered by the
        // codec only for a stream it has not handed out (a header list over the limit: a 431);
        // for one it has (a DATA frame past the content-length, an END_STREAM short of it, a
        // stream's window overrun) it leaves the RST_STREAM to this handler, as Netty's
        // multiplexer does. Without it the client waited for ever and the stream held its slot.
        if (cause instanceof Http2FrameStreamException e) {
            if (e.getCause() instanceof Http2Exception.HeaderListSizeException) {
                server.metrics().rejected(Rejection.HEADERS_TOO_LARGE);
            } else {
                server.metrics().rejected(Rejection.BAD_REQUEST);
            }
            H2Stream s = streams.remove(e.stream().id());
            if (s != null) {
                s.closed();
            }
            if (e.stream().state() != Http2Stream.State.CLOSED) {
                reset(e.stream(), e.error());
            }
            return;
        }
        if (Http2CodecUtil.getEmbeddedHttp2Exception(cause) == null) {
            ctx.close();
        }
    }
}
