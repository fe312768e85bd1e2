package dev.edgegateway.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.edgegateway.config.RateLimitConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Token buckets in Redis, shared by every gateway of a region, decided by one atomic script with
 * Redis's clock, its answer resuming on the connection's event loop, never later than the Redis
 * timeout budget (past it, or while Redis is down, the policy's fail-open or fail-closed choice
 * answers at once).
 *
 * <p>A hot key does not cost a call per request: this gateway takes a <em>lease</em> of tokens
 * from the shared buckets (sized from the key's rate here and the fleet's size, at most what the
 * slowest limit earns in a lease time split over the fleet) and spends it locally until it is
 * spent or {@code redis.leaseTime} has passed; requests for a key whose call is under way wait for
 * that call instead of making their own. Tokens are only ever taken from the shared buckets, so
 * leasing cannot admit more than the limits allow; it only moves an admission up to one lease time
 * after its token was taken: over any interval T the fleet admits at most
 * {@code burst + rate x (T + leaseTime)}. A cold key asks per request, as before.
 *
 * <p>A refused key is refused here without a call until a lease's worth of tokens is back, and
 * the script publishes the first refusal so every gateway of the fleet does the same. Decisions
 * due on one event loop in one turn (cold keys) go to Redis in one call ({@link DecisionBatch}).
 */
final class DistributedPolicy extends Policy {
    /** Requests that may wait for one key's call at once; more are answered by the fail-open/closed choice. */
    static final int MAX_WAITERS = 4096;

    private final RedisLimiter redis;
    private final String scope;
    private final String[] limitArgs;
    private final int limits;
    private final long budgetNanos;
    private final long leaseNanos;
    /** Tokens the slowest limit earns in one lease time, and its capacity. */
    private final double tokensPerLease;
    private final long smallestBurst;
    private final Cache<String, KeyState> keys;

    DistributedPolicy(String scope, RateLimitConfig config, RedisLimiter redis) {
        super(config);
        this.scope = scope;
        this.redis = redis;
        this.limits = config.limits().size();
        this.budgetNanos = redis.timeout().toNanos();
        this.leaseNanos = redis.leaseTime().toNanos();
        limitArgs = new String[2 * limits];
        double slowest = Double.MAX_VALUE;
        long burst = Long.MAX_VALUE;
        for (int i = 0; i < limits; i++) {
            RateLimitConfig.Limit l = config.limits().get(i);
            limitArgs[2 * i] = Long.toString(l.burst());
            limitArgs[2 * i + 1] = Double.toString(1e6 / l.rate().perSecond());
            slowest = Math.min(slowest, l.rate().perSecond());
            burst = Math.min(burst, l.burst());
        }
        tokensPerLease = slowest * leaseNanos / 1e9;
        smallestBurst = burst;
        // A key's state is a few fields (its name is at most 64 characters: Policy.stored), kept
        // while it is used and a while after, at most maxKeys of them.
        keys = Caffeine.newBuilder().maximumSize(config.maxKeys()).executor(Runnable::run)
                .expireAfterAccess(Duration.ofSeconds(10)).build();
        redis.register(scope, this);
    }

    /** One key's state on this gateway. Guarded by itself. */
    static final class KeyState {
        long tokens;
        long leaseUntil;
        long refusedUntil;
        long remaining;
        long resetNanos;
        /** Requests counted in the current and the previous 100 ms, for the key's rate here. */
        long windowStart;
        int windowCount;
        int previousCount;
        Call call;

        void seen(long now) {
            if (now - windowStart >= 100_000_000L) {
                previousCount = now - windowStart >= 200_000_000L ? 0 : windowCount;
                windowCount = 0;
                windowStart = now;
            }
            windowCount++;
        }

        /** Requests per second here, from the last full 100 ms and the current one. */
        double rate(long now) {
            double elapsed = Math.max(0.1, (now - windowStart) / 1e9);
            return Math.max(previousCount * 10.0, windowCount / elapsed);
        }
    }

