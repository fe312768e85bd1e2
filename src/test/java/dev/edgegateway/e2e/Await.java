package dev.edgegateway.e2e;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polls a condition until it holds, or fails the test after a deadline. */
public final class Await {
    private Await() {}

    public static void until(BooleanSupplier condition, long millis, String what) throws InterruptedException {
        until(condition, millis, () -> what);
    }

    /** As above, with the message made when the deadline passes (so that it shows the state then, not at the start). */
    static void until(BooleanSupplier condition, long millis, Supplier<String> what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + millis + " ms: " + what.get());
            }
            Thread.sleep(20);
        }
    }
}
