package dev.edgegateway.proxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Field lines written as the decoder read them, copied a run at a time where the peer's bytes are
 * exactly what would be written: the heads of decoded requests, some fields taken out, set or
 * added as the gateway does, come out byte for byte as Netty's encoder writes the same fields.
 */
class HeadWriterTest {
    private static final String[] NAMES = {"Host", "Accept", "X-Forwarded-For", "Cookie", "X-Empty", "Via", "User-Agent"};
    private static final String[] SEPARATORS = {": ", ":", ":  ", ":\t"};

    @Test
    void decodedFieldsAreWrittenAsNettysEncoderWritesThem() {
        Random random = new Random(24);
        int copiedWhole = 0;
        for (int round = 0; round < 2_000; round++) {
            StringBuilder head = new StringBuilder("GET /r HTTP/1.1\r\n");
            int fields = 1 + random.nextInt(8);
            boolean plain = true;
            for (int i = 0; i < fields; i++) {
                String separator = random.nextInt(3) == 0 ? SEPARATORS[1 + random.nextInt(SEPARATORS.length - 1)] : ": ";
                String value = random.nextInt(6) == 0 ? "" : "v" + random.nextInt(1000) + (random.nextInt(8) == 0 ? " " : "");
                head.append(NAMES[random.nextInt(NAMES.length)]).append(separator).append(value).append("\r\n");
                plain &= separator.equals(": ") && !value.endsWith(" ");
                if (random.nextInt(12) == 0) {
                    head.append(" folded\r\n"); // obs-fold: the value the gateway joins is its own
                }
            }
            head.append("\r\n");
            HttpRequest decoded = decode(head.toString());
            FlatHeaders h = (FlatHeaders) decoded.headers();
            switch (random.nextInt(4)) {
                case 0 -> h.remove(NAMES[random.nextInt(NAMES.length)]);
                case 1 -> h.set(NAMES[random.nextInt(NAMES.length)], "set" + round);
                case 2 -> h.add("X-Added", "added");
                default -> copiedWhole += plain ? 1 : 0; // unchanged
            }
            HttpHeaders oracle = DefaultHttpHeadersFactory.headersFactory().withValidation(false).newHeaders(); // a fold into an empty value starts with its space
            for (int i = 0; i < h.size(); i++) {
                oracle.add(h.nameAt(i).toString(), h.valueAt(i).toString());
            }
            String expected = encode(new HttpRequestEncoder(), new DefaultHttpRequest(decoded.protocolVersion(), decoded.method(), decoded.uri(), oracle));
            assertThat(encode(new ClientCodec(8192, 8192, 8192), decoded)).as(head.toString()).isEqualTo(expected);
        }
        assertThat(copiedWhole).as("heads copied in one run").isGreaterThan(50);
    }

    private static HttpRequest decode(String head) {
        EmbeddedChannel ch = new EmbeddedChannel(new RequestDecoder(8192, 8192, 8192, m -> { }));
        ch.writeInbound(Unpooled.copiedBuffer(head, StandardCharsets.ISO_8859_1));
        HttpRequest r = ch.readInbound();
        assertThat(r.decoderResult().isSuccess()).as(head).isTrue();
        ch.finishAndReleaseAll();
        return r;
    }

    private static String encode(io.netty.channel.ChannelHandler encoder, HttpRequest r) {
        EmbeddedChannel ch = new EmbeddedChannel(encoder);
        ch.writeOutbound(r, LastHttpContent.EMPTY_LAST_CONTENT);
        ByteBuf all = Unpooled.buffer();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            all.writeBytes(b);
            b.release();
        }
        ch.finishAndReleaseAll();
        String s = all.toString(StandardCharsets.ISO_8859_1);
        all.release();
        return s;
    }
}
