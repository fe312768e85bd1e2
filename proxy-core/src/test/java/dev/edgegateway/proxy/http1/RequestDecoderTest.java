package dev.edgegateway.proxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link RequestDecoder} against Netty's {@link HttpRequestDecoder} as the oracle (configured as
 * the gateway configured it before: no duplicate {@code Content-Length}, and both
 * {@code Content-Length} and {@code Transfer-Encoding} refused), on generated requests: well-formed
 * ones of every framing, pipelined, and ones with one defect each (the kinds request smuggling is
 * made of), arriving in random pieces. Wherever Netty's decoder refuses, ours must too; where
 * both accept, the messages must be the same (method, target, version, fields, body bytes,
 * trailers). Ours may refuse more only for the defects named in {@link #STRICTER}.
 */
class RequestDecoderTest {
    private static final int MAX_LINE = 256;
    private static final int MAX_HEADER = 600;
    /** Defects Netty tolerates and this decoder refuses, on purpose (see RequestDecoder's class comment). */
    private static final Set<String> STRICTER = Set.of("line-two-spaces", "line-tab", "target-control", "version-lower-case",
            "cl-repeated-http10");

    @Test
    void generatedRequestsDecodeAsNettyDecodesThem() {
        Random random = new Random(20261202);
        DecoderTranscript.Oracle oracle = new DecoderTranscript.Oracle("RequestDecoderTest", STRICTER);
        for (int round = 0; round < 6000; round++) {
            Case c = generate(random);
            DecoderTranscript ours = DecoderTranscript.run(new RequestDecoder(MAX_LINE, MAX_HEADER, 64, m -> { }), c.text, c.close,
                    new Random(round), ch -> { });
            DecoderTranscript netty = DecoderTranscript.run(new NettyStrict(), c.text, c.close, new Random(round), ch -> { });
            oracle.check(ours, netty, c.defect, round, c.text);
        }
        oracle.finish(3000, 500);
    }

    /** The gateway's decoder before this one: Netty's, strict, refusing both framings at once. */
    private static final class NettyStrict extends HttpRequestDecoder {
        NettyStrict() {
            super(new HttpDecoderConfig().setMaxInitialLineLength(MAX_LINE).setMaxHeaderSize(MAX_HEADER).setMaxChunkSize(64)
                    .setAllowDuplicateContentLengths(false));
        }

        @Override
        protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
            throw new IllegalArgumentException("both Content-Length and Transfer-Encoding");
        }
    }

    @Test
    void aFailedHeadKeepsWhatWasReadOfItAndTellsItsMethod() {
        List<HttpMethod> told = new ArrayList<>();
        HttpRequest r = first(told, "POST /a HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        assertThat(r.decoderResult().cause()).isInstanceOf(AmbiguousFramingException.class);
        assertThat(r.method()).isEqualTo(HttpMethod.POST);
        assertThat(r.uri()).isEqualTo("/a");
        assertThat(r.headers().get("host")).isEqualTo("shop.test");

        r = first(told, "GET /b HTTP/1.1\r\nHost: shop.test\r\nX-Big: " + "b".repeat(MAX_HEADER) + "\r\n\r\n");
        assertThat(r.decoderResult().cause()).isInstanceOf(TooLongHttpHeaderException.class);
        assertThat(r.uri()).isEqualTo("/b");
        assertThat(r.headers().get("host")).isEqualTo("shop.test");

        r = first(told, "GET /" + "c".repeat(MAX_LINE) + " HTTP/1.1\r\nHost: shop.test\r\n\r\n");
        assertThat(r.decoderResult().cause()).isInstanceOf(TooLongHttpLineException.class);
        assertThat(r.uri()).isEqualTo("/bad-request");

        r = first(told, "HELLO\r\n\r\n");
        assertThat(r.decoderResult().isFailure()).isTrue();
        assertThat(r.uri()).isEqualTo("/bad-request");
        assertThat(told).containsExactly(HttpMethod.POST, HttpMethod.GET, HttpMethod.GET, HttpMethod.GET);
    }

    @Test
    void aRepeatedTargetAndHostAreTheConnectionsLastStrings() {
        EmbeddedChannel ch = new EmbeddedChannel(new RequestDecoder(4096, MAX_HEADER, 64, m -> { })); // room for a long target
        ch.writeInbound(Unpooled.copiedBuffer("GET /a HTTP/1.1\r\nHost: shop.test\r\n\r\nGET /a HTTP/1.1\r\nHost: shop.test\r\n\r\n"
                + "GET /ab HTTP/1.1\r\nHost: Shop.test\r\n\r\nGET /ab HTTP/1.1\r\nX-A: 1\r\nHost: Shop.test\r\n\r\n"
                + "GET /a HTTP/1.1\r\nHost: shop.tesT\r\n\r\n", StandardCharsets.US_ASCII));
        List<HttpRequest> read = new ArrayList<>();
        for (Object o; (o = ch.readInbound()) != null; ) {
            if (o instanceof HttpRequest r) {
                read.add(r);
            }
            ReferenceCountUtil.release(o);
        }
        assertThat(read).extracting(HttpRequest::uri).containsExactly("/a", "/a", "/ab", "/ab", "/a");
        assertThat(read).extracting(r -> r.headers().get("host")).containsExactly("shop.test", "shop.test", "Shop.test", "Shop.test", "shop.tesT");
        assertThat(read.get(1).uri()).isSameAs(read.get(0).uri());
        assertThat(read.get(1).headers().get("host")).isSameAs(read.get(0).headers().get("host"));
        assertThat(read.get(3).uri()).isSameAs(read.get(2).uri());
        assertThat(read.get(3).headers().get("host")).isSameAs(read.get(2).headers().get("host"));
        ByteBuf head = Unpooled.buffer();
        ((FlatHeaders) read.get(3).headers()).encode(head); // a kept string is written as the bytes were
        assertThat(head.toString(StandardCharsets.US_ASCII)).isEqualTo("X-A: 1\r\nHost: Shop.test\r\n");
        head.release();

        String longTarget = "/" + "t".repeat(RequestDecoder.KEEP_MAX); // past what a connection keeps between requests
        ch.writeInbound(Unpooled.copiedBuffer(("GET " + longTarget + " HTTP/1.1\r\nHost: a\r\n\r\n").repeat(2), StandardCharsets.US_ASCII));
        List<HttpRequest> longOnes = new ArrayList<>();
        for (Object o; (o = ch.readInbound()) != null; ) {
            if (o instanceof HttpRequest r) {
                longOnes.add(r);
            }
            ReferenceCountUtil.release(o);
        }
        assertThat(longOnes).extracting(HttpRequest::uri).containsExactly(longTarget, longTarget);
        assertThat(longOnes.get(1).uri()).isNotSameAs(longOnes.get(0).uri());
        ch.finishAndReleaseAll();
    }

    @Test
    void aBrokenChunkEndsTheBodyWithAFailedLastPart() {
        EmbeddedChannel ch = new EmbeddedChannel(new RequestDecoder(MAX_LINE, MAX_HEADER, 64, m -> { }));
        ch.writeInbound(Unpooled.copiedBuffer("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\nGET / HTTP/1.1\r\n\r\n",
                StandardCharsets.US_ASCII));
        List<Object> read = new ArrayList<>();
        for (Object o; (o = ch.readInbound()) != null; ) {
            read.add(o);
        }
        assertThat(read).hasSize(3); // the head, "abc", the failed end; nothing after it is read
        assertThat(read.get(2)).isInstanceOf(LastHttpContent.class);
        assertThat(((LastHttpContent) read.get(2)).decoderResult().isFailure()).isTrue();
        read.forEach(ReferenceCountUtil::release);
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void eachRequestIsPassedOnBeforeTheNextIsRead() {
        // The handler after the decoder may take it out between two requests (an upgrade): the
        // bytes after the first request are then left for the handler that replaces it.
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast("decoder", new RequestDecoder(MAX_LINE, MAX_HEADER, 64, m -> { }));
        ch.pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                boolean last = msg instanceof LastHttpContent;
                ctx.fireChannelRead(msg);
                if (last) {
                    ctx.pipeline().remove("decoder");
                }
            }
        });
        ch.writeInbound(Unpooled.copiedBuffer("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n\u0081\u0000frame", StandardCharsets.ISO_8859_1));
        List<Object> read = new ArrayList<>();
        for (Object o; (o = ch.readInbound()) != null; ) {
            read.add(o);
        }
        assertThat(read).hasSize(3);
        assertThat(((io.netty.buffer.ByteBuf) read.get(2)).toString(StandardCharsets.ISO_8859_1)).isEqualTo("\u0081\u0000frame");
        read.forEach(ReferenceCountUtil::release);
        ch.finishAndReleaseAll();
    }

    private static HttpRequest first(List<HttpMethod> told, String text) {
        EmbeddedChannel ch = new EmbeddedChannel(new RequestDecoder(MAX_LINE, MAX_HEADER, 64, told::add));
        ch.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1));
        Object first = ch.readInbound();
        for (Object o; (o = ch.readInbound()) != null; ) {
            ReferenceCountUtil.release(o);
        }
        ch.finishAndReleaseAll();
        ReferenceCountUtil.release(first);
        assertThat(first).isInstanceOf(HttpRequest.class);
        return (HttpRequest) first;
    }

    // ---- generation ------------------------------------------------------------------------------

    private record Case(String text, boolean close, String defect) {}

    private static final String[] FIELDS = {"User-Agent: curl/8.5.0", "Accept: */*", "Accept-Encoding: gzip, br", "X-Empty:",
        "X-Padded:   padded value \t ", "Cookie: a=b; c=d", "cookie: e=f", "X-Forwarded-For: 203.0.113.9", "X-Obs: caf\u00e9",
        "Cache-Control: no-cache", "X-Tab: a\tb", "Connection: keep-alive", "Expect: 100-continue", "Authorization: Bearer abc.def"};
    private static final String[] DEFECTS = {"bare-lf", "cl-and-te", "two-cl-same", "two-cl-differ", "cl-list", "cl-not-number",
        "cl-negative", "cl-and-te-http10", "te-twice", "te-chunked-not-last", "te-gzip", "te-http10", "space-before-colon", "tab-before-colon", "name-bad-char",
        "value-control", "value-nul", "value-vertical-tab", "value-control-long", "value-del-long", "chunk-size-not-hex", "chunk-no-crlf",
        "chunk-size-bare-lf", "chunk-too-big", "chunk-size-trailing-junk", "chunk-ext-control", "head-too-large", "line-too-long",
        "truncated-head", "truncated-body", "fold", "fold-first", "bare-cr", "leading-crlf", "leading-junk", "trailer-prohibited",
        "line-two-spaces", "line-tab", "target-control", "target-latin1", "version-lower-case", "version-2", "version-garbage",
        "no-version", "line-trailing-space", "method-bad-char", "method-lower-case", "absolute-form", "empty-target"};

    private static Case generate(Random r) {
        StringBuilder text = new StringBuilder();
        String defect = "none";
        boolean close = false;
        int requests = 1 + r.nextInt(3);
        int defective = r.nextInt(2) == 0 ? -1 : r.nextInt(requests);
        for (int i = 0; i < requests; i++) {
            String d = i == defective ? DEFECTS[r.nextInt(DEFECTS.length)] : "none";
            if (!d.equals("none")) {
                defect = d;
            }
            int kind = r.nextInt(10); // 0-4 no body, 5-7 length, 8-9 chunked
            if (d.startsWith("te-") || d.startsWith("chunk") || d.equals("trailer-prohibited") || d.startsWith("cl-and-te")) {
                kind = 8;
            }
            String method = kind <= 4 ? new String[] {"GET", "GET", "HEAD", "DELETE", "OPTIONS"}[r.nextInt(5)]
                    : new String[] {"POST", "PUT", "PATCH", "PURGE"}[r.nextInt(4)];
            if (r.nextInt(6) == 0 || d.equals("leading-crlf")) {
                text.append("\r\n");
            }
            String target = new String[] {"/", "/shop/items?id=7&sort=asc", "/a/b%20c", "/x?q=caf%C3%A9"}[r.nextInt(4)];
            String version = d.equals("te-http10") || d.equals("cl-and-te-http10") || r.nextInt(8) == 0 && !d.equals("cl-and-te")
                    ? "HTTP/1.0" : "HTTP/1.1";
            String line = switch (d) {
                case "leading-junk" -> "\u0001" + method + " " + target + " " + version;
                case "line-two-spaces" -> method + "  " + target + " " + version;
                case "line-tab" -> method + "\t" + target + " " + version;
                case "target-control" -> method + " /a\u0001b " + version;
                case "target-latin1" -> method + " /caf\u00e9 " + version;
                case "version-lower-case" -> method + " " + target + " http/1.1";
                case "version-2" -> method + " " + target + " HTTP/2.0";
                case "version-garbage" -> method + " " + target + " HTTP/1.x";
                case "no-version" -> method + " " + target;
                case "line-trailing-space" -> method + " " + target + " " + version + " ";
                case "method-bad-char" -> "GE(T " + target + " " + version;
                case "method-lower-case" -> "get " + target + " " + version;
                case "absolute-form" -> method + " http://shop.test" + target + " " + version;
                case "empty-target" -> method + "  " + version;
                case "line-too-long" -> method + " /" + "l".repeat(MAX_LINE) + " " + version;
                default -> method + " " + target + " " + version;
            };
            text.append(line).append("\r\n");
            List<String> fields = new ArrayList<>();
            fields.add("Host: shop.test");
            int nf = r.nextInt(7);
            for (int k = 0; k < nf; k++) {
                fields.add(FIELDS[r.nextInt(FIELDS.length)]);
            }
            byte[] body = new byte[kind <= 4 ? 0 : r.nextInt(200)];
            for (int k = 0; k < body.length; k++) {
                body[k] = (byte) ('a' + r.nextInt(26));
            }
            boolean chunked = kind >= 8 && !d.equals("te-gzip") && !d.equals("te-chunked-not-last");
            if (kind >= 5 && kind <= 7 || kind <= 4 && r.nextInt(4) == 0) {
                fields.add("Content-Length: " + body.length);
            }
            if (chunked) {
                fields.add(r.nextBoolean() ? "Transfer-Encoding: chunked" : "Transfer-Encoding: gzip, chunked");
            }
            if (!MessageDefects.field(d, body.length, MAX_HEADER, r, fields)) {
                switch (d) {
                    case "cl-and-te", "cl-and-te-http10" -> fields.add("Content-Length: " + body.length);
                    case "te-twice" -> fields.add("Transfer-Encoding: chunked");
                    case "te-chunked-not-last" -> fields.add("Transfer-Encoding: chunked, gzip");
                    case "te-gzip" -> fields.add("Transfer-Encoding: gzip");
                    case "tab-before-colon" -> fields.add("X-Tab\t: v");
                    default -> { }
                }
            }
            if (version.equals("HTTP/1.0") && fields.stream().filter(f -> f.startsWith("Content-Length")).count() > 1) {
                // Netty reads an HTTP/1.0 request's first Content-Length and ignores the others; refused here
                defect = d = "cl-repeated-http10";
            }
            Collections.shuffle(fields, r);
            if (d.equals("fold-first")) {
                fields.add(0, " leading: v");
            }
            for (int k = 0; k < fields.size(); k++) {
                text.append(fields.get(k)).append(d.equals("bare-lf") && k == fields.size() - 1 ? "\n" : "\r\n");
            }
            text.append("\r\n");
            if (d.equals("truncated-head")) {
                text.setLength(text.length() - 3 - r.nextInt(Math.min(10, text.length() - 20)));
                close = true;
                break;
            }
            if (kind >= 8) {
                MessageDefects.chunked(text, body, d, r);
            } else {
                text.append(new String(body, StandardCharsets.ISO_8859_1));
            }
            if (d.equals("truncated-body") && body.length > 1) {
                text.setLength(text.length() - 1);
                close = true;
                break;
            }
        }
        if (r.nextInt(5) == 0) {
            close = true;
        }
        return new Case(text.toString(), close, defect);
    }
}
