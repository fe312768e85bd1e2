package dev.edgegateway.config;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;

/**
 * One certificate a TLS listener can present: a PEM chain (leaf first) and its PKCS#8 key.
 * Checked when the config is read: both files parse and the key belongs to the certificate.
 *
 * @param serverNames the SNI names this certificate answers (exact or {@code *.example.com});
 *     when absent, the certificate's own DNS names (subjectAltName, else CN)
 * @param ocspResponse a DER OCSP response to staple (OpenSSL provider only), refreshed on disk by
 *     whatever fetches it, as with HAProxy's {@code .ocsp} files; none: no stapling
 */
public record CertificateConfig(String certFile, String keyFile, List<String> serverNames, String ocspResponse) {
    public CertificateConfig(String certFile, String keyFile) {
        this(certFile, keyFile, null, null);
    }

    public CertificateConfig {
        var v = ConfigViolation.collector().require(certFile, "certFile").require(keyFile, "keyFile");
        v.throwIfAny();
        List<String> fromCert = List.of();
        X509Certificate leaf = null;
        try {
            leaf = Pem.certificates(Path.of(certFile)).get(0);
            fromCert = Pem.dnsNames(leaf);
        } catch (Exception e) {
            v.add("certFile", "cannot read a PEM certificate from '" + certFile + "': " + reason(e));
        }
        try {
            PrivateKey key = Pem.privateKey(Path.of(keyFile));
            if (leaf != null && !Pem.matches(key, leaf.getPublicKey())) {
                v.add("keyFile", "'" + keyFile + "' is not the key of the certificate in '" + certFile + "'");
            }
        } catch (Exception e) {
            v.add("keyFile", "cannot read a private key from '" + keyFile + "': " + reason(e));
        }
        serverNames = serverNames == null || serverNames.isEmpty() ? fromCert
                : serverNames.stream().map(n -> n.toLowerCase(Locale.ROOT)).toList();
        for (int i = 0; i < serverNames.size(); i++) {
            String n = serverNames.get(i);
            String bare = n.startsWith("*.") ? n.substring(2) : n;
            v.check(bare.matches("[a-z0-9]([a-z0-9.-]*[a-z0-9])?"), "serverNames[" + i + "]",
                    "expected a host name or *.example.com, found '" + n + "'");
        }
        v.check(leaf == null || !serverNames.isEmpty(), "serverNames", "the certificate names no DNS name: list the names it serves");
        v.check(ocspResponse == null || Files.isReadable(Path.of(ocspResponse)), "ocspResponse", "cannot read '" + ocspResponse + "'");
        v.throwIfAny();
    }

    private static String reason(Exception e) {
        return e instanceof NoSuchFileException ? "no such file" : e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
