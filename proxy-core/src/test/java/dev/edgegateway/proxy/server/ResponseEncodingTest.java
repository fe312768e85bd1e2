package dev.edgegateway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.proxy.http1.FlatHeaders;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The listener's response bytes, a final response framed by length written past Netty's encoder
 * ({@code UnchunkedWrites}), are byte for byte what Netty's {@link HttpServerCodec} writes for the
 * same request and response, for every status and method, whichever way it goes out.
 */
class ResponseEncodingTest {

    /** The response's parts: a head with FlatHeaders (as the origin's decoder makes them), a body in two parts and an end. */
    private static List<HttpObject> response(int code, String reason, String framing, HttpVersion version) {
        FlatHeaders h = new FlatHeaders();
        h.add("Server", "origin/1");
        h.add(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=\u00e9"); // Latin-1 in a value, written as its one byte
        h.add("X-Empty", "");
        switch (framing) {
            case "length" -> h.add(HttpHeaderNames.CONTENT_LENGTH, "6");
            case "chunked" -> h.add(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            default -> { } // "close": the body ends with the connection
        }
        HttpResponseStatus status = reason == null ? HttpResponseStatus.valueOf(code) : new HttpResponseStatus(code, reason);
        List<HttpObject> parts = new ArrayList<>();
        parts.add(new DefaultHttpResponse(version, status, h));
        parts.add(new DefaultHttpContent(Unpooled.copiedBuffer("abc", StandardCharsets.US_ASCII)));
        parts.add(new DefaultLastHttpContent(Unpooled.copiedBuffer("def", StandardCharsets.US_ASCII)));
        return parts;
    }

    /** Decodes {@code request} on the channel (so its codec knows the method), then writes the parts; returns the bytes. */
    private static String exchange(EmbeddedChannel ch, String request, List<HttpObject> parts) {
        ch.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));
        Object in;
        while ((in = ch.readInbound()) != null) {
            ReferenceCountUtil.release(in);
        }
        for (HttpObject p : parts) {
            ch.write(p, ch.voidPromise());
        }
        ch.flush();
        return String.join("", buffers(ch));
    }

    @ParameterizedTest
    @CsvSource(nullValues = "null", value = {
        "200, null", "201, null", "204, null", "205, null", "206, null", "301, null", "304, null", "404, null", "503, null",
        "200, Fine \u00e9", "299, null", "600, Odd"})
    void aFinalResponseIsWhatNettysEncoderWrites(int code, String reason) {
        for (String method : new String[] {"GET", "HEAD", "POST"}) {
            for (String framing : new String[] {"length", "chunked", "close"}) {
                for (HttpVersion version : new HttpVersion[] {HttpVersion.HTTP_1_1, HttpVersion.HTTP_1_0}) {
                    String request = method + " /r HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n";
                    EmbeddedChannel netty = new EmbeddedChannel(new HttpServerCodec());
                    EmbeddedChannel gateway = new EmbeddedChannel(new ServerCodec(8192, 8192, 8192));
                    String expected = exchange(netty, request, response(code, reason, framing, version));
                    String as = method + " " + code + " " + framing + " " + version;
                    assertThat(exchange(gateway, request, response(code, reason, framing, version))).as(as).isEqualTo(expected);
                    // and again on the same connection: nothing of the first response's writing is left over
                    assertThat(exchange(gateway, request, response(code, reason, framing, version))).as(as).isEqualTo(expected);
                    assertThat(netty.finishAndReleaseAll()).isFalse();
                    assertThat(gateway.finishAndReleaseAll()).isFalse();
                }
            }
        }
    }

