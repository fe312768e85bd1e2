package dev.edgegateway.config;

/**
 * Traffic mirroring (shadow testing): a share of a route's requests is copied to another
 * cluster, fire and forget. The client's request and answer never wait for the copy; the
 * mirror's answer is read and dropped. Bodies are copied up to {@code limits.retryBufferBytes}.
 *
 * @param cluster where the copies go
 * @param percent share of the route's requests copied (0 to 100), chosen at random per request
 * @param maxInFlight copies outstanding at most, per gateway process; past it a copy is dropped
 *     and counted, so a mirror that hangs costs a bounded number of connections
 */
public record MirrorConfig(String cluster, Double percent, Integer maxInFlight) {
    public MirrorConfig {
        percent = percent == null ? 100.0 : percent;
        maxInFlight = maxInFlight == null ? 100 : maxInFlight;
        ConfigViolation.collector().require(cluster, "cluster")
                .check(percent >= 0 && percent <= 100, "percent", "must be 0 to 100, found " + percent)
                .check(maxInFlight >= 1, "maxInFlight", "must be at least 1")
                .throwIfAny();
    }
}
