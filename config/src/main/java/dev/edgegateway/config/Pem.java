package dev.edgegateway.config;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads PEM certificates and PKCS#8 private keys with the JDK alone, so a config naming them is
 * checked (readable, parseable, key matching certificate) before anything is served with them.
 */
public final class Pem {
    private static final Pattern KEY = Pattern.compile("-----BEGIN PRIVATE KEY-----([^-]+)-----END PRIVATE KEY-----");

    private Pem() {}

    /** A certificate file's chain, leaf first; at least one certificate. */
    public static List<X509Certificate> certificates(Path file) throws IOException, CertificateException {
        return certificates(Files.readAllBytes(file));
    }

    /** As {@link #certificates(Path)}, from a file's content. */
    public static List<X509Certificate> certificates(byte[] bytes) throws CertificateException {
        List<X509Certificate> chain = new ArrayList<>();
        for (var c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes))) {
            chain.add((X509Certificate) c);
        }
        if (chain.isEmpty()) {
            throw new CertificateException("no PEM certificate (-----BEGIN CERTIFICATE-----) in the file");
        }
        return chain;
    }

    /** An unencrypted PKCS#8 key ({@code -----BEGIN PRIVATE KEY-----}): RSA, EC or Ed25519. */
    public static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
        return privateKey(Files.readString(file, StandardCharsets.US_ASCII));
    }

    /** As {@link #privateKey(Path)}, from a file's content. */
    public static PrivateKey privateKey(String text) throws GeneralSecurityException {
        Matcher m = KEY.matcher(text);
        if (!m.find()) {
            String hint = text.contains("BEGIN RSA PRIVATE KEY") || text.contains("BEGIN EC PRIVATE KEY")
                    ? " (found a PKCS#1/SEC1 key: convert it with 'openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8')"
                    : text.contains("BEGIN ENCRYPTED PRIVATE KEY") ? " (the key is encrypted: store it unencrypted, readable only by the gateway)" : "";
            throw new GeneralSecurityException("no unencrypted PKCS#8 key (-----BEGIN PRIVATE KEY-----)" + hint);
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(1));
        GeneralSecurityException last = null;
        for (String alg : new String[] {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw new GeneralSecurityException("the key is not an RSA, EC or EdDSA PKCS#8 key", last);
    }

    /** Whether {@code key} is the private half of {@code cert}'s public key (signs and verifies a nonce). */
    public static boolean matches(PrivateKey key, PublicKey cert) {
        String alg = switch (key.getAlgorithm().toUpperCase(Locale.ROOT)) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "ED25519", "ED448", "EDDSA" -> key.getAlgorithm();
            default -> null;
        };
        if (alg == null) {
            return true; // cannot tell here; the TLS provider will
        }
        try {
            byte[] nonce = new byte[32];
            new SecureRandom().nextBytes(nonce);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(nonce);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(cert);
            v.update(nonce);
            return v.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** The DNS names a certificate is for: its subjectAltName DNS entries, else its CN. Lower case. */
    public static List<String> dnsNames(X509Certificate cert) {
        List<String> names = new ArrayList<>();
        try {
            var sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (Integer.valueOf(2).equals(san.get(0))) {
                        names.add(san.get(1).toString().toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (CertificateException e) {
            // an unparseable extension: fall back to the CN
        }
        if (names.isEmpty()) {
            Matcher cn = Pattern.compile("CN=([^,]+)").matcher(cert.getSubjectX500Principal().getName());
            if (cn.find()) {
                names.add(cn.group(1).toLowerCase(Locale.ROOT));
            }
        }
        return names;
    }
}
