package dev.edgegateway.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;

/**
 * Decodes an origin's HTTP/1.x responses into Netty's message model (a {@link HttpResponse} whose
 * headers are {@link FlatHeaders}, then {@code HttpContent}s ending with a {@link LastHttpContent}).
 * The head is found with one scan for line ends, copied once, and its fields become slices of
 * that copy, validated in the same pass: no line buffer, no {@code String} per field, no second
 * validation pass, which is most of what Netty's {@code HttpResponseDecoder} spends on a head.
 *
 * <p>Framing follows RFC 9112 section 6 as Netty's decoder (in its default, strict configuration)
 * does: {@code Transfer-Encoding} ending in chunked (with no {@code Content-Length}), else one
 * {@code Content-Length}, else the body ends when the origin closes; none for 1xx, 204, 304 and
 * responses to {@code HEAD}. After a {@code 101} to another protocol the origin's bytes pass
 * through as {@link ByteBuf}s. Lines end with CRLF only; obs-fold is joined with a space; spaces
 * before a field's colon are dropped (RFC 9112 5.1). Stricter than Netty's on purpose in a few
 * places: the version must be HTTP/1.0 or HTTP/1.1, the status three digits, the reason free of
 * control characters, and a field name may be followed only by whitespace and the colon.
 * {@code ResponseDecoderTest} checks it against Netty's decoder as the oracle.
 *
 * <p>Errors: a head that cannot be read becomes a response whose decoder result is a failure (the
 * gateway answers 502), and everything after it is discarded; a body that breaks its framing is
 * an exception (the connection closes, the client sees the truncation), never a clean end.
 */
final class ResponseDecoder extends ByteToMessageDecoder {
    private enum State { HEAD, FIXED, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, UNTIL_CLOSE, UPGRADED, BAD }

    private final int maxLineBytes;
    private final int maxHeaderBytes;
    private final int maxChunkBytes;
    /** Methods of the requests written and not yet answered, oldest first (a HEAD's answer has no body). */
    private final ArrayDeque<HttpMethod> methods = new ArrayDeque<>(2);

    private State state = State.HEAD;
    /** HEAD: how far the search for the head's end got, relative to the reader index; and what it found. */
    private int scanned;
    private int lines;
    private int headerBytes;
    private int[] ends = new int[32];
    private boolean statusLineSeen;
    /** Body bytes (FIXED) or chunk bytes (CHUNK_DATA) still to come. */
    private long remaining;

    ResponseDecoder(int maxLineBytes, int maxHeaderBytes, int maxChunkBytes) {
        this.maxLineBytes = maxLineBytes;
        this.maxHeaderBytes = maxHeaderBytes;
        this.maxChunkBytes = maxChunkBytes;
    }

