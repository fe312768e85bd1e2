package dev.edgegateway.config;

/**
 * Limits that guard the gateway against oversized or abusive requests.
 *
 * @param maxRequestLineBytes longest request line (method, target, version); past it: 414
 * @param maxHeaderBytes largest header block; past it: 431
 * @param maxRequestBodyBytes largest declared request body (Content-Length); past it: 413; 0 means no limit
 * @param retryBufferBytes how much of a request body the gateway keeps so the request can be retried
 *     on another endpoint (Envoy's per-request buffer limit); a longer body streams without a copy
 *     and is not retried once any of it was sent; 0 turns the copy off
 * @param maxClientConnections client connections held at once, all listeners together; past it the
 *     listeners stop accepting and new connections wait in the backlog (HAProxy's maxconn). 0: no
 *     limit; absent: derived from the process's open-file limit (the gateway decides, at start)
 */
public record LimitsConfig(Integer maxRequestLineBytes, Integer maxHeaderBytes, Long maxRequestBodyBytes, Integer retryBufferBytes,
                           Integer maxClientConnections) {
    public static final LimitsConfig DEFAULT = new LimitsConfig(null, null, null, null, null);

    public LimitsConfig {
        maxRequestLineBytes = maxRequestLineBytes == null ? 8192 : maxRequestLineBytes;
        maxHeaderBytes = maxHeaderBytes == null ? 16384 : maxHeaderBytes;
        maxRequestBodyBytes = maxRequestBodyBytes == null ? 0L : maxRequestBodyBytes;
        retryBufferBytes = retryBufferBytes == null ? 65536 : retryBufferBytes;
        ConfigViolation.collector()
                .check(maxRequestLineBytes >= 256 && maxRequestLineBytes <= 1 << 20, "maxRequestLineBytes", "must be 256 to 1MiB, found " + maxRequestLineBytes)
                .check(maxHeaderBytes >= 1024 && maxHeaderBytes <= 1 << 20, "maxHeaderBytes", "must be 1KiB to 1MiB, found " + maxHeaderBytes)
                .check(maxRequestBodyBytes >= 0, "maxRequestBodyBytes", "must be 0 (no limit) or more, found " + maxRequestBodyBytes)
                .check(retryBufferBytes >= 0 && retryBufferBytes <= 16 << 20, "retryBufferBytes", "must be 0 (no copy) to 16MiB, found " + retryBufferBytes)
                .check(maxClientConnections == null || maxClientConnections >= 0, "maxClientConnections",
                        "must be 0 (no limit) or more, found " + maxClientConnections)
                .throwIfAny();
    }
}
