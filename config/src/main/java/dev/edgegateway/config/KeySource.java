package dev.edgegateway.config;

import java.util.Locale;

/**
 * Where a per-request key comes from: one request header, one cookie, or the client's address
 * (after {@code forwarding.trustedProxies}: the address the gateway believes is the client's).
 * Exactly one is set.
 */
public record KeySource(String header, String cookie, Boolean clientAddress) {
    public KeySource {
        header = header == null ? null : header.toLowerCase(Locale.ROOT);
        clientAddress = clientAddress != null && clientAddress;
        int set = (header != null ? 1 : 0) + (cookie != null ? 1 : 0) + (clientAddress ? 1 : 0);
        ConfigViolation.collector()
                .check(set == 1, "header", "set exactly one of header, cookie or clientAddress: true")
                .check(header == null || HeaderRules.TOKEN.matcher(header).matches(), "header", "'" + header + "' is not a header name")
                .check(cookie == null || HeaderRules.TOKEN.matcher(cookie).matches(), "cookie", "'" + cookie + "' is not a cookie name")
                .throwIfAny();
    }

    @Override
    public String toString() {
        return header != null ? "header " + header : cookie != null ? "cookie " + cookie : "client address";
    }
}
