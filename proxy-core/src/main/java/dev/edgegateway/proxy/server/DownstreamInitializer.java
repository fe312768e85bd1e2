package dev.edgegateway.proxy.server;

import dev.edgegateway.config.GatewayConfig;
import dev.edgegateway.config.ListenerConfig;
import dev.edgegateway.proxy.tls.ServerTls;
import dev.edgegateway.proxy.transport.HeadBuffers;
import dev.edgegateway.proxy.transport.IdleTimer;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SniCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline of a client connection on one listener. Clear text: the first bytes say whether
 * it is HTTP/2 with prior knowledge (the connection preface) or HTTP/1.x. TLS: the ClientHello's
 * SNI name picks the certificate, and ALPN picks HTTP/2 or HTTP/1.1. Either way the connection
 * ends up with the HTTP/1.x pipeline (on TLS the idle timer and TLS first; then the codec, which
 * times a request's headers and on clear text the connection's idleness too, and the proxy) or the
 * HTTP/2 one ({@link H2Connection}).
 */
public final class DownstreamInitializer extends ChannelInitializer<Channel> {
    private static final Logger log = LoggerFactory.getLogger(DownstreamInitializer.class);
    /** Largest body chunk the decoder hands on; bounded by the socket read size anyway. */
    private static final int MAX_CHUNK_BYTES = 64 * 1024;
    private static final long HANDSHAKE_TIMEOUT_MILLIS = 10_000;

    private final ServerContext server;
    private final ListenerConfig listener;
    private final ServerTls tls;

    public DownstreamInitializer(ServerContext server, ListenerConfig listener, ServerTls tls) {
        this.server = server;
        this.listener = listener;
        this.tls = tls;
    }

    @Override
    protected void initChannel(Channel ch) {
        GatewayConfig c = server.state().config();
        // Tracked and counted from accept, before its protocol is known: drain waits for it like any
        // other, and a connection that never sends a byte or resets before deciding is an open one.
        server.channels().add(ch);
        server.metrics().downstreamOpened();
        server.clientConnections().opened();
        ch.closeFuture().addListener(f -> {
            server.metrics().downstreamClosed();
            server.clientConnections().closed();
        });
        if (tls != null) {
            ch.pipeline().addLast(new IdleTimer(c.timeouts().idle().toNanos()));
            ch.pipeline().addLast(new PlainHttpOnTlsPort(() -> server.metrics().tls().handshakeFailed(listener.name()),
                            c.timeouts().closeLinger().toNanos()),
                    tls.newSniHandler(HANDSHAKE_TIMEOUT_MILLIS), new TlsNegotiator());
        } else if (listener.http2().enabled() && listener.http2().cleartext()) {
            ch.pipeline().addLast(new IdleTimer(c.timeouts().idle().toNanos()));
            ch.pipeline().addLast(new PrefaceDetector());
        } else {
            http1(ch, ConnectionInfo.cleartext(ch, false));
        }
    }

    /** Whether {@code info} is there; if not (the peer reset the connection before it was set up), closes it quietly. */
    private static boolean present(Channel ch, ConnectionInfo info) {
        if (info == null) {
            log.debug("client connection {} reset before it was set up", ch);
            ch.close();
            return false;
        }
        return true;
    }

    private void http1(Channel ch, ConnectionInfo info) {
        if (!present(ch, info)) {
            return;
        }
        GatewayConfig c = server.state().config();
        HeadBuffers.install(ch);
        // On clear text the codec sees every byte and write first: it is the idle timer too, one
        // handler fewer for each event to pass (the preface check's timer steps aside for it).
        long codecIdle = 0;
        if (tls == null) {
            codecIdle = c.timeouts().idle().toNanos();
            if (ch.pipeline().get(IdleTimer.class) != null) {
                ch.pipeline().remove(IdleTimer.class);
            }
        }
        ServerCodec codec = new ServerCodec(c.limits().maxRequestLineBytes(), c.limits().maxHeaderBytes(), MAX_CHUNK_BYTES,
                c.timeouts().requestHeader().toNanos(), codecIdle);
        ch.pipeline().addLast(codec);
        if (c.routes().stream().anyMatch(r -> r.compression() != null)) {
            // Only where a route compresses: the encoder looks at every request and response it passes.
            // A connection opened before a reload turned compression on keeps its pipeline.
            ch.pipeline().addLast(new ResponseCompressor());
        }
        ch.pipeline().addLast(new ProxyHandler(server, codec, info));
    }

