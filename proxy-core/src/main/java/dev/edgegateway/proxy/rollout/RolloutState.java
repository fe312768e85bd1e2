package dev.edgegateway.proxy.rollout;

import java.util.List;
import java.util.Locale;

/**
 * A rollout's state as its store holds it (Redis for a fleet, memory for one gateway): which
 * config's rollout ({@code id}), its phase and step, the window it counts in ({@code epoch}, one
 * more at every change), when the step began, and the stable baseline carried between steps.
 * Times are the store's clock, milliseconds since the epoch. Immutable.
 */
record RolloutState(String id, Phase phase, int step, long epoch, long sinceMillis, long createdMillis, String reason,
                    Gates.Baseline baseline) {

    enum Phase {
        /** Serving its step's weight and judging it. */
        RUNNING,
        /** Held at its step by an operator; nothing judged. */
        PAUSED,
        /** Every step passed (or an operator promoted it): the canary has all the traffic. */
        PROMOTED,
        /** A gate failed: the canary has none. */
        ROLLED_BACK,
        /** An operator stopped it: the canary has none. */
        ABORTED;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Phase of(String label) {
            return valueOf(label.toUpperCase(Locale.ROOT));
        }

        boolean finished() {
            return this == PROMOTED || this == ROLLED_BACK || this == ABORTED;
        }
    }

    /** The canary's percent in this state. */
    int canaryPercent(List<Integer> steps) {
        return switch (phase) {
            case RUNNING, PAUSED -> steps.get(Math.min(step, steps.size() - 1));
            case PROMOTED -> 100;
            case ROLLED_BACK, ABORTED -> 0;
        };
    }

    /** A change as the history keeps it. */
    record Change(long atMillis, Phase phase, int step, String reason) {}
}
