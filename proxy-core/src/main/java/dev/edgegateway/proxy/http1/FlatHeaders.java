package dev.edgegateway.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.util.AsciiString;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map.Entry;
import java.util.Objects;
import java.util.Set;

/**
 * The header block of an HTTP/1 message as parallel arrays in wire order (names, values, the
 * names' case-insensitive keys, and for a decoded head where each field lies in its bytes):
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

    /** A name or value null here is a slice of {@link #wire} that no caller has asked for yet: see {@link #spans}. */
    private CharSequence[] names;
    private CharSequence[] values;
    /** Per field, {@link FieldRules#key} of its name: a filter in front of the case-insensitive comparison. */
    private int[] keys;
    private int size;
    /** The head's bytes a decoder's fields are slices of; null for headers a caller made. */
    private final byte[] wire;
    /** Per field from {@link #wire}: where its name and value are ({@link Spans}); null without a wire. */
    private long[] spans;

    public FlatHeaders() {
        names = new CharSequence[INITIAL];
        values = new CharSequence[INITIAL];
        keys = new int[INITIAL];
        wire = null;
    }

    /**
     * For a decoder: the fields of a head of {@code lines} lines (its first line and the blank one
     * included) to come as slices of {@code wire}, with room for four more (what the gateway adds
     * to a request: {@code X-Forwarded-For}, {@code -Proto}, {@code -Host}, {@code X-Request-Id}).
     */
    FlatHeaders(byte[] wire, int lines) {
        int n = lines + 2;
        names = new CharSequence[n];
        values = new CharSequence[n];
        keys = new int[n];
        spans = new long[n];
        this.wire = wire;
    }

    private FlatHeaders(FlatHeaders from) {
        names = from.names.clone();
        values = from.values.clone();
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
    public CharSequence nameAt(int i) {
        CharSequence n = names[i];
        return n != null ? n : (names[i] = slice(i, Spans.NAME));
    }

    /** The value of the {@code i}th field in wire order, as given. */
    public CharSequence valueAt(int i) {
        CharSequence v = values[i];
        return v != null ? v : (values[i] = slice(i, Spans.VALUE));
    }

    /** The {@code i}th field's name ({@link Spans#NAME}) or value ({@link Spans#VALUE}) as an object sharing the head's bytes. */
    private AsciiString slice(int i, int half) {
        Objects.checkIndex(i, size);
        long s = spans[i];
        return new AsciiString(wire, Spans.start(s, half), Spans.length(s, half), false);
    }

    /** The value of the {@code i}th field as a {@code String}, made from the head's bytes if it is still a slice. */
    private String valueString(int i) {
        CharSequence v = values[i];
        if (v != null) {
            return v.toString();
        }
        long s = spans[i];
        @SuppressWarnings("deprecation") // Latin-1 bytes to chars, as AsciiString.toString makes them
        String str = new String(wire, 0, Spans.start(s, Spans.VALUE), Spans.length(s, Spans.VALUE));
        return str;
    }

    /** The bytes the {@code i}th field takes as a field line: name, colon, space, value, CRLF. */
    int lineLength(int i) {
        CharSequence n = names[i];
        CharSequence v = values[i];
        long s = n == null || v == null ? spans[i] : 0;
        return (n == null ? Spans.length(s, Spans.NAME) : n.length()) + (v == null ? Spans.length(s, Spans.VALUE) : v.length()) + 4;
    }

    /** Writes the {@code i}th field as a field line into {@code out} at {@code p}; returns where it ends. */
    int putLine(int i, byte[] out, int p) {
        CharSequence n = names[i];
        CharSequence v = values[i];
        long s = n == null || v == null ? spans[i] : 0;
        p = put(n, s, Spans.NAME, out, p);
        out[p++] = ':';
        out[p++] = ' ';
        p = put(v, s, Spans.VALUE, out, p);
        out[p++] = '\r';
        out[p++] = '\n';
        return p;
    }

    /** Writes {@code cs}, or where it is null the slice {@code half} of the span {@code s}; returns where it ends. */
    private int put(CharSequence cs, long s, int half, byte[] out, int p) {
        if (cs != null) {
            return HeadWriter.put(cs, out, p);
        }
        int len = Spans.length(s, half);
        System.arraycopy(wire, Spans.start(s, half), out, p, len);
        return p + len;
    }

    /** Whether the {@code i}th field's name is {@code name}, case-insensitively, read from the head's bytes while it is a slice. */
    boolean nameIs(int i, CharSequence name) {
        CharSequence n = names[i];
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
        System.arraycopy(names, i + 1, names, i, after);
        System.arraycopy(values, i + 1, values, i, after);
        System.arraycopy(keys, i + 1, keys, i, after);
        if (spans != null) {
            System.arraycopy(spans, i + 1, spans, i, after);
        }
        names[size] = null;
        values[size] = null;
    }

    /** Removes the fields named {@code name} whose whole value is {@code value} (case-insensitive). */
    void removeValue(CharSequence name, CharSequence value) {
        removeFrom(name, 0, value);
    }

    /** obs-fold: the last field's value continues, joined with one space (RFC 9112 5.2). */
    void foldIntoLast(CharSequence more) {
        int i = size - 1;
        values[i] = valueAt(i).toString() + ' ' + more;
    }

    /** The index of the first field named {@code name} at or after {@code from}, or -1. */
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

    @Override
    public List<String> getAll(CharSequence name) {
        return FlatViews.values(this, name);
    }

    @Override
    public boolean contains(CharSequence name) {
        return indexOf(name, 0) >= 0;
    }

    @Override
    public boolean contains(CharSequence name, CharSequence value, boolean ignoreCase) {
        for (int i = indexOf(name, 0); i >= 0; i = indexOf(name, i + 1)) {
            if (ignoreCase ? AsciiString.contentEqualsIgnoreCase(valueAt(i), value) : AsciiString.contentEquals(valueAt(i), value)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean containsValue(CharSequence name, CharSequence value, boolean ignoreCase) {
        for (int i = indexOf(name, 0); i >= 0; i = indexOf(name, i + 1)) {
            if (FieldRules.hasElement(valueAt(i), value, ignoreCase)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean isEmpty() {
        return size == 0;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Set<String> names() {
        return FlatViews.names(this);
    }

    @Override
    public List<Entry<String, String>> entries() {
        return FlatViews.entries(this);
    }

    @Override
    public Iterator<Entry<CharSequence, CharSequence>> iteratorCharSequence() {
        return FlatViews.iterator(this);
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
            values[i] = v;
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
        Arrays.fill(names, 0, size, null);
        Arrays.fill(values, 0, size, null);
        size = 0;
        return this;
    }

    @Override
    public HttpHeaders copy() {
        return new FlatHeaders(this);
    }

    /** Appends a field; unchecked, for the decoder that validated it as it scanned. */
    void append(CharSequence name, CharSequence value) {
        if (size == names.length) {
            grow();
        }
        names[size] = name;
        values[size] = value;
        keys[size] = FieldRules.key(name);
        size++;
    }

    private void grow() {
        int n = size * 2;
        names = Arrays.copyOf(names, n);
        values = Arrays.copyOf(values, n);
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
        if (size == names.length) {
            grow();
        }
        names[size] = null;
        values[size] = null;
        keys[size] = FieldRules.key(wire, nameStart, nameLength);
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
                names[kept] = names[j];
                values[kept] = values[j];
                keys[kept] = keys[j];
                if (spans != null) {
                    spans[kept] = spans[j];
                }
                kept++;
            }
        }
        Arrays.fill(names, kept, size, null);
        Arrays.fill(values, kept, size, null);
        size = kept;
    }

    private boolean matches(int i, int k, CharSequence name, CharSequence value) {
        return keys[i] == k && nameIs(i, name) && (value == null || AsciiString.contentEqualsIgnoreCase(valueAt(i), value));
    }
}
