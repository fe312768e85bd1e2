package dev.edgegateway.proxy.rollout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/** A rollout store in this process's memory: for a gateway that runs its rollouts alone. Thread-safe. */
final class LocalRolloutStore implements RolloutStore {
    static final int HISTORY = 20;

    private static final class Entry {
        RolloutState state;
        Counts canary = new Counts();
        Counts stable = new Counts();
        final List<RolloutState.Change> history = new ArrayList<>();
    }

    private final Map<String, Entry> entries = new HashMap<>();
    private final LongSupplier clock;

    LocalRolloutStore(LongSupplier clockMillis) {
        this.clock = clockMillis;
    }

    @Override
    public synchronized CompletableFuture<Synced> sync(String route, String id, long adoptedAtMillis, long epoch, Counts canaryDelta,
                                                       Counts stableDelta) {
        long now = clock.getAsLong();
        Entry e = entries.computeIfAbsent(route, r -> new Entry());
        boolean superseded = false;
        if (e.state == null || !e.state.id().equals(id)) {
            if (e.state == null || adoptedAtMillis == 0 || adoptedAtMillis > e.state.createdMillis()) {
                String reason = e.state == null ? "started" : "restarted: its config changed";
                long nextEpoch = e.state == null ? 1 : e.state.epoch() + 1;
                e.state = new RolloutState(id, RolloutState.Phase.RUNNING, 0, nextEpoch, now, now, reason, Gates.Baseline.NONE);
                e.canary = new Counts();
                e.stable = new Counts();
                remember(e, now, reason);
            } else {
                superseded = true;
            }
        }
        boolean counted = !superseded && epoch == e.state.epoch();
        if (counted) {
            e.canary.add(canaryDelta);
            e.stable.add(stableDelta);
        }
        Counts c = new Counts();
        c.add(e.canary);
        Counts s = new Counts();
        s.add(e.stable);
        return CompletableFuture.completedFuture(new Synced(e.state, superseded, counted, now, c, s, List.copyOf(e.history)));
    }

    @Override
    public synchronized CompletableFuture<Boolean> move(String route, String id, long epoch, RolloutState.Phase phase, int step,
                                                        String reason, Gates.Baseline baseline) {
        Entry e = entries.get(route);
        if (e == null || e.state == null || !e.state.id().equals(id) || e.state.epoch() != epoch) {
            return CompletableFuture.completedFuture(false);
        }
        long now = clock.getAsLong();
        e.state = new RolloutState(id, phase, step, epoch + 1, now, e.state.createdMillis(), reason, baseline);
        e.canary = new Counts();
        e.stable = new Counts();
        remember(e, now, reason);
        return CompletableFuture.completedFuture(true);
    }

    private static void remember(Entry e, long now, String reason) {
        e.history.add(0, new RolloutState.Change(now, e.state.phase(), e.state.step(), reason));
        if (e.history.size() > HISTORY) {
            e.history.remove(HISTORY);
        }
    }

}
