package dev.edgegateway.proxy.http1;

import io.netty.util.AsciiString;

/**
 * A fixed set of field names, matched case-insensitively behind the same filter
 * {@link FlatHeaders} keeps per field ({@link FieldRules#key}: length, first and last character),
 * and before that a mask of the set's name lengths: most fields of a head are no name's length,
 * and are told apart with one bit test; the rest compare a dozen ints and, for a rare match of
 * those, the names. Immutable.
 */
public final class FieldNames {
    private final AsciiString[] names;
    private final int[] keys;
    /** Bit n set: some name is n characters long (a field of 64 or more is compared whatever the mask). */
    private final long lengths;

    private FieldNames(AsciiString[] names) {
        this.names = names.clone();
        keys = new int[names.length];
        long mask = 0;
        for (int i = 0; i < names.length; i++) {
            keys[i] = FieldRules.key(names[i]);
            int n = names[i].length();
            mask |= n < 64 ? 1L << n : 0;
        }
        lengths = mask;
    }

    public static FieldNames of(AsciiString... names) {
        return new FieldNames(names);
    }

    /** Whether field {@code i} of {@code h}, whose name's key is {@code key}, has one of these names. */
    boolean contains(int key, FlatHeaders h, int i) {
        int length = key >>> 16;
        if (length < 64 && (lengths & 1L << length) == 0) {
            return false; // no name of this length
        }
        for (int k = 0; k < keys.length; k++) {
            if (keys[k] == key && h.nameIs(i, names[k])) {
                return true;
            }
        }
        return false;
    }
}
