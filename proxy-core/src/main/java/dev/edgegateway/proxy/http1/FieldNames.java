package dev.edgegateway.proxy.http1;

import io.netty.util.AsciiString;

/**
 * A fixed set of field names, matched case-insensitively behind the same filter
 * {@link FlatHeaders} keeps per field ({@link FieldRules#key}: length, first and last character),
 * so asking whether a field's name is one of a dozen compares a dozen ints and, for a rare match
 * of those, the names. Immutable.
 */
public final class FieldNames {
    private final AsciiString[] names;
    private final int[] keys;

    private FieldNames(AsciiString[] names) {
        this.names = names.clone();
        keys = new int[names.length];
        for (int i = 0; i < names.length; i++) {
            keys[i] = FieldRules.key(names[i]);
        }
    }

    public static FieldNames of(AsciiString... names) {
        return new FieldNames(names);
    }

    boolean contains(int key, CharSequence name) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] == key && names[i].contentEqualsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }
}
