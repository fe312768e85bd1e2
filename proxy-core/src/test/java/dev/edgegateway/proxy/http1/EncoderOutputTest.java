package dev.edgegateway.proxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The encoders' output without the empty buffer Netty writes for a body-less end (through {@link ClientCodec}). */
class EncoderOutputTest {

    private static HttpRequest get() {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/a", new FlatHeaders());
        r.headers().add(HttpHeaderNames.HOST, "origin.test");
        return r;
    }

    /** Everything the channel wrote, one string per buffer that reached the outbound side. */
    private static List<String> written(EmbeddedChannel ch) {
        List<String> parts = new ArrayList<>();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            parts.add(b.toString(StandardCharsets.US_ASCII));
            b.release();
        }
        return parts;
    }

    @Test
    void aBodylessRequestLeavesAsItsHeadAlone() {
        EmbeddedChannel ch = new EmbeddedChannel(new ClientCodec(8192, 8192, 8192));
        ch.write(get(), ch.voidPromise());
        ch.write(LastHttpContent.EMPTY_LAST_CONTENT, ch.voidPromise());
        ch.flush();
        assertThat(written(ch)).containsExactly("GET /a HTTP/1.1\r\nhost: origin.test\r\n\r\n");
        // and the encoder is ready for the next request: the end was encoded, only not written
        ch.writeAndFlush(get(), ch.voidPromise());
        ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, ch.voidPromise());
        assertThat(written(ch)).containsExactly("GET /a HTTP/1.1\r\nhost: origin.test\r\n\r\n");
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aWriteWithAPromiseStillCompletesIt() {
        EmbeddedChannel ch = new EmbeddedChannel(new ClientCodec(8192, 8192, 8192));
        ch.write(get(), ch.voidPromise());
        ChannelFuture end = ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(end.isSuccess()).isTrue();
        assertThat(written(ch)).hasSize(2).first().asString().startsWith("GET /a HTTP/1.1\r\n");
        ch.finishAndReleaseAll();
    }

    @Test
    void aChunkedBodyKeepsItsLastChunk() {
        EmbeddedChannel ch = new EmbeddedChannel(new ClientCodec(8192, 8192, 8192));
        HttpRequest post = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/p", new FlatHeaders());
        post.headers().add(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        ch.write(post, ch.voidPromise());
        ch.write(new DefaultHttpContent(Unpooled.copiedBuffer("abc", StandardCharsets.US_ASCII)), ch.voidPromise());
        ch.write(LastHttpContent.EMPTY_LAST_CONTENT, ch.voidPromise());
        ch.flush();
        assertThat(String.join("", written(ch))).isEqualTo("POST /p HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }
}
