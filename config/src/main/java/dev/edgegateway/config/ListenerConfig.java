package dev.edgegateway.config;

/**
 * A traffic listener: where clients connect. Port 0 binds any free port (tests).
 *
 * @param tls TLS termination; none: clear text
 * @param http2 HTTP/2 settings (on by default: h2 by ALPN over TLS, h2c by prior knowledge in clear text)
 */
public record ListenerConfig(String name, HostPort address, TlsConfig tls, Http2Config http2) {
    public ListenerConfig(String name, HostPort address) {
        this(name, address, null, null);
    }

    public ListenerConfig {
        http2 = http2 == null ? Http2Config.DEFAULT : http2;
        ConfigViolation.collector().require(name, "name").require(address, "address").throwIfAny();
    }

    /** The listener's scheme for {@code X-Forwarded-Proto}. */
    public String scheme() {
        return tls == null ? "http" : "https";
    }
}
