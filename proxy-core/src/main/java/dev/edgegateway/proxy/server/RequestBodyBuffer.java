package dev.edgegateway.proxy.server;

import io.netty.channel.ChannelOutboundInvoker;
import io.netty.handler.codec.http.HttpContent;
import java.util.ArrayList;
import java.util.List;

/**
 * A copy of a request body as it streams to the origin, kept so a failed try can be sent again
 * to another endpoint (Envoy's per-request buffer limit). The copies share the body's buffers
 * (retained duplicates: nothing is copied byte by byte). Past {@code limitBytes} the copy is
 * dropped and the body streams on without one: such a request is not retried once any of its
 * body went out. Owns its references: {@link #release} gives them back, once; confined to the
 * exchange's event loop.
 */
final class RequestBodyBuffer {
    private final int limitBytes;
    private final List<HttpContent> parts = new ArrayList<>(4);
    private long bytes;
    private boolean overflowed;

    RequestBodyBuffer(int limitBytes) {
        this.limitBytes = limitBytes;
    }

    /** Keeps a copy of {@code part} (which the caller still owns), unless the limit is passed. */
    void add(HttpContent part) {
        if (overflowed) {
            return;
        }
        bytes += part.content().readableBytes();
        if (bytes > limitBytes) {
            release();
            return;
        }
        parts.add(part.retainedDuplicate());
    }

    /** Whether everything read of the body so far is here to send again. */
    boolean intact() {
        return !overflowed;
    }

    /** Writes (without flushing) a copy of each part kept so far to {@code origin}; each write owns its copy. */
    void replayTo(ChannelOutboundInvoker origin) {
        for (HttpContent p : parts) {
            origin.write(p.retainedDuplicate(), origin.voidPromise());
        }
    }

    /** A retained duplicate of each part kept so far (the caller owns them): a mirror's copy of the body. */
    List<HttpContent> retainedParts() {
        List<HttpContent> out = new ArrayList<>(parts.size());
        for (HttpContent p : parts) {
            out.add(p.retainedDuplicate());
        }
        return out;
    }

    /** Gives back the copies; nothing can be replayed afterwards. Safe to call twice. */
    void release() {
        overflowed = true;
        for (HttpContent p : parts) {
            p.release();
        }
        parts.clear();
    }
}
