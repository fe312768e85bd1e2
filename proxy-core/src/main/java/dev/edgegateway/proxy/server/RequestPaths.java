package dev.edgegateway.proxy.server;

/**
 * A request target's path in the one spelling that routing and the origin then both see. Without
 * it, {@code /public/../admin} or {@code /%61dmin} matches the route for {@code /public} or the
 * catch-all, and the origin, which resolves dot segments and decodes the letters, serves
 * {@code /admin}: past that route's answer, rate limit and cluster. Envoy's {@code normalize_path}
 * and HAProxy's {@code normalize-uri} do the same for the same reason.
 *
 * <p>Only what RFC 3986 calls equivalent is changed (section 6.2.2), so no correct origin sees a
 * different resource: percent-encoded unreserved characters are decoded ({@code %41} is {@code A},
 * {@code %2E} is {@code .}), the hex digits of the other escapes are put in upper case, and dot
 * segments are removed (section 5.2.4, applied after the decoding, so {@code %2e%2e} goes too).
 * The query is left as it came. Not changed, because they are not equivalent and APIs depend on
 * them: repeated slashes, and escaped slashes ({@code %2F}) and backslashes ({@code %5C}).
 *
 * <p>Refused (400): an escape that is not {@code %} and two hex digits, a fragment ({@code #}),
 * which is not part of a request target (RFC 9112 3.2; Envoy refuses it too), and a dot segment
 * with parameters ({@code ..;}), which servlet containers resolve as {@code ..}.
 *
 * <p>The usual path needs none of it: a search for {@code #}, {@code ?}, {@code %} and {@code /.}
 * (the JDK's vectorised {@code indexOf}) finds that out and returns the same string, allocating
 * nothing: about 18 ns for a 47-character API path (benchmarks/README.md).
 */
final class RequestPaths {
    private RequestPaths() {}

    /** {@code target} itself when it is already normal, the normal form when not, null when it is invalid. */
    static String normalize(String target) {
        if (target.indexOf('#') >= 0) {
            return null;
        }
        int n = target.length();
        int query = target.indexOf('?');
        int end = query < 0 ? n : query; // the query is left as it came
        boolean changes = false;
        for (int i = target.indexOf('%'); i >= 0 && i < end; i = target.indexOf('%', i + 3)) {
            int hi = i + 2 < n ? hex(target.charAt(i + 1)) : -1;
            int lo = hi < 0 ? -1 : hex(target.charAt(i + 2));
            if (lo < 0) {
                return null;
            }
            changes |= unreserved((char) (hi << 4 | lo)) || lowerHex(target.charAt(i + 1)) || lowerHex(target.charAt(i + 2));
        }
        for (int i = target.indexOf("/."); !changes && i >= 0 && i < end; i = target.indexOf("/.", i + 1)) {
            changes = dotSegment(target, i + 1, n);
        }
        if (!changes) {
            return target;
        }
        String path = removeDotSegments(decodeUnreserved(target, end));
        return path == null ? null : query < 0 ? path : path + target.substring(query);
    }

    /** Whether the {@code .} at {@code i}, after a slash, starts a segment {@code .} or {@code ..}, or one with parameters ({@code ..;x}). */
    private static boolean dotSegment(String s, int i, int n) {
        int next = i + 1;
        if (next < n && s.charAt(next) == '.') {
            next++;
        }
        return next == n || s.charAt(next) == '/' || s.charAt(next) == '?' || s.charAt(next) == ';';
    }

    /** An ASCII hex digit's value, else -1 ({@link Character#digit} would take other scripts' digits too). */
    private static int hex(char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    }

    private static boolean lowerHex(char c) {
        return c >= 'a' && c <= 'f';
    }

    /** {@code s[0, end)}, whose escapes {@link #normalize} checked, with unreserved characters decoded and the other escapes' hex in upper case. */
    private static String decodeUnreserved(String s, int end) {
        StringBuilder out = new StringBuilder(end);
        for (int i = 0; i < end; i++) {
            char c = s.charAt(i);
            if (c != '%') {
                out.append(c);
                continue;
            }
            char v = (char) (hex(s.charAt(i + 1)) << 4 | hex(s.charAt(i + 2)));
            if (unreserved(v)) {
                out.append(v);
            } else {
                out.append('%').append(Character.toUpperCase(s.charAt(i + 1))).append(Character.toUpperCase(s.charAt(i + 2)));
            }
            i += 2;
        }
        return out.toString();
    }

    private static boolean unreserved(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~';
    }

    /**
     * RFC 3986 5.2.4 for an absolute path: segment by segment, {@code .} dropped, {@code ..} drops
     * the segment before it (never above the root), and a path that ends in either ends in a slash.
     * Null for a dot segment with parameters ({@code /public/..;/admin}): servlet containers drop
     * the parameters and then resolve the {@code ..}, so the origin's path is not the one routed.
     */
    static String removeDotSegments(String path) {
        StringBuilder out = new StringBuilder(path.length());
        int n = path.length();
        int i = 0;
        while (i < n) {
            int j = path.indexOf('/', i + 1);
            if (j < 0) {
                j = n;
            }
            int len = j - i - 1; // the segment is path[i + 1, j); path[i] is its slash
            int dots = len > 0 && path.charAt(i + 1) == '.' ? (len > 1 && path.charAt(i + 2) == '.' ? 2 : 1) : 0;
            if (dots > 0 && len > dots && path.charAt(i + 1 + dots) == ';') {
                return null;
            }
            boolean dot = len == 1 && dots == 1;
            boolean dotDot = len == 2 && dots == 2;
            if (dotDot) {
                int last = out.lastIndexOf("/");
                out.setLength(Math.max(last, 0));
            }
            if (dot || dotDot) {
                if (j == n) {
                    out.append('/');
                }
            } else {
                out.append(path, i, j);
            }
            i = j;
        }
        return out.length() == 0 ? "/" : out.toString();
    }
}
