package dev.edgegateway.proxy.tls;

import dev.edgegateway.config.HostPort;
import dev.edgegateway.config.TlsConfig;
import dev.edgegateway.config.UpstreamTlsConfig;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.File;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLException;

/**
 * TLS to a cluster's endpoints: a client context (CA bundle or the JVM's trust store, host name
 * verification, optional client certificate) and the name to send by SNI and verify. Contexts
 * are cached by their config, so a reload that keeps a cluster's {@code tls} section keeps its
 * context, and the pooled connections made with it stay usable.
 */
public final class UpstreamTls {
    private record Key(UpstreamTlsConfig config, boolean h2) {}

    private static final Map<Key, UpstreamTls> CACHE = new ConcurrentHashMap<>();

    private final SslContext context;
    private final String serverName;

    private UpstreamTls(SslContext context, String serverName) {
        this.context = context;
        this.serverName = serverName;
    }

    /**
     * The context for a cluster's {@code tls} section (offering {@code h2} by ALPN when the cluster
     * speaks HTTP/2); null for none. Throws if a file cannot be used.
     */
    public static UpstreamTls of(UpstreamTlsConfig config, boolean h2) {
        if (config == null) {
            return null;
        }
        return CACHE.computeIfAbsent(new Key(config, h2), k -> build(k.config(), k.h2()));
    }

    private static UpstreamTls build(UpstreamTlsConfig c, boolean h2) {
        try {
            SslContextBuilder b = SslContextBuilder.forClient()
                    .sslProvider(TlsProviders.choose(TlsConfig.Provider.AUTO))
                    .protocols(TlsConfig.PROTOCOLS);
            if (h2) {
                b.applicationProtocolConfig(new ApplicationProtocolConfig(
                        ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_2));
            }
            if (!c.verify()) {
                b.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
            } else {
                b.endpointIdentificationAlgorithm("HTTPS");
                if (c.caFile() != null) {
                    b.trustManager(new File(c.caFile()));
                }
            }
            if (c.certFile() != null) {
                b.keyManager(new File(c.certFile()), new File(c.keyFile()));
            }
            return new UpstreamTls(b.build(), c.serverName());
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cluster tls cannot be set up: " + e.getMessage(), e);
        }
    }

    /** A handler for one connection to {@code endpoint}: SNI and verification against the server name, else the endpoint's host. */
    public SslHandler newHandler(ByteBufAllocator alloc, HostPort endpoint) {
        String peer = serverName != null ? serverName : endpoint.host();
        return context.newHandler(alloc, peer, endpoint.port());
    }
}