    @Override
    public boolean check(String requestKey, Verdict verdict, ScheduledExecutorService loop, Runnable done) {
        String key = stored(requestKey);
        KeyState s = keys.get(key, k -> new KeyState());
        long now = System.nanoTime();
        Waiter w;
        Call call = null;
        synchronized (s) {
            s.seen(now);
            if (s.tokens > 0 && now - s.leaseUntil < 0) {
                s.tokens--;
                verdict.set(Verdict.Decision.ALLOWED, s.remaining + s.tokens, 0, s.resetNanos);
                return true;
            }
            s.tokens = 0;
            if (now - s.refusedUntil < 0) {
                verdict.set(Verdict.Decision.LIMITED, 0, s.refusedUntil - now, Math.max(s.resetNanos, s.refusedUntil - now));
                return true;
            }
            if (redis.unavailable()) {
                failed(verdict);
                return true;
            }
            w = new Waiter(s, verdict, loop, done);
            if (s.call != null) {
                if (s.call.waiters.size() >= MAX_WAITERS) {
                    failed(verdict);
                    return true;
                }
                s.call.waiters.add(w);
            } else {
                call = s.call = new Call(key, s, leaseSize(s, now, 1));
                call.waiters.add(w);
            }
        }
        w.arm();
        if (call != null) {
            call.send(loop);
        }
        return false;
    }

    /**
     * Tokens to ask for: the key's demand here over one lease time, at most this gateway's share of
     * what the slowest limit earns in that time (and of its burst), and at least those waiting.
     */
    private long leaseSize(KeyState s, long now, int waiting) {
        int fleet = Math.max(1, redis.fleetSize());
        long share = (long) Math.floor(Math.min(tokensPerLease, smallestBurst) / fleet);
        long demand = (long) Math.ceil(s.rate(now) * leaseNanos / 1e9);
        return Math.max(waiting, Math.min(demand, share));
    }

    /** Another gateway was refused this key: refuse it here too, without asking, for {@code waitNanos}. */
    void refusedElsewhere(String key, long waitNanos) {
        KeyState s = keys.getIfPresent(key);
        if (s != null) {
            synchronized (s) {
                long until = System.nanoTime() + waitNanos;
                if (until - s.refusedUntil > 0) {
                    s.refusedUntil = until;
                }
            }
        }
    }

    String scope() {
        return scope;
    }

    private void failed(Verdict verdict) {
        verdict.set(config.failOpen() ? Verdict.Decision.FAILED_OPEN : Verdict.Decision.FAILED_CLOSED, -1,
                config.failOpen() ? 0 : 1_000_000_000L, 0);
    }

    /** One call to Redis for a key, and the requests waiting for it (on any event loop). */
    private final class Call {
        final String key;
        final KeyState s;
        final long want;
        final List<Waiter> waiters = new ArrayList<>(1);

        Call(String key, KeyState s, long want) {
            this.key = key;
            this.s = s;
            this.want = want;
        }

        /** Sends the call: with its loop's other decisions of this turn when {@code loop} is given (on that loop), else alone. */
        void send(ScheduledExecutorService loop) {
            // One hash tag for all of this key's buckets: one slot in a Redis Cluster, one atomic decision.
            String tag = "{rl:" + scope + ":" + key + "}:";
            String[] k = new String[limits];
            for (int i = 0; i < limits; i++) {
                k[i] = tag + i;
            }
            String[] args = new String[2 + limitArgs.length];
            args[0] = Integer.toString(limits);
            args[1] = Long.toString(want);
            System.arraycopy(limitArgs, 0, args, 2, limitArgs.length);
            redis.decide(loop, new DecisionBatch.Decision(k, args, this::answered));
        }

