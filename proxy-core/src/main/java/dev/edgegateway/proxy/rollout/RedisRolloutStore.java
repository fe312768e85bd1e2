package dev.edgegateway.proxy.rollout;

import dev.edgegateway.config.RedisConfig;
import dev.edgegateway.ratelimit.RedisConnection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rollout state in the Redis the fleet shares, by one Lua script ({@code rollout.lua}) that reads
 * and changes a route's state, counts and history atomically, timed by Redis's clock. A route's
 * keys share a hash tag, so they sit in one slot of a Redis Cluster. Calls that take longer than
 * a second fail (the rollout pauses rather than wait). Thread-safe.
 */
final class RedisRolloutStore implements RolloutStore {
    private static final Logger log = LoggerFactory.getLogger(RedisRolloutStore.class);
    private static final RedisConnection.Script SCRIPT = new RedisConnection.Script(RedisRolloutStore.class, "rollout.lua");

    private final RedisConnection redis;
    private volatile long lastFailureLogNanos = System.nanoTime() - TimeUnit.SECONDS.toNanos(10);

    RedisRolloutStore(RedisConfig config) {
        this.redis = new RedisConnection(config, "rollouts", this::failed);
    }

    RedisConfig config() {
        return redis.config();
    }

    private void failed(Throwable error) {
        long now = System.nanoTime();
        if (now - lastFailureLogNanos >= TimeUnit.SECONDS.toNanos(10)) {
            lastFailureLogNanos = now;
            log.warn("Redis for rollouts unreachable ({}); rollouts that coordinate through it are paused at their step",
                    RedisConnection.rootCause(error).toString());
        }
    }

    static String[] keys(String route) {
        String tag = "edge:rollout:{" + route + "}:";
        return new String[] {tag + "state", tag + "counts", tag + "history"};
    }

    @Override
    public CompletableFuture<Synced> sync(String route, String id, long adoptedAtMillis, long epoch, Counts canaryDelta, Counts stableDelta) {
        List<String> args = new ArrayList<>(List.of("sync", id, Long.toString(adoptedAtMillis), Long.toString(epoch)));
        canaryDelta.appendFields("c.", args);
        stableDelta.appendFields("s.", args);
        return call(route, args).thenApply(RedisRolloutStore::synced);
    }

    @Override
    public CompletableFuture<Boolean> move(String route, String id, long epoch, RolloutState.Phase phase, int step, String reason,
                                           Gates.Baseline baseline) {
        List<String> args = List.of("move", id, "0", Long.toString(epoch), phase.label(), Integer.toString(step), reason,
                Double.toString(baseline.errorRatio()), Long.toString(baseline.p99Nanos()));
        return call(route, args).thenApply(r -> "1".equals(r.get(1)));
    }

    private CompletableFuture<List<Object>> call(String route, List<String> args) {
        return redis.eval(SCRIPT, keys(route), args.toArray(new String[0]))
                .orTimeout(1, TimeUnit.SECONDS)
                .whenComplete((r, e) -> {
                    if (e != null) {
                        failed(e);
                    }
                });
    }

    @SuppressWarnings("unchecked")
    private static Synced synced(List<Object> r) {
        long now = Long.parseLong((String) r.get(0));
        boolean superseded = "1".equals(r.get(1));
        boolean counted = "1".equals(r.get(2));
        List<Object> st = (List<Object>) r.get(3);
        RolloutState state = new RolloutState((String) st.get(0), RolloutState.Phase.of((String) st.get(1)),
                Integer.parseInt((String) st.get(2)), Long.parseLong((String) st.get(3)), Long.parseLong((String) st.get(4)),
                Long.parseLong((String) st.get(5)), (String) st.get(6),
                new Gates.Baseline(Double.parseDouble((String) st.get(7)), Long.parseLong((String) st.get(8))));
        List<Object> flat = (List<Object>) r.get(4);
        Map<String, Long> fields = new HashMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            fields.put((String) flat.get(i), Long.parseLong((String) flat.get(i + 1)));
        }
        List<RolloutState.Change> history = new ArrayList<>();
        for (Object o : (List<Object>) r.get(5)) {
            String[] p = ((String) o).split("\\|", 4);
            history.add(new RolloutState.Change(Long.parseLong(p[0]), RolloutState.Phase.of(p[1]), Integer.parseInt(p[2]), p[3]));
        }
        return new Synced(state, superseded, counted, now, Counts.fromFields("c.", fields), Counts.fromFields("s.", fields), history);
    }


    @Override
    public void close() {
        redis.close();
    }
}
