package dev.edgegateway.proxy.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpObject;

/**
 * What an origin connection reports to the exchange using it. Called on the connection's event
 * loop, which is also the exchange's.
 */
public interface UpstreamListener {
    /** A response message; ownership (reference count) passes to the listener. */
    void onUpstreamMessage(HttpObject msg);

    /** Bytes from the origin after it switched protocols (a tunnel); ownership passes to the listener. */
    void onUpstreamBytes(ByteBuf bytes);

    /** The end of one read batch: flush what was written downstream, decide whether to read on. */
    void onUpstreamReadComplete();

    /** The connection's writability changed: resume or pause reading the client. */
    void onUpstreamWritabilityChanged(boolean writable);

    /** The connection closed or failed before the exchange released it. */
    void onUpstreamClosed(Throwable cause);

    /** No traffic either way for the upstream idle timeout while the exchange held the connection. */
    void onUpstreamIdle();
}
