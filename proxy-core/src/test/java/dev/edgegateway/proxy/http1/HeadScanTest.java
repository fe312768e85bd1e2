package dev.edgegateway.proxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link HeadScan#indexOfLf}, eight bytes at a time, against a byte-by-byte search. */
class HeadScanTest {
    @Test
    void findsTheFirstLineFeedAsAByteByByteSearchDoes() {
        Random r = new Random(20261201);
        // bytes next to LF in value or in bits: a word-at-a-time search's false positives are made of them
        byte[] alphabet = {'\n', '\r', 0x09, 0x0c, (byte) 0x8a, (byte) 0x0b, 0x00, (byte) 0xff, 'a', 0x01, 0x7f};
        for (int round = 0; round < 20000; round++) {
            byte[] b = new byte[r.nextInt(40)];
            for (int i = 0; i < b.length; i++) {
                b[i] = r.nextInt(4) == 0 ? alphabet[r.nextInt(alphabet.length)] : (byte) ('a' + r.nextInt(26));
            }
            int from = b.length == 0 ? 0 : r.nextInt(b.length + 1);
            int to = from + r.nextInt(b.length - from + 1);
            int expected = -1;
            for (int i = from; i < to; i++) {
                if (b[i] == '\n') {
                    expected = i;
                    break;
                }
            }
            assertThat(HeadScan.indexOfLf(b, from, to)).as("round %d", round).isEqualTo(expected);
        }
    }
}
