package dev.edgegateway.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the system's curl (a real HTTP/1.1 and HTTP/2 client, OpenSSL and nghttp2 inside) with a deadline. */
final class Curl {
    record Result(int exit, String out, String err) {}

    private Curl() {}

    static boolean available() {
        try {
            Result r = run("--version");
            return r.exit == 0 && r.out.contains("HTTP2");
        } catch (IOException e) {
            return false;
        }
    }

    static Result run(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add("curl");
        cmd.add("--max-time");
        cmd.add("10");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        try {
            // Read both streams fully (curl's output here is small) before waiting.
            var out = p.getInputStream().readAllBytes();
            var err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("curl did not finish: " + cmd);
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted", e);
        }
    }
}
