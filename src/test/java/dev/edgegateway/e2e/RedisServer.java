package dev.edgegateway.e2e;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real redis-server on a free loopback port, started from the binary on the PATH (.ci/run
 * installs it; there is no Docker engine here for Testcontainers). Data lives in a temporary
 * directory and nothing is persisted. Can be stopped and started again on the same port.
 */
public final class RedisServer implements AutoCloseable {
    public final int port;
    private final Path dir;
    private final boolean cluster;
    private Process process;

    public RedisServer(boolean cluster) throws Exception {
        this(GatewayProcess.freePort(), cluster);
    }

    RedisServer(int port, boolean cluster) throws Exception {
        this.port = port;
        this.cluster = cluster;
        this.dir = Files.createTempDirectory("redis-" + port);
        start();
    }

    static synchronized String binary(String name) throws Exception {
        String found = which(name);
        if (found == null && "root".equals(System.getProperty("user.name")) && which("apt-get") != null) {
            // A fresh machine: install it, as .ci/run would (Debian/Ubuntu, as root).
            Process p = new ProcessBuilder("sh", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server")
                    .inheritIO().start();
            p.waitFor(300, TimeUnit.SECONDS);
            found = which(name);
        }
        if (found == null) {
            throw new AssertionError(name + " not found on PATH: install redis-server (e.g. apt-get install redis-server)");
        }
        return found;
    }

    private static String which(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, name))) {
                return Path.of(d, name).toString();
            }
        }
        return null;
    }

    void start() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(binary("redis-server"), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--protected-mode", "no"));
        if (cluster) {
            // The cluster bus gets its own free port (by default it is port + 10000, which may be taken).
            cmd.addAll(List.of("--cluster-enabled", "yes", "--cluster-config-file", dir.resolve("nodes.conf").toString(),
                    "--cluster-node-timeout", "2000", "--cluster-port", Integer.toString(GatewayProcess.freePort())));
        }
        process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException e) {
                if (!process.isAlive()) {
                    break; // it gave up (a port taken): say why at once
                }
                Thread.sleep(20);
            }
        }
        throw new AssertionError("redis-server did not start on " + port + ": " + Files.readString(dir.resolve("redis.log")));
    }

    /** Kills the server (SIGKILL: no goodbye to clients). */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    /**
     * What {@code redis-cli} prints for {@code args} against this server, trimmed (a command's answer).
     * Its output goes to a file, read once it has ended, so a redis-cli that hangs fails in 10 s.
     */
    public String cli(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(binary("redis-cli"), "-p", Integer.toString(port)));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "cli", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            boolean ended = p.waitFor(10, TimeUnit.SECONDS);
            if (!ended) {
                p.destroyForcibly();
            }
            String printed = Files.readString(out, StandardCharsets.UTF_8).trim();
            if (!ended) {
                throw new AssertionError("redis-cli " + String.join(" ", args) + " did not end in 10 s: " + printed);
            }
            return printed;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }

    /** Three masters on free ports joined into a Redis Cluster, all 16384 slots assigned. */
    static List<RedisServer> cluster3() throws Exception {
        List<RedisServer> nodes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            for (int attempt = 1; ; attempt++) {
                try {
                    nodes.add(new RedisServer(true));
                    break;
                } catch (AssertionError e) {
                    if (attempt == 3) {
                        throw e; // a free port was taken between choosing and binding, three times
                    }
                }
            }
        }
        List<String> cmd = new ArrayList<>(List.of(binary("redis-cli"), "--cluster", "create"));
        for (RedisServer n : nodes) {
            cmd.add(n.address());
        }
        cmd.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0 || !out.contains("All 16384 slots covered")) {
            throw new AssertionError("redis-cli --cluster create failed:\n" + out);
        }
        // Wait for every node to agree the cluster is up.
        for (RedisServer n : nodes) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (true) {
                Process info = new ProcessBuilder(binary("redis-cli"), "-p", Integer.toString(n.port), "cluster", "info").start();
                String text = new String(info.getInputStream().readAllBytes());
                info.waitFor();
                if (text.contains("cluster_state:ok")) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("cluster not ok on " + n.port + ":\n" + text);
                }
                Thread.sleep(100);
            }
        }
        return nodes;
    }
}
