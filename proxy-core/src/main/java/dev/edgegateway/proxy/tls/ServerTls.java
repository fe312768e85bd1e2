package dev.edgegateway.proxy.tls;

import dev.edgegateway.config.CertificateConfig;
import dev.edgegateway.config.Pem;
import dev.edgegateway.config.TlsConfig;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.util.Mapping;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TLS listener's certificates, chosen per connection by SNI: exact names, then one-label
 * {@code *.suffix} wildcards, then the first certificate. The set is rebuilt from the files when
 * the config or the files' content change ({@link #prepare} then {@link #install}: building can
 * fail, installing cannot); a connection takes the set current at its ClientHello and keeps it.
 * Thread-safe: one volatile reference.
 */
public final class ServerTls implements Mapping<String, SslContext> {
    private static final Logger log = LoggerFactory.getLogger(ServerTls.class);

    /** A built certificate set, ready to install. */
    public static final class Certs {
        final TlsConfig config;
        final String fingerprint;
        final Map<String, SslContext> exact = new HashMap<>();
        final Map<String, SslContext> wildcard = new HashMap<>();
        final Map<SslContext, byte[]> ocsp = new IdentityHashMap<>();
        SslContext fallback;

        Certs(TlsConfig config, String fingerprint) {
            this.config = config;
            this.fingerprint = fingerprint;
        }
    }

    private final String listener;
    private final SslProvider provider;
    private final boolean http2;
    private volatile Certs certs;

    public ServerTls(String listener, TlsConfig config, boolean http2) {
        this.listener = listener;
        this.provider = TlsProviders.choose(config.provider());
        this.http2 = http2;
        this.certs = prepare(config);
        log.info("listener {}: TLS ({}, {}) for {}", listener, TlsProviders.name(provider), String.join("/", config.protocols()), names(certs));
    }

    public String providerName() {
        return TlsProviders.name(provider);
    }

    /**
     * Builds the set for {@code config} from the files as they are now; null when neither the
     * config nor the files changed. Throws, naming the file, when a file cannot be used.
     */
    public Certs prepareIfChanged(TlsConfig config) {
        Certs current = certs;
        Read read = read(config);
        if (current != null && current.config.equals(config) && current.fingerprint.equals(read.fingerprint)) {
            return null;
        }
        return build(config, read);
    }

    private Certs prepare(TlsConfig config) {
        return build(config, read(config));
    }

    /** Makes {@code next} the set new connections get. */
    public void install(Certs next) {
        certs = next;
        log.info("listener {}: certificates loaded for {}", listener, names(next));
    }

    @Override
    public SslContext map(String hostname) {
        Certs c = certs;
        if (hostname == null || hostname.isEmpty()) {
            return c.fallback;
        }
        String host = hostname.toLowerCase(Locale.ROOT);
        SslContext ctx = c.exact.get(host);
        if (ctx == null) {
            int dot = host.indexOf('.');
            ctx = dot > 0 ? c.wildcard.get(host.substring(dot + 1)) : null;
        }
        return ctx != null ? ctx : c.fallback;
    }

    /** The handler that reads the ClientHello, picks the certificate and becomes an {@link SslHandler}. */
    public SniHandler newSniHandler(long handshakeTimeoutMillis) {
        return new SniHandler(this, handshakeTimeoutMillis) {
            @Override
            protected SslHandler newSslHandler(SslContext context, ByteBufAllocator allocator) {
                SslHandler h = super.newSslHandler(context, allocator);
                byte[] response = certs.ocsp.get(context);
                if (response != null && h.engine() instanceof ReferenceCountedOpenSslEngine e) {
                    e.setOcspResponse(response);
                }
                return h;
            }
        };
    }

    private record Read(List<byte[]> certs, List<byte[]> keys, List<byte[]> ocsp, String fingerprint) {}

    private static Read read(TlsConfig config) {
        List<byte[]> certs = new java.util.ArrayList<>();
        List<byte[]> keys = new java.util.ArrayList<>();
        List<byte[]> ocsp = new java.util.ArrayList<>();
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (CertificateConfig c : config.certificates()) {
            certs.add(readFile(c.certFile(), sha));
            keys.add(readFile(c.keyFile(), sha));
            ocsp.add(c.ocspResponse() == null ? null : readFile(c.ocspResponse(), sha));
        }
        return new Read(certs, keys, ocsp, HexFormat.of().formatHex(sha.digest()));
    }

    private static byte[] readFile(String file, MessageDigest sha) {
        try {
            byte[] b = java.nio.file.Files.readAllBytes(Path.of(file));
            sha.update(b);
            sha.update((byte) 0);
            return b;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read '" + file + "': " + e, e);
        }
    }

    private Certs build(TlsConfig config, Read files) {
        Certs next = new Certs(config, files.fingerprint);
        List<String> ciphers = config.ciphers().isEmpty() ? Http2SecurityUtil.CIPHERS : config.ciphers();
        ApplicationProtocolConfig alpn = new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                http2 ? List.of(ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1) : List.of(ApplicationProtocolNames.HTTP_1_1));
        for (int i = 0; i < config.certificates().size(); i++) {
            CertificateConfig c = config.certificates().get(i);
            byte[] ocsp = files.ocsp.get(i);
            checkPair(c, files.certs.get(i), files.keys.get(i));
            SslContext ctx;
            try {
                SslContextBuilder b = SslContextBuilder.forServer(new ByteArrayInputStream(files.certs.get(i)), new ByteArrayInputStream(files.keys.get(i)))
                        .sslProvider(provider)
                        .protocols(config.protocols())
                        .ciphers(ciphers, SupportedCipherSuiteFilter.INSTANCE)
                        .applicationProtocolConfig(alpn);
                if (ocsp != null && provider != SslProvider.JDK) {
                    b.enableOcsp(true);
                }
                ctx = b.build();
            } catch (SSLException | IllegalArgumentException e) {
                throw new IllegalArgumentException("certificate '" + c.certFile() + "' with key '" + c.keyFile() + "' cannot be used: " + e.getMessage(), e);
            }
            if (ocsp != null && provider != SslProvider.JDK) {
                next.ocsp.put(ctx, ocsp);
            }
            if (next.fallback == null) {
                next.fallback = ctx;
            }
            for (String name : c.serverNames()) {
                if (name.startsWith("*.")) {
                    next.wildcard.putIfAbsent(name.substring(2), ctx);
                } else {
                    next.exact.putIfAbsent(name, ctx);
                }
            }
        }
        return next;
    }

    /** The files as read now parse, and the key is the certificate's (a rotation half done is not). */
    private static void checkPair(CertificateConfig c, byte[] cert, byte[] key) {
        try {
            var leaf = Pem.certificates(cert).get(0);
            if (!Pem.matches(Pem.privateKey(new String(key, java.nio.charset.StandardCharsets.US_ASCII)), leaf.getPublicKey())) {
                throw new IllegalArgumentException("'" + c.keyFile() + "' is not the key of the certificate in '" + c.certFile() + "'");
            }
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalArgumentException("certificate '" + c.certFile() + "' or key '" + c.keyFile() + "' cannot be read: " + e.getMessage(), e);
        }
    }

    private static String names(Certs c) {
        return c.config.certificates().stream().map(x -> String.join(",", x.serverNames())).toList().toString();
    }
}
