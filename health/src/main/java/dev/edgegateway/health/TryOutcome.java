package dev.edgegateway.health;

/** How one try against an endpoint ended, as outlier detection and breakers see it. */
public enum TryOutcome {
    /** Any response below 500. */
    SUCCESS,
    /** A 5xx response from the origin. */
    HTTP_5XX,
    /** No usable response: connect failure, reset, timeout, invalid response (the gateway's 502/504). */
    GATEWAY_FAILURE
}
