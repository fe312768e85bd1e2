package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The real program, bin/edge, run as its own process. */
@Timeout(180)
class ProgramTest {
    private static volatile long signalledAt = Long.MAX_VALUE;
    private static final long GIB = 1L << 30;

    @TempDir
    Path dir;

    private Path config(int port, int adminPort, String origin, String extra) throws Exception {
        Path file = dir.resolve("gateway.yaml");
        Files.writeString(file, """
                listeners:
                  - name: public
                    address: 127.0.0.1:%d
                admin:
                  address: 127.0.0.1:%d
                runtime: {workerThreads: 2}
                %s
                routes: [{name: all, cluster: origin}]
                clusters: [{name: origin, endpoints: [%s]}]
                """.formatted(port, adminPort, extra, origin));
        return file;
    }

    /**
     * Out of file descriptors: connections past the limit wait in the listen backlog while accepting
     * pauses, the operator gets one line saying what to do (not a stack trace a second), the
     * failures are counted, and once connections close the gateway serves again by itself.
     */
    @Test
    void runningOutOfFileDescriptorsIsReportedOnceAndRecoveredFrom() throws Exception {
        try (TestOrigin origin = new TestOrigin("o")) {
            int port = GatewayProcess.freePort();
            int admin = GatewayProcess.freePort();
            Path cfg = config(port, admin, origin.address(), "limits: {maxClientConnections: 0}"); // no limit: the files run out
            try (GatewayProcess gw = GatewayProcess.startWithFileLimit(320, "-Xmx128m", "run", "--config", cfg.toString())) {
                gw.awaitReady(admin, Duration.ofSeconds(30));
                List<java.net.Socket> clients = new ArrayList<>();
                try {
                    connect(port, 400, clients); // accepted up to the limit, the rest left in the backlog
                    Await.until(() -> output(gw).contains("connection(s) not accepted"), 30_000, "the gateway to report it");
                } finally {
                    for (java.net.Socket s : clients) {
                        s.close();
                    }
                }
                awaitServed(port, "a request to be served again");
                String metrics = RawHttp.exchange(admin, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").text();
                assertThat(metrics).containsPattern("edge_downstream_accept_errors_total\\{listener=\"public\"} [1-9]");
                String out = gw.output();
                assertThat(out).contains("Too many open files").contains("raise the process's limit (ulimit -n, LimitNOFILE)")
                        .doesNotContain("reached at the tail of the pipeline");
                assertThat(gw.terminate(Duration.ofSeconds(30))).isZero();
            }
        }
    }

    /**
     * By default the gateway holds at most three quarters of what its file limit leaves after 200:
     * here (ulimit -n 320) 90 client connections. Past that, new ones wait in the backlog instead of
     * taking the file descriptors the origin connections need: a client accepted is served (out of
     * files, it got a 502), and a waiting one is accepted and served once others close.
     */
    @Test
    void clientConnectionsPastTheLimitWaitAndTheOnesAcceptedAreServed() throws Exception {
        try (TestOrigin origin = new TestOrigin("o")) {
            int port = GatewayProcess.freePort();
            int admin = GatewayProcess.freePort();
            Path cfg = config(port, admin, origin.address(), "");
            try (GatewayProcess gw = GatewayProcess.startWithFileLimit(320, "-Xmx128m", "run", "--config", cfg.toString())) {
                gw.awaitReady(admin, Duration.ofSeconds(30));
                String metrics = RawHttp.exchange(admin, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").text();
                assertThat(metrics).contains("edge_downstream_connections_limit 90.0");
                List<java.net.Socket> clients = new ArrayList<>();
                try {
                    connect(port, 150, clients);
                    Await.until(() -> output(gw).contains("client connections open, the limit (limits.maxClientConnections: 90"), 30_000,
                            "the gateway to stop accepting");
                    java.net.Socket first = clients.get(0);
                    first.getOutputStream().write("GET /a HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    assertThat(new String(first.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1)).isEqualTo("HTTP/1.1 200");
                    java.net.Socket last = clients.get(149); // in the backlog
                    last.getOutputStream().write("GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    for (int i = 1; i < 100; i++) {
                        clients.get(i).close();
                    }
                    assertThat(new String(last.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1)).isEqualTo("HTTP/1.1 200");
                } finally {
                    for (java.net.Socket s : clients) {
                        s.close();
                    }
                }
                assertThat(gw.output()).doesNotContain("Too many open files").doesNotContain("connection(s) not accepted");
                assertThat(gw.terminate(Duration.ofSeconds(30))).isZero();
            }
        }
    }

    /** Opens {@code n} connections to {@code port} (read timeout 30 s), adding each to {@code into} (which the caller closes). */
    private static void connect(int port, int n, List<java.net.Socket> into) throws java.io.IOException {
        for (int i = 0; i < n; i++) {
            java.net.Socket s = new java.net.Socket();
            into.add(s);
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 10_000);
            s.setSoTimeout(30_000);
        }
    }

    /** Waits until a GET on a new connection to {@code port} is answered 200. */
    private static void awaitServed(int port, String what) throws InterruptedException {
        Await.until(() -> {
            try {
                return RawHttp.exchange(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").status() == 200;
            } catch (java.io.IOException e) {
                return false;
            }
        }, 30_000, what);
    }

    private static String output(GatewayProcess gw) {
        try {
            return gw.output();
        } catch (java.io.IOException e) {
            return "";
        }
    }

    @Test
    void oneGibStreamsBothWaysThroughA64MibHeap() throws Exception {
        try (TestOrigin origin = new TestOrigin("big")) {
            int port = GatewayProcess.freePort();
            int admin = GatewayProcess.freePort();
            Path cfg = config(port, admin, origin.address(), "");
            // Heap and direct memory both capped far below the body: buffering it would fail the run.
            try (GatewayProcess gw = GatewayProcess.start("-Xmx64m -XX:MaxDirectMemorySize=64m", "run", "--config", cfg.toString())) {
                gw.awaitReady(admin, Duration.ofSeconds(30));

                try (RawHttp http = new RawHttp(port, 60_000)) {
                    http.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + GIB + "\r\n\r\n");
                    OutputStream out = http.output();
                    byte[] chunk = new byte[256 * 1024];
                    for (long sent = 0; sent < GIB; sent += chunk.length) {
                        out.write(chunk);
                    }
                    out.flush();
                    RawHttp.Response r = http.read();
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.text()).isEqualTo(Long.toString(GIB));

                    http.send("GET /download?bytes=" + GIB + " HTTP/1.1\r\nHost: x\r\n\r\n");
                    Map<String, String> headers = new HashMap<>();
                    assertThat(http.readCountingBody(headers)).isEqualTo(GIB);
                    assertThat(headers.get("content-length")).isEqualTo(Long.toString(GIB));
                }
                assertThat(gw.terminate(Duration.ofSeconds(30))).isZero();
                assertThat(gw.output()).doesNotContain("OutOfMemoryError").doesNotContain("LEAK:");
            }
        }
    }

    @Test
    void sigtermUnderLoadLosesNoAcceptedRequest() throws Exception {
        try (TestOrigin origin = new TestOrigin("drain")) {
            int port = GatewayProcess.freePort();
            int admin = GatewayProcess.freePort();
            Path cfg = config(port, admin, origin.address(), "drain: {readinessDelay: 500ms, timeout: 10s}");
            try (GatewayProcess gw = GatewayProcess.start("-Xmx256m -Dio.netty.leakDetection.level=paranoid", "run", "--config", cfg.toString())) {
                gw.awaitReady(admin, Duration.ofSeconds(30));
                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger ok = new AtomicInteger();
                AtomicInteger refused = new AtomicInteger();
                List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
                List<Thread> clients = new ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    Thread t = new Thread(() -> {
                        while (!stop.get()) {
                            RawHttp http;
                            try {
                                http = new RawHttp(port, 10_000);
                            } catch (java.io.IOException e) {
                                refused.incrementAndGet(); // the listener has closed: nothing was accepted
                                return;
                            }
                            int onThisConnection = 0;
                            try (http) {
                                while (!stop.get()) {
                                    onThisConnection++;
                                    http.send("GET /slow?ms=20 HTTP/1.1\r\nHost: x\r\n\r\n");
                                    RawHttp.Response r = http.read();
                                    if (r.status() == -1) {
                                        // Closed with no response: legitimate only on a connection the
                                        // gateway closed before reading this request (checked below).
                                        break;
                                    }
                                    if (r.status() != 200) {
                                        failures.add("status " + r.status());
                                    } else {
                                        ok.incrementAndGet();
                                    }
                                    if ("close".equals(r.header("connection"))) {
                                        break;
                                    }
                                }
                            } catch (java.io.IOException e) {
                                // (readinessDelay is 500 ms: the listener closes then, not before.)
                                if (onThisConnection == 1 && System.nanoTime() > signalledAt + 450_000_000L && e instanceof java.net.SocketException) {
                                    // The first request of a connection made while the listener was
                                    // closing: the kernel had completed the handshake, but the gateway
                                    // never accepted it, and closing a listener resets its accept
                                    // queue. Nothing was read (the origin count below proves no
                                    // request went missing): the same as a refused connection.
                                    refused.incrementAndGet();
                                } else {
                                    failures.add(e + " on request " + onThisConnection + " of its connection");
                                }
                            }
                        }
                    });
                    t.start();
                    clients.add(t);
                }
                Thread.sleep(1500);
                int beforeSignal = ok.get();
                long signalled = System.nanoTime();
                signalledAt = signalled;
                int exit = gw.terminate(Duration.ofSeconds(30));
                long drainMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled);
                stop.set(true);
                for (Thread t : clients) {
                    t.join(15_000);
                }
                assertThat(exit).isZero();
                assertThat(beforeSignal).isGreaterThan(100);
                assertThat(failures).isEmpty();
                // Every request that reached the origin came back to its client as a 200.
                assertThat(origin.requests.get()).isEqualTo(ok.get());
                assertThat(refused.get()).isPositive();
                assertThat(drainMillis).isGreaterThanOrEqualTo(500);
                assertThat(gw.output()).contains("draining").contains("stopped").doesNotContain("LEAK:");
            }
        }
    }

    /**
     * What starting made and keeps is in the old generation before traffic comes ({@code Main.settleHeap}):
     * the first young collection under load copies what the requests left, not the start's
     * objects, which each young collection copied again until the 15th promoted them. Measured
     * against the same program with the settling turned off ({@code -XX:+DisableExplicitGC}).
     */
    @Test
    void theFirstYoungCollectionUnderLoadCopiesLittleOfTheStart() throws Exception {
        long settled = firstYoungCollectionCopies("");
        long unsettled = firstYoungCollectionCopies("-XX:+DisableExplicitGC");
        assertThat(settled).as("bytes kept in the survivor space, settled: %d, unsettled: %d", settled, unsettled)
                .isLessThan(unsettled / 2);
    }

    /** The bytes the first young collection under load kept in the survivor space (Serial, as a one-core container runs). */
    private long firstYoungCollectionCopies(String opts) throws Exception {
        try (TestOrigin origin = new TestOrigin("gc")) {
            int port = GatewayProcess.freePort();
            int admin = GatewayProcess.freePort();
            Path cfg = config(port, admin, origin.address(), "");
            Path gcLog = Files.createTempFile(dir, "gc", ".log");
            // Survivor spaces of 9.6 MiB: what the start leaves fits whole, so either run's figure is what it copied.
            opts += " -XX:+UseSerialGC -Xmx256m -Xmn96m -Xlog:gc,gc+age=trace:file=" + gcLog;
            try (GatewayProcess gw = GatewayProcess.start(opts, "run", "--config", cfg.toString())) {
                gw.awaitReady(admin, Duration.ofSeconds(30));
                String request = "GET / HTTP/1.1\r\nHost: x\r\n" + ("x-pad: " + "p".repeat(100) + "\r\n").repeat(40) + "\r\n";
                try (RawHttp http = new RawHttp(port)) {
                    Await.until(() -> {
                        try {
                            for (int i = 0; i < 500; i++) {
                                http.send(request);
                                assertThat(http.read().status()).isEqualTo(200);
                            }
                            return Files.readString(gcLog).contains("Pause Young");
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }, 120_000, "a young collection");
                }
            }
            List<String> lines = Files.readAllLines(gcLog);
            int firstYoung = lines.stream().filter(l -> l.contains("Pause Young")).findFirst().map(lines::indexOf).orElseThrow();
            assertThat(lines.subList(0, firstYoung).stream().anyMatch(l -> l.contains("Pause Full (System.gc())")))
                    .isEqualTo(!opts.contains("DisableExplicitGC"));
            String id = lines.get(firstYoung).replaceAll(".*(GC\\(\\d+\\)).*", "$1");
            return lines.stream().filter(l -> l.contains(id + " - age"))
                    .mapToLong(l -> Long.parseLong(l.replaceAll(".*,\\s+(\\d+) total.*", "$1"))).max().orElse(0);
        }
    }

    @Test
    void quickstartServesTheDemoOriginsOnTheDocumentedPorts() throws Exception {
        for (int port : new int[] {8080, 9901, 9001, 9002, 9003}) {
            try (var s = new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                s.setReuseAddress(true);
            } catch (java.io.IOException busy) {
                org.junit.jupiter.api.Assumptions.abort("port " + port + " is in use on this machine; the quickstart needs it");
            }
        }
        try (GatewayProcess gw = GatewayProcess.start("", "quickstart")) {
            gw.awaitReady(9901, Duration.ofSeconds(30));
            // A connection per request, as the README's curl makes them: the banner promises round
            // robin, so the two origins take turns whichever event loop accepts the connection.
            List<String> origins = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                try (RawHttp http = new RawHttp(8080)) {
                    http.send("GET / HTTP/1.1\r\nHost: localhost:8080\r\n\r\n");
                    RawHttp.Response r = http.read();
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.text()).startsWith("hello from origin-900").contains("x-forwarded-for: 127.0.0.1");
                    origins.add(r.header("x-origin"));
                }
            }
            try (RawHttp http = new RawHttp(8080)) {
                http.send("GET /api/hello HTTP/1.1\r\nHost: localhost:8080\r\n\r\n");
                assertThat(http.read().header("x-origin")).isEqualTo("origin-9003");
            }
            assertThat(origins).containsOnly("origin-9001", "origin-9002");
            for (int i = 1; i < origins.size(); i++) {
                assertThat(origins.get(i)).as("request %d of %s", i, origins).isNotEqualTo(origins.get(i - 1));
            }
            assertThat(gw.terminate(Duration.ofSeconds(30))).isZero();
        }
    }

    /**
     * config/examples/maintenance-and-headers.yaml does what its comment says, with the demo
     * origins a reader starts beside it (moved to free ports): a maintenance page no origin sees,
     * header rules both ways, and a large text answer compressed.
     */
    @Test
    void theMaintenanceExampleDoesWhatItsCommentSays() throws Exception {
        int port = GatewayProcess.freePort();
        int admin = GatewayProcess.freePort();
        int web = GatewayProcess.freePort();
        int next = GatewayProcess.freePort();
        Path cfg = dir.resolve("maintenance-and-headers.yaml");
        Files.writeString(cfg, Files.readString(GatewayProcess.HOME.resolve("config/examples/maintenance-and-headers.yaml"))
                .replace("127.0.0.1:8080", "127.0.0.1:" + port).replace("127.0.0.1:9901", "127.0.0.1:" + admin)
                .replace("127.0.0.1:9001", "127.0.0.1:" + web).replace("127.0.0.1:9002", "127.0.0.1:" + next));
        try (GatewayProcess origins = GatewayProcess.start("-Xmx128m", "demo-origins", Integer.toString(web), Integer.toString(next));
             GatewayProcess gw = GatewayProcess.start("", "run", "--config", cfg.toString())) {
            gw.awaitReady(admin, Duration.ofSeconds(30));
            awaitServed(port, "the demo origins answering through the gateway");

            RawHttp.Response page = RawHttp.exchange(port, "GET /checkout/ HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(page.status()).isEqualTo(503);
            assertThat(page.header("retry-after")).isEqualTo("1800");
            assertThat(page.text()).contains("Checkout is down for maintenance").doesNotContain("hello from");

            RawHttp.Response answer = RawHttp.exchange(port, "GET / HTTP/1.1\r\nHost: x\r\nX-Debug: 1\r\n\r\n");
            assertThat(answer.header("x-origin")).isNull();
            assertThat(answer.header("x-served-by")).isEqualTo("web");
            assertThat(answer.header("strict-transport-security")).startsWith("max-age=");
            assertThat(answer.text()).startsWith("hello from origin-" + web)
                    .contains("x-edge-route: web\n", "x-client-region: eu-west\n", "x-client: 127.0.0.1\n")
                    .doesNotContain("x-debug");

            RawHttp.Response big = RawHttp.exchange(port, "GET /big HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n");
            assertThat(big.header("content-encoding")).isEqualTo("gzip");
            try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(big.body()))) {
                assertThat(in.readAllBytes().length).isGreaterThanOrEqualTo(32 * 1024);
            }
            assertThat(big.body().length).isLessThan(4096);
        }
    }

    /**
     * SIGHUP, which operators send to reload (nginx, HAProxy, {@code systemctl reload}), applies the
     * file at once and the gateway keeps serving; the JVM's own default for it was to exit on the spot,
     * with no drain. The file is not touched, so only the signal can cause the reload seen here.
     */
    @Test
    void sighupAppliesTheFileAndTheGatewayKeepsServing() throws Exception {
        try (TestOrigin origin = new TestOrigin("hup")) {
            int port = GatewayProcess.freePort();
            int admin = GatewayProcess.freePort();
            Path cfg = config(port, admin, origin.address(), "");
            try (GatewayProcess gw = GatewayProcess.start("", "run", "--config", cfg.toString())) {
                gw.awaitReady(admin, Duration.ofSeconds(30));
                // Ready comes a moment before the file is watched: a SIGHUP in between is logged and
                // ignored, so it is sent again until one is applied.
                Await.until(() -> {
                    try {
                        if (gw.output().contains("config from file is the one served (generation 1): nothing to apply")) {
                            return true;
                        }
                        Process hup = new ProcessBuilder("kill", "-HUP", Long.toString(gw.process.pid())).start();
                        return hup.waitFor(30, TimeUnit.SECONDS) && hup.exitValue() != 0; // kill failed: the process is gone
                    } catch (java.io.IOException | InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }, 30_000, "the reload SIGHUP asked for");
                assertThat(gw.process.isAlive()).isTrue();
                assertThat(gw.output()).contains("SIGHUP received: applying " + cfg);
                assertThat(RawHttp.exchange(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(200);
                assertThat(gw.terminate(Duration.ofSeconds(30))).isZero();
            }
        }
    }

    /**
     * A port another process holds: the program says which socket of its config, the address and
     * what to do, in one line, and exits 1 (not a stack trace, and not a process left running).
     */
    @Test
    void aPortInUseIsNamedWithItsListenerAndTheProgramExits() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int held = taken.getLocalPort();
            Path listenerHeld = config(held, GatewayProcess.freePort(), "127.0.0.1:9", "");
            assertExitsWith(1, "edge: listener public: cannot listen on 127.0.0.1:" + held + ": Address already in use; "
                    + "another process listens there (ss -ltnp 'sport = :" + held + "' names it)", "run", "--config", listenerHeld.toString());
            Path adminHeld = config(GatewayProcess.freePort(), held, "127.0.0.1:9", "");
            assertExitsWith(1, "edge: admin: cannot listen on 127.0.0.1:" + held + ": Address already in use", "run", "--config", adminHeld.toString());
            assertExitsWith(1, "edge: demo origin-" + held + ": cannot listen on 127.0.0.1:" + held + ": Address already in use",
                    "demo-origins", Integer.toString(held));
        }
        assertExitsWith(2, "edge demo-origins: '90o1' is not a port (1 to 65535)", "demo-origins", "90o1");
    }

    private static void assertExitsWith(int code, String line, String... args) throws Exception {
        try (GatewayProcess p = GatewayProcess.start("", args)) {
            assertThat(p.process.waitFor(60, TimeUnit.SECONDS)).as("exited").isTrue();
            assertThat(p.process.exitValue()).as(p.output()).isEqualTo(code);
            assertThat(p.output()).contains(line).doesNotContain("Exception").doesNotContain("\tat ");
        }
    }

    @Test
    void validateReportsTheLineAndFieldOfATypo() throws Exception {
        Path cfg = dir.resolve("typo.yaml");
        Files.writeString(cfg, """
                listeners:
                  - name: public
                    address: 127.0.0.1:8080
                timeouts:
                  conect: 2s
                routes: [{name: all, cluster: web}]
                clusters: [{name: web, endpoints: [127.0.0.1:9001]}]
                """);
        try (GatewayProcess p = GatewayProcess.start("", "validate", "--config", cfg.toString())) {
            assertThat(p.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.process.exitValue()).isEqualTo(1);
            assertThat(p.output()).contains(cfg + ":5:3: timeouts.conect: unknown field 'conect'; did you mean 'connect'?");
        }
        Files.writeString(cfg, Files.readString(cfg).replace("conect", "connect"));
        try (GatewayProcess p = GatewayProcess.start("", "validate", "--config", cfg.toString())) {
            assertThat(p.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.process.exitValue()).isZero();
            assertThat(p.output()).contains("ok: " + cfg);
        }
    }

    /**
     * {@code --config FILE} and {@code --config=FILE} are the same; anything else on the command line
     * is refused with what it was, not ignored: {@code run --config my.yaml --admin-port 9902} ran
     * with the config's admin port, and the operator believed theirs applied.
     */
    @Test
    void theCommandLineTakesConfigEitherWayAndRefusesWhatItDoesNotKnow() throws Exception {
        Path cfg = GatewayProcess.HOME.resolve("config/examples/basic.yaml");
        assertExitsWith(0, "ok: " + cfg, "validate", "--config=" + cfg);
        assertExitsWith(2, "edge run: unknown argument '--admin-port'", "run", "--config", cfg.toString(), "--admin-port", "9902");
        assertExitsWith(2, "edge validate: unknown argument '" + cfg + "'", "validate", cfg.toString());
        assertExitsWith(2, "edge validate: --config needs a FILE", "validate", "--config");
        assertExitsWith(2, "edge run: --config given twice", "run", "--config", cfg.toString(), "--config=" + cfg);
        assertExitsWith(2, "edge run: missing --config FILE", "run");
    }

    /**
     * {@code bin/edge} and {@code bin/edge-sidecar} build when their sources are newer than their jar,
     * and then not again: each run from a copy of the layout with a stand-in {@code mvnw} that only
     * records its arguments, so the script's own decision is what is tested (the real build is what
     * {@code verify} runs).
     */
    @Test
    void theScriptsBuildWhenTheirOwnSourcesChangeAndOnlyOnce() throws Exception {
        Path cfg = GatewayProcess.HOME.resolve("config/examples/basic.yaml");
        assertBuildsOnce("bin/edge", "proxy-core/target/edge-gateway.jar", "deploy", "edge: building the gateway",
                "-B -q -DskipTests -pl proxy-core -am package", "ok: ", "validate", "--config", cfg.toString());
        Path regions = GatewayProcess.HOME.resolve("deploy/examples/three-regions.yaml");
        assertBuildsOnce("bin/edge-sidecar", "deploy/target/edge-sidecar.jar", "proxy-core", "edge-sidecar: building",
                "-B -q -DskipTests -pl deploy -am package", " written, 0 deleted, ", "generate", "--config", regions.toString(),
                "--out", dir.resolve("out").toString());
    }

    /**
     * A layout with {@code script}'s jar between an edit in {@code otherModule} (not one it is built
     * from: no build) and one in {@code config/} (both are built from it: one build, then no more).
     */
    private void assertBuildsOnce(String script, String jarPath, String otherModule, String building, String mvnwArgs,
            String ok, String... args) throws Exception {
        Path home = Files.createTempDirectory(dir, "home");
        Files.createDirectories(home.resolve("bin"));
        Files.copy(GatewayProcess.HOME.resolve(script), home.resolve(script));
        Path jar = home.resolve(jarPath);
        Files.createDirectories(jar.getParent());
        Files.copy(GatewayProcess.HOME.resolve(jarPath), jar);
        Files.createSymbolicLink(jar.resolveSibling("lib"), GatewayProcess.HOME.resolve(jarPath).resolveSibling("lib"));
        Path calls = home.resolve("mvnw-calls");
        Files.writeString(home.resolve("mvnw"), "#!/bin/sh\necho \"$@\" >> '" + calls + "'\n");
        assertThat(home.resolve("mvnw").toFile().setExecutable(true)).isTrue();
        Path otherSource = Files.createDirectories(home.resolve(otherModule + "/src/main/java")).resolve("Other.java");
        Path ownSource = Files.createDirectories(home.resolve("config/src/main/java")).resolve("Config.java");
        Files.writeString(otherSource, "class Other {}");
        Files.writeString(ownSource, "class Config {}");
        long t = System.currentTimeMillis() - 60_000;
        Files.setLastModifiedTime(ownSource, FileTime.fromMillis(t));
        Files.setLastModifiedTime(jar, FileTime.fromMillis(t + 10_000));
        Files.setLastModifiedTime(otherSource, FileTime.fromMillis(t + 20_000));

        assertThat(run(home, script, args)).contains(ok).doesNotContain(building);
        assertThat(calls).doesNotExist();

        Files.setLastModifiedTime(ownSource, FileTime.fromMillis(t + 30_000));
        assertThat(run(home, script, args)).contains(building).contains(ok);
        assertThat(Files.readAllLines(calls)).containsExactly(mvnwArgs);

        // Maven may leave the jar untouched (only lib/ changed): the next run must not build again.
        assertThat(run(home, script, args)).contains(ok).doesNotContain(building);
        assertThat(Files.readAllLines(calls)).hasSize(1);
    }

    private static String run(Path home, String script, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(home.resolve(script).toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("EDGE_NO_BUILD");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }
}
