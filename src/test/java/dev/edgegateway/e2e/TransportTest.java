package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgegateway.config.RuntimeConfig;
import dev.edgegateway.proxy.transport.Transport;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
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
