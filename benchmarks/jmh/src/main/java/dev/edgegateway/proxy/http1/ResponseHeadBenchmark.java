package dev.edgegateway.proxy.http1;

import dev.edgegateway.proxy.server.ServerCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * An origin's response on its way through the gateway, per response: nginx's head for a 1 KiB
 * file (the load harness's origin) and its body decoded on the origin connection, the head's
 * hop-by-hop fields replaced, and the head encoded towards the client. {@code codec}:
 * {@code netty} is Netty's client codec and header map (the gateway before issue 24's third
 * step), {@code flat} the same decoder filling {@link FlatHeaders}, {@code gateway} the
 * gateway's own {@link ResponseDecoder}. On Netty's pooled allocator, as on the event loop.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Dio.netty.leakDetection.level=disabled") // as the gateway runs
@State(Scope.Benchmark)
public class ResponseHeadBenchmark {
    private static final byte[] RESPONSE;

    static {
        String head = """
                HTTP/1.1 200 OK\r
                Server: nginx/1.22.1\r
                Date: Tue, 01 Dec 2026 03:00:00 GMT\r
                Content-Type: application/octet-stream\r
                Content-Length: 1024\r
                Last-Modified: Mon, 30 Nov 2026 17:09:12 GMT\r
                Connection: keep-alive\r
                ETag: "6929a5e8-400"\r
                Accept-Ranges: bytes\r
                \r
                """;
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        RESPONSE = new byte[h.length + 1024];
        System.arraycopy(h, 0, RESPONSE, 0, h.length);
        java.util.Arrays.fill(RESPONSE, h.length, RESPONSE.length, (byte) 'x');
    }

    @Param({"netty", "flat", "gateway"})
    public String codec;

    private EmbeddedChannel origin;
    private EmbeddedChannel client;
    private ByteBuf wire;

    @Setup
    public void setUp() {
        ChannelHandler decoder = switch (codec) {
            case "netty" -> new HttpClientCodec(8192, 16384, 65536);
            case "flat" -> new HttpClientCodec(new HttpDecoderConfig().setMaxHeaderSize(16384).setHeadersFactory(FlatHeaders.FACTORY),
                    false, false);
            default -> new ClientCodec(8192, 16384, 65536);
        };
        origin = new EmbeddedChannel(decoder);
        origin.config().setAllocator(PooledByteBufAllocator.DEFAULT);
        // The listener's codec writes FlatHeaders in one copy; Netty's encoder walks a header map.
        client = new EmbeddedChannel(codec.equals("netty") ? new HttpResponseEncoder() : new ServerCodec(8192, 16384, 65536));
        client.config().setAllocator(PooledByteBufAllocator.DEFAULT);
        wire = PooledByteBufAllocator.DEFAULT.directBuffer(RESPONSE.length).writeBytes(RESPONSE);
    }

    @TearDown
    public void tearDown() {
        wire.release();
        origin.finishAndReleaseAll();
        client.finishAndReleaseAll();
    }

    @Benchmark
    public HttpResponse decode() {
        origin.writeInbound(wire.retainedDuplicate());
        HttpResponse r = origin.readInbound();
        Object body;
        while ((body = origin.readInbound()) != null) {
            ReferenceCountUtil.release(body);
        }
        return r;
    }

    @Benchmark
    public int decodeRewriteEncode() {
        origin.writeInbound(wire.retainedDuplicate());
        int bytes = 0;
        HttpObject m;
        while ((m = origin.readInbound()) != null) {
            if (m instanceof HttpResponse r) {
                HttpHeaders h = r.headers();
                h.remove(HttpHeaderNames.CONNECTION);
                h.remove(HttpHeaderNames.KEEP_ALIVE);
                h.remove(HttpHeaderNames.TRANSFER_ENCODING);
                h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            }
            client.write(m); // as the gateway does: the parts of a read are written, then flushed once
        }
        client.flush();
        Object o;
        while ((o = client.readOutbound()) != null) {
            bytes += ((ByteBuf) o).readableBytes();
            ReferenceCountUtil.release(o);
        }
        return bytes;
    }
}
