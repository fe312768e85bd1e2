package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The heap that idle WebSocket tunnels cost, measured in a gateway process: heap after a full GC
 * (jcmd GC.run) before and after opening them. The target is 10,000 tunnels under 100 MiB. A
 * tunnel takes two sockets in the gateway, and this machine allows 20,000 open files per process
 * (a hard limit root cannot raise here), so 10,000 cannot be held in one gateway process. The
 * build holds 4,000 ({@code -Dedge.tunnels=N} for more: 9,900 is the most that fits, see
 * benchmarks/README.md) and states the per-tunnel cost and the 10,000 projection.
 */
@Timeout(180)
class TunnelMemoryTest {
    private static final int TUNNELS = Integer.getInteger("edge.tunnels", 4_000);

    private static double heapUsed(HttpClient http, int admin) throws Exception {
        double sum = 0;
        String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        for (String line : body.split("\n")) {
            if (line.startsWith("jvm_memory_used_bytes{area=\"heap\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static void fullGc(long pid) throws Exception {
        Process p = new ProcessBuilder("jcmd", Long.toString(pid), "GC.run").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(200);
    }

    private static Socket openTunnel(int port) throws Exception {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        out.write(("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("closed during the handshake: " + head);
            }
            head.append((char) b);
        }
        assertThat(head.toString()).startsWith("HTTP/1.1 101");
        return s;
    }

    @Test
    void idleTunnelsCostLittleHeap(@TempDir Path dir) throws Exception {
        int originPort = GatewayProcess.freePort();
        int port = GatewayProcess.freePort();
        int admin = GatewayProcess.freePort();
        Path config = dir.resolve("gateway.yaml");
        Files.writeString(config, """
                listeners: [{name: public, address: 127.0.0.1:%d}]
                admin: {address: 127.0.0.1:%d}
                routes: [{name: ws, cluster: realtime}]
                clusters: [{name: realtime, endpoints: [127.0.0.1:%d]}]
                """.formatted(port, admin, originPort));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        List<Socket> tunnels = new ArrayList<>();
        try (GatewayProcess origin = GatewayProcess.start("-Xmx512m", "demo-origins", Integer.toString(originPort));
             GatewayProcess gw = GatewayProcess.start("-Xmx256m", "run", "--config", config.toString())) {
            gw.awaitReady(admin, Duration.ofSeconds(30));
            // Warm up: load the classes and pools a tunnel needs, then let them go.
            for (int i = 0; i < 200; i++) {
                openTunnel(port).close();
            }
            Thread.sleep(500);
            fullGc(gw.process.pid());
            double before = heapUsed(http, admin);
            for (int i = 0; i < TUNNELS; i++) {
                tunnels.add(openTunnel(port));
            }
            fullGc(gw.process.pid());
            double after = heapUsed(http, admin);
            String open = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(open).contains("\nedge_tunnels_open " + TUNNELS + ".0");
            double perTunnel = (after - before) / TUNNELS;
            double projected = perTunnel * 10_000 / (1 << 20);
            System.out.printf("%d idle WebSocket tunnels: heap %.1f -> %.1f MiB after GC, %.0f bytes per tunnel; 10,000 would take %.1f MiB%n",
                    TUNNELS, before / (1 << 20), after / (1 << 20), perTunnel, projected);
            assertThat(projected).as("MiB of heap for 10,000 idle tunnels").isLessThan(100);
        } finally {
            for (Socket s : tunnels) {
                s.close();
            }
        }
    }
}
