package dev.edgegateway.e2e;

import java.io.IOException;

/**
 * The external tools some tests drive (curl, openssl). Outside CI a missing tool skips the part of
 * a test that needs it, saying so; under {@code CI=1} ({@code .ci/run} installs them) it fails
 * the test, so a green CI run cannot hide a check that never ran.
 */
final class Tools {
    private Tools() {}

    static boolean ci() {
        return System.getenv("CI") != null;
    }

    /** Whether curl with HTTP/2 can be used; under CI its absence fails the test. */
    static boolean curl() {
        return present(Curl.available(), "curl with HTTP/2", "curl");
    }

    /** Whether openssl can be run; under CI its absence fails the test. */
    static boolean openssl() {
        boolean ok;
        try {
            Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            ok = p.waitFor() == 0;
        } catch (IOException e) {
            ok = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ok = false;
        }
        return present(ok, "openssl", "openssl");
    }

    static boolean present(boolean available, String what, String debianPackage) {
        if (!available && ci()) {
            throw new AssertionError(what + " is missing in CI: .ci/run installs the " + debianPackage + " package");
        }
        if (!available) {
            System.err.println("skipping the part that needs " + what + ": not installed (apt-get install " + debianPackage + ")");
        }
        return available;
    }
}
