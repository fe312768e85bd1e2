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
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One lettuce connection to a Redis (or a Redis Cluster) that runs Lua scripts, asynchronous
 * throughout: nothing here blocks a caller. A script is sent by SHA; a server that does not know it
 * (a restart, a failover) gets it once with EVAL. Connecting is retried in the background until it
 * succeeds, and lettuce reconnects a dropped connection by itself; while disconnected, commands
 * fail at once rather than queue. Shared by the distributed limits and the rollouts' state, each
 * with its own connection. Thread-safe.
 */
public final class RedisConnection implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RedisConnection.class);

    /** A Lua script from the classpath, and whether the server is known to hold it. */
    public static final class Script {
        final String text;
        final String sha;
        volatile boolean loaded;

        public Script(Class<?> owner, String resource) {
            try (InputStream in = owner.getResourceAsStream(resource)) {
                this.text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException | NullPointerException e) {
                throw new IllegalStateException(resource + " missing from the classpath", e);
            }
            this.sha = sha1(text);
        }
    }

    private final RedisConfig config;
    private final String purpose;
    private final Consumer<Throwable> onConnectFailure;
    private final ClientResources resources;
    private final ScheduledExecutorService reconnector;
    private final RedisClient client;
    private final RedisClusterClient clusterClient;
    private volatile StatefulRedisConnection<String, String> connection;
    private volatile StatefulRedisClusterConnection<String, String> clusterConnection;
    private volatile boolean closed;
    private volatile StatefulRedisPubSubConnection<String, String> pubSub;

    /**
     * Starts connecting at once, in the background.
     *
     * @param purpose what the connection is for, in its log lines and thread names
     * @param onConnectFailure told of each failed attempt to connect
     */
    public RedisConnection(RedisConfig config, String purpose, Consumer<Throwable> onConnectFailure) {
        this.config = config;
        this.purpose = purpose;
        this.onConnectFailure = onConnectFailure;
        this.resources = DefaultClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1)
                // Reconnect soon after Redis returns: 50 ms doubling to at most 2 s (lettuce's default cap is 30 s).
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS))
                .build();
        this.reconnector = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "edge-redis-connect-" + purpose);
            t.setDaemon(true);
            return t;
        });
        String password = password();
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

    private String password() {
        return config.passwordEnv() == null ? null : System.getenv(config.passwordEnv());
    }

    private static RedisURI uri(HostPort hp, String password) {
        RedisURI.Builder b = RedisURI.builder().withHost(hp.host()).withPort(hp.port()).withTimeout(Duration.ofSeconds(2));
        if (password != null) {
            b.withPassword(password.toCharArray());
        }
        return b.build();
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
            attempt = client.connectAsync(StringCodec.UTF8, uri(config.nodes().get(0), password())).thenAccept(c -> connection = c);
        }
        attempt.whenComplete((ok, error) -> {
            if (error != null) {
                onConnectFailure.accept(error);
                if (!closed) {
                    reconnector.schedule(this::connect, 1, TimeUnit.SECONDS);
                }
            } else {
                log.info("connected to Redis {}{} for {}", config.nodes(), config.cluster() ? " (cluster)" : "", purpose);
                preloadNow();
            }
        });
    }

    private final List<Script> preloaded = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * Loads these scripts into the server's cache as soon as a connection is made (now, if one is),
     * so that the first call of each is sent by SHA and does not pay for compiling it.
     */
    public void preload(Script... scripts) {
        preloaded.addAll(List.of(scripts));
        if (connected()) {
            preloadNow();
        }
    }

    /** Set once the scripts are loaded (in a cluster, on every node, which opens a connection to each). */
    private volatile boolean warmed;

    private void preloadNow() {
        List<CompletableFuture<?>> loads = new ArrayList<>();
        for (Script s : preloaded) {
            CompletionStage<String> loaded = clusterConnection != null ? clusterConnection.async().scriptLoad(s.text)
                    : connection != null ? connection.async().scriptLoad(s.text) : null;
            if (loaded != null) {
                loads.add(loaded.thenAccept(sha -> s.loaded = true).toCompletableFuture());
            }
        }
        CompletableFuture.allOf(loads.toArray(new CompletableFuture<?>[0])).whenComplete((v, e) -> warmed = true);
    }

    /**
     * Whether a connection is established and ready (its scripts loaded, in a cluster on every
     * node); lettuce may still be reconnecting it.
     */
    public boolean connected() {
        StatefulRedisConnection<String, String> c = connection;
        StatefulRedisClusterConnection<String, String> cc = clusterConnection;
        return ((c != null && c.isOpen()) || (cc != null && cc.isOpen())) && (warmed || preloaded.isEmpty());
    }

    /** Whether a connection was ever made (before that, every call fails at once). */
    boolean everConnected() {
        return connection != null || clusterConnection != null;
    }

    public RedisConfig config() {
        return config;
    }

    /** Runs a script on these keys (in a cluster, all in one slot); completes on a lettuce thread. */
    public CompletableFuture<List<Object>> eval(Script script, String[] keys, String[] args) {
        CompletableFuture<List<Object>> first = script.loaded ? run(script, true, keys, args) : run(script, false, keys, args);
        return first.handle((r, error) -> {
            if (error != null && rootCause(error) instanceof RedisNoScriptException) {
                return run(script, false, keys, args);
            }
            return error == null ? CompletableFuture.completedFuture(r) : CompletableFuture.<List<Object>>failedFuture(error);
        }).thenCompose(f -> f);
    }

    @SuppressWarnings("unchecked")
    private CompletableFuture<List<Object>> run(Script script, boolean bySha, String[] keys, String[] args) {
        CompletableFuture<List<Object>> f;
        StatefulRedisClusterConnection<String, String> cc = clusterConnection;
        StatefulRedisConnection<String, String> c = connection;
        if (cc != null) {
            f = (bySha ? cc.async().<List<Object>>evalsha(script.sha, ScriptOutputType.MULTI, keys, args)
                    : cc.async().<List<Object>>eval(script.text, ScriptOutputType.MULTI, keys, args)).toCompletableFuture();
        } else if (c != null) {
            f = (bySha ? c.async().<List<Object>>evalsha(script.sha, ScriptOutputType.MULTI, keys, args)
                    : c.async().<List<Object>>eval(script.text, ScriptOutputType.MULTI, keys, args)).toCompletableFuture();
        } else {
            return CompletableFuture.failedFuture(new IllegalStateException("not connected to Redis"));
        }
        if (bySha) {
            return f;
        }
        // EVAL caches the script on that server: from now on, send the SHA.
        return f.whenComplete((r, e) -> {
            if (e == null) {
                script.loaded = true;
            }
        });
    }

    public static Throwable rootCause(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
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

    /**
     * Subscribes to a channel on a connection of its own (made in the background, retried until it
     * succeeds; lettuce resubscribes after a reconnect): each message is given to {@code onMessage}
     * on a lettuce thread.
     */
    public void subscribe(String channel, Consumer<String> onMessage) {
        if (closed) {
            return;
        }
        RedisPubSubAdapter<String, String> listener = new RedisPubSubAdapter<>() {
            @Override
            public void message(String ch, String message) {
                onMessage.accept(message);
            }
        };
        CompletionStage<?> attempt;
        if (clusterClient != null) {
            attempt = clusterClient.connectPubSubAsync(StringCodec.UTF8).thenCompose(c -> {
                pubSub = c;
                c.addListener(listener);
                return c.async().subscribe(channel);
            });
        } else {
            attempt = client.connectPubSubAsync(StringCodec.UTF8, uri(config.nodes().get(0), password())).thenCompose(c -> {
                pubSub = c;
                c.addListener(listener);
                return c.async().subscribe(channel);
            });
        }
        attempt.whenComplete((ok, error) -> {
            if (error != null && !closed) {
                StatefulRedisPubSubConnection<String, String> half = pubSub;
                if (half != null) {
                    half.closeAsync();
                    pubSub = null;
                }
                reconnector.schedule(() -> subscribe(channel, onMessage), 1, TimeUnit.SECONDS);
            }
        });
    }

    /** Runs {@code task} every {@code period} on this connection's own thread (never a caller's). */
    public void every(Duration period, Runnable task) {
        reconnector.scheduleWithFixedDelay(task, 0, period.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        closed = true;
        StatefulRedisPubSubConnection<String, String> ps = pubSub;
        if (ps != null) {
            ps.closeAsync();
        }
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
