package dev.edgegateway.proxy.http1;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpHeaderValidationUtil;
import java.util.Calendar;
import java.util.Date;

/**
 * The field checks {@link FlatHeaders} applies to what callers add (those of Netty's default
 * headers factory: a name is a non-empty token, a value has no control character but HTAB), and
 * list-valued fields' matching ({@code Connection: keep-alive, Upgrade}).
 */
final class FieldRules {
    private FieldRules() {}

    /** Whether a comma-separated list holds {@code expected} as one of its (trimmed) elements. */
    static boolean hasElement(CharSequence list, CharSequence expected, boolean ignoreCase) {
        int n = list.length();
        int start = 0;
        while (start <= n) {
            if (start == n && start > 0) {
                return false; // "a," has no empty last element
            }
            int end = start;
            while (end < n && list.charAt(end) != ',') {
                end++;
            }
            int s = start;
            int e = end;
            while (s < e && list.charAt(s) <= ' ') {
                s++;
            }
            while (e > s && list.charAt(e - 1) <= ' ') {
                e--;
            }
            if (e - s == expected.length() && regionEquals(list, s, expected, ignoreCase)) {
                return true;
            }
            start = end + 1;
        }
        return false;
    }

    private static boolean regionEquals(CharSequence list, int from, CharSequence expected, boolean ignoreCase) {
        for (int k = 0; k < expected.length(); k++) {
            char a = list.charAt(from + k);
            char b = expected.charAt(k);
            if (a != b && (!ignoreCase || lower(a) != lower(b))) {
                return false;
            }
        }
        return true;
    }

    private static char lower(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
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
}
