package dev.edgegateway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ServerCodecTest {

    private static HttpRequest decode(String raw) {
        EmbeddedChannel ch = new EmbeddedChannel(new ServerCodec(8192, 16384, 65536));
        // Arrive in socket-sized pieces, as over a real connection.
        byte[] bytes = raw.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < bytes.length; i += 2048) {
            ch.writeInbound(Unpooled.copiedBuffer(bytes, i, Math.min(2048, bytes.length - i)));
        }
        Object first = ch.readInbound();
        Object rest;
        while ((rest = ch.readInbound()) != null) {
            ReferenceCountUtil.release(rest);
        }
        ch.finishAndReleaseAll();
        assertThat(first).as("decoded message").isInstanceOf(HttpRequest.class);
        ReferenceCountUtil.release(first);
        return (HttpRequest) first;
    }

    @Test
    void contentLengthWithTransferEncodingIsInvalid() {
        HttpRequest r = decode("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        assertThat(r.decoderResult().cause()).isInstanceOf(dev.edgegateway.proxy.http1.AmbiguousFramingException.class);
    }

    @Test
    void tooLongRequestLineIsInvalid() {
        HttpRequest r = decode("GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(r.decoderResult().cause()).isInstanceOf(TooLongHttpLineException.class);
    }

    @Test
    void tooLargeHeadersAreInvalid() {
        HttpRequest r = decode("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "a".repeat(20000) + "\r\n\r\n");
        assertThat(r.decoderResult().cause()).isInstanceOf(TooLongHttpHeaderException.class);
    }

    @Test
    void validRequestDecodes() {
        HttpRequest r = decode("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
        assertThat(r.decoderResult().isSuccess()).isTrue();
        assertThat(r.uri()).isEqualTo("/x");
    }
}
