package dev.edgegateway.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.util.List;

/**
 * What {@link RequestDecoder} and {@link ResponseDecoder} share: finding a head (its first line,
 * its field lines and the blank line that ends it) within the line and head limits, copied once
 * into the array its fields will be slices of ({@link HeadScan}), and a body framed by length or by chunks (RFC 9112 sections 6 and 7), as
 * Netty's message model has it ({@code HttpContent}s ending with a {@link LastHttpContent}).
 * The subclass reads the head ({@link #head}) and says how its body is framed ({@link #fixed},
 * {@link #chunked}, {@link #untilClose}, {@link #upgraded}); with none of those, the message has
 * no body.
 *
 * <p>A decode call returns after each whole message, as Netty's decoders do: the next handler has
 * it before the following bytes are read, and may take this decoder out of the pipeline in
 * between (a protocol upgrade), leaving those bytes unread for whoever comes next.
 */
abstract class MessageDecoder extends ByteToMessageDecoder {
    enum State { HEAD, FIXED, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, UNTIL_CLOSE, UPGRADED, BAD }

    private final String headName;
    private final String firstLine;
    private final int trailerMode;
    final int maxLineBytes;
    final int maxHeaderBytes;
    private final int maxChunkBytes;

    State state = State.HEAD;
    /** HEAD and TRAILERS: the section being read. */
    private final HeadScan scan = new HeadScan();
    private boolean firstLineSeen;
    /** Body bytes (FIXED) or chunk bytes (CHUNK_DATA) still to come. */
    private long remaining;
    /** A message ended in this decode call. */
    private boolean ended;

    /** A request's decoder ({@code request}) or a response's; the kind of message and its first line name them in errors. */
    MessageDecoder(boolean request, int maxLineBytes, int maxHeaderBytes, int maxChunkBytes) {
        this.headName = request ? "request head" : "response head";
        this.firstLine = request ? "request line" : "status line";
        this.trailerMode = HeadParser.TRAILERS | (request ? HeadParser.REQUEST : HeadParser.RESPONSE);
        this.maxLineBytes = maxLineBytes;
        this.maxHeaderBytes = maxHeaderBytes;
        this.maxChunkBytes = maxChunkBytes;
    }

    /**
     * Reads a whole head, {@code lines} lines (the first line, fields, the blank line), line
     * {@code i} ending with the CRLF at {@code ends[i]}, adds its message to {@code out} and sets
     * the framing of its body; an {@link IllegalArgumentException} makes it {@link #invalid}.
     */
    abstract void head(byte[] b, int[] ends, int lines, List<Object> out);

    /**
     * The message that stands for a head that cannot be read, with {@code cause} as its failed
     * decoder result. {@code b} holds the head's first {@code lines} complete lines (null if none:
     * the first line is too long), for what it can tell of the message.
     */
    abstract HttpMessage invalid(Exception cause, byte[] b, int[] ends, int lines);

    /** Whether a message now would answer nothing: a response with no request outstanding. */
    boolean unsolicited() {
        return false;
    }

    /** A body that breaks its framing, once its message has gone on (the state is already BAD). */
    abstract void bodyFailed(IllegalArgumentException cause, List<Object> out);

    // ---- framing, for head() ---------------------------------------------------------------------

    final void fixed(long length) {
        remaining = length;
        state = State.FIXED;
    }

    final void chunked() {
        state = State.CHUNK_SIZE;
    }

    /** A response's body that ends with the connection (RFC 9112 6.3, item 8). */
    final void untilClose() {
        state = State.UNTIL_CLOSE;
    }

    final void upgraded() {
        state = State.UPGRADED;
    }

    // ---- decoding ---------------------------------------------------------------------------------

