package dev.edgegateway.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.util.AsciiString;
import java.util.Arrays;
import java.util.Objects;

/**
 * The header block of an HTTP/1 message as arrays in wire order (names and values, the names'
 * case-insensitive keys, and for a decoded head where each field lies in its bytes):
 * what a proxy does with a head, a dozen lookups and a few changes between decoding and encoding
 * it, is a scan of a few cache lines here rather than
 * {@link io.netty.handler.codec.http.DefaultHttpHeaders}' hash buckets, with an entry object per
 * field and its validation wrappers. Names are case-insensitive; {@link #set} replaces a field
 * where it stands (the head keeps its order). A decoder's fields stay offsets into the head's
 * bytes until a caller asks for one as an object ({@link #nameAt}, {@link #valueAt}, an
 * {@code AsciiString} sharing the bytes): looked up, compared, removed and written from those
 * bytes, most never become objects (two per field were a quarter of what the event loop
 * allocated per request). A caller's values keep their type until a {@code String} is asked for.
 *
 * <p>Validates like Netty's default factory: a name must be a non-empty token, a value free of
 * control characters other than HTAB (RFC 9110 5.5); a failed check is an
 * {@link IllegalArgumentException}. The gateway's own decoders fill them unchecked, having
 * validated each field as they found it ({@link HeadParser}); {@link #FACTORY} makes them for a
 * Netty decoder (the tests and benchmarks compare against one). Not thread-safe, like the
 * message it belongs to.
 */
public final class FlatHeaders extends DerivedHeaders {
    /** Validating headers for {@link io.netty.handler.codec.http.HttpDecoderConfig#setHeadersFactory}. */
    public static final HttpHeadersFactory FACTORY = new HttpHeadersFactory() {
        @Override
        public HttpHeaders newHeaders() {
            return new FlatHeaders();
        }

        @Override
        public HttpHeaders newEmptyHeaders() {
            return new FlatHeaders();
        }
    };

    private static final int INITIAL = 12;

    /**
     * Per field {@code i}, its name at {@code 2i} and its value at {@code 2i + 1} as objects; null
     * where one is a slice of {@link #wire} that no caller has asked for yet (see {@link #spans}).
     * For a decoder's head the array is made when a first field needs an object: most of an
     * origin's responses never do (their framing fields are read from the bytes).
     */
    private CharSequence[] text;
    /** Per field, {@link FieldRules#key} of its name: a filter in front of the case-insensitive comparison. Its length is the capacity. */
    private int[] keys;
    private int size;
    /** The head's bytes a decoder's fields are slices of; null for headers a caller made. */
    private final byte[] wire;
    /** Per field from {@link #wire}: where its name and value are ({@link Spans}); null without a wire. */
    private long[] spans;

    public FlatHeaders() {
        text = new CharSequence[2 * INITIAL];
        keys = new int[INITIAL];
        wire = null;
    }

    /**
     * For a decoder: the fields of a head of {@code lines} lines (its first line and the blank one
     * included) to come as slices of {@code wire}, with room for {@code room} more: four for a
     * request (what the gateway adds to it: {@code X-Forwarded-For}, {@code -Proto}, {@code -Host},
     * {@code X-Request-Id}), one for a response (a re-framed body's {@code Transfer-Encoding}, a
     * {@code Connection: close}); past that the arrays grow.
     */
    FlatHeaders(byte[] wire, int lines, int room) {
        int n = Math.max(1, lines - 2) + room;
        keys = new int[n];
        spans = new long[n];
        this.wire = wire;
    }

    private FlatHeaders(FlatHeaders from) {
        text = from.text == null ? null : from.text.clone();
        keys = from.keys.clone();
        spans = from.spans == null ? null : from.spans.clone();
        wire = from.wire;
        size = from.size;
    }

    /** Whether these headers take fields as slices of {@code b} ({@link #appendSlice}). */
    boolean slicesOf(byte[] b) {
        return wire == b && spans != null;
    }

    /** The name of the {@code i}th field in wire order, as given (its case kept). */
    @Override
    public CharSequence nameAt(int i) {
        CharSequence n = name(i);
        return n != null ? n : (text()[2 * i] = slice(i, Spans.NAME));
    }

    /** The value of the {@code i}th field in wire order, as given. */
    @Override
    public CharSequence valueAt(int i) {
        CharSequence v = value(i);
        return v != null ? v : (text()[2 * i + 1] = slice(i, Spans.VALUE));
    }

    /** The length of the {@code i}th field's value, without making an object of it. */
    int valueLength(int i) {
        CharSequence v = value(i);
        return v != null ? v.length() : Spans.length(spans[i], Spans.VALUE);
    }

