package dev.edgegateway.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** {@code edge_tls_*}: handshakes by listener, version and protocol; failures; certificate reloads. */
public final class TlsMeters {
    private final MeterRegistry registry;

    TlsMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Registers a TLS listener's meters at zero, so every series exists before its first event. */
    public void listener(String listener) {
        for (String version : new String[] {"TLSv1.3", "TLSv1.2"}) {
            for (String protocol : new String[] {"h2", "http/1.1"}) {
                handshakes(listener, version, protocol);
            }
        }
        handshakeFailures(listener);
        certificateReloads(listener, "applied");
        certificateReloads(listener, "invalid");
    }

    /** A TLS handshake completed on a listener: its TLS version and the protocol ALPN chose. Once per connection. */
    public void handshake(String listener, String version, String protocol) {
        handshakes(listener, String.valueOf(version), protocol).increment();
    }

    /** A TLS handshake failed (no common version or cipher, not TLS at all, timed out). */
    public void handshakeFailed(String listener) {
        handshakeFailures(listener).increment();
    }

    /** A listener's certificates were reloaded ({@code applied}) or could not be ({@code invalid}: the old ones stay). */
    public void certificateReload(String listener, String outcome) {
        certificateReloads(listener, outcome).increment();
    }

    private Counter handshakes(String listener, String version, String protocol) {
        return Counter.builder("edge.tls.handshakes").description("Completed TLS handshakes by listener, TLS version and application protocol")
                .tags("listener", listener, "version", version, "protocol", protocol).register(registry);
    }

    private Counter handshakeFailures(String listener) {
        return Counter.builder("edge.tls.handshake.failures").description("Failed TLS handshakes by listener").tags("listener", listener).register(registry);
    }

    private Counter certificateReloads(String listener, String outcome) {
        return Counter.builder("edge.tls.certificate.reloads").description("Certificate reloads by listener and outcome")
                .tags("listener", listener, "outcome", outcome).register(registry);
    }
}
