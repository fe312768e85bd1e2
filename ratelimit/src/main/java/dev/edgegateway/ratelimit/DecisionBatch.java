package dev.edgegateway.ratelimit;

import io.lettuce.core.cluster.SlotHash;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BiConsumer;

/**
 * The distributed decisions one event loop asks for in one turn, sent together: the first queues a
 * task on the loop, which runs once the loop has handled what it read, and sends every decision
 * queued by then in one script call (in a Redis Cluster, one call per hash slot). Each decision's
 * answer (four numbers) is handed to its own callback. Confined to its loop.
 */
final class DecisionBatch implements Runnable {
    /** One key's decision: its buckets, its part of the arguments (limits, tokens wanted, each limit's capacity and rate). */
    record Decision(String[] keys, String[] args, BiConsumer<List<Object>, Throwable> answer) {}

    private final ScheduledExecutorService loop;
    private final RedisLimiter redis;
    private final boolean cluster;
    private List<Decision> pending = new ArrayList<>();

    DecisionBatch(ScheduledExecutorService loop, RedisLimiter redis, boolean cluster) {
        this.loop = loop;
        this.redis = redis;
        this.cluster = cluster;
    }

    /** On the loop: queues a decision for the end of this turn. */
    void add(Decision d) {
        if (pending.isEmpty()) {
            loop.execute(this);
        }
        pending.add(d);
    }

    @Override
    public void run() {
        List<Decision> due = pending;
        pending = new ArrayList<>();
        if (!cluster) {
            send(redis, due);
            return;
        }
        Map<Integer, List<Decision>> bySlot = new LinkedHashMap<>();
        for (Decision d : due) {
            bySlot.computeIfAbsent(SlotHash.getSlot(d.keys()[0]), s -> new ArrayList<>()).add(d);
        }
        bySlot.values().forEach(group -> send(redis, group));
    }

    /** Sends these decisions in one call (from any thread) and hands each its answer. */
    static void send(RedisLimiter redis, List<Decision> decisions) {
        List<String> keys = new ArrayList<>();
        List<String> args = new ArrayList<>();
        args.add(redis.refusalChannel());
        args.add(Integer.toString(decisions.size()));
        for (Decision d : decisions) {
            keys.addAll(List.of(d.keys()));
            args.addAll(List.of(d.args()));
        }
        redis.eval(keys.toArray(new String[0]), args.toArray(new String[0])).whenComplete((r, error) -> {
            for (int i = 0; i < decisions.size(); i++) {
                if (error != null || r == null || r.size() < 4 * (i + 1)) {
                    decisions.get(i).answer().accept(null, error != null ? error : new IllegalStateException("short answer from Redis"));
                } else {
                    decisions.get(i).answer().accept(r.subList(4 * i, 4 * i + 4), null);
                }
            }
        });
    }
}
