package dev.edgegateway.proxy.upstream;

import dev.edgegateway.config.HostPort;
import dev.edgegateway.health.Endpoint;
import dev.edgegateway.proxy.http1.ClientCodec;
import dev.edgegateway.proxy.metrics.GatewayMetrics;
import dev.edgegateway.proxy.tls.UpstreamTls;
import dev.edgegateway.proxy.transport.HeadBuffers;
import dev.edgegateway.proxy.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

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
    private final EventLoop loop;
    private final GatewayMetrics metrics;
    /** HTTP/2 endpoints: one connection each (per loop), many streams. */
    private final Map<Endpoint, H2OriginConnection> h2Connections = new HashMap<>();
    /** Keyed by endpoint instance (its equality is identity; its hash is fixed, see {@link Endpoint#hashCode}). */
    private final Map<Endpoint, Idle> idle = new HashMap<>();
    private long upstreamIdleNanos;
    private int maxResponseHeaderBytes = 65536;

    public UpstreamPool(EventLoop loop, Transport transport, AddressResolverGroup<? extends SocketAddress> resolver, GatewayMetrics metrics) {
        this.metrics = metrics;
        this.loop = loop;
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
                        H2OriginConnection h2 = ch.attr(GatewayAttributes.H2).get();
                        if (conn.tls != null) {
                            SslHandler ssl = conn.tls.newHandler(ch.alloc(), conn.endpoint().address());
                            ssl.setHandshakeTimeoutMillis(0); // bounded with the connect, by open()
                            ch.pipeline().addLast(ssl);
                        }
                        if (h2 != null) {
                            h2.initParent(ch, upstreamIdleNanos, maxResponseHeaderBytes);
                            return;
                        }
                        HeadBuffers.install(ch);
                        // The codec, after TLS if any, sees every byte and write: it is the idle timer too.
                        ch.pipeline().addLast(new ClientCodec(8192, maxResponseHeaderBytes, 65536, upstreamIdleNanos), conn);
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
     * An origin connection for one exchange; the future completes on this loop. HTTP/1.1: a new
     * connection (after the TLS handshake when {@code tls} is set), not in the pool until the
     * exchange releases it. HTTP/2 ({@code h2}): a new stream on the endpoint's one connection
     * from this loop, which is opened first if there is none.
     */
    public Future<UpstreamConnection> connect(Endpoint endpoint, UpstreamTls tls, boolean h2, long connectTimeoutMillis,
                                              long upstreamIdleNanos, int maxIdle) {
        this.upstreamIdleNanos = upstreamIdleNanos;
        Idle i = idle.computeIfAbsent(endpoint, e -> new Idle(socketAddress(e.address())));
        i.cap = maxIdle;
        Promise<UpstreamConnection> result = loop.newPromise();
        if (h2) {
            H2OriginConnection parent = h2Connections.get(endpoint);
            if (parent == null || parent.tls != tls || !parent.usable()) {
                parent = new H2OriginConnection(endpoint, tls, this);
                h2Connections.put(endpoint, parent);
                UpstreamConnection marker = new UpstreamConnection(endpoint, this, tls);
                ChannelFuture f = open(i.address, marker, parent, connectTimeoutMillis, tls);
                parent.connecting(f);
            }
            parent.openStream(result);
            return result;
        }
        UpstreamConnection conn = new UpstreamConnection(endpoint, this, tls);
        ChannelFuture f = open(i.address, conn, null, connectTimeoutMillis, tls);
        f.addListener(done -> {
            if (done.isSuccess()) {
                result.trySuccess(conn);
            } else {
                result.tryFailure(done.cause());
            }
        });
        return result;
    }

    /** Connects (and, with {@code tls}, completes the handshake) one TCP connection. */
    private ChannelFuture open(SocketAddress address, UpstreamConnection conn, H2OriginConnection h2, long connectTimeoutMillis, UpstreamTls tls) {
        bootstrap.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeoutMillis));
        bootstrap.attr(GatewayAttributes.CONNECTION, conn);
        bootstrap.attr(GatewayAttributes.H2, h2);
        ChannelFuture f = bootstrap.connect(address);
        bootstrap.attr(GatewayAttributes.CONNECTION, null);
        bootstrap.attr(GatewayAttributes.H2, null);
        f.addListener(done -> {
            if (done.isSuccess()) {
                metrics.upstreamConnectionOpened();
            }
        });
        if (tls == null) {
            return f;
        }
        ChannelPromise handshaken = f.channel().newPromise();
        // The connect timeout bounds the handshake too, as Envoy's does: an origin that accepts and
        // never answers the ClientHello is a connect that never completes (a 504, retried as one),
        // not a 502 after the TLS library's own 10 s.
        ScheduledFuture<?> limit = loop.schedule(() -> {
            if (handshaken.tryFailure(new ConnectTimeoutException("connect and TLS handshake took over " + connectTimeoutMillis + " ms"))) {
                f.channel().close();
            }
        }, connectTimeoutMillis, TimeUnit.MILLISECONDS);
        handshaken.addListener(done -> limit.cancel(false));
        f.addListener(done -> {
            if (!done.isSuccess()) {
                handshaken.tryFailure(done.cause());
                return;
            }
            SslHandler ssl = f.channel().pipeline().get(SslHandler.class);
            ssl.handshakeFuture().addListener(hs -> {
                if (!hs.isSuccess()) {
                    handshaken.tryFailure(new TlsHandshakeException(hs.cause()));
                    f.channel().close();
                } else if (h2 != null && !ApplicationProtocolNames.HTTP_2.equals(ssl.applicationProtocol())) {
                    handshaken.tryFailure(new TlsHandshakeException(new SSLException(
                            "the origin did not agree to HTTP/2 by ALPN (it chose " + ssl.applicationProtocol() + ")")));
                    f.channel().close();
                } else {
                    handshaken.trySuccess();
                }
            });
        });
        return handshaken;
    }

    void h2ConnectionClosed() {
        metrics.upstreamConnectionClosed();
    }

    /** The HTTP/2 connection to {@code endpoint} went away: the next stream opens a new one. */
    void h2Closed(Endpoint endpoint, H2OriginConnection c) {
        h2Connections.remove(endpoint, c);
    }

    void release(UpstreamConnection c) {
        if (c.stream) {
            c.channel().close(); // the stream is done; its connection stays for the next
            return;
        }
        Idle i = idle.get(c.endpoint());
        if (i == null || !c.channel().isActive() || i.connections.size() >= i.cap) {
            c.channel().close();
            return;
        }
        i.connections.addLast(c);
        metrics.upstreamIdle(1);
        // A pending read lets the pool see the origin close the connection (EOF) while idle.
        c.context().read();
    }

    void onClosed(UpstreamConnection c) {
        if (c.stream) {
            return; // a stream, not a connection: its HTTP/2 connection is counted by H2OriginConnection
        }
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
    public void retainOnly(Set<Endpoint> live) {
        var it = idle.entrySet().iterator();
        while (it.hasNext()) {
            var e = it.next();
            if (!live.contains(e.getKey())) {
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
    public static final class TlsHandshakeException extends IOException {
        private static final long serialVersionUID = 1L;

        TlsHandshakeException(Throwable cause) {
            super("TLS handshake with the origin failed: " + cause.getMessage(), cause);
        }
    }
}
