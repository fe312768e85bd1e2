package dev.edgegateway.config;

import java.nio.file.Path;
import java.util.List;

/**
 * TLS from the gateway to a cluster's endpoints (the section's presence turns it on).
 *
 * @param caFile PEM CA certificates to verify the origin against; none: the JVM's trust store
 * @param serverName the SNI name sent and the name verified; none: the endpoint's host name (no
 *     SNI for an IP literal, whose certificate is then checked against the address)
 * @param certFile a client certificate for mutual TLS, with {@code keyFile}
 * @param verify false turns verification off (a test origin); never in production
 */
public record UpstreamTlsConfig(String caFile, String serverName, String certFile, String keyFile, Boolean verify) {
    public UpstreamTlsConfig {
        verify = verify == null || verify;
        var v = ConfigViolation.collector();
        if (caFile != null) {
            try {
                Pem.certificates(Path.of(caFile));
            } catch (Exception e) {
                v.add("caFile", "cannot read PEM CA certificates from '" + caFile + "': " + e.getMessage());
            }
        }
        v.check((certFile == null) == (keyFile == null), certFile == null ? "certFile" : "keyFile", "set certFile and keyFile together (mutual TLS)");
        v.throwIfAny();
        if (certFile != null) {
            new CertificateConfig(certFile, keyFile, List.of("client"), null); // same checks as a server certificate
        }
    }
}
