package dev.edgegateway.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.edgegateway.config.RateLimitConfig;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Token buckets in Redis, shared by every gateway of a region: one atomic script call per request,
 * with Redis's clock, its answer resuming on the connection's event loop. Never longer than the
 * Redis timeout budget: past it, or while Redis is down (breaker open), the policy's fail-open or
 * fail-closed choice answers at once. A key Redis has refused is remembered here until its
 * bucket has a token again, so a hot abusive key is refused without a round trip.
 */
final class DistributedPolicy extends Policy {
    private final RedisLimiter redis;
    private final String[] args;
    private final int limits;
    private final long budgetNanos;
    /** Keys known to be over their limit, until when (System.nanoTime()). */
    private final Cache<String, Long> overLimit;

    private final String scope;

    DistributedPolicy(String scope, RateLimitConfig config, RedisLimiter redis) {
        super(config);
        this.scope = scope;
        this.redis = redis;
        this.limits = config.limits().size();
        this.budgetNanos = redis.timeout().toNanos();
        args = new String[1 + 2 * limits];
        args[0] = Integer.toString(limits);
        for (int i = 0; i < limits; i++) {
            RateLimitConfig.Limit l = config.limits().get(i);
            args[1 + 2 * i] = Long.toString(l.burst());
            args[2 + 2 * i] = Double.toString(1e6 / l.rate().perSecond());
        }
        // Each refusal expires when its key has a token again: nothing stays past its wait.
        overLimit = Caffeine.newBuilder().maximumSize(config.maxKeys()).executor(Runnable::run)
                .expireAfter(new Expiry<String, Long>() {
                    @Override
                    public long expireAfterCreate(String key, Long until, long currentTime) {
                        return Math.max(0, until - System.nanoTime());
                    }

                    @Override
                    public long expireAfterUpdate(String key, Long until, long currentTime, long currentDuration) {
                        return Math.max(0, until - System.nanoTime());
                    }

                    @Override
                    public long expireAfterRead(String key, Long until, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                }).build();
    }

    @Override
    public boolean check(String requestKey, Verdict verdict, ScheduledExecutorService loop, Runnable done) {
        String key = stored(requestKey);
        long now = System.nanoTime();
        Long until = overLimit.getIfPresent(key);
        if (until != null) {
            if (now - until < 0) {
                verdict.set(Verdict.Decision.LIMITED, 0, until - now, until - now);
                return true;
            }
            overLimit.invalidate(key);
        }
        if (redis.unavailable()) {
            failed(verdict);
            return true;
        }
        // One hash tag for all of this key's buckets: one slot in a Redis Cluster, one atomic call.
        String tag = "{rl:" + scope + ":" + key + "}:";
        String[] keys = new String[limits];
        for (int i = 0; i < limits; i++) {
            keys[i] = tag + i;
        }
        new Call(key, verdict, loop, done).start(keys);
        return false;
    }

    private void failed(Verdict verdict) {
        verdict.set(config.failOpen() ? Verdict.Decision.FAILED_OPEN : Verdict.Decision.FAILED_CLOSED, -1,
                config.failOpen() ? 0 : 1_000_000_000L, 0);
    }

    /** One request's call: whichever comes first on the loop, the answer or the budget, decides. */
    private final class Call implements Runnable {
        private final String key;
        private final Verdict verdict;
        private final ScheduledExecutorService loop;
        private final Runnable done;
        private ScheduledFuture<?> timer;
        private boolean finished;
        /** Written on the Redis client's thread before {@link #arrived} is set; read on the loop after. */
        private List<Object> answer;
        private boolean error;
        private volatile boolean arrived;

        Call(String key, Verdict verdict, ScheduledExecutorService loop, Runnable done) {
            this.key = key;
            this.verdict = verdict;
            this.loop = loop;
            this.done = done;
        }

        void start(String[] keys) {
            timer = loop.schedule(this, budgetNanos, TimeUnit.NANOSECONDS);
            redis.eval(keys, args).whenComplete((r, e) -> {
                answer = r;
                error = e != null;
                arrived = true;
                loop.execute(this::answered);
            });
        }

        /**
         * The budget ran out on this loop's clock. If Redis did answer in time but this loop was
         * busy (a stalled CPU, a long task), the answer is used: late is not failed. Otherwise the
         * policy's fail-open/closed choice answers now. Either way this is not counted against
         * Redis: its breaker counts errors and the latency measured on the client's own thread.
         */
        @Override
        public void run() {
            if (finished) {
                return;
            }
            if (arrived) {
                answered();
                return;
            }
            finished = true;
            failed(verdict);
            done.run();
        }

        private void answered() {
            if (finished) {
                return;
            }
            finished = true;
            timer.cancel(false);
            if (error || answer == null || answer.size() < 4) {
                failed(verdict);
            } else {
                boolean allowed = ((Long) answer.get(0)) == 1L;
                long remaining = (Long) answer.get(1);
                long waitNanos = (Long) answer.get(2) * 1000;
                long resetNanos = (Long) answer.get(3) * 1000;
                if (allowed) {
                    verdict.set(Verdict.Decision.ALLOWED, remaining, 0, resetNanos);
                } else {
                    verdict.set(Verdict.Decision.LIMITED, 0, waitNanos, resetNanos);
                    overLimit.put(key, System.nanoTime() + waitNanos);
                }
            }
            done.run();
        }
    }
}
