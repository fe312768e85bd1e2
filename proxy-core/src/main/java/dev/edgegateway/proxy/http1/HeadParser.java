package dev.edgegateway.proxy.http1;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Reads an HTTP/1 head held whole in an array: the status or request line, then the field lines, each
 * field's name and value becoming slices of that array (offsets kept by {@link FlatHeaders},
 * {@link AsciiString}s that share the array when asked for),
 * validated as they are found (RFC 9110 5.1 and 5.5: a token, then no control character but
 * HTAB). Stateless; used by {@link ResponseDecoder} and {@link RequestDecoder}.
 */
final class HeadParser {
    private HeadParser() {}

    private static final boolean[] TOKEN = new boolean[256];

    static {
        for (char c = '0'; c <= '9'; c++) {
            TOKEN[c] = true;
        }
        for (char c = 'a'; c <= 'z'; c++) {
            TOKEN[c] = true;
            TOKEN[c - 32] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TOKEN[c] = true;
        }
    }

    /**
     * Parses a whole response head: {@code lines} lines (status line, fields, the blank line),
     * line {@code i} ending with the CRLF at {@code ends[i]}, as the decoder found them.
     */
    static DefaultHttpResponse response(byte[] b, int[] ends, int lines) {
        int eol = ends[0];
        HttpVersion version;
        if (eol >= 8 && b[0] == 'H' && b[1] == 'T' && b[2] == 'T' && b[3] == 'P' && b[4] == '/' && b[5] == '1' && b[6] == '.'
                && (b[7] == '1' || b[7] == '0')) {
            version = b[7] == '1' ? HttpVersion.HTTP_1_1 : HttpVersion.HTTP_1_0;
        } else {
            throw new IllegalArgumentException("not an HTTP/1.x status line");
        }
        int p = 8;
        if (p >= eol || b[p] != ' ') {
            throw new IllegalArgumentException("no space after the version");
        }
        while (p < eol && b[p] == ' ') {
            p++;
        }
        if (p + 3 > eol || !digit(b[p]) || !digit(b[p + 1]) || !digit(b[p + 2]) || p + 3 < eol && b[p + 3] != ' ' && b[p + 3] != '\t' || b[p] == '0') {
            throw new IllegalArgumentException("the status code is not three digits");
        }
        int code = (b[p] - '0') * 100 + (b[p + 1] - '0') * 10 + (b[p + 2] - '0');
        p += 3;
        while (p < eol && (b[p] == ' ' || b[p] == '\t')) {
            p++;
        }
        int reasonEnd = eol;
        while (reasonEnd > p && (b[reasonEnd - 1] == ' ' || b[reasonEnd - 1] == '\t')) {
            reasonEnd--;
        }
        for (int k = p; k < reasonEnd; k++) {
            if (b[k] < 0x20 && b[k] != '\t' || b[k] == 0x7f) {
                throw new IllegalArgumentException("a control character in the reason phrase");
            }
        }
        HttpResponseStatus status = status(code, b, p, reasonEnd);
        FlatHeaders h = new FlatHeaders(b, lines, 1);
        fields(b, ends, 1, lines, h, RESPONSE); // (their size was checked as the head was found)
        return new DefaultHttpResponse(version, status, h);
    }

    private static final HttpMethod[] METHODS = {HttpMethod.GET, HttpMethod.POST, HttpMethod.HEAD, HttpMethod.PUT, HttpMethod.DELETE,
        HttpMethod.OPTIONS, HttpMethod.PATCH, HttpMethod.TRACE, HttpMethod.CONNECT, HttpMethod.QUERY};