    /** The {@code k}th character of the {@code i}th field's value, read from the head's bytes while it is a slice. */
    char valueCharAt(int i, int k) {
        CharSequence v = value(i);
        return v != null ? v.charAt(k) : (char) (wire[Spans.start(spans[i], Spans.VALUE) + k] & 0xff);
    }

    /** Whether the {@code i}th field's whole value is {@code expected}, ASCII case folded: read from the head's bytes while it is a slice. */
    public boolean valueIs(int i, CharSequence expected) {
        return valueLength(i) == expected.length() && FieldRules.regionIs(this, i, 0, expected, true);
    }

    /**
     * The {@code i}th value as a {@code String} kept as its object: {@code known} when the value
     * is those very characters (a connection's Host, request after request), else made from the
     * head's bytes.
     */
    String valueAsString(int i, String known) {
        CharSequence v = value(i);
        if (v != null) {
            return v.toString();
        }
        long s = spans[i];
        String str = known != null && Spans.sameAs(wire, Spans.start(s, Spans.VALUE), Spans.length(s, Spans.VALUE), known) ? known
                : Spans.string(wire, s, Spans.VALUE);
        text()[2 * i + 1] = str;
        return str;
    }

    private CharSequence name(int i) {
        return text == null ? null : text[2 * i];
    }

    private CharSequence value(int i) {
        return text == null ? null : text[2 * i + 1];
    }

    /** {@link #text}, made on first need. */
    private CharSequence[] text() {
        CharSequence[] t = text;
        return t != null ? t : (text = new CharSequence[2 * keys.length]);
    }

    /** The {@code i}th field's name ({@link Spans#NAME}) or value ({@link Spans#VALUE}) as an object sharing the head's bytes. */
    private AsciiString slice(int i, int half) {
        Objects.checkIndex(i, size);
        return Spans.slice(wire, spans[i], half);
    }

    /** The value of the {@code i}th field as a {@code String}, made from the head's bytes if it is still a slice. */
    private String valueString(int i) {
        CharSequence v = value(i);
        if (v != null) {
            return v.toString();
        }
        return Spans.string(wire, spans[i], Spans.VALUE);
    }

    /** The bytes the {@code i}th field takes as a field line: name, colon, space, value, CRLF. */
    int lineLength(int i) {
        CharSequence n = name(i);
        CharSequence v = value(i);
        long s = n == null || v == null ? spans[i] : 0;
        return (n == null ? Spans.length(s, Spans.NAME) : n.length()) + (v == null ? Spans.length(s, Spans.VALUE) : v.length()) + 4;
    }

    /** Writes the {@code i}th field as a field line into {@code out} at {@code p}; returns where it ends. */
    int putLine(int i, byte[] out, int p) {
        CharSequence n = name(i);
        CharSequence v = value(i);
        long s = n == null || v == null ? spans[i] : 0;
        p = n != null ? HeadWriter.put(n, out, p) : Spans.copy(wire, s, Spans.NAME, out, p);
        out[p++] = ':';
        out[p++] = ' ';
        p = v != null ? HeadWriter.put(v, out, p) : Spans.copy(wire, s, Spans.VALUE, out, p);
        out[p++] = '\r';
        out[p++] = '\n';
        return p;
    }

    /** Whether the {@code i}th field's name is {@code name}, case-insensitively, read from the head's bytes while it is a slice. */
    boolean nameIs(int i, CharSequence name) {
        CharSequence n = name(i);
        if (n != null) {
            return AsciiString.contentEqualsIgnoreCase(n, name);
        }
        long s = spans[i];
        return Spans.equalsIgnoreCase(wire, Spans.start(s, Spans.NAME), Spans.length(s, Spans.NAME), name);
    }

    /**
     * Removes the {@code i}th field, keeping the others' order (a caller that walks the fields
     * and removes some goes from the last to the first).
     */
    public void removeAt(int i) {
        Objects.checkIndex(i, size);
        int after = --size - i;
        System.arraycopy(keys, i + 1, keys, i, after);
        if (spans != null) {
            System.arraycopy(spans, i + 1, spans, i, after);
        }
        if (text != null) {
            System.arraycopy(text, 2 * i + 2, text, 2 * i, 2 * after);
            text[2 * size] = null;
            text[2 * size + 1] = null;
        }
    }

    /** Removes the fields named {@code name} whose whole value is {@code value} (case-insensitive). */
    void removeValue(CharSequence name, CharSequence value) {
        removeFrom(name, 0, value);
    }

    /** obs-fold: the last field's value continues, joined with one space (RFC 9112 5.2). */
    void foldIntoLast(CharSequence more) {
        int i = size - 1;
        String folded = valueAt(i).toString() + ' ' + more;
        text[2 * i + 1] = folded;
    }