    /** A request went out on this connection; its response is decoded after the earlier ones'. */
    void requestSent(HttpMethod method) {
        methods.add(method);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.isReadable()) {
            int before = in.readableBytes();
            State was = state;
            switch (state) {
                case HEAD -> head(in, out);
                case FIXED -> {
                    int n = (int) Math.min(Math.min(remaining, maxChunkBytes), in.readableBytes());
                    remaining -= n;
                    if (remaining == 0) {
                        // No trailers here: the shared empty set, not a header map per response.
                        out.add(new DefaultLastHttpContent(in.readRetainedSlice(n), EmptyHttpHeaders.INSTANCE));
                        state = State.HEAD;
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
                        throw fail("a chunk's data does not end with CRLF");
                    }
                    in.skipBytes(2);
                    state = State.CHUNK_SIZE;
                }
                case TRAILERS -> trailers(in, out);
                case UPGRADED -> out.add(in.readRetainedSlice(in.readableBytes()));
                case BAD -> in.skipBytes(in.readableBytes());
            }
            if (in.readableBytes() == before && state == was) {
                return; // waiting for more bytes
            }
        }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.isReadable()) {
            decode(ctx, in, out);
        }
        if (state == State.UNTIL_CLOSE) {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT); // the close is this body's end
            state = State.HEAD;
        } else if (state == State.HEAD && statusLineSeen) {
            out.add(invalid(in, new PrematureChannelClosureException("the connection closed before the response head ended")));
        }
        // A fixed-length or chunked body cut short gets no end: the connection's close says it.
    }

    // ---- the head ------------------------------------------------------------------------------

    private void head(ByteBuf in, List<Object> out) {
        int start = in.readerIndex();
        int end = in.writerIndex();
        if (lines == 0 && scanned == 0) {
            // Before a status line, stray line ends are skipped (RFC 9112 2.2); nothing else is.
            int i = start;
            while (i < end && (in.getByte(i) == '\r' || in.getByte(i) == '\n')) {
                i++;
            }
            in.readerIndex(i);
            start = i;
            if (i == end) {
                return;
            }
        }
        // Find the blank line that ends the head, going on from where the last call stopped.
        int pos = start + scanned;
        int headEnd = -1;
        while (pos < end) {
            int lf = in.indexOf(pos, end, (byte) '\n');
            if (lf < 0) {
                break;
            }
            if (lf == pos || in.getByte(lf - 1) != '\r') {
                out.add(invalid(in, new IllegalArgumentException("a line of the response head does not end with CRLF")));
                return;
            }
            int length = lf - 1 - pos;
            pos = lf + 1;
            lineEnd(lines, lf - 1 - start);
            if (lines++ == 0) {
                statusLineSeen = true;
                if (length > maxLineBytes) {
                    out.add(invalid(in, new TooLongHttpLineException("the status line is longer than " + maxLineBytes + " bytes")));
                    return;
                }
            } else if (length == 0) {
                headEnd = pos;
                break;
            } else if ((headerBytes += length) > maxHeaderBytes) {
                out.add(invalid(in, new TooLongHttpHeaderException("the response head is larger than " + maxHeaderBytes + " bytes")));
                return;
            }
        }
        scanned = pos - start;
        if (headEnd < 0) {
            // The line in progress may not outgrow what is left of its limit (+2: its CRLF).
            long open = end - pos;
            if (lines == 0 ? open > maxLineBytes + 2L : headerBytes + open > maxHeaderBytes + 2L) {
                out.add(invalid(in, lines == 0 ? new TooLongHttpLineException("the status line is longer than " + maxLineBytes + " bytes")
                        : new TooLongHttpHeaderException("the response head is larger than " + maxHeaderBytes + " bytes")));
            }
            return;
        }
        byte[] b = new byte[headEnd - start];
        in.getBytes(start, b);
        in.readerIndex(headEnd);
        int count = lines;
        resetHead();
        HttpResponse r;
        try {
            DefaultHttpResponse parsed = HeadParser.response(b, ends, count);
            frame((FlatHeaders) parsed.headers(), parsed.protocolVersion(), parsed.status().code());
            r = parsed;
        } catch (IllegalArgumentException e) {
            out.add(invalid(in, e));
            return;
        }
        out.add(r);
        if (state == State.HEAD || state == State.UPGRADED) {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT); // no body
        }
    }

    /** Where line {@code i} of the head or trailer section being read ends (its CR), from the section's start. */
    private void lineEnd(int i, int at) {
        if (i == ends.length) {
            ends = Arrays.copyOf(ends, i * 2); // bounded by the head limit: a line is at least 2 bytes
        }
        ends[i] = at;
    }

    private void resetHead() {
        scanned = 0;
        lines = 0;
        headerBytes = 0;
        statusLineSeen = false;
    }

    // ---- framing ---------------------------------------------------------------------------------

    /** Sets the state for the body of the response with these fields (RFC 9112 6.3). */
    private void frame(FlatHeaders h, HttpVersion version, int code) {
        long length = HeadParser.contentLength(h); // checked even where there is no body, as Netty does
        if (code < 200) {
            // Interim: no body, and the request's final answer is still to come. A 101 to another
            // protocol ends HTTP on this connection.
            String upgrade = code == 101 ? h.get(HttpHeaderNames.UPGRADE) : null;
            state = code == 101 && (upgrade == null || !upgrade.contains("HTTP/1.0") && !upgrade.contains("HTTP/1.1"))
                    ? State.UPGRADED : State.HEAD;
            h.removeValue(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            return;
        }
        boolean head = HttpMethod.HEAD.equals(methods.poll());
        if (head || code == 204 || code == 304) {
            h.removeValue(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED); // no body, so nothing is chunked
            state = State.HEAD;
            return;
        }
        int te = h.indexOf(HttpHeaderNames.TRANSFER_ENCODING, 0);
        if (te >= 0) {
            if (version != HttpVersion.HTTP_1_1) {
                throw new IllegalArgumentException("Transfer-Encoding in an HTTP/1.0 response");
            }
            if (HeadParser.lastCodingIsChunked(h)) {
                if (length >= 0) {
                    throw new IllegalArgumentException("both Content-Length and Transfer-Encoding: chunked");
                }
                state = State.CHUNK_SIZE;
                return;
            }
        }
        if (length == 0) {
            state = State.HEAD;
        } else if (length > 0) {
            remaining = length;
            state = State.FIXED;
        } else {
            state = State.UNTIL_CLOSE;
        }
    }

    // ---- chunks ----------------------------------------------------------------------------------

    private void chunkSize(ByteBuf in) {
        int start = in.readerIndex();
        int limit = Math.min(in.writerIndex(), start + maxLineBytes + 2);
        int lf = in.indexOf(start, limit, (byte) '\n');
        if (lf < 0) {
            if (limit - start >= maxLineBytes + 2) {
                throw fail("a chunk-size line is longer than " + maxLineBytes + " bytes");
            }
            return;
        }
        if (lf == start || in.getByte(lf - 1) != '\r') {
            throw fail("a chunk-size line does not end with CRLF");
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
                throw fail("a chunk larger than 2 GiB");
            }
        }
        if (p == start) {
            throw fail("a chunk-size line without a size");
        }
        // chunk-ext (RFC 9112 7.1.1): optional whitespace, then ';' and parameters, no control characters
        while (p < eol && (in.getByte(p) == ' ' || in.getByte(p) == '\t')) {
            p++;
        }
        if (p < eol && in.getByte(p) != ';') {
            throw fail("an invalid chunk-size line");
        }
        for (; p < eol; p++) {
            int c = in.getByte(p) & 0xff;
            if (c < 0x20 && c != '\t' || c == 0x7f) {
                throw fail("a control character in a chunk extension");
            }
        }
        in.readerIndex(lf + 1);
        if (size == 0) {
            state = State.TRAILERS;
            scanned = 0;
        } else {
            remaining = size;
            state = State.CHUNK_DATA;
        }
    }

    private void trailers(ByteBuf in, List<Object> out) {
        int start = in.readerIndex();
        int end = in.writerIndex();
        int pos = start + scanned;
        int blockEnd = -1;
        while (pos < end) {
            int lf = in.indexOf(pos, end, (byte) '\n');
            if (lf < 0) {
                break;
            }
            if (lf == pos || in.getByte(lf - 1) != '\r') {
                throw fail("a trailer line does not end with CRLF");
            }
            boolean blank = lf - 1 == pos;
            if ((headerBytes += lf - 1 - pos) > maxHeaderBytes) {
                throw fail("the trailer section is larger than " + maxHeaderBytes + " bytes");
            }
            lineEnd(lines++, lf - 1 - start);
            pos = lf + 1;
            if (blank) {
                blockEnd = pos;
                break;
            }
        }
        scanned = pos - start;
        if (blockEnd < 0) {
            if (end - start > maxHeaderBytes + 2L) {
                throw fail("the trailer section is larger than " + maxHeaderBytes + " bytes");
            }
            return;
        }
        int count = lines;
        resetHead();
        state = State.HEAD;
        if (blockEnd - start == 2) {
            in.readerIndex(blockEnd);
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            return;
        }
        byte[] b = new byte[blockEnd - start];
        in.getBytes(start, b);
        in.readerIndex(blockEnd);
        FlatHeaders trailers = new FlatHeaders();
        try {
            if (HeadParser.fields(b, ends, 0, count, trailers, true) > maxHeaderBytes) {
                throw new IllegalArgumentException("the trailer section is larger than " + maxHeaderBytes + " bytes");
            }
        } catch (IllegalArgumentException e) {
            throw fail(e.getMessage());
        }
        out.add(new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, trailers));
    }

    // ---- errors ----------------------------------------------------------------------------------

    /** A head that cannot be read: Netty's invalid-message form; the rest of the connection is discarded. */
    private HttpResponse invalid(ByteBuf in, Exception cause) {
        state = State.BAD;
        in.skipBytes(in.readableBytes());
        HttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_0, new HttpResponseStatus(999, "Unknown"), Unpooled.EMPTY_BUFFER);
        r.setDecoderResult(DecoderResult.failure(cause));
        return r;
    }

    private IllegalArgumentException fail(String why) {
        state = State.BAD;
        return new IllegalArgumentException(why);
    }
}
