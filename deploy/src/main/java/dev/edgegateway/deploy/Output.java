package dev.edgegateway.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.stream.Stream;

/**
 * Writes generated files into an output directory: each changed file is written to a temporary
 * file beside it and renamed over the old one (a reader sees the old file or the new, never half
 * of one); unchanged files are not touched; files this generator wrote before and no longer
 * produces (a region removed) are deleted, and with them the directories that held only those
 * (a removed region's folder does not linger, empty, for {@code kubectl apply -R} or a GitOps tool
 * to trip on). Only paths under the generator's own directories are ever deleted, and never those
 * roots themselves.
 */
final class Output {
    static final List<String> OWNED = List.of("kubernetes", "monitoring", "accelerator");

    /** What a write did, by relative path. */
    record Result(List<String> written, List<String> deleted, int unchanged) {}

    private Output() {}

    static Result write(Path dir, SortedMap<String, String> files) throws IOException {
        List<String> written = new ArrayList<>();
        List<String> deleted = new ArrayList<>();
        int unchanged = 0;
        for (Map.Entry<String, String> e : files.entrySet()) {
            Path target = dir.resolve(e.getKey());
            byte[] content = e.getValue().getBytes(StandardCharsets.UTF_8);
            if (Files.exists(target) && Arrays.equals(Files.readAllBytes(target), content)) {
                unchanged++;
                continue;
            }
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
            try {
                Files.write(tmp, content);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
            written.add(e.getKey());
        }
        for (String owned : OWNED) {
            Path root = dir.resolve(owned);
            if (!Files.isDirectory(root)) {
                continue;
            }
            List<Path> existing;
            try (Stream<Path> s = Files.walk(root)) {
                existing = s.filter(Files::isRegularFile).sorted().toList();
            }
            for (Path p : existing) {
                String rel = dir.relativize(p).toString().replace('\\', '/');
                if (!files.containsKey(rel) && !p.getFileName().toString().startsWith(".")) {
                    Files.delete(p);
                    deleted.add(rel);
                }
            }
            if (!deleted.isEmpty()) {
                removeEmptyDirectories(root);
            }
        }
        return new Result(written, deleted, unchanged);
    }

    /** Deletes the empty directories below {@code root}, deepest first (a parent emptied by its child too). */
    private static void removeEmptyDirectories(Path root) throws IOException {
        List<Path> dirs;
        try (Stream<Path> s = Files.walk(root)) {
            dirs = s.filter(Files::isDirectory).filter(d -> !d.equals(root))
                    .sorted(Comparator.comparingInt(Path::getNameCount).reversed()).toList();
        }
        for (Path d : dirs) {
            boolean empty;
            try (Stream<Path> s = Files.list(d)) {
                empty = s.findAny().isEmpty();
            }
            if (empty) {
                Files.delete(d);
            }
        }
    }
}
