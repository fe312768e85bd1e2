package dev.edgegateway.proxy.server;

import dev.edgegateway.proxy.http1.FlatHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Hop-by-hop removal from nginx's response head (nine fields, one of them Connection: keep-alive),
 * as the gateway does it (Connection's options, then one walk over the fields) against the code of
 * 2026-11-30 ({@code before}: Connection's value as a String split into Strings, a removal per
 * name). Both on a fresh copy of the head.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HopByHopBenchmark {
    private static final AsciiString[] PER_NAME = {HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE,
        AsciiString.cached("proxy-connection"), HttpHeaderNames.TE, HttpHeaderNames.TRAILER, HttpHeaderNames.TRANSFER_ENCODING,
        HttpHeaderNames.UPGRADE, HttpHeaderNames.PROXY_AUTHORIZATION, HttpHeaderNames.PROXY_AUTHENTICATE};

    @Param({"gateway", "before"})
    public String way;

    private FlatHeaders head;

    @Setup
    public void setUp() {
        head = new FlatHeaders();
        String[] fields = {"Server", "nginx/1.22.1", "Date", "Tue, 01 Dec 2026 07:00:00 GMT", "Content-Type", "application/octet-stream",
            "Content-Length", "1024", "Last-Modified", "Mon, 30 Nov 2026 10:00:00 GMT", "Connection", "keep-alive",
            "ETag", "\"6741f2a0-400\"", "Accept-Ranges", "bytes", "Vary", "Accept-Encoding"};
        for (int i = 0; i < fields.length; i += 2) {
            head.add(new AsciiString(fields[i]), new AsciiString(fields[i + 1]));
        }
    }

    @Benchmark
    public int strip() {
        HttpHeaders h = head.copy();
        if (way.equals("gateway")) {
            HttpRules.stripHopByHop(h);
        } else {
            before(h);
        }
        return h.size();
    }

    /** {@code HttpRules.stripHopByHop} as it was at f71c932. */
    private static void before(HttpHeaders h) {
        String connection = h.get(HttpHeaderNames.CONNECTION);
        if (connection != null) {
            int start = 0;
            for (int i = 0; i <= connection.length(); i++) {
                if (i == connection.length() || connection.charAt(i) == ',') {
                    String token = connection.substring(start, i).trim();
                    if (!token.isEmpty() && !token.equalsIgnoreCase("close") && !token.equalsIgnoreCase("keep-alive")) {
                        h.remove(token);
                    }
                    start = i + 1;
                }
            }
        }
        for (AsciiString name : PER_NAME) {
            h.remove(name);
        }
    }
}
