package dev.edgegateway.e2e;

import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import javax.net.ssl.SSLContext;

/** A test CA and the leaf certificates it issues, written as PEM files the gateway's config names. */
final class TestPki {
    final X509Bundle ca;
    final Path dir;

    TestPki(Path dir) throws Exception {
        this.dir = dir;
        this.ca = new CertificateBuilder().subject("CN=edge test CA").setIsCertificateAuthority(true).ecp256().buildSelfSigned();
        Files.writeString(dir.resolve("ca.pem"), ca.getCertificatePEM());
    }

    Path caFile() {
        return dir.resolve("ca.pem");
    }

    /** A server certificate for {@code dnsName}, with {@code organisation} in its subject to tell versions apart. */
    X509Bundle issue(String dnsName, String organisation) throws Exception {
        return new CertificateBuilder().subject("CN=" + dnsName + ", O=" + organisation).addSanDnsName(dnsName)
                .addExtendedKeyUsageServerAuth().addExtendedKeyUsageClientAuth().ecp256().buildIssuedBy(ca);
    }

    /** Writes {@code bundle} as {@code name}.pem and {@code name}.key (each replaced atomically); returns the cert path. */
    Path write(String name, X509Bundle bundle) throws IOException {
        return writeTo(dir, name, bundle);
    }

    /** As {@link #write}, into another directory. */
    static Path writeTo(Path dir, String name, X509Bundle bundle) throws IOException {
        Path key = dir.resolve(name + ".key");
        Path cert = dir.resolve(name + ".pem");
        replace(key, bundle.getPrivateKeyPEM());
        replace(cert, bundle.getCertificatePEM());
        return cert;
    }

    private static void replace(Path target, String text) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * A JDK TLS client connected to 127.0.0.1:{@code port}, its handshake done, asking for
     * {@code host} by SNI and verifying it; {@code protocol} null for the JDK's choice.
     */
    javax.net.ssl.SSLSocket socket(int port, String host, String protocol) throws Exception {
        javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) clientContext().getSocketFactory().createSocket();
        s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(5000);
        javax.net.ssl.SSLParameters p = s.getSSLParameters();
        p.setServerNames(java.util.List.of(new javax.net.ssl.SNIHostName(host)));
        p.setEndpointIdentificationAlgorithm("HTTPS");
        if (protocol != null) {
            p.setProtocols(new String[] {protocol});
        }
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    /** A JDK client context that trusts this CA. */
    SSLContext clientContext() throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, ca.toTrustManagerFactory().getTrustManagers(), null);
        return ctx;
    }
}
