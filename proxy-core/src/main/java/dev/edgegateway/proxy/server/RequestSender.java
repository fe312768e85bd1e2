package dev.edgegateway.proxy.server;

import dev.edgegateway.config.ClusterConfig;
import dev.edgegateway.proxy.http1.Parts;
import dev.edgegateway.proxy.transport.LoopClock;
import dev.edgegateway.proxy.transport.LoopFlushes;
import dev.edgegateway.proxy.upstream.UpstreamConnection;
import dev.edgegateway.proxy.upstream.UpstreamPool;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.EventExecutor;

/**
 * The request's way to the origin for an {@link UpstreamAttempt}: a try's head (with its end, for
 * an HTTP/1 request with no body), what a retry sends again, the body as it is read (and into the
 * retry copy), reading the client on as the origin takes it, and the copy for the route's mirror
 * once the request is whole. One per attempt; confined to its event loop.
 */
final class RequestSender {
    private final UpstreamAttempt attempt;
    private final Downstream down;
    private final UpstreamPool pool;
    private final EventExecutor loop;
    /** HTTP/1 client connection: a request with no body has its (empty) end decoded right behind its head. */
    private final boolean perConnection;
    private boolean waitingUpstreamWritable;

    RequestSender(UpstreamAttempt attempt, Downstream down, UpstreamPool pool, EventExecutor loop, boolean perConnection) {
        this.attempt = attempt;
        this.down = down;
        this.pool = pool;
        this.loop = loop;
        this.perConnection = perConnection;
    }

    /** A new exchange: nothing waits for the origin to take more. */
    void reset() {
        waitingUpstreamWritable = false;
    }

    /** The try's connection is ready: the request as far as it was read goes out on it. */
    void head(Exchange x, UpstreamConnection u) {
        ChannelHandlerContext out = u.context();
        if (!x.hasBody && perConnection && x.cluster.config().protocol() != ClusterConfig.Protocol.H2) {
            // An HTTP/1 request with no body: head and end in one write, one pass through the origin
            // connection's pipeline, not two. On a first try the decoder's empty end follows the
            // head (body() drops it); reading it keeps the client's read interest.
            boolean first = !x.complete;
            out.write(Parts.whole(x.request), out.voidPromise());
            sent(x, out, x.tryStartNanos);
            if (first) {
                down.readRequest();
            }
            return;
        }
        out.write(x.request, out.voidPromise());
        if (x.body != null) {
            x.body.replayTo(out); // a retry: what was read of the body so far goes again
        }
        if (x.complete) {
            // A retry of a request read whole: it is all written.
            if (!x.hasBody) {
                out.write(LastHttpContent.EMPTY_LAST_CONTENT, out.voidPromise());
            }
            sent(x, out, x.tryStartNanos);
        } else {
            if (x.expectContinue) {
                down.sendContinue();
            }
            down.readRequest(); // the body, or the empty end of a body-less request
        }
    }

    /**
     * A part of the request body (ownership passes), {@code u} the try's connection (null while a
     * retry connects): to the origin, and to the retry copy. One that arrives while a retry
     * connects (it was asked for before the try failed) joins the copy, which the next try sends;
     * if it outgrows the copy, the body can no longer be sent whole.
     */
    void body(Exchange x, UpstreamConnection u, HttpContent part) {
        boolean last = Parts.isLast(part);
        if (last && x != null && x.complete && !x.hasBody) {
            part.release(); // the end of a request with no body, which went out with its head
            return;
        }
        if (u == null) {
            if (x != null && x.phase == Exchange.Phase.CONNECTING && x.body != null) {
                x.body.add(part);
                part.release();
                x.complete |= last;
                if (last) {
                    mirrorOnce(x);
                }
                if (!x.body.intact()) {
                    attempt.refuse(Refusal.of(502, null, "the request body outgrew the retry buffer while a retry was connecting"));
                }
            } else {
                part.release();
            }
            return;
        }
        if (x.body != null) {
            x.body.add(part);
        }
        ChannelHandlerContext out = u.context();
        out.write(part, out.voidPromise());
        if (last) {
            sent(x, out, LoopClock.nanoTime());
        } else {
            out.flush(); // a body streams: the next part is read once this one is taken
            if (out.channel().isWritable()) {
                down.readRequest();
            } else {
                waitingUpstreamWritable = true;
            }
        }
    }

    /** Whether the client is not read because the origin has not taken the last body part. */
    boolean waitingOnOrigin() {
        return waitingUpstreamWritable;
    }

    /** The origin can take more: read the client on, if that waited. */
    void upstreamWritable() {
        if (waitingUpstreamWritable) {
            waitingUpstreamWritable = false;
            down.readRequest();
        }
    }

    /**
     * The request is whole on its way to the origin: out with this turn's other sends, mirrored,
     * and its response timed from {@code now} (unless the response began already).
     */
    private void sent(Exchange x, ChannelHandlerContext out, long now) {
        LoopFlushes.later(out);
        x.complete = true;
        mirrorOnce(x);
        if (!x.responseStarted) {
            attempt.startResponseTimer(now);
        }
    }

    /** The request was read whole: its copy goes to the route's mirror, if it is one of the share (once). */
    private void mirrorOnce(Exchange x) {
        if (x.mirror) {
            x.mirror = false;
            Mirror.send(x, pool, loop);
        }
    }
}
