package dev.edgegateway.proxy.http1;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpHeaderValidationUtil;
import io.netty.util.AsciiString;
import java.util.Calendar;
import java.util.Date;

/**
 * The field checks {@link FlatHeaders} applies to what callers add (those of Netty's default
 * headers factory: a name is a non-empty token, a value has no control character but HTAB), and
 * list-valued fields' matching ({@code Connection: keep-alive, Upgrade}).
 */
final class FieldRules {
    private FieldRules() {}

    /**
     * Whether the {@code i}th field of {@code h}, a comma-separated list, holds {@code expected} as
     * one of its (trimmed) elements; ASCII case folded when {@code ignoreCase} (the lists' elements
     * are tokens). Read from the head's bytes while the value is a slice: no object made.
     */
    static boolean hasElement(FlatHeaders h, int i, CharSequence expected, boolean ignoreCase) {
        int n = h.valueLength(i);
        int start = 0;
        while (start <= n) {
            if (start == n && start > 0) {
                return false; // "a," has no empty last element
            }
            int end = start;
            while (end < n && h.valueCharAt(i, end) != ',') {
                end++;
            }
            int s = start;
            int e = end;
            while (s < e && h.valueCharAt(i, s) <= ' ') {
                s++;
            }
            while (e > s && h.valueCharAt(i, e - 1) <= ' ') {
                e--;
            }
            if (e - s == expected.length() && regionIs(h, i, s, expected, ignoreCase)) {
                return true;
            }
            start = end + 1;
        }
        return false;
    }

    /** Whether the {@code i}th value of {@code h} holds {@code expected} at {@code from} (ASCII case folded when {@code ignoreCase}). */
    static boolean regionIs(FlatHeaders h, int i, int from, CharSequence expected, boolean ignoreCase) {
        for (int k = 0; k < expected.length(); k++) {
            char x = h.valueCharAt(i, from + k);
            char y = expected.charAt(k);
            if (x != y && (!ignoreCase || lower(x) != lower(y))) {
                return false;
            }
        }
        return true;
    }

    static CharSequence checkName(CharSequence name) {
        if (name == null || name.length() == 0) {
            throw new IllegalArgumentException("empty headers are not allowed [" + name + ']');
        }
        int bad = HttpHeaderValidationUtil.validateToken(name);
        if (bad != -1) {
            throw new IllegalArgumentException("a header name can only contain \"token\" characters, but found invalid character 0x"
                    + Integer.toHexString(name.charAt(bad)) + " at index " + bad + " of header '" + name + "'.");
        }
        return name;
    }

    static CharSequence checkValue(Object value) {
        if (value == null) {
            throw new NullPointerException("value");
        }
        CharSequence v;
        if (value instanceof CharSequence cs) {
            v = cs;
        } else if (value instanceof Date d) {
            v = DateFormatter.format(d);
        } else if (value instanceof Calendar c) {
            v = DateFormatter.format(c.getTime());
        } else {
            v = value.toString();
        }
        int bad = HttpHeaderValidationUtil.validateValidHeaderValue(v);
        if (bad != -1) {
            throw new IllegalArgumentException("a header value contains prohibited character 0x"
                    + Integer.toHexString(v.charAt(bad)) + " at index " + bad + '.');
        }
        return v;
    }

    /** A field's value as an int, or null if absent or not a number (as Netty's headers answer). */
    static Integer parseInt(String v) {
        if (v == null) {
            return null;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * A name's length and its first and last characters folded to lower case: as good a filter as
     * a hash for the dozen names of a head (the names that share all three differ in a middle
     * character, and the comparison behind the filter tells them apart), and made without reading
     * the whole name.
     */
    static int key(CharSequence name) {
        if (name instanceof AsciiString a) { // the lookups' constant names: their bytes, without charAt's checks per character
            return key(a.array(), a.arrayOffset(), a.length());
        }
        int n = name.length();
        return n == 0 ? 0 : n << 16 | fold(name.charAt(0)) << 8 | fold(name.charAt(n - 1));
    }

    /** {@link #key(CharSequence)} of the name {@code b[from..from+n)}, read as Latin-1 (as an {@code AsciiString} of it reads). */
    static int key(byte[] b, int from, int n) {
        return n == 0 ? 0 : n << 16 | fold((char) (b[from] & 0xff)) << 8 | fold((char) (b[from + n - 1] & 0xff));
    }

    private static char lower(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
    }

    private static int fold(char c) {
        return (c >= 'A' && c <= 'Z' ? c + 32 : c) & 0xff;
    }
}
