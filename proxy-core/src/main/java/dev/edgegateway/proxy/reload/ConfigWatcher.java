package dev.edgegateway.proxy.reload;

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
                e -> log.warn("config watch: {}", e.toString()));
    }

    /** The watched file. */
    public Path file() {
        return watcher.file();
    }

    /** The SHA-256 of the file's content as last read (it is read on every change and poll). */
    public String fileSha256() {
        return watcher.lastSha256();
    }

    @Override
    public void close() {
        watcher.close();
    }
}
