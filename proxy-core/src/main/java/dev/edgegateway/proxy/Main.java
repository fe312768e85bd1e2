package dev.edgegateway.proxy;

import dev.edgegateway.config.ConfigException;
import dev.edgegateway.config.ConfigLoader;
import dev.edgegateway.config.ConfigSnapshot;
import dev.edgegateway.proxy.quickstart.DemoOrigins;
import dev.edgegateway.proxy.reload.ConfigWatcher;
import dev.edgegateway.proxy.transport.BindFailure;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * {@code edge run --config FILE} | {@code edge validate --config FILE} | {@code edge quickstart} |
 * {@code edge demo-origins PORT...}.
 */
public final class Main {
    private static final Logger log = LoggerFactory.getLogger(Main.class);
    private static final String USAGE = """
            usage:
              edge run --config FILE        run the gateway
              edge validate --config FILE   check a config; exit 0, or print every error and exit 1
              edge quickstart               demo origins on 127.0.0.1:9001-9003 and the gateway on
                                            127.0.0.1:8080 (admin 127.0.0.1:9901)
              edge demo-origins PORT...     only the demo origins, on 127.0.0.1 (for config/examples)
            """;

    private Main() {}

    public static void main(String[] args) throws Exception {
        // A production process tracks no buffers for leaks: Netty's default samples one in 128 and
        // costs about 1% of the CPU per request here (benchmarks/README.md). The tests run with
        // paranoid detection; -Dio.netty.leakDetection.level=simple in EDGE_JAVA_OPTS turns it back on.
        if (System.getProperty("io.netty.leakDetection.level") == null && System.getProperty("io.netty.leakDetectionLevel") == null) {
            System.setProperty("io.netty.leakDetection.level", "disabled");
        }
        // An event loop returns up to this many pooled objects (buffers, write entries) to its
        // own recycler's batch before the rest go through a multi-producer queue: a turn that
        // flushes a few dozen connections returned more than Netty's 32, and the queue's offers
        // were 0.8% of the event loop's samples (benchmarks/README.md).
        if (System.getProperty("io.netty.recycler.chunkSize") == null) {
            System.setProperty("io.netty.recycler.chunkSize", "128");
        }
        System.exit(run(args, System.out, System.err));
    }

    /**
     * One full collection once the gateway is built and before it serves: what starting made and
     * keeps (classes' data, the config, the meters; about 4 MB in a small config) is moved to the
     * old generation at once. Otherwise each young collection under load copies it between the
     * survivor spaces until it is old enough to be promoted, 15 collections by default, and those
     * took 5.6-22.9 ms each on the benchmark host where the later ones take about 1 ms: a fresh
     * process's first minute of traffic had that tail (benchmarks/README.md). A no-op under
     * {@code -XX:+DisableExplicitGC}.
     */
    static void settleHeap() {
        System.gc();
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        try {
            return command(args, out, err);
        } catch (BindFailure e) {
            err.println("edge: " + e.getMessage());
            return 1;
        }
    }

