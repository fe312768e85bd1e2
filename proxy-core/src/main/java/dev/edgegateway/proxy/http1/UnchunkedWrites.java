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
 * connection: not chunked) past Netty's encoder: its head in one copy into one buffer, then each
 * body part's buffer as it is; a part with nothing in it is dropped unless its write has a promise
 * to complete. That is what Netty's encoder writes for such a message, without its per-part type
 * dispatch, state machine and list of outputs (the encoder was 6.2% of the event loop's samples
 * with the heads' writing in it, both sides together). A message it does not take (see
 * {@link #request} and {@link #response}) goes to the encoder, whole: every message is written one
 * way from head to end, so the encoder's state is never out of step.
 *
 * <p>A head is held back until the message's next part, and a body that is whole in that part and
 * small ({@link #MERGED_BYTES}) is copied behind it: the message leaves in one buffer, one
 * {@code send}, where head and body in two took a {@code writev} (HAProxy sends such a response
 * from one buffer too). Anything else first writes the held head as it is: another part, a write
 * with a promise, another message, a flush ({@link #writeHeld}, from the encoder's {@code flush}),
 * so a head is never later on the wire than a flush that followed it. Released if the encoder
 * goes first ({@link #discard}). One per encoder; confined to the channel's event loop.
 */
public final class UnchunkedWrites {
    /** Head and body up to this many bytes leave in one buffer: the largest head buffer a loop keeps ({@code HeadBuffers}). */
    static final int MERGED_BYTES = 4096;

    /** A message this writer began is not yet at its end: what comes next is its body. */
    private boolean inBody;
    /** The head of the message begun, not written yet; null once written. */
    private ByteBuf held;

    /**
     * Writes a request's head if its headers are {@link FlatHeaders} without
     * {@code Transfer-Encoding} and its target is in origin form, in ASCII; false, having written
     * nothing, for any other request and anything that is not a request's head alone or a
     * {@linkplain Parts#whole whole request with no body} (written at once: it ends with its head).
     */
    public boolean request(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        boolean whole = Parts.isWholeRequest(msg) && !((HttpContent) msg).content().isReadable();
        if (!whole && (!Parts.isRequest(msg) || Parts.isContent(msg)) || !(((HttpRequest) msg).headers() instanceof FlatHeaders h)
                || h.indexOf(HttpHeaderNames.TRANSFER_ENCODING, 0) >= 0) {
            return false;
        }
        HttpRequest r = (HttpRequest) msg;
        ByteBuf head = HeadWriter.request(ctx.alloc(), r, h);
        if (head == null) {
            return false;
        }
        if (!whole) {
            return begin(ctx, head, promise);
        }
        writeHeld(ctx); // a message begun before this one ended wrongly; its head goes first, as written
        inBody = false;
        ((HttpContent) msg).release(); // (its content is empty: the head is the message)
        ctx.write(head, promise);
        return true;
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
            writeHeld(ctx);
            if (Parts.isHttp(msg)) {
                return false; // a head: not this message's
            }
            ctx.write(msg, promise); // a buffer or file region of the body, as the encoder passes them
            return true;
        }
        if (Parts.isRequest(msg) || Parts.isResponse(msg)) {
            writeHeld(ctx);
            return false; // a whole message
        }
        boolean last = Parts.isLast(msg);
        ByteBuf content = ((HttpContent) msg).content();
        if (last) {
            inBody = false; // trailers have no place in a body framed by length, and Netty's encoder drops them too
            ByteBuf head = held;
            if (head != null && promise.isVoid() && head.readableBytes() + content.readableBytes() <= MERGED_BYTES) {
                held = null;
                append(head, content);
                content.release();
                ctx.write(head, promise);
                return true;
            }
        }
        writeHeld(ctx);
        if (content.isReadable() || !promise.isVoid()) {
            ctx.write(content, promise);
        } else {
            content.release();
        }
        return true;
    }

    /**
     * {@code content}'s readable bytes behind {@code head}'s, copied by the source: between two
     * pooled direct buffers that is one memory copy, where the destination's {@code writeBytes}
     * made a {@code ByteBuffer} view of the body's slice for each copy (0.23% of the event loop's
     * samples with the copy itself at 0.22%).
     */
    private static void append(ByteBuf head, ByteBuf content) {
        int n = content.readableBytes();
        head.ensureWritable(n);
        content.getBytes(content.readerIndex(), head, head.writerIndex(), n);
        head.writerIndex(head.writerIndex() + n);
    }

    /** Writes the held head, if any: before a flush, and before anything that is not the body to copy behind it. */
    public void writeHeld(ChannelHandlerContext ctx) {
        ByteBuf head = held;
        if (head != null) {
            held = null;
            ctx.write(head, ctx.voidPromise());
        }
    }

    /** Releases the held head, if any: the encoder is being removed (its channel has closed). */
    public void discard() {
        ByteBuf head = held;
        if (head != null) {
            held = null;
            head.release();
        }
    }

    private boolean begin(ChannelHandlerContext ctx, ByteBuf head, ChannelPromise promise) {
        writeHeld(ctx); // a message begun before this one ended wrongly; its head goes first, as written
        inBody = true;
        if (promise.isVoid()) {
            held = head;
        } else {
            ctx.write(head, promise);
        }
        return true;
    }
}
