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

    @Test
    void randomOperationsMatchNettysHeaders() {
        Random random = new Random(42);
        for (int round = 0; round < 2000; round++) {
            HttpHeaders oracle = new DefaultHttpHeaders();
            FlatHeaders flat = new FlatHeaders();
            boolean setUsed = false;
            for (int op = 0; op < 30; op++) {
                CharSequence name = NAMES[random.nextInt(NAMES.length)];
                String value = VALUES[random.nextInt(VALUES.length)];
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
        FlatHeaders h = new FlatHeaders();
        h.add("A", "1").add("Bb", "2").add("Ccc", "3").add("Dddd", "4");
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

    private static void assertSame(HttpHeaders oracle, FlatHeaders flat, boolean setUsed) {
        assertThat(flat.size()).isEqualTo(oracle.size());
        assertThat(flat.isEmpty()).isEqualTo(oracle.isEmpty());
        assertThat(flat.names()).containsExactlyInAnyOrderElementsOf(new java.util.TreeSet<>(oracle.names()).stream()
                .collect(() -> new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER), java.util.TreeSet::add, java.util.TreeSet::addAll));
        for (CharSequence name : NAMES) {
            assertThat(flat.get(name)).as("get %s", name).isEqualTo(oracle.get(name));
            assertThat(flat.getAll(name)).as("getAll %s", name).isEqualTo(oracle.getAll(name));
            assertThat(flat.contains(name)).isEqualTo(oracle.contains(name));
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
            int n = random.nextInt(20);
            for (int i = 0; i < n; i++) {
                CharSequence name = NAMES[random.nextInt(NAMES.length)];
                CharSequence value = values[random.nextInt(values.length)];
                if (random.nextBoolean()) {
                    value = new AsciiString(value);
                }
                oracle.add(name, value);
                flat.add(name, value);
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
