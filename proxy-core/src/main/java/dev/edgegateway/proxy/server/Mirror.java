package dev.edgegateway.proxy.server;

import dev.edgegateway.config.ClusterConfig;
import dev.edgegateway.config.MirrorConfig;
import dev.edgegateway.health.Endpoint;
import dev.edgegateway.proxy.tls.UpstreamTls;
import dev.edgegateway.proxy.upstream.UpstreamConnection;
import dev.edgegateway.proxy.upstream.UpstreamListener;
import dev.edgegateway.proxy.upstream.UpstreamPool;
import dev.edgegateway.routing.Cluster;
import io.micrometer.core.instrument.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One mirrored copy of a request (shadow testing), fire and forget, on the exchange's event loop
 * but sharing nothing with the exchange after it starts: its own endpoint pick from the mirror
 * cluster, its own origin connection from the loop's pool, the head copied with
 * {@code x-edge-shadow: 1} and the authority suffixed {@code -shadow}, the body from the retry
 * copy's buffers (retained, not copied). The mirror's answer is read and dropped; a slow or dead
 * mirror holds only its own connection, for at most the response-header timeout, and at most
 * {@code maxInFlight} copies per process are outstanding (past that a copy is dropped and counted).
 */
final class Mirror implements UpstreamListener, Runnable {
    static final String SHADOW = "x-edge-shadow";
    private static final int SENT = 0;
    private static final int DROPPED = 1;
    private static final int FAILED = 2;
    private static final int SKIPPED = 3;

    /** A route's mirror, compiled once per config: the cluster, the share, the bound, the counters. */
    static final class Target {
        final Cluster cluster;
        final double percent;
        final int maxInFlight;
        final AtomicInteger inFlight = new AtomicInteger();
        final Counter[] outcomes;

        Target(Cluster cluster, MirrorConfig config, Counter[] outcomes) {
            this.cluster = cluster;
            this.percent = config.percent();
            this.maxInFlight = config.maxInFlight();
            this.outcomes = outcomes;
        }

        /** Whether this request is one of the share that is copied. */
        boolean chosen() {
            return percent >= 100 || ThreadLocalRandom.current().nextDouble(100) < percent;
        }
    }

    private final Target target;
    private final HttpRequest head;
    private final List<HttpContent> body;
    private final Endpoint endpoint;
    private UpstreamConnection conn;
    private boolean keepAlive;
    private boolean done;
    private ScheduledFuture<?> timer;

    private Mirror(Target target, HttpRequest head, List<HttpContent> body, Endpoint endpoint) {
        this.target = target;
        this.head = head;
        this.body = body;
        this.endpoint = endpoint;
    }

    /**
     * Sends the copy of {@code x}'s request, now that the request was read whole (its body, if
     * any, is in the retry copy). A body that outgrew the retry copy is not mirrored ({@code skipped}).
     */
    static void send(Exchange x, UpstreamPool pool, EventExecutor loop) {
        Target t = x.extras().mirror;
        if (t == null) {
            return;
        }
        if (x.hasBody && (x.body == null || !x.body.intact())) {
            t.outcomes[SKIPPED].increment();
            return;
        }
        if (t.inFlight.incrementAndGet() > t.maxInFlight) {
            t.inFlight.decrementAndGet();
            t.outcomes[DROPPED].increment();
            return;
        }
        Endpoint e = t.cluster.balancer().pick();
        if (e == null) {
            t.inFlight.decrementAndGet();
            t.outcomes[FAILED].increment();
            return;
        }
        HttpRequest copy = new DefaultHttpRequest(HttpVersion.HTTP_1_1, x.request.method(), x.request.uri(), x.request.headers().copy());
        copy.headers().set(SHADOW, "1");
        String host = copy.headers().get(HttpHeaderNames.HOST);
        if (host != null) {
            int colon = host.lastIndexOf(':');
            copy.headers().set(HttpHeaderNames.HOST, colon > 0 && host.indexOf(']') < colon
                    ? host.substring(0, colon) + "-shadow" + host.substring(colon) : host + "-shadow");
        }
        Mirror m = new Mirror(t, copy, x.body == null ? new ArrayList<>(0) : x.body.retainedParts(), e);
        e.requestStarted();
        m.timer = loop.schedule(m, x.state.responseHeaderTimeoutNanos, TimeUnit.NANOSECONDS);
        UpstreamTls tls = x.state.upstreamTls(t.cluster);
        ClusterConfig c = t.cluster.config();
        UpstreamConnection idle = c.protocol() == ClusterConfig.Protocol.H2 ? null : pool.poll(e, tls);
        if (idle != null) {
            m.connected(idle);
            return;
        }
        Future<UpstreamConnection> f = pool.connect(e, tls, c.protocol() == ClusterConfig.Protocol.H2, x.state.connectTimeoutMillis,
                x.state.upstreamIdleNanos, c.maxIdleConnectionsPerEndpoint());
        f.addListener(done -> {
            if (done.isSuccess()) {
                m.connected(f.getNow());
            } else {
                m.finish(false);
            }
        });
    }

    private void connected(UpstreamConnection c) {
        if (done) {
            c.release(); // timed out while connecting: the connection is clean, keep it
            return;
        }
        conn = c;
        c.bind(this);
        Channel ch = c.channel();
        ch.read(); // first: a read asked for after a write failed and closed the channel would outlive it on io_uring
        ch.write(head, ch.voidPromise());
        if (body.isEmpty()) {
            ch.write(LastHttpContent.EMPTY_LAST_CONTENT, ch.voidPromise()); // a body-less request
        }
        for (HttpContent p : body) {
            ch.write(p, ch.voidPromise()); // ownership of each retained part passes; the last one ends the request
        }
        body.clear();
        ch.flush();
    }

    @Override
    public void onUpstreamMessage(HttpObject msg) {
        if (msg instanceof HttpResponse r) {
            keepAlive = HttpUtil.isKeepAlive(r);
        }
        boolean last = msg instanceof LastHttpContent;
        ReferenceCountUtil.release(msg);
        if (last) {
            finish(true);
        }
    }

    @Override
    public void onUpstreamBytes(ByteBuf bytes) {
        bytes.release();
        finish(false);
    }

    @Override
    public void onUpstreamReadComplete() {
        if (!done && conn != null) {
            conn.channel().read();
        }
    }

    @Override
    public void onUpstreamWritabilityChanged(boolean writable) {
        // the copy is written whole at once; nothing waits for writability
    }

    @Override
    public void onUpstreamClosed(Throwable cause) {
        finish(false);
    }

    @Override
    public void onUpstreamIdle() {
        finish(false);
    }

    /** The response-header timeout ran out: the mirror is too slow; its connection is closed. */
    @Override
    public void run() {
        finish(false);
    }

    private void finish(boolean answered) {
        if (done) {
            return;
        }
        done = true;
        if (timer != null) {
            timer.cancel(false);
        }
        for (HttpContent p : body) {
            p.release();
        }
        body.clear();
        if (conn != null) {
            if (answered && keepAlive) {
                conn.release();
            } else {
                conn.discard();
            }
        }
        endpoint.requestFinished();
        target.inFlight.decrementAndGet();
        target.outcomes[answered ? SENT : FAILED].increment();
    }
}
