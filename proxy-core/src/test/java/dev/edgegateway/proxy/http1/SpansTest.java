package dev.edgegateway.proxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Spans#equalsIgnoreCase}, eight bytes a step for an {@code AsciiString}, against the byte-by-byte compare. */
class SpansTest {
    /** The byte-by-byte answer: ASCII capitals folded, every other byte as it is. */
    private static boolean oracle(byte[] b, int from, int length, byte[] name) {
        if (length != name.length) {
            return false;
        }
        for (int k = 0; k < length; k++) {
            if (fold(b[from + k]) != fold(name[k])) {
                return false;
            }
        }
        return true;
    }

    private static int fold(byte x) {
        return x >= 'A' && x <= 'Z' ? x + 32 : x & 0xff;
    }

    @Test
    void everyByteFoldsInEveryPlaceOfAWord() {
        for (int x = 0; x < 256; x++) {
            for (int place = 0; place < 8; place++) {
                long w = 0x6161616161616161L & ~(0xffL << 8 * place) | (long) x << 8 * place;
                long lowered = Spans.lower(w);
                for (int p = 0; p < 8; p++) {
                    int expect = p == place ? fold((byte) x) : 'a';
                    assertThat((int) (lowered >>> 8 * p & 0xff)).as("byte %x in place %d, byte %d", x, place, p).isEqualTo(expect);
                }
            }
        }
    }

    @Test
    void pairsThatDifferOnlyInOneByteAgreeWithTheOracle() {
        // Every pair of bytes in each place of a 19-byte name (two words and a tail of three): the
        // words' compare must find exactly the pairs that differ as more than ASCII case.
        byte[] name = "x-forwarded-for-abc".getBytes(StandardCharsets.ISO_8859_1);
        byte[] wire = new byte[name.length + 5];
        for (int place = 0; place < name.length; place++) {
            for (int x = 0; x < 256; x++) {
                for (int y = 0; y < 256; y += 7) {
                    byte[] n = name.clone();
                    n[place] = (byte) y;
                    System.arraycopy(name, 0, wire, 3, name.length);
                    wire[3 + place] = (byte) x;
                    assertThat(Spans.equalsIgnoreCase(wire, 3, name.length, new AsciiString(n, false)))
                            .as("place %d, wire byte %x, name byte %x", place, x, y).isEqualTo(oracle(wire, 3, name.length, n));
                }
            }
        }
    }

    @Test
    void randomNamesAgreeWithTheOracleAndTheCharSequencePath() {
        Random random = new Random(24);
        byte[] alphabet = "aAbBzZ09-_.~^`@[{\u00c0\u00e0\r".getBytes(StandardCharsets.ISO_8859_1);
        for (int round = 0; round < 200_000; round++) {
            int length = random.nextInt(40);
            byte[] name = new byte[length];
            for (int k = 0; k < length; k++) {
                name[k] = alphabet[random.nextInt(alphabet.length)];
            }
            int from = random.nextInt(9);
            byte[] wire = new byte[from + length + random.nextInt(9)];
            random.nextBytes(wire);
            System.arraycopy(name, 0, wire, from, length);
            for (int k = 0; k < length; k++) {
                if (random.nextInt(3) == 0) {
                    byte c = wire[from + k];
                    wire[from + k] = (byte) (c >= 'a' && c <= 'z' ? c - 32 : c >= 'A' && c <= 'Z' ? c + 32 : c);
                }
            }
            if (length > 0 && random.nextInt(4) == 0) {
                wire[from + random.nextInt(length)] = alphabet[random.nextInt(alphabet.length)];
            }
            int span = random.nextInt(8) == 0 ? Math.max(0, length - 1) : length;
            boolean expected = oracle(wire, from, span, name);
            AsciiString ascii = new AsciiString(name, false);
            assertThat(Spans.equalsIgnoreCase(wire, from, span, ascii)).isEqualTo(expected);
            assertThat(Spans.equalsIgnoreCase(wire, from, span, ascii.toString())).isEqualTo(expected);
        }
    }

    @Test
    void anAsciiStringThatIsASliceOfALargerArrayIsReadFromItsOffset() {
        AsciiString name = new AsciiString("xxCONTENT-LENGTHyy".getBytes(StandardCharsets.ISO_8859_1), 2, 14, false);
        byte[] wire = "GET / HTTP/1.1\r\ncontent-length: 0\r\n".getBytes(StandardCharsets.ISO_8859_1);
        assertThat(Spans.equalsIgnoreCase(wire, 16, 14, name)).isTrue();
        assertThat(Spans.equalsIgnoreCase(wire, 16, 14, new AsciiString("content-lengtx"))).isFalse();
        assertThat(Spans.equalsIgnoreCase(wire, 16, 14, new AsciiString("dontent-length"))).isFalse();
    }
}
