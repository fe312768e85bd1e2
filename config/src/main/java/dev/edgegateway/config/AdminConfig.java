package dev.edgegateway.config;

/**
 * The admin listener (/healthz, /ready, /metrics, /config, /clusters). Loopback unless configured
 * otherwise. Calls that change anything ({@code PUT /config}) need {@code Authorization: Bearer
 * <token>}; the token comes from the environment variable {@code tokenEnv} or, if that is unset,
 * from the file {@code tokenFile}. With neither, the admin API is read-only. The token itself
 * never appears in the config.
 */
public record AdminConfig(HostPort address, String tokenEnv, String tokenFile) {
    public static final AdminConfig DEFAULT = new AdminConfig(null, null, null);

    public AdminConfig {
        address = address == null ? new HostPort("127.0.0.1", 9901) : address;
        tokenEnv = tokenEnv == null ? "EDGE_ADMIN_TOKEN" : tokenEnv;
    }
}
