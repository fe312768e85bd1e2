package dev.edgegateway.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Finds the end of a head (or a trailer section): its lines and the blank line after them. The
 * bytes are copied out of the connection's buffer as they are looked at, into the array that
 * becomes the head's (its fields are slices of it), and searched there eight bytes at a time:
 * one copy per byte however the head arrives, no call into the buffer per line. Bytes copied past
 * the blank line (the start of a body, a next request) are left unread in the buffer; at most 512
 * are copied at a time, and a head's first copy is as long as the connection's last head and a
 * little more (a connection's heads are mostly of a length), so they are few: a response's head
 * is copied without the first part of its body behind it.
 *
 * <p>Limits as Netty's decoders count them: a first line of at most {@code maxLineBytes}, field
 * lines of at most {@code maxHeaderBytes} together, line ends not counted. Every line ends with
 * CRLF. One per decoder; a section at a time.
 */
final class HeadScan {
    /** What {@link #scan} returns while the section's end has not arrived. */
    static final int MORE = -1;
    private static final int CHUNK = 512;
    /** A head's first copy: the last head's length and this much more (a date, an id a digit longer). */
    private static final int SLACK = 32;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** The section's bytes so far: {@code filled} of them copied, lines found up to {@code scanned}. */
    byte[] b;
    int filled;
    private int scanned;
    /** Complete lines so far; line {@code i} ends with the CRLF at {@code ends[i]}. */
    int lines;
    int[] ends = new int[32];
    private int headerBytes;
    /** The length of the last head (not trailer section) found, 0 before the first. */
    private int lastHead;

    /** Whether a section is partly read (its first line at least). */
    boolean started() {
        return lines > 0;
    }

    /**
     * Looks at what {@code in} holds from its reader index (the section's start; nothing is
     * read from it), past what earlier calls copied. Returns the section's length in bytes, its
     * blank line included, once that has arrived, else {@link #MORE}. A line not ending with
     * CRLF is an {@link IllegalArgumentException}; a line or section over its limit a
     * {@link TooLongHttpLineException} or {@link TooLongHttpHeaderException} ({@code what} names
     * the section, {@code firstLine} its first line, null for a trailer section, which has none);
     * {@link #lines} then counts the lines before the failure.
     */
    int scan(ByteBuf in, String firstLine, int maxLineBytes, int maxHeaderBytes, String what) {
        int start = in.readerIndex();
        int available = in.writerIndex() - start;
        while (true) {
            int lf = indexOfLf(b, scanned, filled);
            if (lf < 0) {
                if (filled == available) {
                    break;
                }
                int n = Math.min(available - filled, filled == 0 && lastHead > 0 ? lastHead + SLACK : CHUNK);
                if (b == null) {
                    b = new byte[n];
                } else if (filled + n > b.length) {
                    b = Arrays.copyOf(b, Math.max(filled + n, b.length * 2));
                }
                in.getBytes(start + filled, b, filled, n);
                filled += n;
                continue;
            }
            if (lf == scanned || b[lf - 1] != '\r') {
                throw new IllegalArgumentException("a line of the " + what + " does not end with CRLF");
            }
            int length = lf - 1 - scanned;
            if (lines == ends.length) {
                ends = Arrays.copyOf(ends, lines * 2); // bounded by the limits: a line is at least 2 bytes
            }
            ends[lines] = lf - 1;
            scanned = lf + 1;
            if (firstLine != null && lines == 0) {
                if (length > maxLineBytes) {
                    throw new TooLongHttpLineException("the " + firstLine + " is longer than " + maxLineBytes + " bytes");
                }
            } else if (length == 0) {
                lines++;
                if (firstLine != null) {
                    lastHead = Math.min(scanned, CHUNK - SLACK);
                }
                return scanned;
            } else if ((headerBytes += length) > maxHeaderBytes) {
                throw new TooLongHttpHeaderException("the " + what + " is larger than " + maxHeaderBytes + " bytes");
            }
            lines++;
        }
        // The line in progress may not outgrow what is left of its limit (+2: its CRLF).
        long open = filled - scanned;
        boolean inFirstLine = firstLine != null && lines == 0;
        if (inFirstLine ? open > maxLineBytes + 2L : headerBytes + open > maxHeaderBytes + 2L) {
            if (inFirstLine) {
                throw new TooLongHttpLineException("the " + firstLine + " is longer than " + maxLineBytes + " bytes");
            }
            throw new TooLongHttpHeaderException("the " + what + " is larger than " + maxHeaderBytes + " bytes");
        }
        return MORE;
    }

    /**
     * The section {@link #scan} found, {@code length} bytes: read from {@code in}, and its array
     * returned for the message's fields to be slices of; the next section starts afresh.
     */
    byte[] take(ByteBuf in, int length) {
        byte[] taken = b;
        in.skipBytes(length);
        reset();
        return taken;
    }

    /** The next section starts afresh (the array now belongs to the message read from it). */
    void reset() {
        b = null;
        filled = 0;
        scanned = 0;
        lines = 0;
        headerBytes = 0;
    }

    /** The first LF in {@code b[from..to)}, -1 if none: eight bytes at a time. */
    static int indexOfLf(byte[] b, int from, int to) {
        int i = from;
        for (; i + 8 <= to; i += 8) {
            long x = (long) LONGS.get(b, i) ^ 0x0a0a0a0a0a0a0a0aL;
            // A byte that was LF is now zero; the lowest flagged byte is always a true one.
            long zero = (x - 0x0101010101010101L) & ~x & 0x8080808080808080L;
            if (zero != 0) {
                return i + (Long.numberOfTrailingZeros(zero) >>> 3);
            }
        }
        for (; i < to; i++) {
            if (b[i] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
