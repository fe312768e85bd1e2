package dev.edgegateway.proxy.rollout;

import dev.edgegateway.config.RolloutConfig;
import dev.edgegateway.proxy.observe.Json;
import dev.edgegateway.routing.SplitWeights;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One route's rollout in this gateway: every tick it sends the step's counts gathered here to the
 * store, reads the state (and the counts of the whole fleet) back, serves the state's weight, and
 * judges the step; a judgement that moves the step is a compare-and-set in the store, so of the
 * gateways that judge at once only one moves it, and all follow at their next tick. While the
 * store cannot be reached it keeps serving its step and judges nothing (paused, and says so).
 * Confined to the rollouts' thread, but for {@link #window()} (any event loop) and
 * {@link #json()} (any thread).
 */
final class Rollout {
    private static final Logger log = LoggerFactory.getLogger(Rollout.class);

    final String route;
    final String id;
    final RolloutConfig config;
    final String canaryCluster;
    final String stableCluster;
    private final int canarySlot;
    private final RolloutWindow window;
    final RolloutStore store;
    private final Executor thread;
    private final RolloutMeters meters;
    private volatile SplitWeights weights;

    private final Counts pendingCanary = new Counts();
    private final Counts pendingStable = new Counts();
    private long epoch;
    private long adoptedAtMillis;
    private boolean busy;
    private CompletableFuture<Void> inFlight = CompletableFuture.completedFuture(null);
    /** The state served now; null until the store first answers. */
    private RolloutState applied;
    private volatile String json;

    Rollout(String route, String id, RolloutConfig config, String canaryCluster, String stableCluster, int canarySlot,
            RolloutStore store, Executor thread, RolloutMeters meters) {
        this.route = route;
        this.id = id;
        this.config = config;
        this.canaryCluster = canaryCluster;
        this.stableCluster = stableCluster;
        this.canarySlot = canarySlot;
        this.window = new RolloutWindow(canarySlot);
        this.store = store;
        this.thread = thread;
        this.meters = meters;
        this.json = view(null, null, null, "starting: state not read yet", List.of());
    }

    RolloutWindow window() {
        return window;
    }

    /** Serves by {@code next} (a reload's new route) from now on, at the weight this rollout serves. */
    void bind(SplitWeights next) {
        weights = next;
        if (applied != null) {
            serve(applied);
        }
    }

    /** Syncs with the store and serves and judges what it says; completes when that is done (at once if a sync is under way: that one). */
    CompletableFuture<Void> tick() {
        if (busy) {
            return inFlight;
        }
        busy = true;
        window.drainInto(pendingCanary, pendingStable);
        inFlight = store.sync(route, id, adoptedAtMillis, epoch, pendingCanary, pendingStable)
                .handleAsync((s, error) -> {
                    busy = false;
                    if (error != null) {
                        unreachable();
                    } else {
                        synced(s);
                    }
                    return null;
                }, thread);
        return inFlight;
    }

    /** A sync that begins after any under way: what the store says after a change made just now. */
    private CompletableFuture<Void> freshTick() {
        return busy ? inFlight.thenComposeAsync(v -> tick(), thread) : tick();
    }

    private void unreachable() {
        json = view(applied, null, null, "paused: its Redis is unreachable (serving its step, judging nothing)", List.of());
        meters.paused(route, true);
    }

    private void synced(RolloutStore.Synced s) {
        meters.paused(route, false);
        if (adoptedAtMillis == 0) {
            adoptedAtMillis = s.nowMillis();
        }
        if (s.superseded()) {
            clearPending();
            json = view(applied, null, s, "superseded: a newer config's rollout runs in the fleet; reload this gateway's config", s.history());
            return;
        }
        if (s.counted() || s.state().epoch() != epoch) {
            clearPending();
        }
        epoch = s.state().epoch();
        serve(s.state());
        RolloutState st = s.state();
        Gates.Judgement j = st.phase() == RolloutState.Phase.RUNNING ? Gates.judge(s.canary(), s.stable(), st.baseline(), config.gates()) : null;
        json = view(st, j, s, null, s.history());
        if (j == null) {
            return;
        }
        int last = config.steps().size() - 1;
        if (j.verdict() == Gates.Verdict.FAIL) {
            move(st, RolloutState.Phase.ROLLED_BACK, st.step(), "rolled back at " + percent(st) + "%: " + j.reason(), st.baseline());
        } else if (j.verdict() == Gates.Verdict.PASS && s.nowMillis() - st.sinceMillis() >= config.interval().toMillis()) {
            Gates.Baseline base = s.stable().requests >= config.gates().minRequests()
                    ? new Gates.Baseline(s.stable().errorRatio(), s.stable().p99Nanos()) : st.baseline();
            if (st.step() >= last) {
                move(st, RolloutState.Phase.PROMOTED, st.step(), "promoted: every step passed; " + j.reason(), base);
            } else {
                move(st, RolloutState.Phase.RUNNING, st.step() + 1, "step " + (st.step() + 1) + " (" + percent(st) + "%) passed; " + j.reason(), base);
            }
        }
    }

    private void move(RolloutState from, RolloutState.Phase phase, int step, String reason, Gates.Baseline base) {
        busy = true;
        store.move(route, id, from.epoch(), phase, step, reason, base).whenCompleteAsync((moved, error) -> {
            busy = false;
            if (error == null && moved) {
                tick(); // read and serve the new state now, not a tick later
            }
        }, thread);
    }

    /** An operator's action: pause, resume, promote, abort or restart. Completes with the outcome, or fails with why not. */
    CompletableFuture<String> act(String action) {
        CompletableFuture<String> done = new CompletableFuture<>();
        store.sync(route, id, adoptedAtMillis, -1, new Counts(), new Counts()).whenCompleteAsync((s, error) -> {
            if (error != null) {
                done.completeExceptionally(new IllegalStateException("the rollout's Redis is unreachable"));
                return;
            }
            if (s.superseded()) {
                done.completeExceptionally(new IllegalStateException("a newer config's rollout runs in the fleet; reload this gateway's config first"));
                return;
            }
            RolloutState st = s.state();
            RolloutState.Phase to;
            int step = st.step();
            Gates.Baseline base = st.baseline();
            switch (action) {
                case "pause" -> to = st.phase() == RolloutState.Phase.RUNNING ? RolloutState.Phase.PAUSED : null;
                case "resume" -> to = st.phase() == RolloutState.Phase.PAUSED ? RolloutState.Phase.RUNNING : null;
                case "promote" -> to = st.phase().finished() ? null : RolloutState.Phase.PROMOTED;
                case "abort" -> to = st.phase() == RolloutState.Phase.ROLLED_BACK || st.phase() == RolloutState.Phase.ABORTED
                        ? null : RolloutState.Phase.ABORTED;
                case "restart" -> {
                    to = RolloutState.Phase.RUNNING;
                    step = 0;
                    base = Gates.Baseline.NONE;
                }
                default -> throw new IllegalArgumentException(action);
            }
            if (to == null) {
                done.completeExceptionally(new IllegalStateException("cannot " + action + " a rollout that is " + st.phase().label()));
                return;
            }
            String reason = action + (action.endsWith("e") ? "d" : "ed") + " by an operator";
            store.move(route, id, st.epoch(), to, step, reason, base).whenCompleteAsync((moved, e2) -> {
                if (e2 != null || !moved) {
                    done.completeExceptionally(new IllegalStateException(e2 != null ? "the rollout's Redis is unreachable"
                            : "the rollout changed meanwhile; try again"));
                    return;
                }
                freshTick().whenComplete((v, e3) -> done.complete(reason));
            }, thread);
        }, thread);
        return done;
    }

    private void clearPending() {
        pendingCanary.clear();
        pendingStable.clear();
    }

    private int percent(RolloutState st) {
        return st.canaryPercent(config.steps());
    }

    /** Serves the state's weights, and says so once per change (a log line, the transition counter). */
    private void serve(RolloutState st) {
        int p = percent(st);
        SplitWeights w = weights;
        if (w != null) {
            int[] next = new int[2];
            next[canarySlot] = p;
            next[1 - canarySlot] = 100 - p;
            w.set(next);
        }
        RolloutState before = applied;
        applied = st;
        meters.serving(route, st.phase() == RolloutState.Phase.ROLLED_BACK || st.phase() == RolloutState.Phase.ABORTED ? 0 : st.step() + 1, p);
        if (before == null || before.epoch() != st.epoch() || !before.id().equals(st.id())) {
            if (before != null) {
                String to = st.phase() == RolloutState.Phase.RUNNING && before.phase() == RolloutState.Phase.RUNNING && st.step() > before.step()
                        ? "next_step" : st.phase().label();
                meters.transition(route, to);
            }
            log.info("rollout {}: canary {} at {}% (step {}/{}, {}): {}", route, canaryCluster, p, st.step() + 1, config.steps().size(),
                    st.phase().label(), st.reason());
        }
    }

    String json() {
        return json;
    }

    private String view(RolloutState st, Gates.Judgement j, RolloutStore.Synced s, String note, List<RolloutState.Change> history) {
        StringBuilder sb = new StringBuilder(512).append('{');
        sb.append("\"route\":").append(Json.quote(route)).append(",\"canary\":").append(Json.quote(canaryCluster))
                .append(",\"stable\":").append(Json.quote(stableCluster)).append(",\"coordination\":").append(Json.quote(config.coordinationName()))
                .append(",\"steps\":").append(config.steps()).append(",\"intervalSeconds\":").append(config.interval().toSeconds());
        String state = note != null && note.startsWith("paused") ? "paused" : st == null ? "unknown" : st.phase().label();
        sb.append(",\"state\":").append(Json.quote(state));
        if (st != null) {
            sb.append(",\"step\":").append(st.step() + 1).append(",\"percent\":").append(percent(st))
                    .append(",\"stepSince\":").append(Json.quote(Instant.ofEpochMilli(st.sinceMillis()).toString()))
                    .append(",\"reason\":").append(Json.quote(st.reason()));
        }
        if (note != null) {
            sb.append(",\"note\":").append(Json.quote(note));
        }
        if (j != null) {
            sb.append(",\"gates\":{\"verdict\":").append(Json.quote(j.verdict().name().toLowerCase(Locale.ROOT)))
                    .append(",\"detail\":").append(Json.quote(j.reason()))
                    .append(",\"canaryRequests\":").append(j.canaryRequests()).append(",\"stableRequests\":").append(j.stableRequests())
                    .append(",\"canaryErrorRatio\":").append(ratio(j.canaryErrorRatio())).append(",\"stableErrorRatio\":").append(ratio(j.stableErrorRatio()))
                    .append(",\"canaryP99Millis\":").append(millis(j.canaryP99Nanos())).append(",\"stableP99Millis\":").append(millis(j.stableP99Nanos()))
                    .append(",\"minRequests\":").append(config.gates().minRequests())
                    .append(",\"maxErrorRatioIncrease\":").append(config.gates().maxErrorRatioIncrease())
                    .append(",\"maxP99Ratio\":").append(config.gates().maxP99Ratio()).append('}');
        }
        sb.append(",\"history\":[");
        for (int i = 0; i < history.size(); i++) {
            RolloutState.Change c = history.get(i);
            sb.append(i == 0 ? "" : ",").append("{\"at\":").append(Json.quote(Instant.ofEpochMilli(c.atMillis()).toString()))
                    .append(",\"state\":").append(Json.quote(c.phase().label())).append(",\"step\":").append(c.step() + 1)
                    .append(",\"reason\":").append(Json.quote(c.reason())).append('}');
        }
        return sb.append("]}").toString();
    }

    private static String ratio(double r) {
        return r < 0 ? "null" : String.format(Locale.ROOT, "%.5f", r);
    }

    private static String millis(long nanos) {
        return nanos < 0 ? "null" : String.format(Locale.ROOT, "%.2f", nanos / 1e6);
    }
}
