package dev.edgegateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileWatcherTest {
    @TempDir
    Path dir;

    @Test
    void handsOnEachNewContentOnceAndASaveOfTheSameContentAgain() throws Exception {
        Path file = dir.resolve("edge.yaml");
        Files.writeString(file, "a: 1\n");
        List<String> seen = new CopyOnWriteArrayList<>();
        try (FileWatcher w = new FileWatcher(file, "test-watch", b -> seen.add(new String(b, StandardCharsets.UTF_8)), e -> {})) {
            assertThat(w.lastSha256()).isEqualTo(sha256("a: 1\n"));

            Files.writeString(file, "a: 2\n");
            until(() -> seen.size() == 1, "the change handed on");
            assertThat(seen).containsExactly("a: 2\n");
            assertThat(w.lastSha256()).isEqualTo(sha256("a: 2\n"));

            // The same bytes saved again: a new modification time and a watch event, so handed on again.
            Files.writeString(file, "a: 2\n");
            Files.setLastModifiedTime(file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 5_000));
            until(() -> seen.size() == 2, "the re-save handed on");
            assertThat(seen).containsExactly("a: 2\n", "a: 2\n");

            // A third change after the re-save: only it, once, whatever polls come between.
            Files.writeString(file, "a: 3\n");
            until(() -> seen.size() == 3, "the third content handed on");
            Thread.sleep(FileWatcher.POLL_MILLIS + FileWatcher.DEBOUNCE_MILLIS); // a poll at least, which must not repeat it
            assertThat(seen).containsExactly("a: 2\n", "a: 2\n", "a: 3\n");
            assertThat(w.lastSha256()).isEqualTo(sha256("a: 3\n"));
        }
    }

    /**
     * A removed file is reported once (it was silent: the gateway went on serving what it had read,
     * and nothing said the file was gone); when it comes back it is handed on, changed or not.
     */
    @Test
    void aRemovedFileIsReportedOnceAndItsReturnHandedOn() throws Exception {
        Path file = dir.resolve("edge.yaml");
        Files.writeString(file, "a: 1\n");
        List<String> seen = new CopyOnWriteArrayList<>();
        List<String> errors = new CopyOnWriteArrayList<>();
        try (FileWatcher w = new FileWatcher(file, "test-watch", b -> seen.add(new String(b, StandardCharsets.UTF_8)), e -> errors.add(e.getMessage()))) {
            Files.delete(file);
            until(() -> errors.size() == 1, "the removal reported");
            assertThat(errors.get(0)).startsWith("cannot read " + file.toAbsolutePath()).contains("removed");
            assertThat(w.readable()).isFalse();
            Thread.sleep(2 * FileWatcher.POLL_MILLIS); // more polls, which must not report it again
            assertThat(errors).hasSize(1);
            assertThat(seen).isEmpty();
            Files.writeString(file, "a: 1\n");
            until(() -> seen.size() == 1, "the same content handed on when it is back");
            assertThat(w.readable()).isTrue();
        }
    }

    /**
     * A Kubernetes ConfigMap volume, as kubelet updates it: the file is a symlink to
     * {@code ..data/edge.yaml}, {@code ..data} a symlink to a timestamped directory, and an update
     * writes a new directory and renames a new {@code ..data} link over the old one; the file's
     * own path never changes. Each update is handed on once.
     */
    @Test
    void aConfigMapVolumesSymlinkSwapIsHandedOn() throws Exception {
        Files.createDirectory(dir.resolve("..2026_12_06_09_00_00.1"));
        Files.writeString(dir.resolve("..2026_12_06_09_00_00.1/edge.yaml"), "a: 1\n");
        Files.createSymbolicLink(dir.resolve("..data"), Path.of("..2026_12_06_09_00_00.1"));
        Path file = Files.createSymbolicLink(dir.resolve("edge.yaml"), Path.of("..data/edge.yaml"));
        List<String> seen = new CopyOnWriteArrayList<>();
        try (FileWatcher w = new FileWatcher(file, "test-watch", b -> seen.add(new String(b, StandardCharsets.UTF_8)), e -> {})) {
            for (int update = 2; update <= 3; update++) {
                Path next = Files.createDirectory(dir.resolve("..2026_12_06_09_00_0" + update + ".1"));
                Files.writeString(next.resolve("edge.yaml"), "a: " + update + "\n");
                Path tmp = Files.createSymbolicLink(dir.resolve("..data_tmp"), next.getFileName());
                Path old = Files.readSymbolicLink(dir.resolve("..data"));
                Files.move(tmp, dir.resolve("..data"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                Files.delete(dir.resolve(old).resolve("edge.yaml"));
                Files.delete(dir.resolve(old));
                int expected = update - 1;
                until(() -> seen.size() == expected, "update " + update + " handed on");
                assertThat(seen.get(expected - 1)).isEqualTo("a: " + update + "\n");
            }
            Thread.sleep(FileWatcher.POLL_MILLIS + FileWatcher.DEBOUNCE_MILLIS); // a poll at least, which must not repeat it
            assertThat(seen).containsExactly("a: 2\n", "a: 3\n");
            assertThat(w.lastSha256()).isEqualTo(sha256("a: 3\n"));
        }
    }

    private static String sha256(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    private static void until(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 30 s: " + what);
            }
            Thread.sleep(20);
        }
    }
}
