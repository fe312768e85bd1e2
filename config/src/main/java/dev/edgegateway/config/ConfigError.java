package dev.edgegateway.config;

/**
 * One problem found in a config document, located for a person to fix.
 *
 * @param source the file name (or "admin API", "<quickstart>") the document came from
 * @param line 1-based line, or 0 when the problem has no position (e.g. a missing document)
 * @param column 1-based column, or 0 when unknown
 * @param path the field path, e.g. {@code routes[1].cluster}; empty for the document itself
 * @param message what was found and what was expected
 */
public record ConfigError(String source, int line, int column, String path, String message) {

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(source);
        if (line > 0) {
            sb.append(':').append(line).append(':').append(column);
        }
        sb.append(": ");
        if (!path.isEmpty()) {
            sb.append(path).append(": ");
        }
        return sb.append(message).toString();
    }
}
