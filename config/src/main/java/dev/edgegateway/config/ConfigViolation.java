package dev.edgegateway.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Thrown by a config record's constructor when its values break a rule. Each violation names a
 * field relative to that record ({@code port}, {@code routes[2].cluster}); the loader turns it
 * into a {@link ConfigError} with the position of that field in the document.
 */
public final class ConfigViolation extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** A broken rule: the field (relative path) and what is wrong with it. */
    public record Violation(String field, String message) {}

    private final transient List<Violation> violations;

    ConfigViolation(List<Violation> violations) {
        super(violations.stream().map(v -> v.field() + ": " + v.message()).reduce((a, b) -> a + "; " + b).orElse(""));
        this.violations = List.copyOf(violations);
    }

    public List<Violation> violations() {
        return violations;
    }

    /** Collects violations in a record constructor; {@link #throwIfAny()} ends the checks. */
    public static final class Collector {
        private final List<Violation> found = new ArrayList<>();

        public Collector require(Object value, String field) {
            if (value == null) {
                found.add(new Violation(field, "is required"));
            }
            return this;
        }

        public Collector check(boolean ok, String field, String message) {
            if (!ok) {
                found.add(new Violation(field, message));
            }
            return this;
        }

        public Collector add(String field, String message) {
            found.add(new Violation(field, message));
            return this;
        }

        public void throwIfAny() {
            if (!found.isEmpty()) {
                throw new ConfigViolation(found);
            }
        }
    }

    public static Collector collector() {
        return new Collector();
    }
}
