package dev.edgegateway.routing;

import dev.edgegateway.config.KeySource;

/** Reads a configured key from a request (for routing and for rate-limit policies). */
public final class Keys {
    private Keys() {}

    /** The key's value in this request, or null if the request lacks it. */
    public static String read(KeySource k, RequestView r) {
        if (k.header() != null) {
            return r.header(k.header());
        }
        if (k.cookie() != null) {
            return r.cookie(k.cookie());
        }
        return r.clientAddressText();
    }
}
