package dev.edgegateway.proxy.transport;

import io.netty.handler.codec.DateFormatter;
import io.netty.util.AsciiString;
import java.util.Date;

/**
 * The {@code Date} field's value now (RFC 9110 5.6.7, IMF-fixdate), formatted once a second and
 * shared, as Armeria's {@code HttpTimestampSupplier} and Envoy's date provider do. It changes with
 * the wall clock's second; between changes a reading costs the {@linkplain LoopClock held} time of
 * the loop's turn and one volatile read. Any thread.
 */
public final class HttpDate {
    private HttpDate() {}

    /** A formatted second and the monotonic time at which the wall clock leaves it. */
    private record Stamp(AsciiString text, long untilNanos) {}

    private static volatile Stamp current = stamp();

    /** The value for a {@code Date} field sent now. */
    public static AsciiString now() {
        Stamp s = current;
        if (LoopClock.nanoTime() - s.untilNanos >= 0) {
            s = stamp();
            current = s; // racing writers format the same second
        }
        return s.text;
    }

    private static Stamp stamp() {
        long nanos = System.nanoTime();
        long millis = System.currentTimeMillis();
        long left = 1000 - Math.floorMod(millis, 1000L);
        return new Stamp(AsciiString.cached(DateFormatter.format(new Date(millis))), nanos + left * 1_000_000);
    }
}
