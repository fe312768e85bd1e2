package dev.edgegateway.proxy.http1;

import io.netty.util.AsciiString;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Where a decoded header field lies in its head's bytes, packed in a {@code long} for
 * {@link FlatHeaders}: the name's start and length in the high 32 bits ({@link #NAME}), the
 * value's in the low 32 ({@link #VALUE}), each a start in 20 bits and a length in 12. A field
 * further than 1 MiB into its head, or 4 KiB long or more, does not {@link #fits fit}.
 */
final class Spans {
    private Spans() {}

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

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

    /** The half {@code half} of {@code span} as an object sharing {@code wire}'s bytes. */
    static AsciiString slice(byte[] wire, long span, int half) {
        return new AsciiString(wire, start(span, half), length(span, half), false);
    }

    /** The half {@code half} of {@code span} as a {@code String}, its bytes read as Latin-1 (as {@code AsciiString.toString} reads them). */
    @SuppressWarnings("deprecation")
    static String string(byte[] wire, long span, int half) {
        return new String(wire, 0, start(span, half), length(span, half));
    }

    /** Copies the half {@code half} of {@code span} from {@code wire} into {@code out} at {@code p}; returns where it ends. */
    static int copy(byte[] wire, long span, int half, byte[] out, int p) {
        int len = length(span, half);
        System.arraycopy(wire, start(span, half), out, p, len);
        return p + len;
    }

    /** Whether {@code b[from..from+length)}, read as Latin-1, is {@code s} exactly. */
    static boolean sameAs(byte[] b, int from, int length, String s) {
        if (length != s.length()) {
            return false;
        }
        for (int k = 0; k < length; k++) {
            if ((b[from + k] & 0xff) != s.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    static int start(long span, int half) {
        return (int) (span >>> half + LENGTH_BITS) & (1 << START_BITS) - 1;
    }

    static int length(long span, int half) {
        return (int) (span >>> half) & (1 << LENGTH_BITS) - 1;
    }

    /**
     * Whether {@code b[from..from+length)}, read as Latin-1, is {@code name} but for ASCII case. An
     * {@code AsciiString} (the lookups' constant names) is compared eight bytes a step: a lookup whose
     * key filter matched is nearly always the name, so the compare runs to its end, and byte by byte it
     * was the largest frame of the gateway's own in the profile at 64 connections.
     */
    static boolean equalsIgnoreCase(byte[] b, int from, int length, CharSequence name) {
        if (length != name.length()) {
            return false;
        }
        if (name instanceof AsciiString a) {
            byte[] other = a.array();
            int off = a.arrayOffset();
            int k = 0;
            for (; k <= length - Long.BYTES; k += Long.BYTES) {
                long x = (long) LONGS.get(b, from + k);
                long y = (long) LONGS.get(other, off + k);
                if (x != y && lower(x) != lower(y)) {
                    return false;
                }
            }
            for (; k < length; k++) {
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

    /**
     * The eight bytes of {@code w} with each ASCII capital made small (0x20 added), others as they
     * are: the capitals found without a branch per byte (the bit 0x80 set in a byte of 'A' to 'Z',
     * by two additions that cannot carry into the next byte, and cleared for a byte of 0x80 or more).
     */
    static long lower(long w) {
        long r = (w & 0x7F7F7F7F7F7F7F7FL) + 0x2525252525252525L; // 0x80 or more: past 'Z'
        r = (r & 0x7F7F7F7F7F7F7F7FL) + 0x1A1A1A1A1A1A1A1AL; // 0x80 or more: 'A' to 'Z'
        return w | (r & ~w & 0x8080808080808080L) >>> 2;
    }

    private static int lower(byte b) {
        return b >= 'A' && b <= 'Z' ? b + 32 : b;
    }
}