    @Override
    public int indexOf(CharSequence name, int from) {
        int k = FieldRules.key(name);
        for (int i = from; i < size; i++) {
            if (keys[i] == k && nameIs(i, name)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public String get(CharSequence name) {
        int i = indexOf(name, 0);
        return i < 0 ? null : valueString(i);
    }

    /** Whether a field {@code name} lists {@code value} as an element, read from the head's bytes while it is a slice. */
    @Override
    public boolean containsValue(CharSequence name, CharSequence value, boolean ignoreCase) {
        for (int i = indexOf(name, 0); i >= 0; i = indexOf(name, i + 1)) {
            if (FieldRules.hasElement(this, i, value, ignoreCase)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public int size() {
        return size;
    }

    /**
     * Writes the fields as an HTTP/1 header block, each {@code name: value CRLF}, without the blank
     * line that ends it, in one copy ({@link HeadWriter}).
     */
    public void encode(ByteBuf buf) {
        HeadWriter.write(this, buf);
    }

    @Override
    public HttpHeaders add(CharSequence name, Object value) {
        append(FieldRules.checkName(name), FieldRules.checkValue(value));
        return this;
    }

    /** Replaces the first field of that name where it stands and removes any others. */
    @Override
    public HttpHeaders set(CharSequence name, Object value) {
        setChecked(FieldRules.checkName(name), FieldRules.checkValue(value));
        return this;
    }

    /**
     * {@link #set} without checking the name and value: for a name the caller knows to be a token
     * (a constant) and a value it made or took from a field these headers already checked. Each
     * request's forwarding fields were a scan of their constant names per request (1% of the
     * event loop's samples).
     */
    public void setChecked(CharSequence name, CharSequence v) {
        int i = indexOf(name, 0);
        if (i < 0) {
            append(name, v);
        } else {
            text()[2 * i + 1] = v;
            removeFrom(name, i + 1, null);
        }
    }

    /** Whether the {@code i}th field's name is one of {@code names}. */
    public boolean nameIn(int i, FieldNames names) {
        return names.contains(keys[i], this, i);
    }

    @Override
    public HttpHeaders remove(CharSequence name) {
        removeFrom(name, 0, null);
        return this;
    }

    @Override
    public HttpHeaders clear() {
        if (text != null) {
            Arrays.fill(text, 0, 2 * size, null);
        }
        size = 0;
        return this;
    }

    @Override
    public HttpHeaders copy() {
        return new FlatHeaders(this);
    }

    /** Appends a field; unchecked, for the decoder that validated it as it scanned. */
    void append(CharSequence name, CharSequence value) {
        if (size == keys.length) {
            grow();
        }
        CharSequence[] t = text();
        t[2 * size] = name;
        t[2 * size + 1] = value;
        keys[size] = FieldRules.key(name);
        size++;
    }

    private void grow() {
        int n = Math.max(4, size * 2);
        if (text != null) {
            text = Arrays.copyOf(text, 2 * n);
        }
        keys = Arrays.copyOf(keys, n);
        if (spans != null) {
            spans = Arrays.copyOf(spans, n);
        }
    }

    /**
     * Appends a field found in the head's bytes, unchecked (the decoder validated it): its name
     * {@code nameLength} bytes at {@code nameStart}, its value likewise; each must {@link Spans#fits}.
     */
    void appendSlice(int nameStart, int nameLength, int valueStart, int valueLength) {
        if (size == keys.length) {
            grow();
        }
        keys[size] = FieldRules.key(wire, nameStart, nameLength); // its text slots are null: none set, or nulled by a removal
        spans[size] = Spans.of(nameStart, nameLength, valueStart, valueLength);
        size++;
    }

    /**
     * Removes every field of that name at or after {@code from} (only those whose whole value is
     * {@code value}, case-insensitive, unless that is null), keeping the others' order.
     */
    private void removeFrom(CharSequence name, int from, CharSequence value) {
        int k = FieldRules.key(name);
        int j = from;
        while (j < size && !matches(j, k, name, value)) {
            j++;
        }
        if (j == size) {
            return; // the usual case for a hop-by-hop name: nothing to move
        }
        int kept = j;
        for (j++; j < size; j++) {
            if (!matches(j, k, name, value)) {
                if (text != null) {
                    text[2 * kept] = text[2 * j];
                    text[2 * kept + 1] = text[2 * j + 1];
                }
                keys[kept] = keys[j];
                if (spans != null) {
                    spans[kept] = spans[j];
                }
                kept++;
            }
        }
        if (text != null) {
            Arrays.fill(text, 2 * kept, 2 * size, null);
        }
        size = kept;
    }

    private boolean matches(int i, int k, CharSequence name, CharSequence value) {
        return keys[i] == k && nameIs(i, name) && (value == null || AsciiString.contentEqualsIgnoreCase(valueAt(i), value));
    }
}
