package dev.edgegateway.proxy.server;

import dev.edgegateway.health.Endpoint;
import dev.edgegateway.proxy.transport.IdleTimer;
import dev.edgegateway.proxy.upstream.UpstreamConnection;
import dev.edgegateway.proxy.upstream.UpstreamListener;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * An upgraded (WebSocket) connection after the origin's 101: bytes relayed both ways until either
 * side closes, with backpressure each way, timed by the tunnel's own idle timeout. It takes the
 * place of the HTTP handler in the client's pipeline (as Netty's proxy example relays), so the
 * request path has no tunnel state. The endpoint counts the tunnel in flight until it closes, so
 * the balancer spreads long-lived sessions too; the access log gets a {@code tunnel} line then.
 * Confined to the connection's event loop.
 */
final class Tunnel extends ChannelDuplexHandler implements UpstreamListener {
    private final ServerContext server;
    private final ExchangeRecorder recorder;
    private final Exchange upgrade;
    private final UpstreamConnection origin;
    private Endpoint busy;
    private ChannelHandlerContext ctx;
    private boolean waitingOrigin;
    private boolean waitingClient;
    private boolean closed;

    private Tunnel(ServerContext server, ExchangeRecorder recorder, Exchange upgrade, UpstreamConnection origin) {
        this.server = server;
        this.recorder = recorder;
        this.upgrade = upgrade;
        this.origin = origin;
        this.busy = upgrade.busyEndpoint;
        upgrade.busyEndpoint = null;
    }

    /**
     * Replaces {@code http} (the HTTP handler of the client connection) with a tunnel to
     * {@code origin}: the codec comes out (with the header timer, and on clear text the keep-alive
     * timer: the tunnel gets one of its own, first), and passes on any bytes it had buffered,
     * which go to the origin.
     */
    static void install(ChannelHandlerContext http, ServerContext server, ExchangeRecorder recorder, Exchange upgrade,
                        UpstreamConnection origin) {
        Tunnel t = new Tunnel(server, recorder, upgrade, origin);
        server.metrics().tunnelOpened();
        ChannelPipeline p = http.pipeline();
        IdleTimer idle = new IdleTimer(upgrade.state.tunnelIdleNanos);
        if (p.get(IdleTimer.class) != null) {
            p.replace(IdleTimer.class, "tunnel-idle", idle); // before TLS
        } else {
            p.addFirst("tunnel-idle", idle); // clear text: the codec was the idle timer
        }
        p.replace(http.handler(), "tunnel", t);
        origin.bind(t);
        // The codec hands on the bytes it holds as it goes (they are the client's first tunnel bytes).
        p.remove(ServerCodec.class);
        if (p.get(ResponseCompressor.class) != null) {
            p.remove(ResponseCompressor.class);
        }
        if (t.ctx.channel().isWritable()) {
            origin.channel().read();
        } else {
            t.waitingClient = true;
        }
        t.ctx.read();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf) || closed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        origin.writeRaw(buf);
        if (origin.channel().isWritable()) {
            ctx.read();
        } else {
            waitingOrigin = true;
        }
    }

    @Override
    public void onUpstreamBytes(ByteBuf bytes) {
        ctx.write(bytes, ctx.voidPromise());
    }

    @Override
    public void onUpstreamMessage(HttpObject msg) {
        ReferenceCountUtil.release(msg); // the codec passes bytes through after a 101
    }

    @Override
    public void onUpstreamReadComplete() {
        ctx.flush();
        if (ctx.channel().isWritable()) {
            origin.channel().read();
        } else {
            waitingClient = true;
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (waitingClient && ctx.channel().isWritable()) {
            waitingClient = false;
            origin.channel().read();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void onUpstreamWritabilityChanged(boolean writable) {
        if (writable && waitingOrigin) {
            waitingOrigin = false;
            ctx.read();
        }
    }

    @Override
    public void onUpstreamClosed(Throwable cause) {
        // The origin ended the session: the client gets what was sent, then the close.
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void onUpstreamIdle() {
        // The client side's tunnel-idle timer decides; the origin's idle alone is not the end.
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ctx.close(); // nothing either way for the tunnel's idle timeout
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!closed) {
            closed = true;
            origin.discard();
            if (busy != null) {
                busy.requestFinished();
                busy = null;
            }
            recorder.tunnelClosed(upgrade);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
