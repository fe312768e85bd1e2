package dev.edgegateway.config;

/**
 * A value the config names cannot be used, found while compiling it rather than while reading
 * it (a certificate that does not load, an unreadable GeoIP file): {@code path} is the field, so
 * the error gets the line and column of that field in the document ({@link ConfigSnapshot#errorAt}).
 */
public class ConfigFieldException extends IllegalArgumentException {
    private final String path;

    public ConfigFieldException(String path, String message, Throwable cause) {
        super(message, cause);
        this.path = path;
    }

    public ConfigFieldException(String path, String message) {
        this(path, message, null);
    }

    /** The field, as in errors: {@code listeners[1].tls}, {@code geo.maxmindDatabase}. */
    public String path() {
        return path;
    }
}