    @Override
    protected final void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        ended = false;
        while (in.isReadable() && !ended) {
            int before = in.readableBytes();
            State was = state;
            try {
                step(in, out);
            } catch (IllegalArgumentException e) {
                state = State.BAD;
                in.skipBytes(in.readableBytes());
                bodyFailed(e, out);
                return;
            }
            if (in.readableBytes() == before && state == was) {
                return; // waiting for more bytes
            }
        }
    }

    private void step(ByteBuf in, List<Object> out) {
        switch (state) {
            case HEAD -> head(in, out);
            case FIXED -> {
                int n = (int) Math.min(Math.min(remaining, maxChunkBytes), in.readableBytes());
                remaining -= n;
                if (remaining == 0) {
                    // No trailers here: the shared empty set, not a header map per message.
                    end(out, new DefaultLastHttpContent(in.readRetainedSlice(n), EmptyHttpHeaders.INSTANCE));
                } else {
                    out.add(new DefaultHttpContent(in.readRetainedSlice(n)));
                }
            }
            case UNTIL_CLOSE -> out.add(new DefaultHttpContent(in.readRetainedSlice(Math.min(maxChunkBytes, in.readableBytes()))));
            case CHUNK_SIZE -> chunkSize(in);
            case CHUNK_DATA -> {
                int n = (int) Math.min(Math.min(remaining, maxChunkBytes), in.readableBytes());
                remaining -= n;
                out.add(new DefaultHttpContent(in.readRetainedSlice(n)));
                if (remaining == 0) {
                    state = State.CHUNK_END;
                }
            }
            case CHUNK_END -> {
                if (in.readableBytes() < 2) {
                    return;
                }
                if (in.getByte(in.readerIndex()) != '\r' || in.getByte(in.readerIndex() + 1) != '\n') {
                    throw new IllegalArgumentException("a chunk's data does not end with CRLF");
                }
                in.skipBytes(2);
                state = State.CHUNK_SIZE;
            }
            case TRAILERS -> trailers(in, out);
            case UPGRADED -> out.add(in.readRetainedSlice(in.readableBytes()));
            case BAD -> in.skipBytes(in.readableBytes());
        }
    }

    /** The message's last part: the state goes back to HEAD and this decode call returns. */
    final void end(List<Object> out, LastHttpContent last) {
        out.add(last);
        state = State.HEAD;
        ended = true;
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.isReadable() && state != State.BAD) {
            int before = in.readableBytes();
            decode(ctx, in, out);
            if (in.readableBytes() == before) {
                break;
            }
        }
        if (state == State.UNTIL_CLOSE) {
            end(out, LastHttpContent.EMPTY_LAST_CONTENT); // the close is this body's end
        } else if (state == State.HEAD && firstLineSeen) {
            out.add(invalid(in, new PrematureChannelClosureException("the connection closed before the " + headName + " ended"), scan.b,
                    scan.lines));
        }
        // A fixed-length or chunked body cut short gets no end: the connection's close says it.
    }

    // ---- the head ------------------------------------------------------------------------------

    private void head(ByteBuf in, List<Object> out) {
        if (!scan.started() && scan.filled == 0) {
            // Before a first line, stray line ends are skipped (RFC 9112 2.2); nothing else is.
            int i = in.readerIndex();
            int end = in.writerIndex();
            while (i < end && (in.getByte(i) == '\r' || in.getByte(i) == '\n')) {
                i++;
            }
            in.readerIndex(i);
            if (i == end) {
                return;
            }
            if (unsolicited()) {
                // Bytes past the end of the last response (a 204 with a body, a body longer than its
                // Content-Length): kept, they would be read as the next request's response.
                out.add(invalid(in, new IllegalArgumentException("bytes from the origin with no request outstanding"), null, 0));
                return;
            }
        }
        int length;
        try {
            length = scan.scan(in, firstLine, maxLineBytes, maxHeaderBytes, headName);
        } catch (TooLongHttpLineException | TooLongHttpHeaderException | IllegalArgumentException e) {
            out.add(invalid(in, e, scan.b, scan.lines));
            return;
        }
        firstLineSeen = scan.started();
        if (length == HeadScan.MORE) {
            return;
        }
        int count = scan.lines;
        byte[] b = scan.take(in, length);
        firstLineSeen = false;
        state = State.HEAD;
        int before = out.size();
        try {
            head(b, scan.ends, count, out);
        } catch (IllegalArgumentException e) {
            while (out.size() > before) {
                out.remove(out.size() - 1);
            }
            out.add(invalid(in, e, b, count));
            return;
        }
        if (state == State.HEAD) {
            end(out, LastHttpContent.EMPTY_LAST_CONTENT); // no body
        } else if (state == State.UPGRADED) {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT); // what follows is the other protocol's
            ended = true;
        }
    }

    // ---- chunks ----------------------------------------------------------------------------------

    private void chunkSize(ByteBuf in) {
        int start = in.readerIndex();
        int limit = Math.min(in.writerIndex(), start + maxLineBytes + 2);
        int lf = in.indexOf(start, limit, (byte) '\n');
        if (lf < 0) {
            if (limit - start >= maxLineBytes + 2) {
                throw new IllegalArgumentException("a chunk-size line is longer than " + maxLineBytes + " bytes");
            }
            return;
        }
        if (lf == start || in.getByte(lf - 1) != '\r') {
            throw new IllegalArgumentException("a chunk-size line does not end with CRLF");
        }
        long size = 0;
        int p = start;
        int eol = lf - 1;
        for (; p < eol; p++) {
            int d = Character.digit((char) in.getByte(p), 16);
            if (d < 0) {
                break;
            }
            size = size * 16 + d;
            if (size > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("a chunk larger than 2 GiB");
            }
        }
        if (p == start) {
            throw new IllegalArgumentException("a chunk-size line without a size");
        }
        // chunk-ext (RFC 9112 7.1.1): optional whitespace, then ';' and parameters, no control characters
        while (p < eol && (in.getByte(p) == ' ' || in.getByte(p) == '\t')) {
            p++;
        }
        if (p < eol && in.getByte(p) != ';') {
            throw new IllegalArgumentException("an invalid chunk-size line");
        }
        for (; p < eol; p++) {
            int c = in.getByte(p) & 0xff;
            if (c < 0x20 && c != '\t' || c == 0x7f) {
                throw new IllegalArgumentException("a control character in a chunk extension");
            }
        }
        in.readerIndex(lf + 1);
        if (size == 0) {
            state = State.TRAILERS;
        } else {
            remaining = size;
            state = State.CHUNK_DATA;
        }
    }

    private void trailers(ByteBuf in, List<Object> out) {
        int length;
        try {
            length = scan.scan(in, null, maxLineBytes, maxHeaderBytes, "trailer section");
        } catch (TooLongHttpHeaderException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        if (length == HeadScan.MORE) {
            return;
        }
        int count = scan.lines;
        byte[] b = scan.take(in, length);
        if (length == 2) {
            end(out, LastHttpContent.EMPTY_LAST_CONTENT);
            return;
        }
        FlatHeaders trailers = new FlatHeaders();
        HeadParser.fields(b, scan.ends, 0, count, trailers, trailerMode);
        end(out, new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, trailers));
    }

    /** A head that cannot be read ({@code b} holds its first {@code lines} complete lines): the rest of the connection is discarded. */
    private HttpMessage invalid(ByteBuf in, Exception cause, byte[] b, int lines) {
        state = State.BAD;
        in.skipBytes(in.readableBytes());
        int[] ends = scan.ends;
        scan.reset();
        firstLineSeen = false;
        return invalid(cause, lines > 0 ? b : null, ends, lines);
    }
}
