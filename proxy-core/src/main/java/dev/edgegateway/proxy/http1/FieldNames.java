package dev.edgegateway.proxy.http1;

import io.netty.util.AsciiString;

/**
 * A fixed set of field names, matched case-insensitively behind the same filter
 * {@link FlatHeaders} keeps per field ({@link FieldRules#key}: length, first and last character),
 * and before that a mask of the set's name lengths: most fields of a head are no name's length,
 * and are told apart with one bit test; the rest compare a dozen ints and, for a rare match of
 * those, the names. A {@link #loose} set also takes a name spelled with {@code _} for {@code -},
 * an {@link #aliasesOf} set only such a spelling. Immutable.
 */
public final class FieldNames {
    private final AsciiString[] names;
    private final int[] keys;
    /** Bit n set: some name is n characters long (a field of 64 or more is compared whatever the mask). */
    private final long lengths;
    /** Whether a name itself matches (in any case). */
    private final boolean exact;
    /** Whether a name spelled with {@code _} for some {@code -} matches. */
    private final boolean aliases;

    private FieldNames(AsciiString[] names, boolean exact, boolean aliases) {
        this.names = names.clone();
        this.exact = exact;
        this.aliases = aliases;
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
        return new FieldNames(names, true, false);
    }

    /**
     * Names matched with {@code _} read as {@code -} too: to an origin that maps field names to
     * CGI variables (PHP, WSGI, Rack: {@code HTTP_X_FORWARDED_FOR}), {@code x_forwarded_for} and
     * {@code X-Forwarded_For} are {@code x-forwarded-for}.
     */
    public static FieldNames loose(AsciiString... names) {
        return new FieldNames(names, true, true);
    }

    /** Only the names' spellings with {@code _} for some {@code -} ({@code x_api_key} of {@code x-api-key}), not the names. */
    public static FieldNames aliasesOf(AsciiString... names) {
        return new FieldNames(names, false, true);
    }

    /** Whether field {@code i} of {@code h}, whose name's key is {@code key}, has one of these names. */
    boolean contains(int key, FlatHeaders h, int i) {
        int length = key >>> 16;
        if (length < 64 && (lengths & 1L << length) == 0) {
            return false; // no name of this length
        }
        for (int k = 0; k < keys.length; k++) {
            if (keys[k] != key) {
                continue;
            }
            if (h.nameIs(i, names[k])) { // compared in the head's bytes: the name itself, the usual match, makes no object
                if (exact) {
                    return true;
                }
            } else if (aliases && looselyIs(h.nameAt(i), names[k])) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code name} is one of these names, as a field of a {@link FlatHeaders} would be; for a name not in one. */
    public boolean contains(CharSequence name) {
        for (AsciiString n : names) {
            if (n.contentEqualsIgnoreCase(name) ? exact : aliases && looselyIs(name, n)) {
                return true;
            }
        }
        return false;
    }

    private static boolean looselyIs(CharSequence name, AsciiString expected) {
        if (name.length() != expected.length()) {
            return false;
        }
        for (int j = 0; j < name.length(); j++) {
            char c = name.charAt(j);
            char e = (char) expected.byteAt(j);
            if (c != e && lower(c == '_' ? '-' : c) != lower(e)) {
                return false;
            }
        }
        return true;
    }

    private static char lower(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
    }
}
