package dev.edgegateway.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;

/**
 * Writes an HTTP/1 message whose body needs no framing of its own (a length, or the end of the
 * connection: not chunked) past Netty's encoder: its head in one copy into a buffer of the head's
 * size, then each body part's buffer as it is; a part with nothing in it is dropped unless its
 * write has a promise to complete. That is what Netty's encoder writes for such a message, without
 * its per-part type dispatch, state machine and list of outputs, which the profile put at 2-3% of
 * the event loop's samples, both encoders together. A message it does not take (see
 * {@link #request} and {@link #response}) goes to the encoder, whole: every message is written one
 * way from head to end, so the encoder's state is never out of step. One per encoder; confined to
 * the channel's event loop.
 */
public final class UnchunkedWrites {
    /** A message this writer began is not yet at its end: what comes next is its body. */
    private boolean inBody;

    /**
     * Writes a request's head if its headers are {@link FlatHeaders} without
     * {@code Transfer-Encoding} and its target is in origin form, in ASCII; false, having written
     * nothing, for any other request and anything that is not a request's head alone.
     */
    public boolean request(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!Parts.isRequest(msg) || Parts.isContent(msg) || !(((HttpRequest) msg).headers() instanceof FlatHeaders h)
                || h.indexOf(HttpHeaderNames.TRANSFER_ENCODING, 0) >= 0) {
            return false;
        }
        HttpRequest r = (HttpRequest) msg;
        ByteBuf head = HeadWriter.request(ctx.alloc(), r, h);
        return head != null && begin(ctx, head, promise);
    }

    /**
     * Writes a final response's head if its headers are {@link FlatHeaders} without
     * {@code Transfer-Encoding} and it has a body to frame (the caller rules out a response to
     * HEAD); false, having written nothing, for informational, 204, 205 and 304 responses (Netty's
     * encoder rewrites their framing fields), and anything that is not a response's head alone.
     */
    public boolean response(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!Parts.isResponse(msg) || Parts.isContent(msg) || !(((HttpResponse) msg).headers() instanceof FlatHeaders h)) {
            return false;
        }
        HttpResponse r = (HttpResponse) msg;
        int code = r.status().code();
        if (code < 200 || code == 204 || code == 205 || code == 304 || h.indexOf(HttpHeaderNames.TRANSFER_ENCODING, 0) >= 0) {
            return false;
        }
        return begin(ctx, HeadWriter.response(ctx.alloc(), r, h), promise);
    }

    /** Whether {@code msg} belongs to a message this writer began; if so, writes it (the message's end ends it). */
    public boolean part(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!inBody) {
            return false;
        }
        if (!Parts.isContent(msg)) {
            if (Parts.isHttp(msg)) {
                return false; // a head: not this message's
            }
            ctx.write(msg, promise); // a buffer or file region of the body, as the encoder passes them
            return true;
        }
        if (Parts.isRequest(msg) || Parts.isResponse(msg)) {
            return false; // a whole message
        }
        if (Parts.isLast(msg)) {
            inBody = false; // trailers have no place in a body framed by length, and Netty's encoder drops them too
        }
        ByteBuf content = ((HttpContent) msg).content();
        if (content.isReadable() || !promise.isVoid()) {
            ctx.write(content, promise);
        } else {
            content.release();
        }
        return true;
    }

    private boolean begin(ChannelHandlerContext ctx, ByteBuf head, ChannelPromise promise) {
        inBody = true;
        ctx.write(head, promise);
        return true;
    }
}
