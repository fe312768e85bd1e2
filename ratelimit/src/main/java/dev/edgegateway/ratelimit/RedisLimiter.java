package dev.edgegateway.ratelimit;

import dev.edgegateway.config.HostPort;
import dev.edgegateway.config.RedisConfig;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's one connection to Redis (or a Redis Cluster) for distributed limits, through
 * lettuce, asynchronous throughout: nothing here blocks a caller. The token-bucket script is sent
 * by SHA; a server that does not know it (a restart, a failover) gets it once with EVAL.
 * Connecting is retried in the background until it succeeds, and lettuce reconnects a dropped
 * connection by itself; while disconnected, commands fail at once rather than queue. A breaker
 * stops calls after repeated failures, for a while, so a dead Redis costs no waiting at all.
 * Errors are logged at most once per interval. Thread-safe.
 */
public final class RedisLimiter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RedisLimiter.class);
    private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    static final String SCRIPT = loadScript();

    /** Calls and their outcome, for metrics. */
    public interface Events {
        Events NONE = (nanos, ok) -> { };

        void redisCall(long nanos, boolean ok);
    }

    private final RedisConfig config;
    private final Events events;
    private final ClientResources resources;
    private final ScheduledExecutorService reconnector;
    private final RedisClient client;
    private final RedisClusterClient clusterClient;
    private volatile StatefulRedisConnection<String, String> connection;
    private volatile StatefulRedisClusterConnection<String, String> clusterConnection;
    private volatile String sha;
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private volatile long openUntilNanos;
    private final AtomicLong lastLogNanos = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);
    private volatile boolean closed;

    public RedisLimiter(RedisConfig config, Events events) {
        this.config = config;
        this.events = events;
        this.resources = DefaultClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1)
                // Reconnect soon after Redis returns: 50 ms doubling to at most 2 s (lettuce's default cap is 30 s).
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS))
                .build();
        this.reconnector = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "edge-redis-connect");
            t.setDaemon(true);
            return t;
        });
        String password = config.passwordEnv() == null ? null : System.getenv(config.passwordEnv());
        List<RedisURI> uris = config.nodes().stream().map(n -> uri(n, password)).toList();
        TimeoutOptions timeouts = TimeoutOptions.enabled(Duration.ofSeconds(1));
        if (config.cluster()) {
            clusterClient = RedisClusterClient.create(resources, uris);
            clusterClient.setOptions(ClusterClientOptions.builder()
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(timeouts)
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enablePeriodicRefresh(Duration.ofSeconds(10))
                            .enableAllAdaptiveRefreshTriggers()
                            .build())
                    .build());
            client = null;
        } else {
            client = RedisClient.create(resources, uris.get(0));
            client.setOptions(ClientOptions.builder()
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(timeouts)
                    .build());
            clusterClient = null;
        }
        connect();
    }

    private static RedisURI uri(HostPort hp, String password) {
        RedisURI.Builder b = RedisURI.builder().withHost(hp.host()).withPort(hp.port()).withTimeout(Duration.ofSeconds(2));
        if (password != null) {
            b.withPassword(password.toCharArray());
        }
        return b.build();
    }

    private static String loadScript() {
        try (InputStream in = RedisLimiter.class.getResourceAsStream("token-buckets.lua")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("token-buckets.lua missing from the classpath", e);
        }
    }

    private void connect() {
        if (closed) {
            return;
        }
        CompletionStage<?> attempt;
        if (clusterClient != null) {
            // The async connect needs the topology first (lettuce reads it from any seed node).
            attempt = clusterClient.refreshPartitionsAsync().toCompletableFuture()
                    .thenCompose(v -> clusterClient.connectAsync(StringCodec.UTF8))
                    .thenAccept(c -> clusterConnection = c);
        } else {
            attempt = client.connectAsync(StringCodec.UTF8, uri(config.nodes().get(0),
                    config.passwordEnv() == null ? null : System.getenv(config.passwordEnv()))).thenAccept(c -> connection = c);
        }
        attempt.whenComplete((ok, error) -> {
            if (error != null) {
                failure(error);
                if (!closed) {
                    reconnector.schedule(this::connect, 1, TimeUnit.SECONDS);
                }
            } else {
                log.info("connected to Redis {}{}", config.nodes(), config.cluster() ? " (cluster)" : "");
            }
        });
    }

    /** Whether a connection is established (lettuce may still be reconnecting it). */
    public boolean connected() {
        StatefulRedisConnection<String, String> c = connection;
        StatefulRedisClusterConnection<String, String> cc = clusterConnection;
        return (c != null && c.isOpen()) || (cc != null && cc.isOpen());
    }

    /** True while calls are not worth making: never connected yet, or the breaker is open. */
    boolean unavailable() {
        if (connection == null && clusterConnection == null) {
            return true;
        }
        return System.nanoTime() - openUntilNanos < 0;
    }

    /** Runs the script for these bucket keys; completes on a lettuce thread. */
    CompletableFuture<List<Object>> eval(String[] keys, String[] args) {
        long start = System.nanoTime();
        CompletableFuture<List<Object>> result = evalsha(keys, args).handle((r, error) -> {
            if (error != null && rootCause(error) instanceof RedisNoScriptException) {
                return evalScript(keys, args);
            }
            return error == null ? CompletableFuture.completedFuture(r) : CompletableFuture.<List<Object>>failedFuture(error);
        }).thenCompose(f -> f);
        return result.whenComplete((r, error) -> {
            // Measured here, on the client's I/O thread, not on the event loop that asked: a busy
            // loop does not make Redis look slow.
            long took = System.nanoTime() - start;
            events.redisCall(took, error == null);
            if (error != null) {
                failure(error);
            } else if (took > config.timeout().toNanos()) {
                failure(new TimeoutException("answered in " + took / 1_000_000 + " ms, over the " + config.timeout().toMillis() + " ms budget"));
            } else {
                consecutiveFailures.set(0);
            }
        });
    }

    private void failure(Throwable error) {
        if (consecutiveFailures.incrementAndGet() >= config.breakerFailures()) {
            openUntilNanos = System.nanoTime() + config.breakerOpenTime().toNanos();
            consecutiveFailures.set(0);
        }
        long now = System.nanoTime();
        long last = lastLogNanos.get();
        if (now - last >= LOG_INTERVAL_NANOS && lastLogNanos.compareAndSet(last, now)) {
            log.warn("Redis for rate limits failing ({}); policies answer by their fail-open/closed choice; next report in 10 s",
                    rootCause(error).toString());
        }
    }

    private static Throwable rootCause(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    @SuppressWarnings("unchecked")
    private CompletableFuture<List<Object>> evalsha(String[] keys, String[] args) {
        String s = sha;
        if (s == null) {
            return evalScript(keys, args);
        }
        if (clusterConnection != null) {
            return clusterConnection.async().<List<Object>>evalsha(s, ScriptOutputType.MULTI, keys, args).toCompletableFuture();
        }
        StatefulRedisConnection<String, String> c = connection;
        if (c == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("not connected to Redis"));
        }
        return c.async().<List<Object>>evalsha(s, ScriptOutputType.MULTI, keys, args).toCompletableFuture();
    }

    private CompletableFuture<List<Object>> evalScript(String[] keys, String[] args) {
        CompletableFuture<List<Object>> f;
        if (clusterConnection != null) {
            f = clusterConnection.async().<List<Object>>eval(SCRIPT, ScriptOutputType.MULTI, keys, args).toCompletableFuture();
        } else {
            StatefulRedisConnection<String, String> c = connection;
            if (c == null) {
                return CompletableFuture.failedFuture(new IllegalStateException("not connected to Redis"));
            }
            f = c.async().<List<Object>>eval(SCRIPT, ScriptOutputType.MULTI, keys, args).toCompletableFuture();
        }
        // EVAL caches the script on that server: from now on, send the SHA.
        return f.whenComplete((r, e) -> {
            if (e == null && sha == null) {
                sha = sha1(SCRIPT);
            }
        });
    }

    static String sha1(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
            StringBuilder sb = new StringBuilder();
            for (byte b : d) {
                sb.append(String.format("%02x", b));
            }
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public Duration timeout() {
        return config.timeout();
    }

    @Override
    public void close() {
        closed = true;
        reconnector.shutdownNow();
        try {
            if (clusterClient != null) {
                clusterClient.shutdown(Duration.ZERO, Duration.ofSeconds(1));
            } else {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
            }
            resources.shutdown(0, 1, TimeUnit.SECONDS);
        } catch (RuntimeException e) {
            log.debug("closing the Redis client: {}", e.toString());
        }
    }
}
