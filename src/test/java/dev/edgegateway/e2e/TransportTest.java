package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgegateway.config.RuntimeConfig;
import dev.edgegateway.proxy.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every transport {@code runtime.transport} can name carries the whole request path: keep-alive
 * to the client and the origin, a streamed request body, a large streamed response and a
 * WebSocket tunnel. The other suites run on {@code auto} (epoll); this one names each of io_uring,
 * epoll and NIO (a transport the kernel cannot run here is skipped, with the reason).
 */
@Timeout(60)
class TransportTest {

    @Test
    void autoIsEpollElseNioAndNeverIoUring() {
        assertThat(Transport.select(RuntimeConfig.Transport.AUTO).name()).isEqualTo(Epoll.isAvailable() ? "epoll" : "nio");
        if (Epoll.isAvailable()) {
            assertThat(Transport.unavailableReasons()).isEmpty();
        } else {
            assertThat(Transport.unavailableReasons()).startsWith("epoll unavailable: ").contains(String.valueOf(Epoll.unavailabilityCause()));
        }
    }

    /**
     * The gateway cuts an origin connection mid-request, on every transport, and the origin sees it
     * closed: after a client's broken chunked body that arrives with the head (the cut comes while the
     * fresh connection's connect completes, re-entrantly), after one that arrives later, and after the
     * client goes away mid-body. Then the gateway's close stops its event loops. On io_uring a read
     * asked for after the cut used to leave a poll the close never cancelled: the socket stayed
     * ESTABLISHED with no descriptor (the origin never saw a FIN) and the loop's teardown waited for
     * it for ever.
     */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring", "nio"})
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a close that hangs fails, not hangs
    void anOriginConnectionCutMidRequestIsClosedAtTheOrigin(String transport) throws Exception {
        assumeTrue(!transport.equals("epoll") || Epoll.isAvailable(), () -> "epoll unavailable: " + Epoll.unavailabilityCause());
        assumeTrue(!transport.equals("io_uring") || IoUring.isAvailable(), () -> "io_uring unavailable: " + IoUring.unavailabilityCause());
        try (ServerSocket origin = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
                GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                        runtime: {transport: %s, workerThreads: 1}
                        routes: [{name: all, cluster: web}]
                        clusters: [{name: web, endpoints: ['127.0.0.1:%d']}]
                        """.formatted(transport, origin.getLocalPort())))) {
            assertThat(gw.gateway.transportName()).isEqualTo(transport);
            AtomicInteger accepted = new AtomicInteger();
            AtomicInteger closed = new AtomicInteger();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        Socket s = origin.accept();
                        accepted.incrementAndGet();
                        Thread reader = new Thread(() -> {
                            try (s) {
                                s.getInputStream().transferTo(java.io.OutputStream.nullOutputStream()); // never answers
                            } catch (java.io.IOException e) {
                                // reset by the gateway: closed too
                            }
                            closed.incrementAndGet();
                        });
                        reader.setDaemon(true);
                        reader.start();
                    }
                } catch (java.io.IOException e) {
                    // the origin's socket closed at the end of the test
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            String head = "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";

            RawHttp.Response r = RawHttp.exchange(gw.port(), head + "5\r\nhello\r\nzz\r\nmore\r\n");
            assertThat(r.status()).isEqualTo(400);
            Await.until(() -> accepted.get() == 1 && closed.get() == 1, 30_000, () -> "origin connections closed: " + closed + " of " + accepted);

            try (RawHttp http = new RawHttp(gw.port())) {
                http.send(head + "5\r\nhello\r\n");
                Await.until(() -> accepted.get() == 2, 30_000, "the second request's origin connection");
                http.send("zz\r\nmore\r\n");
                assertThat(http.read().status()).isEqualTo(400);
            }
            Await.until(() -> closed.get() == 2, 30_000, () -> "origin connections closed: " + closed + " of " + accepted);

            try (RawHttp http = new RawHttp(gw.port())) {
                http.send(head + "5\r\nhello\r\n");
                Await.until(() -> accepted.get() == 3, 30_000, "the third request's origin connection");
            } // the client goes away mid-body
            Await.until(() -> closed.get() == 3, 30_000, () -> "origin connections closed: " + closed + " of " + accepted);

            gw.close(); // closing again at the end of the block does nothing
            assertThat(gw.gateway.eventLoopsTerminated()).as("the event loops stopped within the close's bound").isTrue();
        }
    }

    /** With an idle spin set, which only io_uring has by default: each transport's polls without blocking serve too. */
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
                     runtime: {transport: %s, workerThreads: 1, idleSpin: 50us}
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

    /**
     * A new connection's first request is acknowledged by the gateway's answer, not by a bare ACK
     * before it (quick ACKs off on the listener: {@code ListenerSockets}), on each transport that
     * can have it. Read from the kernel's count of the segments the gateway's side of a connection
     * has sent ({@code ss -ti}, {@code segs_out}): the answer alone is 1, with a bare ACK before it 2.
     * The ACK waits for the answer up to the 40 ms delayed-ACK timer, which a busy machine may miss
     * for a connection, so up to ten are tried; with quick ACKs on, each counts 2 (the kernel acks
     * the request as it arrives).
     */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void aNewConnectionsFirstRequestIsAcknowledgedByItsAnswer(String transport) throws Exception {
        assumeTrue(!transport.equals("epoll") || Epoll.isAvailable(), () -> "epoll unavailable: " + Epoll.unavailabilityCause());
        assumeTrue(!transport.equals("io_uring") || IoUring.isAvailable(), () -> "io_uring unavailable: " + IoUring.unavailabilityCause());
        assumeTrue(Tools.ss(), "ss (iproute2) is not installed");
        try (TestOrigin origin = new TestOrigin("o");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     runtime: {transport: %s, workerThreads: 1}
                     routes: [{name: web, cluster: web}]
                     clusters: [{name: web, endpoints: [%s]}]
                     """.formatted(transport, origin.address())))) {
            java.util.List<Integer> sent = new java.util.ArrayList<>();
            for (int i = 0; i < 10 && !sent.contains(1); i++) {
                try (RawHttp http = new RawHttp(gw.port())) {
                    http.send("GET /first HTTP/1.1\r\nHost: t\r\n\r\n");
                    assertThat(http.read().text()).isEqualTo("origin o /first");
                    sent.add(segmentsSent(gw.port(), http.localPort()));
                }
            }
            assertThat(sent).as("segments the gateway's side of each new connection sent, its answer included").contains(1);
        }
    }

    /** {@code segs_out} of the established connection from local port {@code port} to the client's {@code peerPort}, by ss. */
    private static int segmentsSent(int port, int peerPort) throws Exception {
        Process p = new ProcessBuilder("ss", "-tinH", "state", "established", "( sport = :" + port + " and dport = :" + peerPort + " )")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\bsegs_out:(\\d+)").matcher(out);
        assertThat(m.find()).as("segs_out in: " + out).isTrue();
        return Integer.parseInt(m.group(1));
    }

    /**
     * TCP_NODELAY is each transport's default on an accepted connection, which is why the gateway's
     * listeners do not set it again (a system call per accepted connection): a Netty whose default
     * changed fails here rather than leave responses waiting on Nagle's algorithm. Accepted as
     * {@code Gateway.bind} accepts them, with no child option but {@code AUTO_READ}.
     */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring", "nio"})
    void acceptedConnectionsHaveNoDelayByDefault(String transport) throws Exception {
        assumeTrue(!transport.equals("epoll") || Epoll.isAvailable(), () -> "epoll unavailable: " + Epoll.unavailabilityCause());
        assumeTrue(!transport.equals("io_uring") || IoUring.isAvailable(), () -> "io_uring unavailable: " + IoUring.unavailabilityCause());
        Transport t = Transport.select(RuntimeConfig.Transport.valueOf(transport.toUpperCase(Locale.ROOT)));
        EventLoopGroup group = t.newGroup(1, "nodelay-test");
        try {
            CompletableFuture<Object> noDelay = new CompletableFuture<>();
            Channel listener = new ServerBootstrap().group(group).channel(t.serverChannelClass())
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            noDelay.complete(ch.config().getOption(ChannelOption.TCP_NODELAY));
                        }
                    })
                    .bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), ((InetSocketAddress) listener.localAddress()).getPort())) {
                assertThat(noDelay.get(30, TimeUnit.SECONDS)).isEqualTo(true);
            } finally {
                listener.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }
}
