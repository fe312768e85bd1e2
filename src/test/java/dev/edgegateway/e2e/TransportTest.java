package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgegateway.config.RuntimeConfig;
import dev.edgegateway.proxy.transport.Transport;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every transport {@code runtime.transport} can name carries the whole request path: keep-alive
 * to the client and the origin, a streamed request body, a large streamed response and a
 * WebSocket tunnel. {@code auto} is epoll, so the other suites run on epoll; this one also covers
 * io_uring and NIO (a transport the kernel cannot run here is skipped, with the reason).
 */
@Timeout(60)
class TransportTest {

    @Test
    void autoIsEpollWhereTheKernelHasItElseNio() {
        assertThat(Transport.select(RuntimeConfig.Transport.AUTO).name()).isEqualTo(Epoll.isAvailable() ? "epoll" : "nio");
        assertThat(Transport.unavailableReasons()).isEqualTo(Epoll.isAvailable() ? "" : "epoll unavailable: " + Epoll.unavailabilityCause());
    }

    /**
     * A client's broken chunked body cuts the origin connection mid-request; the gateway then closes. On
     * io_uring (Netty 4.2.18) its loop's teardown waits for ever for an operation of that connection, so
     * {@link dev.edgegateway.proxy.Gateway#close} bounds its wait for the loops: close returns, on every
     * transport, and the process can exit.
     */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring", "nio"})
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a close that hangs fails, not hangs
    void theGatewayClosesAfterAnOriginConnectionWasCutMidRequest(String transport) throws Exception {
        assumeTrue(!transport.equals("epoll") || Epoll.isAvailable(), () -> "epoll unavailable: " + Epoll.unavailabilityCause());
        assumeTrue(!transport.equals("io_uring") || IoUring.isAvailable(), () -> "io_uring unavailable: " + IoUring.unavailabilityCause());
        try (ServerSocket origin = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
                GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                        runtime: {transport: %s, workerThreads: 1}
                        routes: [{name: all, cluster: web}]
                        clusters: [{name: web, endpoints: ['127.0.0.1:%d']}]
                        """.formatted(transport, origin.getLocalPort())))) {
            assertThat(gw.gateway.transportName()).isEqualTo(transport);
            Thread reader = new Thread(() -> {
                try (Socket s = origin.accept()) {
                    s.getInputStream().transferTo(java.io.OutputStream.nullOutputStream()); // never answers
                } catch (java.io.IOException e) {
                    // reset by the gateway
                }
            });
            reader.setDaemon(true);
            reader.start();
            RawHttp.Response r = RawHttp.exchange(gw.port(),
                    "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nmore\r\n");
            assertThat(r.status()).isEqualTo(400);
            gw.close(); // returns (closing again at the end of the block does nothing)
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring", "nio"})
    void theRequestPathWorksOnEachTransport(String transport) throws Exception {
        if (transport.equals("epoll")) {
            // epoll is on every Linux CI runs on: its absence there is a failure, not a skip. (io_uring may be
            // refused by a container's seccomp profile, a kernel setting rather than a tool: that one skips.)
            if (!Epoll.isAvailable() && Tools.ci()) {
                throw new AssertionError("epoll unavailable under CI: " + Epoll.unavailabilityCause());
            }
            assumeTrue(Epoll.isAvailable(), () -> "epoll unavailable: " + Epoll.unavailabilityCause());
        } else if (transport.equals("io_uring")) {
            assumeTrue(IoUring.isAvailable(), () -> "io_uring unavailable: " + IoUring.unavailabilityCause());
        }
        try (TestOrigin origin = new TestOrigin("o");
             WsOrigin wsOrigin = new WsOrigin("w");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     runtime: {transport: %s, workerThreads: 1}
                     routes:
                       - {name: ws, match: {path: /ws}, cluster: ws}
                       - {name: web, cluster: web}
                     clusters:
                       - {name: web, endpoints: [%s]}
                       - {name: ws, endpoints: [%s]}
                     """.formatted(transport, origin.address(), wsOrigin.address())))) {
            assertThat(gw.gateway.transportName()).isEqualTo(transport);
            assertThat(gw.metric("edge_transport_info{transport=\"" + transport + "\"}")).isEqualTo(1.0);
            try (RawHttp http = new RawHttp(gw.port())) {
                for (int i = 0; i < 20; i++) {
                    http.send("GET /page/" + i + " HTTP/1.1\r\nHost: t\r\n\r\n");
                    RawHttp.Response r = http.read();
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.text()).isEqualTo("origin o /page/" + i);
                }
                http.send("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
                assertThat(http.read().text()).isEqualTo("11");
                http.send("GET /download?bytes=8388608 HTTP/1.1\r\nHost: t\r\n\r\n");
                Map<String, String> headers = new HashMap<>();
                assertThat(http.readCountingBody(headers)).isEqualTo(8_388_608L);
                http.send("GET /after HTTP/1.1\r\nHost: t\r\n\r\n");
                assertThat(http.read().text()).isEqualTo("origin o /after");
            }
            // One client connection, one event loop: one origin connection served all 23 requests.
            assertThat(origin.connections.get()).isEqualTo(1);
            assertThat(origin.requests.get()).isEqualTo(23);

            try (WsClient ws = new WsClient(HttpClient.newHttpClient(), gw.port(), "s")) {
                for (int i = 0; i < 5; i++) {
                    assertThat(ws.echo("m" + i)).endsWith(":m" + i);
                }
            }
        }
    }
}
