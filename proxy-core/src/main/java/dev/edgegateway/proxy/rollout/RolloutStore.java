package dev.edgegateway.proxy.rollout;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where a rollout's state and its step's counts live: in Redis, shared by every gateway of the
 * fleet and changed atomically, or in this process alone. Both follow the same rules, so one
 * gateway behaves as a fleet of one.
 */
interface RolloutStore extends AutoCloseable {
    /**
     * The state after a sync, the step's counts summed over every gateway, and the last changes.
     *
     * @param superseded the store holds another config's rollout, adopted after this gateway's
     *     (a newer config not yet loaded here): this gateway must not judge or act on it
     * @param counted whether this sync's counts went into the step (not when the step had moved on)
     */
    record Synced(RolloutState state, boolean superseded, boolean counted, long nowMillis, Counts canary, Counts stable,
                  List<RolloutState.Change> history) {}

    /**
     * Adds this gateway's counts since the last sync to step {@code epoch} (if that is still the
     * step) and reads the state. A state of another rollout id is replaced by a fresh one at the
     * first step when this gateway adopted its config after that state began ({@code adoptedAtMillis}
     * 0: just now); else it is {@code superseded}. The store's clock decides.
     */
    CompletableFuture<Synced> sync(String route, String id, long adoptedAtMillis, long epoch, Counts canaryDelta, Counts stableDelta);

    /**
     * Changes the state to {@code phase} at {@code step} if it is still rollout {@code id} in
     * window {@code epoch} (so of two gateways judging the same step, one wins): a new window
     * begins, the counts are cleared, the change joins the history. Completes with whether it did.
     */
    CompletableFuture<Boolean> move(String route, String id, long epoch, RolloutState.Phase phase, int step, String reason,
                                    Gates.Baseline baseline);

    @Override
    default void close() {}
}
