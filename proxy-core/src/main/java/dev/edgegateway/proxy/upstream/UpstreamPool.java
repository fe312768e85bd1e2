package dev.edgegateway.proxy.upstream;

import dev.edgegateway.config.HostPort;
import dev.edgegateway.health.Endpoint;
import dev.edgegateway.proxy.metrics.GatewayMetrics;
import dev.edgegateway.proxy.transport.IdleTimer;
import dev.edgegateway.proxy.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.handler.ssl.SslHandler;
import dev.edgegateway.proxy.tls.UpstreamTls;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Keep-alive connections to origin endpoints, owned by one event loop: every connection in it was
 * opened on that loop for a client connection served by that loop, so a request's bytes never
 * change threads. Not thread-safe; used only from its loop. Idle connections are reused newest
 * first (warm ones stay warm; the rest age out through the idle timeout).
 */
public final class UpstreamPool {
    /** Idle connections per endpoint, with the cap taken from the endpoint's cluster. */
    private static final class Idle {
        final ArrayDeque<UpstreamConnection> connections = new ArrayDeque<>();
        final SocketAddress address;
        int cap;

        Idle(SocketAddress address) {
            this.address = address;
        }
    }

    private final Bootstrap bootstrap;
    private final GatewayMetrics metrics;
    private final Map<Endpoint, Idle> idle = new IdentityHashMap<>();
    private long upstreamIdleNanos;
    private int maxResponseHeaderBytes = 65536;

    public UpstreamPool(EventLoop loop, Transport transport, AddressResolverGroup<? extends SocketAddress> resolver, GatewayMetrics metrics) {
        this.metrics = metrics;
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channel(transport.socketChannelClass())
                .resolver(resolver)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.AUTO_READ, false)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        // The endpoint is attached by connect() before the channel registers.
                        UpstreamConnection conn = ch.attr(GatewayAttributes.CONNECTION).get();
                        if (conn.tls != null) {
                            ch.pipeline().addLast(conn.tls.newHandler(ch.alloc(), conn.endpoint().address()));
                        }
                        ch.pipeline().addLast(
                                new IdleTimer(upstreamIdleNanos),
                                new HttpClientCodec(8192, maxResponseHeaderBytes, 65536),
                                conn);
                    }
                });
    }

    /**
     * An idle, open connection to {@code endpoint} made with {@code tls} (null: clear text), or null
     * if there is none. One made with other TLS settings (a reload changed them) is closed.
     */
    public UpstreamConnection poll(Endpoint endpoint, UpstreamTls tls) {
        Idle i = idle.get(endpoint);
        if (i == null) {
            return null;
        }
        UpstreamConnection c;
        while ((c = i.connections.pollLast()) != null) {
            metrics.upstreamIdle(-1);
            if (c.tls != tls) {
                c.channel().close();
            } else if (c.channel().isActive()) {
                return c;
            }
        }
        return null;
    }

    /**
     * Opens a new connection; the future completes on this loop, after the TLS handshake when
     * {@code tls} is set. The connection is not in the pool until the exchange that asked for it
     * releases it.
     */
    public ChannelFuture connect(Endpoint endpoint, UpstreamTls tls, long connectTimeoutMillis, long upstreamIdleNanos, int maxIdle) {
        this.upstreamIdleNanos = upstreamIdleNanos;
        Idle i = idle.computeIfAbsent(endpoint, e -> new Idle(socketAddress(e.address())));
        i.cap = maxIdle;
        UpstreamConnection conn = new UpstreamConnection(endpoint, this, tls);
        bootstrap.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeoutMillis));
        bootstrap.attr(GatewayAttributes.CONNECTION, conn);
        ChannelFuture f = bootstrap.connect(i.address);
        bootstrap.attr(GatewayAttributes.CONNECTION, null);
        f.addListener(done -> {
            if (done.isSuccess()) {
                metrics.upstreamConnectionOpened();
            }
        });
        if (tls == null) {
            return f;
        }
        ChannelPromise handshaken = f.channel().newPromise();
        f.addListener(done -> {
            if (!done.isSuccess()) {
                handshaken.tryFailure(done.cause());
                return;
            }
            f.channel().pipeline().get(SslHandler.class).handshakeFuture().addListener(h -> {
                if (h.isSuccess()) {
                    handshaken.trySuccess();
                } else {
                    handshaken.tryFailure(new TlsHandshakeException(h.cause()));
                    f.channel().close();
                }
            });
        });
        return handshaken;
    }

    void release(UpstreamConnection c) {
        Idle i = idle.get(c.endpoint());
        if (i == null || !c.channel().isActive() || i.connections.size() >= i.cap) {
            c.channel().close();
            return;
        }
        i.connections.addLast(c);
        metrics.upstreamIdle(1);
        // A pending read lets the pool see the origin close the connection (EOF) while idle.
        c.channel().read();
    }

    void onClosed(UpstreamConnection c) {
        metrics.upstreamConnectionClosed();
        Idle i = idle.get(c.endpoint());
        if (i != null && i.connections.remove(c)) {
            metrics.upstreamIdle(-1);
        }
    }

    /**
     * Closes the idle connections to endpoints no longer in the config being served (a reload
     * removed them); connections in use finish their exchange and are closed on release.
     */
    public void retainOnly(java.util.Set<Endpoint> live) {
        var it = idle.entrySet().iterator();
        while (it.hasNext()) {
            var e = it.next();
            if (!live.contains(e.getKey())) {
                // Read the entry before removing it: an IdentityHashMap entry is dead after remove().
                List<UpstreamConnection> doomed = new ArrayList<>(e.getValue().connections);
                it.remove();
                metrics.upstreamIdle(-doomed.size());
                doomed.forEach(c -> c.channel().close());
            }
        }
    }

    /** Literal addresses are built with no lookup; names are left unresolved for the async resolver at connect. */
    public static SocketAddress socketAddress(HostPort hp) {
        byte[] literal = NetUtil.createByteArrayFromIpAddressString(hp.host());
        if (literal != null) {
            try {
                return new InetSocketAddress(InetAddress.getByAddress(literal), hp.port());
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e); // cannot happen for a 4- or 16-byte array
            }
        }
        return InetSocketAddress.createUnresolved(hp.host(), hp.port());
    }

    /** The TLS handshake with an origin failed (untrusted or mismatched certificate, no common protocol). */
    public static final class TlsHandshakeException extends java.io.IOException {
        private static final long serialVersionUID = 1L;

        TlsHandshakeException(Throwable cause) {
            super("TLS handshake with the origin failed: " + cause.getMessage(), cause);
        }
    }
}
