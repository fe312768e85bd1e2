package dev.edgegateway.routing;

/**
 * What routing may read of a request. The proxy adapts its own request type to this, once per
 * connection, so routing needs no HTTP library and allocates nothing to look.
 */
public interface RequestView {
    /** The method, upper case. */
    String method();

    /** The origin-form target: path and, after {@code ?}, the query. */
    String target();

    /**
     * A header's value (name in lower case), or null; a header on several lines is one value, the
     * lines joined by {@code ","} in order, so that no condition holds for one line while an
     * origin reads another.
     */
    String header(String lowerCaseName);

    /** The value of a cookie, or null. */
    String cookie(String name);

    /** The client's address as the gateway believes it (after trusted proxies), 4 or 16 bytes. */
    byte[] clientAddress();

    /** The address as text (RFC 5952 for IPv6), for hashing. */
    String clientAddressText();

    /**
     * The client's address as a key: its network of these prefix lengths
     * ({@link Keys#network}), the address itself at /32 and /128.
     */
    default String clientKey(int ipv4Prefix, int ipv6Prefix) {
        return Keys.network(clientAddress(), clientAddressText(), ipv4Prefix, ipv6Prefix);
    }

    /** Whether the connection's peer is a trusted proxy, whose headers (region, country) count. */
    boolean fromTrustedProxy();

    /** Whether the request arrived over TLS. */
    default boolean tls() {
        return false;
    }

    /** The TLS server name (SNI) the client asked for, lower case; null for none or clear text. */
    default String sni() {
        return null;
    }
}
