package dev.edgegateway.proxy.server;

import dev.edgegateway.proxy.upstream.UpstreamConnection;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * The client side of an exchange, as the upstream attempt sees it: where the response goes and
 * how the request body is asked for. An HTTP/1 connection is one; so is an HTTP/2 stream. Called
 * on the exchange's event loop.
 */
interface Downstream {
    /** Writes part of the response (not flushed); ownership passes. */
    void write(HttpObject part);

    /** Flushes what was written. */
    void flush();

    /** Whether the client can take more now; when it can again, the downstream reads the origin on. */
    boolean writable();

    /** Asks the client for the next part of the request body. */
    void readRequest();

    /** Tells the client to send its body ({@code 100 Continue}), once per exchange. */
    void sendContinue();

    /** Answers the exchange from the gateway; nothing of a response was sent yet. */
    void answer(Exchange x, Refusal refusal);

    /** Answers the exchange with a response a stage built (a 429); nothing of a response was sent yet. */
    void answer(Exchange x, FullHttpResponse response);

    /** The origin's response is complete with {@code last}: record the exchange, then the next request or close. */
    void responseDone(Exchange x, LastHttpContent last);

    /** The origin switched protocols: relay bytes both ways from now on, starting after {@code end}. */
    void tunnel(Exchange x, LastHttpContent end, UpstreamConnection origin);

    /** Ends the client connection (or stream) now: a response that started cannot be finished. */
    void abort();
}
