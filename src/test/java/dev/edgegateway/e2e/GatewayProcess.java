package dev.edgegateway.e2e;

import java.io.IOException;
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

/**
 * The real program, {@code bin/edge}, as a separate process: for what only a process shows
 * (signals, exit codes, a bounded heap).
 */
final class GatewayProcess implements AutoCloseable {
    static final Path HOME = Path.of(System.getProperty("edge.home", "../..")).toAbsolutePath().normalize();

    final Process process;
    final Path log;

    private GatewayProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Runs {@code bin/edge ARGS} with the given JVM options; output goes to a log file. */
    static GatewayProcess start(String javaOpts, String... args) throws IOException {
        return start(List.of(HOME.resolve("bin/edge").toString()), javaOpts, args);
    }

    /** As {@link #start}, with the process's open-file limit set to {@code files} ({@code ulimit -n}). */
    static GatewayProcess startWithFileLimit(int files, String javaOpts, String... args) throws IOException {
        return start(List.of("bash", "-c", "ulimit -n " + files + " && exec \"$0\" \"$@\"", HOME.resolve("bin/edge").toString()), javaOpts, args);
    }

    private static GatewayProcess start(List<String> launcher, String javaOpts, String... args) throws IOException {
        Path log = Files.createTempFile("edge-gateway", ".log");
        List<String> cmd = new ArrayList<>(launcher);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("EDGE_NO_BUILD", "1"); // the build under test already packaged it
        pb.environment().put("EDGE_JAVA_OPTS", javaOpts);
        return new GatewayProcess(pb.start(), log);
    }

    /** Waits until the admin port answers {@code /ready} with 200. */
    void awaitReady(int adminPort, Duration timeout) throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("gateway exited with " + process.exitValue() + ":\n" + output());
            }
            try {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/ready")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        throw new AssertionError("gateway not ready within " + timeout + ":\n" + output());
    }

    String output() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /** SIGTERM, as Kubernetes sends it; returns the exit code. */
    int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("gateway did not exit within " + timeout + " of SIGTERM");
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    /**
     * A loopback port free now, for a process that binds it later. The kernel may hand a port it
     * just freed to the next bind, so one test asking twice could get one number twice; a port
     * this JVM has handed out is not handed out again.
     */
    static int freePort() throws IOException {
        while (true) {
            try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            }
        }
    }

    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();
}