        /** On the Redis client's thread: hands out the granted tokens in arrival order and keeps the rest as the lease. */
        private void answered(List<Object> answer, Throwable error) {
            Call next = null;
            List<Waiter> decided;
            synchronized (s) {
                s.call = null;
                decided = new ArrayList<>(waiters);
                if (error != null || answer == null || answer.size() < 4) {
                    decided.forEach(w -> w.decide(config.failOpen() ? Verdict.Decision.FAILED_OPEN : Verdict.Decision.FAILED_CLOSED,
                            -1, config.failOpen() ? 0 : 1_000_000_000L, 0));
                } else {
                    long granted = (Long) answer.get(0);
                    long now = System.nanoTime();
                    s.remaining = (Long) answer.get(1);
                    long waitNanos = (Long) answer.get(2) * 1000;
                    s.resetNanos = (Long) answer.get(3) * 1000;
                    boolean exhausted = granted < want;
                    List<Waiter> unserved = new ArrayList<>();
                    for (Waiter w : waiters) {
                        if (granted > 0) {
                            granted--;
                            w.decide(Verdict.Decision.ALLOWED, s.remaining + granted, 0, s.resetNanos);
                        } else {
                            unserved.add(w);
                        }
                    }
                    s.tokens = granted;
                    s.leaseUntil = now + leaseNanos;
                    if (granted == 0 && waitNanos > 0) {
                        s.refusedUntil = now + waitNanos;
                    }
                    if (!unserved.isEmpty() && !exhausted) {
                        // More arrived during the call than it asked for, and the buckets had them all: ask again for them.
                        decided.removeAll(unserved);
                        next = s.call = new Call(key, s, leaseSize(s, now, unserved.size()));
                        next.waiters.addAll(unserved);
                    } else {
                        long wait = Math.max(waitNanos, 1_000_000L);
                        unserved.forEach(w -> w.decide(Verdict.Decision.LIMITED, 0, wait, Math.max(s.resetNanos, wait)));
                    }
                }
            }
            decided.forEach(Waiter::arrived);
            if (next != null) {
                next.send(null);
            }
        }
    }

    /** One request waiting for a call: whichever comes first on its loop, the answer or the budget, decides. */
    private final class Waiter implements Runnable {
        private final KeyState s;
        private final Verdict verdict;
        private final ScheduledExecutorService loop;
        private final Runnable done;
        private ScheduledFuture<?> timer;
        /** Confined to the loop. */
        private boolean finished;
        /** The budget was given once more (Redis healthy, the answer late): at most twice the budget in all. */
        private boolean graced;
        /** Written under the key's lock before {@link #arrived} is set; read on the loop after. */
        private Verdict.Decision decision;
        private long remaining;
        private long retryAfterNanos;
        private long resetNanos;
        private volatile boolean answered;

        Waiter(KeyState s, Verdict verdict, ScheduledExecutorService loop, Runnable done) {
            this.s = s;
            this.verdict = verdict;
            this.loop = loop;
            this.done = done;
        }

        /** On the request's loop, before its call can answer. */
        void arm() {
            timer = loop.schedule(this, budgetNanos, TimeUnit.NANOSECONDS);
        }

        void decide(Verdict.Decision d, long remaining, long retryAfterNanos, long resetNanos) {
            this.decision = d;
            this.remaining = remaining;
            this.retryAfterNanos = retryAfterNanos;
            this.resetNanos = resetNanos;
        }

        void arrived() {
            answered = true;
            loop.execute(this::deliver);
        }

        /**
         * The budget ran out on this loop's clock. If Redis did answer in time but this loop was
         * busy (a stalled CPU, a long task), the answer is used: late is not failed. Otherwise the
         * policy's fail-open/closed choice answers now, unless Redis is connected and its breaker
         * closed ({@link RedisLimiter#healthy}): then the lateness may be this machine's (a starved
         * CPU, a cold start), and the request waits one more budget before the choice answers.
         * Either way this is not counted against Redis: its breaker counts errors and the latency
         * measured on the client's own thread.
         */
        @Override
        public void run() {
            if (finished) {
                return;
            }
            if (answered) {
                deliver();
                return;
            }
            if (!graced && redis.healthy()) {
                graced = true;
                timer = loop.schedule(this, budgetNanos, TimeUnit.NANOSECONDS);
                return;
            }
            finished = true;
            failed(verdict);
            done.run();
        }

        private void deliver() {
            if (finished) {
                if (decision == Verdict.Decision.ALLOWED) {
                    synchronized (s) {
                        s.tokens++; // answered after this request gave up waiting: its token goes back to the lease
                    }
                }
                return;
            }
            finished = true;
            if (timer != null) {
                timer.cancel(false);
            }
            verdict.set(decision, remaining, retryAfterNanos, resetNanos);
            done.run();
        }
    }
}
