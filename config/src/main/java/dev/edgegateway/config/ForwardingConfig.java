package dev.edgegateway.config;

import java.util.List;

/**
 * How the gateway treats forwarding headers. A request from an address in {@code trustedProxies}
 * keeps its incoming {@code X-Forwarded-*} chain and {@code X-Request-Id} (the gateway appends
 * to them); from anyone else they are replaced, so a client cannot forge its address.
 */
public record ForwardingConfig(List<Cidr> trustedProxies) {
    public static final ForwardingConfig DEFAULT = new ForwardingConfig(null);

    public ForwardingConfig {
        trustedProxies = trustedProxies == null ? List.of() : List.copyOf(trustedProxies);
    }

    public boolean isTrusted(byte[] address) {
        for (Cidr c : trustedProxies) {
            if (c.contains(address)) {
                return true;
            }
        }
        return false;
    }
}
