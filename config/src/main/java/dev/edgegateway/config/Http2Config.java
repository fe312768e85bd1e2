package dev.edgegateway.config;

import java.time.Duration;

/**
 * HTTP/2 from clients on a listener: over TLS when the client offers {@code h2} by ALPN, and in
 * clear text (h2c) when a connection starts with the HTTP/2 preface ("prior knowledge"). Each
 * stream takes the same path as an HTTP/1.1 request. The limits defend the gateway: a client
 * that resets streams faster than {@code maxResetsPerWindow} per {@code resetWindow} (the "rapid
 * reset" attack), sends a header list over {@code maxHeaderListBytes} or floods CONTINUATION
 * frames is cut off, alone.
 *
 * @param maxHeaderListBytes the decoded header list limit (a request over it gets 431); none:
 *     {@code limits.maxHeaderBytes}
 * @param initialWindowBytes each stream's receive window: how much request body a stream may
 *     have in flight before the gateway has passed it on
 */
public record Http2Config(Boolean enabled, Boolean cleartext, Integer maxConcurrentStreams, Integer maxHeaderListBytes,
                          Integer initialWindowBytes, Integer maxFrameBytes, Integer maxResetsPerWindow, Duration resetWindow) {
    public static final Http2Config DEFAULT = new Http2Config(null, null, null, null, null, null, null, null);

    public Http2Config {
        enabled = enabled == null || enabled;
        cleartext = cleartext == null || cleartext;
        maxConcurrentStreams = maxConcurrentStreams == null ? 100 : maxConcurrentStreams;
        initialWindowBytes = initialWindowBytes == null ? 65535 : initialWindowBytes;
        maxFrameBytes = maxFrameBytes == null ? 16384 : maxFrameBytes;
        maxResetsPerWindow = maxResetsPerWindow == null ? 200 : maxResetsPerWindow;
        resetWindow = resetWindow == null ? Duration.ofSeconds(30) : resetWindow;
        ConfigViolation.collector()
                .check(maxConcurrentStreams >= 1 && maxConcurrentStreams <= 10_000, "maxConcurrentStreams", "must be 1 to 10000")
                .check(maxHeaderListBytes == null || (maxHeaderListBytes >= 1024 && maxHeaderListBytes <= 1 << 20),
                        "maxHeaderListBytes", "must be 1KiB to 1MiB")
                .check(initialWindowBytes >= 1024 && initialWindowBytes <= Integer.MAX_VALUE - 1, "initialWindowBytes", "must be 1KiB to 2GiB")
                .check(maxFrameBytes >= 16384 && maxFrameBytes <= 16_777_215, "maxFrameBytes", "must be 16384 to 16777215 (RFC 9113)")
                .check(maxResetsPerWindow >= 1, "maxResetsPerWindow", "must be at least 1")
                .check(resetWindow.toMillis() >= 1000, "resetWindow", "must be at least 1s")
                .throwIfAny();
    }
}
