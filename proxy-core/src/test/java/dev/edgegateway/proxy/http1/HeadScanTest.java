package dev.edgegateway.proxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link HeadScan#indexOfLf}, eight bytes at a time, against a byte-by-byte search; what a head's copy takes. */
class HeadScanTest {
    private static String head(String date, int extra) {
        return "HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: " + date + "\r\nContent-Length: 1024\r\n"
                + (extra > 0 ? "X-Pad: " + "p".repeat(extra) + "\r\n" : "") + "\r\n";
    }

    /** Scans and takes one head with a 1 KiB body behind it; returns the array the head's fields would slice. */
    private static byte[] scanWithBody(HeadScan scan, String head) {
        ByteBuf in = Unpooled.copiedBuffer(head + "x".repeat(1024), StandardCharsets.ISO_8859_1);
        try {
            int length = scan.scan(in, "status line", 4096, 8192, "response head");
            assertThat(length).isEqualTo(head.length());
            byte[] b = scan.take(in, length);
            assertThat(new String(b, 0, length, StandardCharsets.ISO_8859_1)).isEqualTo(head);
            assertThat(in.readableBytes()).as("the body is left in the buffer").isEqualTo(1024);
            return b;
        } finally {
            in.release();
        }
    }

    @Test
    void aHeadIsCopiedWithLittleOfTheBodyBehindItOnceTheConnectionHasSeenOne() {
        HeadScan scan = new HeadScan();
        String first = head("Tue, 01 Dec 2026 23:50:55 GMT", 0);
        assertThat(scanWithBody(scan, first)).as("the first head: one chunk").hasSize(512);
        // the next heads: about their own length, not half a kilobyte of the body as well
        assertThat(scanWithBody(scan, head("Tue, 01 Dec 2026 23:50:56 GMT", 0)).length).isLessThanOrEqualTo(first.length() + 32);
        assertThat(scanWithBody(scan, head("Tue, 01 Dec 2026 23:50:57 GMT", 20)).length).isLessThanOrEqualTo(first.length() + 32);
        // a head longer than the last one and its slack is still found whole, in more copies
        String longer = head("Tue, 01 Dec 2026 23:50:58 GMT", 700);
        assertThat(scanWithBody(scan, longer).length).isGreaterThanOrEqualTo(longer.length());
        String after = head("Tue, 01 Dec 2026 23:50:59 GMT", 0);
        assertThat(scanWithBody(scan, after).length).as("capped at a chunk after a long head").isLessThanOrEqualTo(512);
        // a trailer section (no first line) does not set the next head's first copy
        ByteBuf trailer = Unpooled.copiedBuffer("\r\n", StandardCharsets.ISO_8859_1);
        try {
            assertThat(scan.scan(trailer, null, 4096, 8192, "trailer section")).isEqualTo(2);
            scan.take(trailer, 2);
        } finally {
            trailer.release();
        }
        assertThat(scanWithBody(scan, after).length).as("sized by the last head, not by the trailer section")
                .isLessThanOrEqualTo(after.length() + 32);
    }

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
