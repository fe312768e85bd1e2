package dev.edgegateway.config;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * TLS termination on a listener. The certificate is chosen by the client's SNI name (exact names
 * first, then {@code *.suffix} wildcards); a client without SNI, or with a name no certificate
 * lists, gets the first certificate. The files are read again when the config reloads and when
 * their content changes on disk (checked every {@code reloadInterval}); new connections get the
 * new certificate, open ones keep theirs.
 *
 * @param protocols {@code TLSv1.2} and/or {@code TLSv1.3}; nothing older is accepted
 * @param ciphers TLS 1.2 cipher suites and TLS 1.3 suites by their IANA names; none: a modern
 *     list (AEAD with forward secrecy only)
 * @param provider {@code auto} (BoringSSL when it loads, else the JDK), {@code openssl} or {@code jdk}
 */
public record TlsConfig(List<CertificateConfig> certificates, List<String> protocols, List<String> ciphers,
                        Provider provider, Duration reloadInterval) {
    public enum Provider { AUTO, OPENSSL, JDK }

    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    public TlsConfig {
        certificates = certificates == null ? List.of() : List.copyOf(certificates);
        protocols = protocols == null || protocols.isEmpty() ? PROTOCOLS : List.copyOf(protocols);
        ciphers = ciphers == null ? List.of() : List.copyOf(ciphers);
        provider = provider == null ? Provider.AUTO : provider;
        reloadInterval = reloadInterval == null ? Duration.ofSeconds(10) : reloadInterval;
        var v = ConfigViolation.collector();
        v.check(!certificates.isEmpty(), "certificates", "at least one certificate (certFile, keyFile) is required");
        for (int i = 0; i < protocols.size(); i++) {
            v.check(PROTOCOLS.contains(protocols.get(i)), "protocols[" + i + "]",
                    "expected TLSv1.2 or TLSv1.3 (older versions are not offered), found '" + protocols.get(i) + "'");
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < certificates.size(); i++) {
            for (String n : certificates.get(i).serverNames()) {
                v.check(names.add(n), "certificates[" + i + "].serverNames", "'" + n + "' is served by an earlier certificate too");
            }
        }
        v.check(reloadInterval.toMillis() >= 100, "reloadInterval", "must be at least 100ms");
        v.throwIfAny();
    }
}
