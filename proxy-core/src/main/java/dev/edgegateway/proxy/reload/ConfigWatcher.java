package dev.edgegateway.proxy.reload;

import dev.edgegateway.config.ConfigSnapshot;
import dev.edgegateway.config.FileWatcher;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the config when its file changes, on its own thread (never an event loop), through
 * {@link FileWatcher}: directory watch (editors' renames, ConfigMap symlink swaps), debounce,
 * content digest, and a poll behind it.
 */
public final class ConfigWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConfigWatcher.class);

    private final FileWatcher watcher;

    public ConfigWatcher(Path file, ConfigReloader reloader) throws IOException {
        Path absolute = file.toAbsolutePath();
        watcher = new FileWatcher(absolute, "edge-config-watch",
                text -> reloader.apply(new String(text, StandardCharsets.UTF_8), absolute.toString(), "file"),
                e -> log.warn("config watch: {}", e instanceof IllegalStateException ? e.getMessage() : e.toString()));
    }

    /** Applies the file as it is now, changed or not (SIGHUP), on the caller's thread. */
    public void reloadNow() {
        watcher.readNow();
    }

    /** The watched file. */
    public Path file() {
        return watcher.file();
    }

    /**
     * The watched file as {@code GET /config} reports it: its path, and whether its content (as last
     * read: it is read on every change and poll) is what is served; after a {@code PUT /config} it is
     * not, and saving the file again or SIGHUP serves it.
     */
    public String status(ConfigSnapshot served) {
        if (!watcher.readable()) {
            return watcher.file() + " (cannot be read now: removed, or not readable; the served config stays)";
        }
        boolean same = watcher.lastSha256().equals(served.sha256());
        return watcher.file() + (same ? " (its content is the served config)"
                : " (differs from the served config, which came from " + served.source() + "; save the file again or send SIGHUP to serve it)");
    }

    @Override
    public void close() {
        watcher.close();
    }
}
