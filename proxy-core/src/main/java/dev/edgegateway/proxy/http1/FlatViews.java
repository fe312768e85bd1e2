package dev.edgegateway.proxy.http1;

import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map.Entry;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.TreeSet;

/** The collection views {@link DerivedHeaders} owes {@code HttpHeaders} callers: made on demand, off the hot path. */
final class FlatViews {
    private FlatViews() {}

    /** The values of the fields named {@code name}, in wire order, as {@code String}s. */
    static List<String> values(DerivedHeaders h, CharSequence name) {
        int i = h.indexOf(name, 0);
        if (i < 0) {
            return Collections.emptyList();
        }
        int next = h.indexOf(name, i + 1);
        if (next < 0) {
            return Collections.singletonList(h.valueAt(i).toString());
        }
        List<String> all = new ArrayList<>(4);
        all.add(h.valueAt(i).toString());
        for (; next >= 0; next = h.indexOf(name, next + 1)) {
            all.add(h.valueAt(next).toString());
        }
        return all;
    }

    /** The names, case-insensitively distinct. */
    static Set<String> names(DerivedHeaders h) {
        Set<String> out = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 0; i < h.size(); i++) {
            out.add(h.nameAt(i).toString());
        }
        return out;
    }

    static List<Entry<String, String>> entries(DerivedHeaders h) {
        List<Entry<String, String>> out = new ArrayList<>(h.size());
        for (int i = 0; i < h.size(); i++) {
            out.add(new SimpleImmutableEntry<>(h.nameAt(i).toString(), h.valueAt(i).toString()));
        }
        return out;
    }

    /** The fields in wire order, as they are (no copy of the names or values). */
    static Iterator<Entry<CharSequence, CharSequence>> iterator(DerivedHeaders h) {
        return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < h.size();
            }

            @Override
            public Entry<CharSequence, CharSequence> next() {
                if (next >= h.size()) {
                    throw new NoSuchElementException();
                }
                int i = next++;
                return new SimpleImmutableEntry<>(h.nameAt(i), h.valueAt(i));
            }
        };
    }
}