    private static int command(String[] args, PrintStream out, PrintStream err) throws Exception {
        if (args.length == 0) {
            err.print(USAGE);
            return 2;
        }
        switch (args[0]) {
            case "run" -> {
                Path file = configArg(args, err);
                if (file == null) {
                    return 2;
                }
                ConfigSnapshot snapshot;
                try {
                    snapshot = ConfigLoader.load(file, 1);
                } catch (ConfigException e) {
                    err.println(e.getMessage());
                    return 1;
                }
                // SIGHUP is "reload" to operators (nginx, HAProxy, systemctl reload); the JVM's default
                // for it exits at once. Handled from before the start, so that one sent then is not fatal.
                AtomicReference<ConfigWatcher> watch = new AtomicReference<>();
                onSignal("HUP", () -> {
                    ConfigWatcher w = watch.get();
                    if (w == null) {
                        log.info("SIGHUP received while starting: ignored (send it again once ready to apply {})", file);
                    } else {
                        log.info("SIGHUP received: applying {}", file);
                        w.reloadNow();
                    }
                });
                Gateway gateway = Gateway.start(snapshot, null, Main::settleHeap);
                watch.set(gateway.watch(file)); // edits to the file are validated and applied live
                serveUntilSignalled(gateway, null);
                return 0;
            }
            case "validate" -> {
                Path file = configArg(args, err);
                if (file == null) {
                    return 2;
                }
                try {
                    ConfigSnapshot s = ConfigLoader.load(file, 1);
                    out.println("ok: " + file + " (" + s.config().listeners().size() + " listener(s), " + s.config().routes().size()
                            + " route(s), " + s.config().clusters().size() + " cluster(s))");
                    return 0;
                } catch (ConfigException e) {
                    err.println(e.getMessage());
                    return 1;
                }
            }
            case "quickstart" -> {
                String yaml;
                try (InputStream in = Main.class.getResourceAsStream("/quickstart.yaml")) {
                    yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                ConfigSnapshot snapshot = ConfigLoader.parse(yaml, "<quickstart>", 1);
                onSignal("HUP", () -> log.info("SIGHUP received: the quickstart has no config file to reload"));
                DemoOrigins origins = DemoOrigins.start(List.of(9001, 9002, 9003));
                Gateway gateway;
                try {
                    gateway = Gateway.start(snapshot, null, Main::settleHeap);
                } catch (RuntimeException e) {
                    origins.close();
                    throw e;
                }
                out.println("""

                        edge gateway quickstart
                          traffic  http://127.0.0.1:8080/      -> cluster web (origins 9001, 9002, round robin)
                                   http://127.0.0.1:8080/api/  -> cluster api (origin 9003)
                          admin    http://127.0.0.1:9901/healthz /ready /metrics /config
                          console  http://127.0.0.1:9901/ui
                          try      curl -s localhost:8080/ ; curl -s localhost:8080/api/hello
                          stop     Ctrl-C (drains, then exits)
                        """);
                serveUntilSignalled(gateway, origins);
                return 0;
            }
            case "demo-origins" -> {
                List<Integer> ports = new ArrayList<>();
                for (int i = 1; i < args.length; i++) {
                    int port = args[i].matches("[0-9]{1,5}") ? Integer.parseInt(args[i]) : 0;
                    if (port < 1 || port > 65535) {
                        err.print("edge demo-origins: '" + args[i] + "' is not a port (1 to 65535)\n" + USAGE);
                        return 2;
                    }
                    ports.add(port);
                }
                if (ports.isEmpty()) {
                    ports = List.of(9001, 9002, 9003, 9004, 9005, 9006);
                }
                DemoOrigins origins = DemoOrigins.start(ports);
                out.println("demo origins on 127.0.0.1 ports " + ports + "; Ctrl-C stops them");
                CountDownLatch stop = new CountDownLatch(1);
                onTermination(stop::countDown);
                stop.await();
                origins.close();
                return 0;
            }
            case "-h", "--help", "help" -> {
                out.print(USAGE);
                return 0;
            }
            default -> {
                err.print("unknown command '" + args[0] + "'\n" + USAGE);
                return 2;
            }
        }
    }

    /**
     * The FILE of {@code --config FILE} or {@code --config=FILE}, the only option {@code run} and
     * {@code validate} take; null, having said why, when it is missing or anything else is there:
     * an option the program does not have is refused, not ignored (an operator who typed
     * {@code --admin-port 9902} would otherwise believe it applied).
     */
    static Path configArg(String[] args, PrintStream err) {
        String file = null;
        for (int i = 1; i < args.length; i++) {
            String given = null;
            if (args[i].equals("--config") && i + 1 < args.length) {
                given = args[++i];
            } else if (args[i].startsWith("--config=")) {
                given = args[i].substring("--config=".length());
            } else if (!args[i].equals("--config")) {
                err.print("edge " + args[0] + ": unknown argument '" + args[i] + "'\n" + USAGE);
                return null;
            }
            if (given == null || given.isEmpty() || file != null) {
                err.print("edge " + args[0] + ": " + (file != null ? "--config given twice" : "--config needs a FILE") + "\n" + USAGE);
                return null;
            }
            file = given;
        }
        if (file == null) {
            err.print("edge " + args[0] + ": missing --config FILE\n" + USAGE);
        }
        return file == null ? null : Path.of(file);
    }

    /** Serves until SIGTERM or SIGINT, then drains (DESIGN.md "Draining on SIGTERM") and returns. */
    private static void serveUntilSignalled(Gateway gateway, AutoCloseable alsoClose) throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        onTermination(stop::countDown);
        stop.await();
        gateway.drainAndStop();
        if (alsoClose != null) {
            alsoClose.close();
        }
    }

    private static void onTermination(Runnable action) {
        // A signal handler, not a shutdown hook: the drain decides when to exit, and exits 0.
        for (String name : new String[] {"TERM", "INT"}) {
            onSignal(name, () -> {
                log.info("SIG{} received", name);
                action.run();
            });
        }
    }

    /** Runs {@code action} on each SIG{@code name}, on the JVM's signal thread (not an event loop). */
    private static void onSignal(String name, Runnable action) {
        try {
            Signal.handle(new Signal(name), s -> action.run());
        } catch (IllegalArgumentException e) {
            log.warn("cannot handle SIG{}: {}", name, e.getMessage());
        }
    }

}
