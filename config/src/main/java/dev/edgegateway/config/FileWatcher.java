package dev.edgegateway.config;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Calls back when a file's content changes, on its own thread. Watches the file's directory
 * rather than the file: editors replace files by rename, and a Kubernetes ConfigMap volume swaps a
 * {@code ..data} symlink, neither of which a watch on the file itself sees. Any event in the
 * directory starts a debounce; when it has been quiet for the debounce time, the file is read
 * through any symlinks and handed on if its content differs from what was last read. A slow poll
 * backs the watch up (some filesystems deliver no events). The gateway's config reload and the
 * sidecar's regeneration both use it.
 *
 * <p>The poll runs every two seconds, on a CPU an event loop may need, so it costs one read and a
 * compare with the content last read: no digest, and no real path or modification time unless the
 * content changed or an event came. With one CPU for the whole gateway, its turns averaged 0.25 ms
 * with the digest and 0.16 ms without (benchmarks/README.md, issue 24, thirty-first step).
 */
public final class FileWatcher implements AutoCloseable {
    static final long DEBOUNCE_MILLIS = 200;
    static final long POLL_MILLIS = 2000;

    private final Path file;
    private final Consumer<byte[]> onChange;
    private final Consumer<RuntimeException> onError;
    private final WatchService watch;
    private final Thread thread;
    private volatile boolean closed;
    private volatile Seen last;
    /** The real path and modification time last read: a re-save with the same content changes it. */
    private String lastStamp;
    /** Checks in a row that could not read the file. */
    private int unreadable;
    /** The file could not be read on two checks in a row (removed, or not readable), and has not been since. */
    private volatile boolean missing;

    /** Starts watching; the content as it is now counts as seen. */
    public FileWatcher(Path file, String threadName, Consumer<byte[]> onChange, Consumer<RuntimeException> onError) throws IOException {
        this.file = file.toAbsolutePath();
        this.onChange = onChange;
        this.onError = onError;
        this.watch = FileSystems.getDefault().newWatchService();
        this.file.getParent().register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                StandardWatchEventKinds.ENTRY_DELETE);
        byte[] text = read();
        this.last = new Seen(text == null ? new byte[0] : text);
        this.lastStamp = stamp();
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    public Path file() {
        return file;
    }

    private void run() {
        while (!closed) {
            try {
                WatchKey key = watch.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
                boolean saved = key != null;
                if (key != null) {
                    // Debounce: drain events until the directory has been quiet for a while.
                    do {
                        key.pollEvents();
                        key.reset();
                        key = watch.poll(DEBOUNCE_MILLIS, TimeUnit.MILLISECONDS);
                    } while (key != null && !closed);
                }
                check(saved);
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            } catch (RuntimeException e) {
                onError.accept(e);
            }
        }
    }

    /**
     * Hands the file on when its content changed, or, after a watch event, when it was saved
     * again (a new modification time or symlink target) even with the same content: re-saving
     * the file is how an operator says "serve this", e.g. to revert a change made through the
     * admin API. The poll alone never re-applies unchanged content.
     */
    private synchronized void check(boolean event) {
        byte[] text = read();
        if (text == null) {
            // Keep what we have and look again later. One failed read may be an editor's swap
            // caught halfway; the second in a row is reported, once, so that a removed file (or a
            // ConfigMap that lost its key) is not silent.
            if (++unreadable == 2) {
                missing = true;
                onError.accept(new IllegalStateException("cannot read " + file
                        + " (removed, or not readable); what it held when last read stays in use"));
            }
            return;
        }
        unreadable = 0;
        if (missing) {
            missing = false;
            event = true; // back: handed on even if unchanged, so that its return is seen
        }
        boolean same = Arrays.equals(text, last.text);
        if (same && !event) {
            return; // the poll's usual case
        }
        String st = stamp();
        boolean resaved = event && st != null && !st.equals(lastStamp);
        lastStamp = st;
        if (same && !resaved) {
            return;
        }
        last = new Seen(text);
        onChange.accept(text);
    }

    /**
     * Reads the file and hands it on now, changed or not: an operator's explicit "apply the file"
     * (the gateway's SIGHUP), on the caller's thread, serialised with the watch's own checks.
     */
    public synchronized void readNow() {
        byte[] text = read();
        if (text == null) {
            onError.accept(new IllegalStateException("cannot read " + file));
            return;
        }
        lastStamp = stamp();
        last = new Seen(text);
        onChange.accept(text);
    }

    /** False while the file cannot be read (two checks in a row failed, and none has read it since). */
    public boolean readable() {
        return !missing;
    }

    /** The SHA-256 (hex) of the file's content as last read: to say whether it differs from what is served. */
    public String lastSha256() {
        return last.sha256();
    }

    /** The content last read, and its SHA-256 in hex once asked for. */
    private static final class Seen {
        final byte[] text;
        private volatile String sha256;

        Seen(byte[] text) {
            this.text = text;
        }

        String sha256() {
            String sha = sha256;
            if (sha == null) {
                sha = HexFormat.of().formatHex(digest(text));
                sha256 = sha;
            }
            return sha;
        }
    }

    private String stamp() {
        try {
            Path real = file.toRealPath();
            return real + "@" + Files.getLastModifiedTime(real).toMillis() + "/" + Files.size(real);
        } catch (IOException e) {
            return null;
        }
    }

    private byte[] read() {
        try {
            return Files.readAllBytes(file); // open follows the symlinks itself
        } catch (IOException e) {
            return null;
        }
    }

    private static byte[] digest(byte[] text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            watch.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
