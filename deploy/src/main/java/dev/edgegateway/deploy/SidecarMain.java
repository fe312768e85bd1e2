package dev.edgegateway.deploy;

import dev.edgegateway.config.ConfigError;
import dev.edgegateway.config.ConfigException;
import dev.edgegateway.config.ConfigLoader;
import dev.edgegateway.config.FileWatcher;
import dev.edgegateway.config.GatewayConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SortedMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import sun.misc.Signal;

/**
 * The control sidecar's command line.
 *
 * <pre>
 * edge-sidecar generate --config FILE --out DIR   one pass: write what changed, say what it was
 * edge-sidecar watch --config FILE --out DIR      generate, then again whenever FILE changes
 *                                                 (and on SIGHUP); SIGTERM or SIGINT stops it
 * </pre>
 *
 * An invalid config is reported (file, line, field) and nothing is written: the files from the
 * last good config stay.
 */
public final class SidecarMain {
    private final PrintStream out;
    private final PrintStream err;
    private GatewayConfig last;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final boolean handleSignals;

    SidecarMain(PrintStream out, PrintStream err) {
        this(out, err, false);
    }

    private SidecarMain(PrintStream out, PrintStream err, boolean handleSignals) {
        this.out = out;
        this.err = err;
        this.handleSignals = handleSignals;
    }

    public static void main(String[] args) throws Exception {
        System.exit(new SidecarMain(System.out, System.err, true).run(args));
    }

    int run(String[] args) throws IOException, InterruptedException {
        if (args.length < 1) {
            return usage();
        }
        if (!args[0].equals("generate") && !args[0].equals("watch")) {
            return usage("unknown command '" + args[0] + "'");
        }
        Path config = null;
        Path dir = null;
        for (int i = 1; i < args.length; i++) { // --name VALUE or --name=VALUE
            String arg = args[i];
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg : arg.substring(0, eq);
            if (!name.equals("--config") && !name.equals("--out")) {
                return usage("unknown argument '" + arg + "'");
            }
            String value = eq >= 0 ? arg.substring(eq + 1) : i + 1 < args.length ? args[++i] : "";
            if (value.isEmpty() || (name.equals("--config") ? config : dir) != null) {
                return usage(value.isEmpty() ? name + " needs a value" : name + " given twice");
            }
            if (name.equals("--config")) {
                config = Path.of(value);
            } else {
                dir = Path.of(value);
            }
        }
        if (config == null || dir == null) {
            return usage("missing " + (config == null ? "--config FILE" : "--out DIR"));
        }
        switch (args[0]) {
            case "generate" -> {
                return once(config, dir) ? 0 : 1;
            }
            case "watch" -> {
                Path out = dir;
                Path file = config;
                AtomicReference<FileWatcher> watcher = new AtomicReference<>();
                onSignal("HUP", () -> {
                    this.out.println("edge-sidecar: SIGHUP received: generating from " + file);
                    FileWatcher w = watcher.get();
                    if (w != null) {
                        w.readNow();
                    } else {
                        once(file, out);
                    }
                });
                onSignal("TERM", this::stop);
                onSignal("INT", this::stop);
                once(config, dir);
                try (FileWatcher w = new FileWatcher(config, "edge-sidecar-watch",
                        text -> pass(new String(text, StandardCharsets.UTF_8), file.toString(), out),
                        e -> err.println("edge-sidecar: watch: " + (e instanceof IllegalStateException ? e.getMessage() : e)))) {
                    watcher.set(w);
                    this.out.println("edge-sidecar: watching " + file.toAbsolutePath() + "; output in " + out.toAbsolutePath()
                            + " (SIGHUP: generate again now)");
                    stopped.await(); // until SIGTERM or SIGINT
                    watcher.set(null);
                }
                synchronized (this) { // a pass under way finishes its files first
                    this.out.println("edge-sidecar: stopped");
                }
                return 0;
            }
            default -> throw new IllegalStateException(args[0]); // checked above
        }
    }

    /**
     * Runs {@code action} on each SIG{@code name} (the JVM's signal thread), where the JVM lets a
     * program handle it; in tests, the test's JVM keeps its own handlers.
     */
    private void onSignal(String name, Runnable action) {
        if (!handleSignals) {
            return;
        }
        try {
            Signal.handle(new Signal(name), s -> action.run());
        } catch (IllegalArgumentException e) {
            err.println("edge-sidecar: cannot handle SIG" + name + ": " + e.getMessage());
        }
    }

    private boolean once(Path config, Path dir) {
        String text;
        try {
            text = Files.readString(config, StandardCharsets.UTF_8);
        } catch (IOException e) {
            err.println("edge-sidecar: cannot read " + config + ": " + e.getMessage());
            return false;
        }
        return pass(text, config.toString(), dir);
    }

    /** One generation from {@code text}; false (and nothing written) when the config is invalid. */
    synchronized boolean pass(String text, String source, Path dir) {
        GatewayConfig c;
        try {
            c = ConfigLoader.parse(text, source, 1).config();
            if (c.deploy() == null) {
                err.println("edge-sidecar: " + source + " has no deploy section; nothing generated");
                return false;
            }
        } catch (ConfigException e) {
            err.println("edge-sidecar: " + source + " is invalid; the files from the last good config stay:");
            for (ConfigError error : e.errors()) {
                err.println("  " + error);
            }
            return false;
        }
        try {
            SortedMap<String, String> files = Generator.generate(c, text);
            Output.Result r = Output.write(dir, files);
            if (last != null) {
                List<String> changes = Changes.between(last, c);
                if (!changes.isEmpty()) {
                    out.println("edge-sidecar: " + String.join("; ", changes));
                }
            }
            last = c;
            r.written().forEach(p -> out.println("  wrote   " + p));
            r.deleted().forEach(p -> out.println("  deleted " + p));
            out.println("edge-sidecar: " + r.written().size() + " written, " + r.deleted().size() + " deleted, "
                    + r.unchanged() + " unchanged in " + dir);
            return true;
        } catch (IOException | RuntimeException e) {
            err.println("edge-sidecar: generation failed: " + e);
            return false;
        }
    }

    /** Ends {@code watch} (tests; the process otherwise runs until it is stopped). */
    void stop() {
        stopped.countDown();
    }

    private int usage() {
        return usage(null);
    }

    /** The usage, after what was wrong with the command line when something was. */
    private int usage(String problem) {
        if (problem != null) {
            err.println("edge-sidecar: " + problem);
        }
        err.println("""
                usage:
                  edge-sidecar generate --config FILE --out DIR   write the EKS, Global Accelerator and monitoring files once
                  edge-sidecar watch --config FILE --out DIR      and again whenever FILE changes (or on SIGHUP)""");
        return 2;
    }
}
