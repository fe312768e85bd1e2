package dev.edgegateway.proxy.admin;

import io.netty.handler.codec.http.HttpHeaders;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The operator console's files, read from the jar once: one hand-written page, its script and its
 * style sheet (no framework, nothing fetched from elsewhere). Served with a content security
 * policy that allows only this origin's own script, style and requests: config text, route names
 * and error messages are put in the page as text, never as markup, and nothing can be injected to
 * run.
 */
final class Console {
    /** A file of the console and its content type. */
    record Asset(byte[] bytes, String type) {}

    private static final Map<String, Asset> ASSETS = Map.of(
            "/ui", load("index.html", "text/html; charset=utf-8"),
            "/ui/", load("index.html", "text/html; charset=utf-8"),
            "/ui/app.js", load("app.js", "text/javascript; charset=utf-8"),
            "/ui/app.css", load("app.css", "text/css; charset=utf-8"));

    private Console() {}

    static Asset asset(String path) {
        return ASSETS.get(path);
    }

    static void secure(HttpHeaders h) {
        h.set("content-security-policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
                        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
                .set("x-content-type-options", "nosniff")
                .set("referrer-policy", "no-referrer")
                .set("cache-control", "no-cache");
    }

    private static Asset load(String name, String type) {
        try (InputStream in = Console.class.getResourceAsStream("console/" + name)) {
            if (in == null) {
                throw new IllegalStateException("console/" + name + " is missing from the jar");
            }
            return new Asset(in.readAllBytes(), type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
