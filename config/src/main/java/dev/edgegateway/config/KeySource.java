package dev.edgegateway.config;

import java.util.Locale;

/**
 * Where a per-request key comes from: one request header, one cookie, or the client's address
 * (after {@code forwarding.trustedProxies}: the address the gateway believes is the client's).
 * Exactly one is set.
 *
 * <p>A client address is keyed by its network: the first {@code ipv4Prefix} bits of an IPv4
 * address (default 32, the address) and the first {@code ipv6Prefix} bits of an IPv6 one
 * (default 64). One IPv6 subscriber holds a whole /64 (RFC 6177; its hosts change address within
 * it every day, RFC 8981), so keyed by the full address it would get a bucket, or a split side,
 * per address it cares to use. Both are set only with {@code clientAddress: true}.
 */
public record KeySource(String header, String cookie, Boolean clientAddress, Integer ipv4Prefix, Integer ipv6Prefix) {
    public KeySource {
        header = header == null ? null : header.toLowerCase(Locale.ROOT);
        clientAddress = clientAddress != null && clientAddress;
        int set = (header != null ? 1 : 0) + (cookie != null ? 1 : 0) + (clientAddress ? 1 : 0);
        ConfigViolation.collector()
                .check(set == 1, "header", "set exactly one of header, cookie or clientAddress: true")
                .check(header == null || HeaderRules.TOKEN.matcher(header).matches(), "header", "'" + header + "' is not a header name")
                .check(cookie == null || HeaderRules.TOKEN.matcher(cookie).matches(), "cookie", "'" + cookie + "' is not a cookie name")
                .check(ipv4Prefix == null || clientAddress, "ipv4Prefix", "only a clientAddress key has a prefix")
                .check(ipv6Prefix == null || clientAddress, "ipv6Prefix", "only a clientAddress key has a prefix")
                .check(ipv4Prefix == null || ipv4Prefix >= 1 && ipv4Prefix <= 32, "ipv4Prefix", ipv4Prefix + " is outside 1..32")
                .check(ipv6Prefix == null || ipv6Prefix >= 1 && ipv6Prefix <= 128, "ipv6Prefix", ipv6Prefix + " is outside 1..128")
                .throwIfAny();
        if (clientAddress) {
            ipv4Prefix = ipv4Prefix == null ? 32 : ipv4Prefix;
            ipv6Prefix = ipv6Prefix == null ? 64 : ipv6Prefix;
        }
    }

    /** A header, cookie or client-address key with the default prefixes. */
    public KeySource(String header, String cookie, Boolean clientAddress) {
        this(header, cookie, clientAddress, null, null);
    }

    @Override
    public String toString() {
        return header != null ? "header " + header : cookie != null ? "cookie " + cookie
                : "client address (/" + ipv4Prefix + " of IPv4, /" + ipv6Prefix + " of IPv6)";
    }
}
