package dev.edgegateway.proxy.server;

import dev.edgegateway.proxy.metrics.GatewayMetrics.Rejection;

/**
 * Why the gateway answers a request itself rather than an origin: the status, the label that
 * {@code x-edge-rejected} and the access log's {@code rejected} carry, the text of the body,
 * and whether the connection must close after it. {@code reason} is set for the guard's
 * refusals, which {@code edge_downstream_rejected_total} counts; cluster limits and failures
 * are counted where they are decided. Made only on the (rare) refusing path.
 */
record Refusal(int status, Rejection reason, String label, String message, boolean close) {
    static Refusal of(int status, Rejection reason, String message, boolean close) {
        return new Refusal(status, reason, reason.label(), message, close);
    }

    static Refusal of(int status, String label, String message) {
        return new Refusal(status, null, label, message, false);
    }
}