    /**
     * Parses a request line, {@code b[0..eol)}: {@code method SP request-target SP HTTP-version}
     * (RFC 9112 3), one space apart. The method is a token (a constant for the registered ones), the
     * target at least one byte and no whitespace or control character (bytes from 0x80 are kept, as
     * Netty's decoder keeps them), the version {@code HTTP/} and two digits: anything else is an
     * {@link IllegalArgumentException} (400). The message's fields are {@code h}. The target is
     * {@code previous} (the connection's last, or null) when it has the same bytes: no new string.
     */
    static DefaultHttpRequest requestLine(byte[] b, int eol, FlatHeaders h, String previous) {
        int p = 0;
        while (p < eol && TOKEN[b[p] & 0xff]) {
            p++;
        }
        if (p == 0 || p >= eol || b[p] != ' ') {
            throw new IllegalArgumentException("the request line does not start with a method and a space");
        }
        HttpMethod method = method(b, p);
        int t = ++p;
        while (p < eol && (b[p] & 0xff) > ' ' && b[p] != 0x7f) {
            p++;
        }
        if (p == t || p >= eol || b[p] != ' ') {
            throw new IllegalArgumentException("the request target is not one word followed by a space");
        }
        @SuppressWarnings("deprecation") // Latin-1 bytes to chars, as Netty's decoder makes them
        String uri = previous != null && Spans.sameAs(b, t, p - t, previous) ? previous : new String(b, 0, t, p - t);
        p++;
        if (eol - p != 8 || b[p] != 'H' || b[p + 1] != 'T' || b[p + 2] != 'T' || b[p + 3] != 'P' || b[p + 4] != '/'
                || !digit(b[p + 5]) || b[p + 6] != '.' || !digit(b[p + 7])) {
            throw new IllegalArgumentException("the request line does not end with HTTP/ and a version");
        }
        HttpVersion version = b[p + 5] == '1' && b[p + 7] == '1' ? HttpVersion.HTTP_1_1
                : b[p + 5] == '1' && b[p + 7] == '0' ? HttpVersion.HTTP_1_0
                : HttpVersion.valueOf(new String(b, p, 8, StandardCharsets.US_ASCII)); // answered 505 by the guard
        return new DefaultHttpRequest(version, method, uri, h, false); // checked above
    }

    private static HttpMethod method(byte[] b, int length) {
        for (HttpMethod m : METHODS) {
            AsciiString name = m.asciiName();
            if (name.length() == length) {
                int k = 0;
                while (k < length && name.byteAt(k) == b[k]) {
                    k++;
                }
                if (k == length) {
                    return m;
                }
            }
        }
        return HttpMethod.valueOf(new String(b, 0, length, StandardCharsets.US_ASCII));
    }

    /** The status constant when the phrase is the usual one (as Netty's decoder does), else a new status. */
    private static HttpResponseStatus status(int code, byte[] b, int from, int to) {
        HttpResponseStatus known = HttpResponseStatus.valueOf(code);
        String phrase = known.reasonPhrase();
        if (phrase.length() == to - from) {
            int k = 0;
            while (k < phrase.length() && phrase.charAt(k) == (b[from + k] & 0xff)) {
                k++;
            }
            if (k == phrase.length()) {
                return known;
            }
        }
        return new HttpResponseStatus(code, new String(b, from, to - from, StandardCharsets.ISO_8859_1));
    }

    /** {@link #fields} of a response's head. */
    static final int RESPONSE = 0;
    /** {@link #fields} of a trailer section (a flag): framing fields are dropped, as Netty does. */
    static final int TRAILERS = 1;
    /** {@link #fields} of a request (a flag): whitespace before a colon is an error (RFC 9112 5.1). */
    static final int REQUEST = 2;

    /**
     * Adds the field lines {@code first} to {@code lines - 1} of {@code b} (line {@code i} ends with
     * the CRLF at {@code ends[i]}; a blank line ends the section) to {@code h}, validating names
     * and values; returns their bytes without line ends, as the head limit counts them.
     * {@code mode} is {@link #RESPONSE} or {@link #REQUEST}, with {@link #TRAILERS} for a trailer section.
     */
    static int fields(byte[] b, int[] ends, int first, int lines, FlatHeaders h, int mode) {
        boolean trailers = (mode & TRAILERS) != 0;
        boolean slices = h.slicesOf(b);
        int size = 0;
        for (int i = first; i < lines; i++) {
            int p = i == 0 ? 0 : ends[i - 1] + 2;
            int eol = ends[i];
            if (eol == p) {
                break; // the blank line
            }
            size += eol - p;
            if (b[p] == ' ' || b[p] == '\t') {
                // obs-fold: a continuation of the previous value, joined with one space (RFC 9112 5.2)
                if (h.size() == 0) {
                    throw new IllegalArgumentException("the first field line starts with whitespace");
                }
                int vs = skipOws(b, p, eol);
                int ve = trimOws(b, vs, eol);
                checkValue(b, vs, ve);
                h.foldIntoLast(new AsciiString(b, vs, ve - vs, false));
                continue;
            }
            int n = p;
            while (n < eol && TOKEN[b[n] & 0xff]) {
                n++;
            }
            int nameEnd = n;
            while (n < eol && (b[n] == ' ' || b[n] == '\t')) {
                n++; // a response's whitespace before the colon is removed (RFC 9112 5.1)
            }
            if (n != nameEnd && (mode & REQUEST) != 0) {
                throw new IllegalArgumentException("whitespace between a field name and its colon");
            }
            if (nameEnd == p || n == eol || b[n] != ':') {
                throw new IllegalArgumentException("a field line is not a token, a colon and a value");
            }
            int vs = skipOws(b, n + 1, eol);
            int ve = trimOws(b, vs, eol);
            checkValue(b, vs, ve);
            if (!trailers && slices && Spans.fits(p, nameEnd - p) && Spans.fits(vs, ve - vs)) {
                h.appendSlice(p, nameEnd - p, vs, ve - vs); // offsets into b until someone asks for them as objects
                continue;
            }
            AsciiString name = new AsciiString(b, p, nameEnd - p, false);
            if (!trailers || !(name.contentEqualsIgnoreCase(HttpHeaderNames.CONTENT_LENGTH)
                    || name.contentEqualsIgnoreCase(HttpHeaderNames.TRANSFER_ENCODING) || name.contentEqualsIgnoreCase(HttpHeaderNames.TRAILER))) {
                h.append(name, new AsciiString(b, vs, ve - vs, false)); // framing fields in a trailer are dropped, as Netty does
            }
        }
        return size;
    }

