package dev.edgegateway.proxy.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Header handling on the request path, per request: the HTTP/1.1 decode of a browser-like
 * request (13 headers, about 700 bytes) by the listener's codec, the guard's work on it (host
 * key, hop-by-hop removal, forwarding headers, request id), and the encode towards the origin.
 * The three are measured apart and together, on Netty's pooled allocator, as on the event loop.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class HeaderBenchmark {
    private static final byte[] REQUEST = ("""
            GET /api/v1/orders/12345?expand=items&currency=EUR HTTP/1.1\r
            Host: shop.example.com\r
            User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\r
            Accept: application/json, text/plain, */*\r
            Accept-Language: en-GB,en;q=0.9,de;q=0.8\r
            Accept-Encoding: gzip, deflate, br\r
            Referer: https://shop.example.com/basket\r
            Cookie: session=6f1c2a9e8b7d4c3f; uid=82f1c0; consent=analytics%3Dfalse\r
            Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.abcdefghijklmnop\r
            X-Forwarded-For: 203.0.113.7\r
            Connection: keep-alive\r
            Sec-Fetch-Mode: cors\r
            Sec-Fetch-Site: same-origin\r
            Priority: u=1, i\r
            \r
            """).getBytes(StandardCharsets.US_ASCII);
    private static final io.netty.util.AsciiString CLIENT = io.netty.util.AsciiString.cached("198.51.100.23");

    private String usualPath = "/api/v1/orders/12345?expand=items&currency=EUR"; // a field, not a constant the JIT could fold
    private EmbeddedChannel decoder;
    private EmbeddedChannel encoder;
    private ByteBuf wire;

    @Setup
    public void setUp() {
        decoder = new EmbeddedChannel(new ServerCodec(8192, 16384, 65536));
        decoder.config().setAllocator(PooledByteBufAllocator.DEFAULT);
        encoder = new EmbeddedChannel(new HttpRequestEncoder());
        encoder.config().setAllocator(PooledByteBufAllocator.DEFAULT);
        wire = PooledByteBufAllocator.DEFAULT.directBuffer(REQUEST.length).writeBytes(REQUEST);
    }

    @TearDown
    public void tearDown() {
        wire.release();
        decoder.finishAndReleaseAll();
        encoder.finishAndReleaseAll();
    }

    private HttpRequest decode() {
        decoder.writeInbound(wire.retainedDuplicate());
        HttpRequest r = decoder.readInbound();
        Object end = decoder.readInbound(); // the empty last content of a body-less request
        ReferenceCountUtil.release(end);
        return r;
    }

    /** The request path's normal form (RequestPaths), for a usual path: one scan, the same string back. */
    @Benchmark
    public String normalizePath() {
        return RequestPaths.normalize(usualPath);
    }

    private static String guard(HttpRequest r) {
        if (RequestPaths.normalize(r.uri()) == null) {
            throw new IllegalStateException();
        }
        HttpHeaders h = r.headers();
        String host = HttpRules.hostKey(h.get(HttpHeaderNames.HOST));
        String incomingHost = h.get(HttpHeaderNames.HOST);
        HttpRules.stripHopByHop(h);
        h.set(HttpRules.X_FORWARDED_FOR, CLIENT); // an untrusted peer: its own X-Forwarded-For is replaced
        h.set(HttpRules.X_FORWARDED_PROTO, ConnectionInfo.HTTPS);
        h.set(HttpRules.X_FORWARDED_HOST, incomingHost);
        h.set(HttpRules.X_REQUEST_ID, HttpRules.newRequestId());
        return host;
    }

    private int encode(HttpRequest r) {
        encoder.writeOutbound(r, io.netty.handler.codec.http.LastHttpContent.EMPTY_LAST_CONTENT);
        int bytes = 0;
        Object o;
        while ((o = encoder.readOutbound()) != null) {
            if (o instanceof ByteBuf b) {
                bytes += b.readableBytes();
            } else if (o instanceof HttpContent c) {
                bytes += c.content().readableBytes();
            }
            ReferenceCountUtil.release(o);
        }
        return bytes;
    }

    @Benchmark
    public HttpRequest decodeOnly() {
        return decode();
    }

    @Benchmark
    public String decodeAndGuard() {
        return guard(decode());
    }

    @Benchmark
    public int decodeGuardAndEncode() {
        HttpRequest r = decode();
        guard(r);
        return encode(r);
    }
}
