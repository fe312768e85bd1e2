package dev.edgegateway.proxy.http1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link FlatHeaders} against Netty's {@link DefaultHttpHeaders} as the oracle. */
class FlatHeadersTest {
    private static final CharSequence[] NAMES = {"Host", "host", AsciiString.cached("HOST"), "Connection", HttpHeaderNames.CONNECTION,
        "X-A", "x-a", "Content-Length", HttpHeaderNames.TRANSFER_ENCODING, "Set-Cookie", "Expect", "Keep-Alive"};
    private static final String[] VALUES = {"a", "b", "close", "keep-alive, Upgrade", "Keep-Alive , close ,up", "100-continue", "chunked",
        "x,y", "", "UPGRADE", "a,", "12", "v\tw"};

    /**
     * Headers as the gateway's decoders make them: each field a slice of one head's bytes (a
     * status line, then {@code fields} as {@code name: value} lines), not yet an object.
     */
    static FlatHeaders sliced(List<? extends Map.Entry<? extends CharSequence, ? extends CharSequence>> fields) {
        StringBuilder head = new StringBuilder("HTTP/1.1 200 OK\r\n");
        for (Map.Entry<? extends CharSequence, ? extends CharSequence> f : fields) {
            head.append(f.getKey()).append(": ").append(f.getValue()).append("\r\n");
        }
        byte[] b = head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
        int[] ends = new int[fields.size() + 2];
        int lines = 0;
        for (int i = 0; i + 1 < b.length; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n') {
                ends[lines++] = i;
            }
        }
        FlatHeaders h = (FlatHeaders) HeadParser.response(b, ends, lines).headers();
        assertThat(h.slicesOf(b)).isTrue();
        return h;
    }

    @Test
    void randomOperationsMatchNettysHeaders() {
        Random random = new Random(42);
        for (int round = 0; round < 2000; round++) {
            HttpHeaders oracle = new DefaultHttpHeaders();
            FlatHeaders flat;
            if (round % 2 == 0) {
                flat = new FlatHeaders();
            } else { // half the rounds begin with a decoded head's fields, slices until asked for
                List<Map.Entry<CharSequence, CharSequence>> decoded = new ArrayList<>();
                for (int i = random.nextInt(16); i > 0; i--) {
                    CharSequence name = NAMES[random.nextInt(NAMES.length)];
                    String value = VALUES[random.nextInt(VALUES.length)];
                    decoded.add(Map.entry(name, value));
                    oracle.add(name, value);
                }
                flat = sliced(decoded);
            }
            boolean setUsed = false;
            for (int op = 0; op < 30; op++) {
                CharSequence name = NAMES[random.nextInt(NAMES.length)];
                String value = VALUES[random.nextInt(VALUES.length)];
                if (round % 2 == 1 && flat.size() > 0 && random.nextInt(4) == 0) {
                    int i = random.nextInt(flat.size()); // ask for a field as objects now and then: the rest stay slices
                    if (random.nextBoolean()) {
                        flat.nameAt(i);
                    } else {
                        flat.valueAt(i);
                    }
                }
                if (round % 2 == 1 && random.nextInt(10) == 0) {
                    HttpHeaders copy = flat.copy(); // a copy shares the head's bytes and answers the same
                    assertSame(oracle, (FlatHeaders) copy, setUsed);
                }
                switch (random.nextInt(6)) {
                    case 0, 1 -> {
                        oracle.add(name, value);
                        flat.add(name, value);
                    }
                    case 2 -> {
                        oracle.set(name, value);
                        flat.set(name, value);
                        setUsed = true;
                    }
                    case 3 -> {
                        oracle.remove(name);
                        flat.remove(name);
                    }
                    case 4 -> {
                        oracle.set(name, List.of(value, "second"));
                        flat.set(name, List.of(value, "second"));
                        setUsed = true;
                    }
                    default -> {
                        oracle.add(name, List.of(value));
                        flat.add(name, List.of(value));
                    }
                }
                assertSame(oracle, flat, setUsed);
            }
        }
    }

    @Test
    void removeAtKeepsTheOthersInOrderAndFindable() {
        for (FlatHeaders h : new FlatHeaders[] {new FlatHeaders(), sliced(List.of(Map.entry("A", "1"), Map.entry("Bb", "2"),
                Map.entry("Ccc", "3"), Map.entry("Dddd", "4")))}) {
            removeAt(h);
        }
    }

    private static void removeAt(FlatHeaders h) {
        if (h.isEmpty()) {
            h.add("A", "1").add("Bb", "2").add("Ccc", "3").add("Dddd", "4");
        }
        h.removeAt(1);
        assertThat(h.entries()).extracting(e -> e.getKey() + "=" + e.getValue()).containsExactly("A=1", "Ccc=3", "Dddd=4");
        assertThat(h.get("ccc")).isEqualTo("3");
        assertThat(h.contains("bb")).isFalse();
        h.removeAt(2);
        assertThat(h.get("dddd")).isNull();
        assertThat(h.size()).isEqualTo(2);
        h.add("E", "5");
        assertThat(h.indexOf("e", 0)).isEqualTo(2);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> h.removeAt(3)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    /**
     * {@code original} answers as {@code oracle} does. What makes objects of a decoded head's
     * fields (the views, the values' comparisons) is asked of a copy, so that the original's
     * fields stay slices for the operations that follow.
     */
    private static void assertSame(HttpHeaders oracle, FlatHeaders original, boolean setUsed) {
        assertThat(original.size()).isEqualTo(oracle.size());
        assertThat(original.isEmpty()).isEqualTo(oracle.isEmpty());
        for (CharSequence name : NAMES) {
            assertThat(original.get(name)).as("get %s", name).isEqualTo(oracle.get(name));
            assertThat(original.contains(name)).isEqualTo(oracle.contains(name));
        }
        FlatHeaders fresh = (FlatHeaders) original.copy(); // its values as the original's: a decoded head's still slices
        for (CharSequence name : NAMES) {
            for (String v : VALUES) {
                for (boolean ignoreCase : new boolean[] {true, false}) {
                    if (!v.isEmpty()) { // read from the head's bytes where the value is still a slice
                        assertThat(fresh.containsValue(name, v, ignoreCase)).as("containsValue %s '%s' %s, from the bytes", name, v, ignoreCase)
                                .isEqualTo(oracle.containsValue(name, v, ignoreCase));
                    }
                }
            }
        }
        FlatHeaders flat = (FlatHeaders) original.copy();
        assertThat(flat.names()).containsExactlyInAnyOrderElementsOf(new java.util.TreeSet<>(oracle.names()).stream()
                .collect(() -> new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER), java.util.TreeSet::add, java.util.TreeSet::addAll));
        for (CharSequence name : NAMES) {
            assertThat(flat.getAll(name)).as("getAll %s", name).isEqualTo(oracle.getAll(name));
            for (String v : VALUES) {
                for (boolean ignoreCase : new boolean[] {true, false}) {
                    assertThat(flat.contains(name, v, ignoreCase)).as("contains %s %s %s", name, v, ignoreCase)
                            .isEqualTo(oracle.contains(name, v, ignoreCase));
                    if (!v.isEmpty()) {
                        assertThat(flat.containsValue(name, v, ignoreCase)).as("containsValue %s '%s' %s in %s", name, v, ignoreCase, flat)
                                .isEqualTo(oracle.containsValue(name, v, ignoreCase));
                    }
                }
            }
        }
        if (!setUsed) { // DefaultHttpHeaders moves a set field to the end; FlatHeaders keeps its place
            assertThat(entries(flat)).isEqualTo(entries(oracle));
        }
    }

    private static List<String> entries(HttpHeaders h) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<CharSequence, CharSequence> e : (Iterable<Map.Entry<CharSequence, CharSequence>>) h::iteratorCharSequence) {
            out.add(e.getKey() + ": " + e.getValue());
        }
        return out;
    }

    @Test
    void setReplacesWhereTheFieldStands() {
        FlatHeaders h = new FlatHeaders();
        h.add("A", "1").add("B", "2").add("a", "3").add("C", "4");
        h.set("a", "x");
        assertThat(entries(h)).containsExactly("A: x", "B: 2", "C: 4");
        HttpHeaders copy = h.copy();
        h.remove("B");
        assertThat(entries(h)).containsExactly("A: x", "C: 4");
        assertThat(entries(copy)).containsExactly("A: x", "B: 2", "C: 4");
    }

    @Test
    void invalidNamesAndValuesAreRefusedAsNettysAre() {
        FlatHeaders h = new FlatHeaders();
        for (String name : new String[] {"", "Bad Name", "a:b", "x\r\ny", "é"}) {
            assertThatThrownBy(() -> h.add(name, "v")).as(name).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new DefaultHttpHeaders().add(name, "v")).as(name).isInstanceOf(IllegalArgumentException.class);
        }
        for (String value : new String[] {"a\r\nInjected: 1", "a\nb", " leading", "nul\0"}) {
            assertThatThrownBy(() -> h.set("X", value)).as(value).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new DefaultHttpHeaders().set("X", value)).as(value).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(h.isEmpty()).isTrue();
    }

    @Test
    void decoderWithFlatHeadersDecodesAsWithNettysHeaders() {
        String[] heads = {
            "GET / HTTP/1.1\r\nHost: a\r\nX-Many: 1\r\nx-many: 2\r\nAccept: */*\r\n\r\n",
            "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
            "GET / HTTP/1.1\r\nHost: a\r\nFolded: one\r\n two\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nX: a\u0001b\r\n\r\n",
            "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc",
        };
        for (String head : heads) {
            HttpRequest netty = decode(head, new HttpDecoderConfig());
            HttpRequest flat = decode(head, new HttpDecoderConfig().setHeadersFactory(FlatHeaders.FACTORY));
            assertThat(flat.decoderResult().isSuccess()).as(head).isEqualTo(netty.decoderResult().isSuccess());
            assertThat(flat.headers()).as(head).isInstanceOf(FlatHeaders.class);
            if (netty.decoderResult().isSuccess()) {
                assertThat(entries(flat.headers())).as(head).isEqualTo(entries(netty.headers()));
            }
        }
    }

    @Test
    void encodedHeadsAreByteForByteNettys() {
        Random random = new Random(7);
        String[] values = {"a", "text/html; charset=utf-8", "caf\u00e9", "\u00ff\u0080", "x\ty", "", "2" + "0".repeat(40)};
        for (int round = 0; round < 500; round++) {
            HttpHeaders oracle = new DefaultHttpHeaders();
            FlatHeaders flat = new FlatHeaders();
            List<Map.Entry<CharSequence, CharSequence>> decoded = new ArrayList<>();
            int n = random.nextInt(20);
            for (int i = 0; i < n; i++) {
                CharSequence name = NAMES[random.nextInt(NAMES.length)];
                CharSequence value = values[random.nextInt(values.length)];
                if (random.nextBoolean()) {
                    value = new AsciiString(value);
                }
                oracle.add(name, value);
                flat.add(name, value);
                if (value.chars().allMatch(c -> c <= 0xff)) {
                    decoded.add(Map.entry(name, value)); // a head's bytes are Latin-1
                }
            }
            if (round % 2 == 1) { // the same fields as slices of a decoded head, some asked for as objects, one edited
                oracle = new DefaultHttpHeaders();
                for (Map.Entry<CharSequence, CharSequence> f : decoded) {
                    oracle.add(f.getKey(), f.getValue());
                }
                flat = sliced(decoded);
                for (int i = 0; i < flat.size(); i++) {
                    if (random.nextInt(3) == 0) {
                        flat.valueAt(i);
                    }
                }
                if (flat.size() > 0) {
                    CharSequence name = flat.nameAt(random.nextInt(flat.size()));
                    oracle.remove(name);
                    flat.remove(name);
                }
            }
            HttpRequest viaNetty = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/p?q=" + round, oracle);
            HttpRequest viaFlat = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/p?q=" + round, flat);
            assertThat(encode(new ClientCodec(8192, 8192, 8192), viaFlat)).isEqualTo(encode(new HttpRequestEncoder(), viaNetty));
        }
    }

    @Test
    void aCharacterPastLatin1IsWrittenAsNettyWritesIt() {
        FlatHeaders flat = new FlatHeaders();
        flat.add("X", "a\u0101b"); // valid to the value check, which looks at control characters only
        HttpHeaders oracle = new DefaultHttpHeaders().add("X", "a\u0101b");
        assertThat(encode(new ClientCodec(8192, 8192, 8192), new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/", flat)))
                .isEqualTo(encode(new HttpRequestEncoder(), new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/", oracle)))
                .contains("X: a?b\r\n");
    }

    private static String encode(io.netty.channel.ChannelHandler encoder, HttpRequest request) {
        EmbeddedChannel ch = new EmbeddedChannel(encoder);
        ch.writeOutbound(request);
        StringBuilder out = new StringBuilder();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            out.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        ch.finishAndReleaseAll();
        return out.toString();
    }

    private static HttpRequest decode(String raw, HttpDecoderConfig config) {
        EmbeddedChannel ch = new EmbeddedChannel(new HttpRequestDecoder(config));
        ch.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
        HttpRequest first = ch.readInbound();
        Object rest;
        while ((rest = ch.readInbound()) != null) {
            ReferenceCountUtil.release(rest);
        }
        ch.finishAndReleaseAll();
        return first;
    }
}