    private static int skipOws(byte[] b, int p, int end) {
        while (p < end && (b[p] == ' ' || b[p] == '\t')) {
            p++;
        }
        return p;
    }

    private static int trimOws(byte[] b, int start, int end) {
        while (end > start && (b[end - 1] == ' ' || b[end - 1] == '\t')) {
            end--;
        }
        return end;
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * No control character but HTAB, and no DEL (RFC 9110 5.5). Eight bytes at a time: a word with
     * no byte below 0x20 and none equal to 0x7f is clean (bytes from 0x80, obs-text, are allowed);
     * a word that may hold one is looked at byte by byte.
     */
    private static void checkValue(byte[] b, int from, int to) {
        int k = from;
        for (; k + 8 <= to; k += 8) {
            long x = (long) LONGS.get(b, k);
            long below = (x - 0x2020202020202020L) & ~x & 0x8080808080808080L;
            long y = x ^ 0x7f7f7f7f7f7f7f7fL;
            long del = (y - 0x0101010101010101L) & ~y & 0x8080808080808080L;
            if ((below | del) != 0) {
                break;
            }
        }
        for (; k < to; k++) {
            int c = b[k] & 0xff;
            if (c < 0x20 && c != '\t' || c == 0x7f) {
                throw new IllegalArgumentException("a field value holds a control character");
            }
        }
    }

    private static boolean digit(byte c) {
        return c >= '0' && c <= '9';
    }

    /** The one Content-Length, -1 if none; a repeated, listed or non-numeric one is an error. */
    static long contentLength(FlatHeaders h) {
        int i = h.indexOf(HttpHeaderNames.CONTENT_LENGTH, 0);
        if (i < 0) {
            return -1;
        }
        if (h.indexOf(HttpHeaderNames.CONTENT_LENGTH, i + 1) >= 0) {
            throw new IllegalArgumentException("more than one Content-Length");
        }
        int length = h.valueLength(i); // read from the head's bytes: no object made of the value
        if (length == 0 || length > 18) {
            throw new IllegalArgumentException("an invalid Content-Length");
        }
        long n = 0;
        for (int k = 0; k < length; k++) {
            char c = h.valueCharAt(i, k);
            if (c < '0' || c > '9') {
                throw new IllegalArgumentException("an invalid Content-Length");
            }
            n = n * 10 + (c - '0');
        }
        return n;
    }

    /** Whether the last transfer coding is chunked; chunked more than once is an error (RFC 9112 6.1). */
    static boolean lastCodingIsChunked(FlatHeaders h) {
        boolean seen = false;
        boolean last = false;
        for (int i = h.indexOf(HttpHeaderNames.TRANSFER_ENCODING, 0); i >= 0; i = h.indexOf(HttpHeaderNames.TRANSFER_ENCODING, i + 1)) {
            int n = h.valueLength(i);
            int start = 0;
            while (start <= n) {
                int comma = start;
                while (comma < n && h.valueCharAt(i, comma) != ',') {
                    comma++;
                }
                int s = start;
                int e = comma;
                while (s < e && (h.valueCharAt(i, s) == ' ' || h.valueCharAt(i, s) == '\t')) {
                    s++;
                }
                while (e > s && (h.valueCharAt(i, e - 1) == ' ' || h.valueCharAt(i, e - 1) == '\t')) {
                    e--;
                }
                if (s < e) {
                    last = e - s == 7 && FieldRules.regionIs(h, i, s, "chunked", true);
                    if (last) {
                        if (seen) {
                            throw new IllegalArgumentException("chunked applied more than once");
                        }
                        seen = true;
                    }
                }
                start = comma + 1;
            }
        }
        return last;
    }
}
