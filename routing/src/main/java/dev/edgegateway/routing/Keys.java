package dev.edgegateway.routing;

import dev.edgegateway.config.KeySource;
import java.util.Arrays;

/** Reads a configured key from a request (for routing and for rate-limit policies). */
public final class Keys {
    private Keys() {}

    /** The key's value in this request, or null if the request lacks it. */
    public static String read(KeySource k, RequestView r) {
        if (k.header() != null) {
            return r.header(k.header());
        }
        if (k.cookie() != null) {
            return r.cookie(k.cookie());
        }
        return r.clientKey(k.ipv4Prefix(), k.ipv6Prefix());
    }

    /**
     * A client address as a key: the network of its first {@code ipv4Prefix} or
     * {@code ipv6Prefix} bits, as {@code 192.0.2.0/24} or {@code 2001:db8:1:2::/64} (RFC 5952
     * text), or the address alone ({@code text}, when given) at /32 and /128. An IPv4-mapped IPv6
     * address ({@code ::ffff:192.0.2.1}, as a dual-stack proxy may forward it) is the IPv4 address.
     */
    public static String network(byte[] address, String text, int ipv4Prefix, int ipv6Prefix) {
        byte[] ipv4 = unmapped(address);
        if (ipv4 != address) {
            address = ipv4;
            text = null; // the text spells the mapped form
        }
        int prefix = address.length == 4 ? ipv4Prefix : ipv6Prefix;
        boolean whole = prefix == address.length * 8;
        if (whole && text != null) {
            return text;
        }
        byte[] a = whole ? address : masked(address, prefix);
        String net = a.length == 4 ? ipv4Text(a) : ipv6Text(a);
        return whole ? net : net + "/" + prefix;
    }

    /** The IPv4 address an IPv4-mapped IPv6 one ({@code ::ffff:192.0.2.1}) stands for; any other address as it is. */
    public static byte[] unmapped(byte[] a) {
        if (a.length != 16 || a[10] != (byte) 0xff || a[11] != (byte) 0xff) {
            return a;
        }
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return a;
            }
        }
        return Arrays.copyOfRange(a, 12, 16);
    }

    private static byte[] masked(byte[] address, int prefix) {
        byte[] a = address.clone();
        for (int bit = prefix; bit < a.length * 8; bit++) {
            a[bit >> 3] &= (byte) ~(0x80 >>> (bit & 7));
        }
        return a;
    }

    private static String ipv4Text(byte[] a) {
        return (a[0] & 0xff) + "." + (a[1] & 0xff) + "." + (a[2] & 0xff) + "." + (a[3] & 0xff);
    }

    /** RFC 5952: lower-case hex without leading zeros, the first longest run of two or more zero groups as "::". */
    static String ipv6Text(byte[] a) {
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = (a[2 * i] & 0xff) << 8 | a[2 * i + 1] & 0xff;
        }
        int runStart = -1;
        int runLength = 1;
        for (int i = 0; i < 8; i++) {
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > runLength) {
                runStart = i;
                runLength = j - i;
            }
            i = Math.max(i, j);
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == runStart) {
                sb.append("::");
                i += runLength - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }
}
