package dev.edgegateway.proxy.http1;

import io.netty.util.AsciiString;

/**
 * Where a decoded header field lies in its head's bytes, packed in a {@code long} for
 * {@link FlatHeaders}: the name's start and length in the high 32 bits ({@link #NAME}), the
 * value's in the low 32 ({@link #VALUE}), each a start in 20 bits and a length in 12. A field
 * further than 1 MiB into its head, or 4 KiB long or more, does not {@link #fits fit}.
 */
final class Spans {
    private Spans() {}

    /** The shift of a span's name half and of its value half. */
    static final int NAME = 32;
    static final int VALUE = 0;
    private static final int START_BITS = 20;
    private static final int LENGTH_BITS = 12;

    /** Whether a name or value at {@code start} of {@code length} bytes fits in a span's half. */
    static boolean fits(int start, int length) {
        return start < 1 << START_BITS && length < 1 << LENGTH_BITS;
    }

    /** A span of a name and a value, each of which {@link #fits}. */
    static long of(int nameStart, int nameLength, int valueStart, int valueLength) {
        return ((long) nameStart << LENGTH_BITS | nameLength) << NAME | (long) valueStart << LENGTH_BITS | valueLength;
    }

    static int start(long span, int half) {
        return (int) (span >>> half + LENGTH_BITS) & (1 << START_BITS) - 1;
    }

    static int length(long span, int half) {
        return (int) (span >>> half) & (1 << LENGTH_BITS) - 1;
    }

    /** Whether {@code b[from..from+length)}, read as Latin-1, is {@code name} but for ASCII case. */
    static boolean equalsIgnoreCase(byte[] b, int from, int length, CharSequence name) {
        if (length != name.length()) {
            return false;
        }
        if (name instanceof AsciiString a) {
            byte[] other = a.array();
            int off = a.arrayOffset();
            for (int k = 0; k < length; k++) {
                byte x = b[from + k];
                byte y = other[off + k];
                if (x != y && lower(x) != lower(y)) {
                    return false;
                }
            }
            return true;
        }
        for (int k = 0; k < length; k++) {
            char y = name.charAt(k);
            if (y > 0xff) {
                return false;
            }
            byte x = b[from + k];
            if (x != (byte) y && lower(x) != lower((byte) y)) {
                return false;
            }
        }
        return true;
    }

    private static int lower(byte b) {
        return b >= 'A' && b <= 'Z' ? b + 32 : b;
    }
}
