package dev.edgegateway.config;

/** The admin listener (/healthz, /ready, /metrics, /config). Loopback unless configured otherwise. */
public record AdminConfig(HostPort address) {
    public static final AdminConfig DEFAULT = new AdminConfig(null);

    public AdminConfig {
        address = address == null ? new HostPort("127.0.0.1", 9901) : address;
    }
}
