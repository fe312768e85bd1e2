package dev.edgegateway.config;

import java.util.Map;

/**
 * A validated config as published to the gateway: the model, where it came from, its generation
 * (1 for the first config a process loads, then one more per accepted reload), a content hash,
 * and where each field is in the document, so that errors found later, while compiling it, still
 * name their line and column.
 *
 * @param positions field path ({@code routes[2].split[0].cluster}) to {line, column}, 1-based
 */
public record ConfigSnapshot(GatewayConfig config, String source, long generation, String sha256, Map<String, int[]> positions) {
    public ConfigSnapshot {
        positions = positions == null ? Map.of() : positions;
    }

    public ConfigSnapshot(GatewayConfig config, String source, long generation, String sha256) {
        this(config, source, generation, sha256, Map.of());
    }

    /** An error at {@code path}, placed at that field or its nearest ancestor in the document. */
    public ConfigError errorAt(String path, String message) {
        String p = path == null ? "" : path;
        while (true) {
            int[] at = positions.get(p);
            if (at != null) {
                return new ConfigError(source, at[0], at[1], path, message);
            }
            int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
            if (cut <= 0) {
                return new ConfigError(source, 0, 0, path == null ? "" : path, message);
            }
            p = p.substring(0, cut);
        }
    }
}
