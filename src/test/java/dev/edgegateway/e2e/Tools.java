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
        return present(runs("openssl", "version"), "openssl", "openssl");
    }

    /** Whether iproute2's ss can be run; under CI its absence fails the test. */
    static boolean ss() {
        return present(runs("ss", "-V"), "ss", "iproute2");
    }

    /** Whether {@code command} runs and exits 0. */
    private static boolean runs(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
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
