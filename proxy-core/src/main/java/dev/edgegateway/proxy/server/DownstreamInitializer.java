package dev.edgegateway.proxy.server;

import dev.edgegateway.config.GatewayConfig;
import dev.edgegateway.proxy.transport.IdleTimer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.flow.FlowControlHandler;
import java.util.concurrent.TimeUnit;

/** The pipeline of a client connection: idle timeout, header timer, HTTP codec, one message per read, proxy. */
public final class DownstreamInitializer extends ChannelInitializer<Channel> {
    /** Largest body chunk the decoder hands on; bounded by the socket read size anyway. */
    private static final int MAX_CHUNK_BYTES = 64 * 1024;

    private final ServerContext server;

    public DownstreamInitializer(ServerContext server) {
        this.server = server;
    }

    @Override
    protected void initChannel(Channel ch) {
        GatewayConfig c = server.state().config();
        RequestHeaderTimer headerTimer = new RequestHeaderTimer(c.timeouts().requestHeader().toNanos());
        ch.pipeline().addLast(
                new IdleTimer(c.timeouts().idle().toNanos()),
                headerTimer,
                new ServerCodec(c.limits().maxRequestLineBytes(), c.limits().maxHeaderBytes(), MAX_CHUNK_BYTES),
                new FlowControlHandler(),
                new ProxyHandler(server, headerTimer));
    }

    /** Drain: asks a client connection to close now if idle, else after its current response. */
    public static void closeIfIdle(Channel ch) {
        ch.eventLoop().execute(() -> {
            ProxyHandler h = ch.pipeline().get(ProxyHandler.class);
            if (h != null) {
                h.closeIfIdle();
            } else {
                ch.close();
            }
        });
    }
}