    @Test
    void interimAndLocalResponsesStillGoThroughTheEncoder() {
        String request = "POST /r HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n";
        List<HttpObject> parts = new ArrayList<>();
        parts.add(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER, new FlatHeaders(), new FlatHeaders()));
        parts.addAll(response(200, null, "length", HttpVersion.HTTP_1_1));
        DefaultFullHttpResponse local = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.TOO_MANY_REQUESTS,
                Unpooled.copiedBuffer("slow down", StandardCharsets.US_ASCII));
        local.headers().set(HttpHeaderNames.CONTENT_LENGTH, 9);
        parts.add(local);
        EmbeddedChannel netty = new EmbeddedChannel(new HttpServerCodec());
        EmbeddedChannel gateway = new EmbeddedChannel(new ServerCodec(8192, 8192, 8192));
        String twoRequests = request + "GET /s HTTP/1.1\r\nHost: a\r\n\r\n";
        String expected = exchange(netty, twoRequests, copy(parts));
        assertThat(expected).startsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n").endsWith("slow down");
        assertThat(exchange(gateway, twoRequests, parts)).isEqualTo(expected);
        netty.finishAndReleaseAll();
        gateway.finishAndReleaseAll();
    }

    @Test
    void aBodyPartWithAPromiseCompletesIt() {
        EmbeddedChannel ch = new EmbeddedChannel(new ServerCodec(8192, 8192, 8192));
        ch.writeInbound(Unpooled.copiedBuffer("GET /r HTTP/1.1\r\nHost: a\r\n\r\n", StandardCharsets.US_ASCII));
        ReferenceCountUtil.release(ch.readInbound());
        ReferenceCountUtil.release(ch.readInbound());
        FlatHeaders h = new FlatHeaders();
        h.add(HttpHeaderNames.CONTENT_LENGTH, "0");
        ChannelFuture head = ch.write(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, h));
        ChannelFuture end = ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(head.isSuccess()).isTrue();
        assertThat(end.isSuccess()).isTrue();
        ByteBuf out = ch.readOutbound();
        assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
        out.release();
        ch.finishAndReleaseAll();
    }

    /** A channel whose codec has seen a GET, so its next response has a body. */
    private static EmbeddedChannel afterGet() {
        EmbeddedChannel ch = new EmbeddedChannel(new ServerCodec(8192, 8192, 8192));
        ch.writeInbound(Unpooled.copiedBuffer("GET /r HTTP/1.1\r\nHost: a\r\n\r\n", StandardCharsets.US_ASCII));
        Object in;
        while ((in = ch.readInbound()) != null) {
            ReferenceCountUtil.release(in);
        }
        return ch;
    }

    private static HttpResponse head(int length) {
        FlatHeaders h = new FlatHeaders();
        h.add(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(length));
        return new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, h);
    }

    /** The buffers written, one string each. */
    private static List<String> buffers(EmbeddedChannel ch) {
        List<String> out = new ArrayList<>();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            out.add(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return out;
    }

    @Test
    void aSmallWholeBodyLeavesWithItsHeadInOneBuffer() {
        EmbeddedChannel ch = afterGet();
        String body = "x".repeat(1024);
        ch.write(head(1024), ch.voidPromise());
        ch.write(new DefaultLastHttpContent(Unpooled.copiedBuffer(body, StandardCharsets.US_ASCII)), ch.voidPromise());
        ch.flush();
        assertThat(buffers(ch)).containsExactly("HTTP/1.1 200 OK\r\ncontent-length: 1024\r\n\r\n" + body);
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aLargeOrPartialBodyLeavesApartFromItsHead() {
        EmbeddedChannel ch = afterGet();
        String large = "y".repeat(8192);
        ch.write(head(8192), ch.voidPromise());
        ch.write(new DefaultLastHttpContent(Unpooled.copiedBuffer(large, StandardCharsets.US_ASCII)), ch.voidPromise());
        ch.write(head(6), ch.voidPromise());
        ch.write(new DefaultHttpContent(Unpooled.copiedBuffer("abc", StandardCharsets.US_ASCII)), ch.voidPromise());
        ch.write(new DefaultLastHttpContent(Unpooled.copiedBuffer("def", StandardCharsets.US_ASCII)), ch.voidPromise());
        ch.flush();
        String head = "HTTP/1.1 200 OK\r\ncontent-length: ";
        assertThat(buffers(ch)).containsExactly(head + "8192\r\n\r\n", large, head + "6\r\n\r\n", "abc", "def");
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aFlushWritesAHeldHeadAtOnce() {
        // A streamed response: the head must reach the client before the body exists.
        EmbeddedChannel ch = afterGet();
        ch.write(head(3), ch.voidPromise());
        ch.flush();
        assertThat(buffers(ch)).containsExactly("HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\n");
        ch.writeAndFlush(new DefaultLastHttpContent(Unpooled.copiedBuffer("abc", StandardCharsets.US_ASCII)), ch.voidPromise());
        assertThat(buffers(ch)).containsExactly("abc");
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aHeldHeadIsReleasedWhenTheConnectionCloses() {
        EmbeddedChannel ch = afterGet();
        List<ByteBuf> allocated = new ArrayList<>();
        ch.config().setAllocator(new AbstractByteBufAllocator(false) {
            @Override
            protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
                ByteBuf b = Unpooled.buffer(initialCapacity, maxCapacity);
                allocated.add(b);
                return b;
            }

            @Override
            protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
                return newHeapBuffer(initialCapacity, maxCapacity);
            }

            @Override
            public boolean isDirectBufferPooled() {
                return false;
            }
        });
        ch.write(head(3), ch.voidPromise());
        assertThat(allocated).hasSize(1).allSatisfy(b -> assertThat(b.refCnt()).isEqualTo(1));
        ch.close();
        assertThat(ch.finishAndReleaseAll()).isFalse();
        assertThat(allocated).allSatisfy(b -> assertThat(b.refCnt()).isZero());
    }

    private static List<HttpObject> copy(List<HttpObject> parts) {
        List<HttpObject> out = new ArrayList<>();
        for (HttpObject p : parts) {
            out.add(p instanceof io.netty.buffer.ByteBufHolder b ? (HttpObject) b.retainedDuplicate() : p);
        }
        return out;
    }
}
