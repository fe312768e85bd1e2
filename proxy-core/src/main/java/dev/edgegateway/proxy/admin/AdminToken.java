package dev.edgegateway.proxy.admin;

import dev.edgegateway.config.AdminConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * The bearer token that mutating admin calls need: from the environment variable the config
 * names, else from the file it names; read at start. Compared in constant time. Never logged or
 * echoed.
 */
public final class AdminToken {
    private final byte[] token;

    private AdminToken(String token) {
        this.token = token.getBytes(StandardCharsets.UTF_8);
    }

    /** The configured token, or null when there is none (the admin API is then read-only). */
    public static AdminToken load(AdminConfig c) {
        String value = System.getenv(c.tokenEnv());
        if ((value == null || value.isBlank()) && c.tokenFile() != null) {
            try {
                value = Files.readString(Path.of(c.tokenFile()), StandardCharsets.UTF_8).trim();
            } catch (IOException e) {
                throw new IllegalStateException("admin.tokenFile: cannot read " + c.tokenFile() + ": " + e.getMessage(), e);
            }
        }
        return value == null || value.isBlank() ? null : new AdminToken(value.trim());
    }

    /** Whether an {@code Authorization} header carries this token. */
    boolean accepts(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(token, authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8));
    }
}
