package dev.edgegateway.proxy.http1;

/**
 * A request with both {@code Content-Length} and {@code Transfer-Encoding}: its decoder result
 * fails with this, and the guard answers "400: both Content-Length and Transfer-Encoding".
 * Ambiguous framing is how request smuggling starts, and an edge proxy should refuse it rather
 * than guess (RFC 9112 6.3 allows either; HAProxy and Envoy refuse by default too).
 */
public final class AmbiguousFramingException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    AmbiguousFramingException() {
        super("both Content-Length and Transfer-Encoding are present", null);
    }
}
