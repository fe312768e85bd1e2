package dev.edgegateway.config;

import java.time.Duration;

/**
 * Time limits on the request path.
 *
 * @param connect opening a connection to an endpoint, its TLS handshake included (past it: 504)
 * @param responseHeader from the request's end being sent upstream to the response headers arriving (past it: 504)
 * @param requestHeader from a request's first byte to its last header line (past it: 408 and close; slowloris defence)
 * @param idle a client connection with no traffic in either direction is closed
 * @param upstreamIdle a pooled origin connection unused this long is closed
 * @param tunnelIdle an upgraded (WebSocket) connection with no traffic either way is closed
 * @param closeLinger how long a client connection the gateway closes after a response has its
 *     write side shut while what the client still sends is dropped, before it is closed (0: at once)
 */
public record TimeoutsConfig(Duration connect, Duration responseHeader, Duration requestHeader, Duration idle, Duration upstreamIdle,
                             Duration tunnelIdle, Duration closeLinger) {
    public static final TimeoutsConfig DEFAULT = new TimeoutsConfig(null, null, null, null, null, null, null);

    public TimeoutsConfig {
        connect = connect == null ? Duration.ofSeconds(2) : connect;
        responseHeader = responseHeader == null ? Duration.ofSeconds(30) : responseHeader;
        requestHeader = requestHeader == null ? Duration.ofSeconds(10) : requestHeader;
        idle = idle == null ? Duration.ofSeconds(60) : idle;
        upstreamIdle = upstreamIdle == null ? Duration.ofSeconds(50) : upstreamIdle;
        tunnelIdle = tunnelIdle == null ? Duration.ofMinutes(10) : tunnelIdle;
        closeLinger = closeLinger == null ? Duration.ofSeconds(2) : closeLinger;
        ConfigViolation.collector()
                .check(positive(connect), "connect", "must be more than 0")
                .check(positive(tunnelIdle), "tunnelIdle", "must be more than 0")
                .check(positive(responseHeader), "responseHeader", "must be more than 0")
                .check(positive(requestHeader), "requestHeader", "must be more than 0")
                .check(positive(idle), "idle", "must be more than 0")
                .check(positive(upstreamIdle), "upstreamIdle", "must be more than 0")
                .check(!closeLinger.isNegative() && closeLinger.compareTo(Duration.ofMinutes(1)) <= 0, "closeLinger", "must be 0 to 1m")
                .throwIfAny();
    }

    private static boolean positive(Duration d) {
        return !d.isZero() && !d.isNegative();
    }
}
