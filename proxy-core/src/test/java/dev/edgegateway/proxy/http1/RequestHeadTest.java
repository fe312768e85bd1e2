package dev.edgegateway.proxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The origin side's request head, line and fields written in one copy ({@code HeadWriter.writeRequest}),
 * byte for byte what Netty's encoder writes; targets it leaves to Netty's encoder come out as Netty writes them.
 */
class RequestHeadTest {
    private static HttpRequest request(HttpMethod method, HttpVersion version, String uri) {
        HttpRequest r = new DefaultHttpRequest(version, method, uri, new FlatHeaders());
        r.headers().add(HttpHeaderNames.HOST, "origin.test");
        r.headers().add(AsciiString.cached("X-Forwarded-For"), AsciiString.cached("198.51.100.23"));
        r.headers().add("Cookie", "a=1; b=\u00e9"); // Latin-1 in a value, written as its one byte
        r.headers().add("X-Empty", "");
        return r;
    }

    private static String encode(EmbeddedChannel ch, HttpRequest r) {
        ch.writeOutbound(r, LastHttpContent.EMPTY_LAST_CONTENT);
        return written(ch);
    }

    /** The request with no body as one message ({@link Parts#whole}), as the gateway writes one. */
    private static String encodeWhole(EmbeddedChannel ch, HttpRequest r) {
        ch.writeOutbound(Parts.whole(r));
        return written(ch);
    }

    private static String written(EmbeddedChannel ch) {
        ByteBuf all = Unpooled.buffer();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            all.writeBytes(b);
            b.release();
        }
        String s = all.toString(StandardCharsets.ISO_8859_1);
        all.release();
        return s;
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/1k.bin", "/api/v1/orders/12345?expand=items&currency=EUR", "/caf\u00e9", "/a%20b?q=%E2%82%AC",
            "http://origin.test", "http://origin.test/x?y", "*", ""})
    void theHeadIsWhatNettysEncoderWrites(String uri) {
        for (HttpMethod method : new HttpMethod[] {HttpMethod.GET, HttpMethod.POST, HttpMethod.OPTIONS, HttpMethod.valueOf("PURGE")}) {
            for (HttpVersion version : new HttpVersion[] {HttpVersion.HTTP_1_1, HttpVersion.HTTP_1_0}) {
                EmbeddedChannel netty = new EmbeddedChannel(new HttpRequestEncoder());
                EmbeddedChannel gateway = new EmbeddedChannel(new ClientCodec(8192, 8192, 8192));
                String expected = encode(netty, request(method, version, uri));
                assertThat(encode(gateway, request(method, version, uri))).isEqualTo(expected);
                // and again on the same connection: nothing of the first request's encoding is left over
                assertThat(encode(gateway, request(method, version, uri))).isEqualTo(expected);
                // as one message (a request with no body): the same bytes, between heads written apart
                assertThat(encodeWhole(gateway, request(method, version, uri))).isEqualTo(expected);
                assertThat(encode(gateway, request(method, version, uri))).isEqualTo(expected);
                netty.finishAndReleaseAll();
                gateway.finishAndReleaseAll();
            }
        }
    }

    /**
     * A whole request tells the connection's decoder its method as a head does: the response to a
     * HEAD has no body, so the bytes behind its head are the next response.
     */
    @Test
    void aWholeHeadRequestsResponseHasNoBody() {
        EmbeddedChannel gateway = new EmbeddedChannel(new ClientCodec(8192, 8192, 8192));
        gateway.writeOutbound(Parts.whole(request(HttpMethod.HEAD, HttpVersion.HTTP_1_1, "/a")));
        gateway.writeOutbound(Parts.whole(request(HttpMethod.GET, HttpVersion.HTTP_1_1, "/b")));
        written(gateway);
        gateway.writeInbound(Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
                + "HTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\nhello", StandardCharsets.ISO_8859_1));
        HttpResponse first = gateway.readInbound();
        assertThat(first.status().code()).isEqualTo(200);
        assertThat((Object) gateway.readInbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        HttpResponse second = gateway.readInbound();
        assertThat(second.status().code()).isEqualTo(201);
        LastHttpContent body = gateway.readInbound();
        assertThat(body.content().toString(StandardCharsets.ISO_8859_1)).isEqualTo("hello");
        body.release();
        assertThat(gateway.finishAndReleaseAll()).isFalse();
    }
}
