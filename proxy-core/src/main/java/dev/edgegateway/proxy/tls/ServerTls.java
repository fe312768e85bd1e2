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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
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
        /** Per certificate entry of the config: the files' fingerprint and the context built from them. */
        final List<String> entryFingerprints = new ArrayList<>();
        final List<SslContext> contexts = new ArrayList<>();
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
     * For a config reload: the set for {@code config} built from its files, when the listener's
     * {@code tls} section changed; null when it did not (changed files are {@link #rotate}'s
     * business, pair by pair). Throws, naming the file, when a file cannot be used: the reload is
     * rejected and nothing changes.
     */
    public Certs prepareIfChanged(TlsConfig config) {
        Certs current = certs;
        if (current != null && current.config.equals(config)) {
            return null;
        }
        return build(config, read(config));
    }

    private Certs prepare(TlsConfig config) {
        return build(config, read(config));
    }

    /** What a file rotation gives: the set to install (null: nothing changed) and the pairs that could not be used. */
    public record Rotation(Certs next, List<String> errors) {}

    /**
     * The certificate file watch, one pair at a time: a pair whose files changed and can be used
     * is rebuilt; one that cannot (half written, key and certificate out of step) keeps the
     * context it had and is reported, so a bad {@code a.test} does not hold back {@code b.test}.
     */
    public Rotation rotate() {
        Certs current = certs;
        TlsConfig config = current.config;
        List<String> errors = new ArrayList<>();
        List<SslContext> contexts = new ArrayList<>();
        List<String> prints = new ArrayList<>();
        List<byte[]> ocsp = new ArrayList<>();
        boolean changed = false;
        for (int i = 0; i < config.certificates().size(); i++) {
            CertificateConfig c = config.certificates().get(i);
            SslContext old = current.contexts.get(i);
            String oldPrint = current.entryFingerprints.get(i);
            byte[] oldOcsp = current.ocsp.get(old);
            try {
                Read r = read(new TlsConfig(List.of(c), config.protocols(), config.ciphers(), config.provider(), config.reloadInterval()));
                if (r.fingerprint().equals(oldPrint)) {
                    contexts.add(old);
                    prints.add(oldPrint);
                    ocsp.add(oldOcsp);
                    continue;
                }
                contexts.add(context(config, c, r.certs().get(0), r.keys().get(0), r.ocsp().get(0)));
                prints.add(r.fingerprint());
                ocsp.add(r.ocsp().get(0));
                changed = true;
            } catch (RuntimeException e) {
                errors.add(e.getMessage());
                contexts.add(old);
                prints.add(oldPrint);
                ocsp.add(oldOcsp);
            }
        }
        if (!changed) {
            return new Rotation(null, errors);
        }
        Certs next = new Certs(config, String.join(",", prints));
        for (int i = 0; i < contexts.size(); i++) {
            add(next, config.certificates().get(i), contexts.get(i), prints.get(i), ocsp.get(i));
        }
        return new Rotation(next, errors);
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
        List<byte[]> certs = new ArrayList<>();
        List<byte[]> keys = new ArrayList<>();
        List<byte[]> ocsp = new ArrayList<>();
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
            byte[] b = Files.readAllBytes(Path.of(file));
            sha.update(b);
            sha.update((byte) 0);
            return b;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read '" + file + "': " + e, e);
        }
    }

    /** Every pair of {@code config} from {@code files}, all or nothing (a config reload is rejected by one bad pair). */
    private Certs build(TlsConfig config, Read files) {
        Certs next = new Certs(config, files.fingerprint);
        for (int i = 0; i < config.certificates().size(); i++) {
            CertificateConfig c = config.certificates().get(i);
            SslContext ctx = context(config, c, files.certs.get(i), files.keys.get(i), files.ocsp.get(i));
            add(next, c, ctx, entryFingerprint(files, i), files.ocsp.get(i));
        }
        return next;
    }

    /** One entry's fingerprint, as {@link #rotate} computes it from that entry's files alone. */
    private static String entryFingerprint(Read files, int i) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (byte[] b : new byte[][] {files.certs.get(i), files.keys.get(i), files.ocsp.get(i)}) {
            if (b != null) {
                sha.update(b);
                sha.update((byte) 0);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private SslContext context(TlsConfig config, CertificateConfig c, byte[] cert, byte[] key, byte[] ocsp) {
        checkPair(c, cert, key);
        List<String> ciphers = config.ciphers().isEmpty() ? Http2SecurityUtil.CIPHERS : config.ciphers();
        ApplicationProtocolConfig alpn = new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                http2 ? List.of(ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1) : List.of(ApplicationProtocolNames.HTTP_1_1));
        try {
            SslContextBuilder b = SslContextBuilder.forServer(new ByteArrayInputStream(cert), new ByteArrayInputStream(key))
                    .sslProvider(provider)
                    .protocols(config.protocols())
                    .ciphers(ciphers, SupportedCipherSuiteFilter.INSTANCE)
                    .applicationProtocolConfig(alpn);
            if (ocsp != null && provider != SslProvider.JDK) {
                b.enableOcsp(true);
            }
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("certificate '" + c.certFile() + "' with key '" + c.keyFile() + "' cannot be used: " + e.getMessage(), e);
        }
    }

    private void add(Certs next, CertificateConfig c, SslContext ctx, String fingerprint, byte[] ocsp) {
        next.contexts.add(ctx);
        next.entryFingerprints.add(fingerprint);
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

    /** The files as read now parse, and the key is the certificate's (a rotation half done is not). */
    private static void checkPair(CertificateConfig c, byte[] cert, byte[] key) {
        try {
            var leaf = Pem.certificates(cert).get(0);
            if (!Pem.matches(Pem.privateKey(new String(key, StandardCharsets.US_ASCII)), leaf.getPublicKey())) {
                throw new IllegalArgumentException("'" + c.keyFile() + "' is not the key of the certificate in '" + c.certFile() + "'");
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("certificate '" + c.certFile() + "' or key '" + c.keyFile() + "' cannot be read: " + e.getMessage(), e);
        }
    }

    private static String names(Certs c) {
        return c.config.certificates().stream().map(x -> String.join(",", x.serverNames())).toList().toString();
    }
}
