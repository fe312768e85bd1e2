package dev.edgegateway.config;

import java.util.List;
import java.util.Locale;

/**
 * Compression of responses the origin sent uncompressed, by the client's {@code Accept-Encoding}
 * (brotli, then gzip), streamed part by part as they arrive: a body is never held whole.
 *
 * @param minBytes responses declaring a smaller {@code Content-Length} are sent as they are
 *     (compressing a few hundred bytes costs more CPU than it saves bytes); chunked ones are
 *     compressed whatever their size
 * @param contentTypes the media types compressed: exact ({@code application/json}) or a type
 *     with any subtype ({@code text/*})
 */
public record CompressionConfig(Integer minBytes, List<String> contentTypes) {
    public static final List<String> DEFAULT_TYPES = List.of("text/*", "application/json", "application/javascript",
            "application/xml", "application/wasm", "image/svg+xml");

    public CompressionConfig {
        minBytes = minBytes == null ? 1024 : minBytes;
        contentTypes = contentTypes == null ? DEFAULT_TYPES : contentTypes.stream().map(t -> t.trim().toLowerCase(Locale.ROOT)).toList();
        var v = ConfigViolation.collector().check(minBytes >= 0, "minBytes", "must not be negative");
        for (int i = 0; i < contentTypes.size(); i++) {
            v.check(contentTypes.get(i).matches("[a-z0-9!#$&^_.+-]+/(\\*|[a-z0-9!#$&^_.+-]+)"), "contentTypes[" + i + "]",
                    "expected a media type such as text/html or text/*, found '" + contentTypes.get(i) + "'");
        }
        v.throwIfAny();
    }

    /** Whether a response of this {@code Content-Type} (parameters ignored) is compressed. */
    public boolean compresses(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semi = contentType.indexOf(';');
        String type = (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
        for (String t : contentTypes) {
            if (t.endsWith("/*") ? type.startsWith(t.substring(0, t.length() - 1)) : type.equals(t)) {
                return true;
            }
        }
        return false;
    }
}