    /**
     * Waits for the first bytes of a clear-text connection: the HTTP/2 preface
     * ({@code PRI * HTTP/2.0...}) makes it h2c, anything else is HTTP/1.x; then steps aside,
     * passing on what it read.
     */
    private final class PrefaceDetector extends ByteToMessageDecoder {
        private final byte[] preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            ctx.read();
            super.channelActive(ctx);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent) {
                ctx.close(); // connected and silent for the whole idle timeout
                return;
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            int n = Math.min(in.readableBytes(), preface.length);
            for (int i = 0; i < n; i++) {
                if (in.getByte(in.readerIndex() + i) != preface[i]) {
                    http1(ctx.channel(), ConnectionInfo.cleartext(ctx.channel(), false));
                    ctx.pipeline().remove(this);
                    return;
                }
            }
            if (n == preface.length) {
                ConnectionInfo info = ConnectionInfo.cleartext(ctx.channel(), true);
                if (present(ctx.channel(), info)) {
                    H2Connection.configure(ctx.channel(), server, listener.http2(), info);
                }
                ctx.pipeline().remove(this);
            }
            // else: a prefix of the preface so far; the decoder reads on
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A reset before the first bytes were read, or while they were a prefix of the preface: routine at the edge.
            log.debug("client connection {} failed before its protocol was known: {}", ctx.channel(), cause.toString());
            ctx.close();
        }
    }

    /** After the TLS handshake: HTTP/2 or HTTP/1.1 as ALPN chose; counts handshakes and failures. */
    private final class TlsNegotiator extends ApplicationProtocolNegotiationHandler {
        private String sni;

        TlsNegotiator() {
            super(ApplicationProtocolNames.HTTP_1_1);
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            ctx.read(); // auto-read is off: ask for the ClientHello
            super.channelActive(ctx);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent) {
                ctx.close(); // no ClientHello (or no handshake progress) for the whole idle timeout
                return;
            }
            if (evt instanceof SniCompletionEvent sniEvent && sniEvent.isSuccess()) {
                sni = sniEvent.hostname();
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            boolean h2 = ApplicationProtocolNames.HTTP_2.equals(protocol) && listener.http2().enabled();
            ConnectionInfo info = ConnectionInfo.tls(ctx.channel(), ctx.pipeline().get(SslHandler.class), sni, h2);
            if (!present(ctx.channel(), info)) {
                return;
            }
            server.metrics().tls().handshake(listener.name(), info.tlsVersion, h2 ? "h2" : "http/1.1");
            if (h2) {
                H2Connection.configure(ctx.channel(), server, listener.http2(), info);
            } else {
                http1(ctx.channel(), info);
            }
        }

        @Override
        protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
            // Scanners, old clients and plain HTTP on the TLS port: routine at the edge.
            server.metrics().tls().handshakeFailed(listener.name());
            log.debug("TLS handshake with {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
            if (cause instanceof DecoderException && cause.getCause() instanceof SSLException) {
                super.exceptionCaught(ctx, cause); // a handshake failure: handshakeFailure above
                return;
            }
            log.debug("client connection {} failed during TLS set-up: {}", ctx.channel(), cause.toString());
            ctx.close();
        }
    }

    /** How long drain waits for a connection still choosing its protocol (its first bytes, its TLS handshake). */
    private static final int UNDECIDED_CHECKS = 20;
    private static final long UNDECIDED_CHECK_MILLIS = 50;

    /** Drain: asks a client connection to close now if idle, else after its current response. */
    public static void closeIfIdle(Channel ch) {
        ch.eventLoop().execute(() -> closeIfIdle(ch, 0));
    }

    private static void closeIfIdle(Channel ch, int checks) {
        ProxyHandler h = ch.pipeline().get(ProxyHandler.class);
        if (h != null) {
            h.closeIfIdle();
        } else if (ch.pipeline().get(Tunnel.class) != null) {
            return; // a tunnel has no request boundary to close at: the drain timeout ends it
        } else if (ch.pipeline().get(H2Connection.class) != null) {
            ch.close(); // HTTP/2: GOAWAY, open streams finish within the drain timeout
        } else if (checks < UNDECIDED_CHECKS && ch.isActive()) {
            // Accepted, but its first bytes (or its handshake) are not through yet: a request may be
            // on the wire. Look again shortly, as the HTTP/1 path's quiet grace does.
            ch.eventLoop().schedule(() -> closeIfIdle(ch, checks + 1), UNDECIDED_CHECK_MILLIS, TimeUnit.MILLISECONDS);
        } else {
            ch.close();
        }
    }
}
