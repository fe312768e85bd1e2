package dev.edgegateway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.proxy.metrics.GatewayMetrics.Rejection;
import dev.edgegateway.proxy.observe.Tracing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The request path's stages on plain objects: guard, response head, retry buffer, trace id. */
class StagesTest {

    private static Exchange exchange() {
        return new Exchange(null, 0, false);
    }

    private static HttpRequest request(HttpMethod method, String uri, String... headers) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri);
        for (int i = 0; i < headers.length; i += 2) {
            r.headers().add(headers[i], headers[i + 1]);
        }
        return r;
    }

    @Test
    void theGuardReadsTheHeadAndPassesAnOrdinaryRequest() {
        Exchange x = exchange();
        assertThat(Guard.check(x, request(HttpMethod.POST, "/up?q=1", "host", "Shop.Test:8080", "content-length", "5",
                "expect", "100-Continue"), 0)).isNull();
        assertThat(x.host).isEqualTo("shop.test");
        assertThat(x.path).isEqualTo("/up?q=1");
        assertThat(x.method).isEqualTo("POST");
        assertThat(x.hasBody).isTrue();
        assertThat(x.expectContinue).isTrue();
        assertThat(x.clientKeepAlive).isTrue();
    }

    @Test
    void theGuardRoutesAnAbsoluteTargetByItsOwnAuthority() {
        Exchange x = exchange();
        HttpRequest r = request(HttpMethod.GET, "http://api.test:81?x=1", "host", "other.test");
        assertThat(Guard.check(x, r, 0)).isNull();
        assertThat(x.host).isEqualTo("api.test");
        assertThat(r.uri()).isEqualTo("/?x=1");
        assertThat(r.headers().get("host")).isEqualTo("api.test:81");
    }

    @Test
    void theGuardRefusesWhatMustNotReachAnOrigin() {
        assertThat(Guard.check(exchange(), request(HttpMethod.GET, "/", "host", "a", "host", "b"), 0))
                .extracting(Refusal::status, Refusal::label).containsExactly(400, "bad_request");
        assertThat(Guard.check(exchange(), request(HttpMethod.GET, "/"), 0)).extracting(Refusal::status).isEqualTo(400);
        assertThat(Guard.check(exchange(), request(HttpMethod.POST, "/", "host", "a", "transfer-encoding", "gzip, chunked"), 0))
                .extracting(Refusal::status, Refusal::close).containsExactly(400, true);
        assertThat(Guard.check(exchange(), request(HttpMethod.POST, "/", "host", "a", "content-length", "11"), 10))
                .extracting(Refusal::status, Refusal::reason).containsExactly(413, Rejection.BODY_TOO_LARGE);
        assertThat(Guard.check(exchange(), request(HttpMethod.CONNECT, "a:443", "host", "a:443"), 0))
                .extracting(Refusal::status).isEqualTo(405);
        assertThat(Guard.check(exchange(), request(HttpMethod.OPTIONS, "*", "host", "a"), 0))
                .extracting(Refusal::status, Refusal::label).containsExactly(404, "no_route");
    }

    @Test
    void aRequestWhoseHeadersOverflowedKeepsItsLineForTheLog() {
        Exchange x = exchange();
        HttpRequest r = request(HttpMethod.GET, "/big", "host", "known.test");
        r.setDecoderResult(DecoderResult.failure(new TooLongHttpHeaderException("too long")));
        assertThat(Guard.check(x, r, 0)).extracting(Refusal::status, Refusal::label).containsExactly(431, "headers_too_large");
        assertThat(x.method).isEqualTo("GET");
        assertThat(x.path).isEqualTo("/big");
        assertThat(x.host).isEqualTo("known.test");
    }

    @Test
    void theResponseHeadIsReframedAndSaysTheConnectionsFate() {
        Exchange x = exchange();
        Guard.check(x, request(HttpMethod.GET, "/", "host", "a"), 0);
        x.complete = true;
        x.rateLimitPolicy = "\"p\";q=5;w=1";
        x.rateLimitHeader = "\"p\";r=4;t=1";
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_0, HttpResponseStatus.OK);
        r.headers().set("connection", "keep-alive, x-hop").set("x-hop", "1").set("keep-alive", "timeout=5");
        ResponseHead.rewrite(x, r, false);
        assertThat(r.protocolVersion()).isEqualTo(HttpVersion.HTTP_1_1);
        assertThat(r.headers().get("transfer-encoding")).as("ends by close at the origin: chunked here").isEqualTo("chunked");
        assertThat(r.headers().contains("x-hop")).isFalse();
        assertThat(r.headers().contains("keep-alive")).isFalse();
        assertThat(r.headers().contains("connection")).isFalse();
        assertThat(x.upstreamReusable).isFalse();
        assertThat(r.headers().get("ratelimit")).isEqualTo("\"p\";r=4;t=1");

        Exchange unread = exchange();
        Guard.check(unread, request(HttpMethod.POST, "/", "host", "a", "content-length", "9"), 0);
        HttpResponse early = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        early.headers().set("content-length", "0");
        ResponseHead.rewrite(unread, early, false);
        assertThat(early.headers().get("connection")).as("the body the client is still sending stands before its next request")
                .isEqualTo("close");
    }

    @Test
    void theRetryBufferSharesTheBodysBuffersAndGivesThemBackOnce() {
        EmbeddedChannel origin = new EmbeddedChannel();
        RequestBodyBuffer buffer = new RequestBodyBuffer(10);
        HttpContent a = new DefaultHttpContent(Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII));
        HttpContent b = new DefaultLastHttpContent(Unpooled.copiedBuffer("world", StandardCharsets.US_ASCII));
        buffer.add(a);
        buffer.add(b);
        assertThat(buffer.intact()).isTrue();
        assertThat(a.refCnt()).as("one for the stream, one for the copy").isEqualTo(2);
        buffer.replayTo(origin);
        origin.flushOutbound();
        StringBuilder replayed = new StringBuilder();
        for (Object o; (o = origin.readOutbound()) != null; ) {
            ByteBuf c = ((HttpContent) o).content();
            replayed.append(c.toString(StandardCharsets.US_ASCII));
            ((HttpContent) o).release();
        }
        assertThat(replayed).hasToString("helloworld");
        a.release();
        b.release();
        buffer.release();
        buffer.release(); // twice is safe
        assertThat(a.refCnt()).isZero();
        assertThat(b.refCnt()).isZero();
        assertThat(buffer.intact()).isFalse();
    }

    @Test
    void aBodyLongerThanTheBufferDropsTheCopyAndIsNotReplayable() {
        RequestBodyBuffer buffer = new RequestBodyBuffer(4);
        HttpContent a = new DefaultHttpContent(Unpooled.copiedBuffer("hel", StandardCharsets.US_ASCII));
        HttpContent b = new DefaultHttpContent(Unpooled.copiedBuffer("lo", StandardCharsets.US_ASCII));
        buffer.add(a);
        buffer.add(b);
        assertThat(buffer.intact()).isFalse();
        assertThat(a.refCnt()).as("the copy was given back").isEqualTo(1);
        assertThat(b.refCnt()).isEqualTo(1);
        a.release();
        b.release();
    }

    @Test
    void theIncomingTraceIdIsReadFromAValidTraceparentOnly() {
        assertThat(Tracing.incomingTraceId("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")).isEqualTo("0af7651916cd43dd8448eb211c80319c");
        assertThat(Tracing.incomingTraceId("00-00000000000000000000000000000000-b7ad6b7169203331-01")).isNull();
        assertThat(Tracing.incomingTraceId("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01")).isNull();
        assertThat(Tracing.incomingTraceId("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01")).isNull();
        assertThat(Tracing.incomingTraceId("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")).isNull();
        assertThat(Tracing.incomingTraceId("garbage")).isNull();
        assertThat(Tracing.incomingTraceId(null)).isNull();
    }
}
