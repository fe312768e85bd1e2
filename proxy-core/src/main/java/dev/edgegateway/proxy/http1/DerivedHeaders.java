package dev.edgegateway.proxy.http1;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.Date;
import java.util.Iterator;
import java.util.List;
import java.util.Map.Entry;
import java.util.Set;

/**
 * The part of Netty's {@link HttpHeaders} that follows from the rest: the {@code String}
 * overloads, the typed getters and setters, the lookups and the collection views made from
 * {@link #indexOf}, {@link #nameAt} and {@link #valueAt}. {@link FlatHeaders} implements the rest,
 * as Netty's own headers classes do behind their common base.
 */
abstract class DerivedHeaders extends HttpHeaders {
    /** The index of the first field named {@code name} (case-insensitive) at or after {@code from}, or -1. */
    public abstract int indexOf(CharSequence name, int from);

    /** The name of the {@code i}th field in wire order, as given (its case kept). */
    public abstract CharSequence nameAt(int i);

    /** The value of the {@code i}th field in wire order, as given. */
    public abstract CharSequence valueAt(int i);

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
    public boolean isEmpty() {
        return size() == 0;
    }

    @Override
    public List<String> getAll(CharSequence name) {
        return FlatViews.values(this, name);
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

    @Override
    public String get(String name) {
        return get((CharSequence) name);
    }

    @Override
    public Integer getInt(CharSequence name) {
        return FieldRules.parseInt(get(name));
    }

    @Override
    public int getInt(CharSequence name, int defaultValue) {
        Integer v = getInt(name);
        return v == null ? defaultValue : v;
    }

    @Override
    public Short getShort(CharSequence name) {
        Integer v = FieldRules.parseInt(get(name));
        return v == null || v != v.shortValue() ? null : v.shortValue();
    }

    @Override
    public short getShort(CharSequence name, short defaultValue) {
        Short v = getShort(name);
        return v == null ? defaultValue : v;
    }

    @Override
    public Long getTimeMillis(CharSequence name) {
        String v = get(name);
        Date d = v == null ? null : DateFormatter.parseHttpDate(v);
        return d == null ? null : d.getTime();
    }

    @Override
    public long getTimeMillis(CharSequence name, long defaultValue) {
        Long v = getTimeMillis(name);
        return v == null ? defaultValue : v;
    }

    @Override
    public List<String> getAll(String name) {
        return getAll((CharSequence) name);
    }

    @Override
    public boolean contains(String name) {
        return contains((CharSequence) name);
    }

    @Override
    public Iterator<Entry<String, String>> iterator() {
        return entries().iterator();
    }

    @Override
    public HttpHeaders add(String name, Object value) {
        return add((CharSequence) name, value);
    }

    @Override
    public HttpHeaders add(String name, Iterable<?> values) {
        FieldRules.checkName(name);
        for (Object v : values) {
            add(name, v);
        }
        return this;
    }

    @Override
    public HttpHeaders addInt(CharSequence name, int value) {
        return add(name, Integer.toString(value));
    }

    @Override
    public HttpHeaders addShort(CharSequence name, short value) {
        return add(name, Short.toString(value));
    }

    @Override
    public HttpHeaders set(String name, Object value) {
        return set((CharSequence) name, value);
    }

    /** Every value checked before any field changes: an invalid one leaves the headers as they were. */
    @Override
    public HttpHeaders set(String name, Iterable<?> values) {
        FieldRules.checkName(name);
        List<CharSequence> checked = new ArrayList<>();
        for (Object v : values) {
            checked.add(FieldRules.checkValue(v));
        }
        remove((CharSequence) name);
        for (CharSequence v : checked) {
            add((CharSequence) name, v);
        }
        return this;
    }

    @Override
    public HttpHeaders setInt(CharSequence name, int value) {
        return set(name, Integer.toString(value));
    }

    @Override
    public HttpHeaders setShort(CharSequence name, short value) {
        return set(name, Short.toString(value));
    }

    @Override
    public HttpHeaders remove(String name) {
        return remove((CharSequence) name);
    }
}
