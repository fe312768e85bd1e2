package dev.edgegateway.proxy.server;

import dev.edgegateway.proxy.http1.Parts;
import dev.edgegateway.health.RetryPolicy.Failure;
import dev.edgegateway.proxy.metrics.GatewayMetrics;
import dev.edgegateway.proxy.metrics.GatewayMetrics.UpstreamError;
import dev.edgegateway.proxy.upstream.UpstreamConnection;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * The response side of a try: an origin's response head is judged (a switch to a tunnel, an
 * invalid answer, an interim 1xx, a status to retry, or the response) and rewritten for the
 * client ({@link ResponseHead}); its body goes to the {@link Downstream} as it comes, and its end
 * settles the origin connection (pooled when both sides kept to keep-alive, else closed). The
 * {@link UpstreamAttempt} it belongs to owns the connection and the tries. One per attempt;
 * confined to its event loop.
 */
final class ResponseRelay {
    private final UpstreamAttempt attempt;
    private final Downstream down;
    private final ServerContext server;
    private final GatewayMetrics metrics;
    private final ExchangeRecorder recorder;
    private final RoutingView view;

    ResponseRelay(UpstreamAttempt attempt, Downstream down, ServerContext server, ExchangeRecorder recorder, RoutingView view) {
        this.attempt = attempt;
        this.down = down;
        this.server = server;
        this.metrics = server.metrics();
        this.recorder = recorder;
        this.view = view;
    }

    void head(Exchange x, HttpResponse r) {
        int code = r.status().code();
        // ClientCodec sends heads and bodies apart; a head with content is its invalid-message form.
        boolean invalid = r.decoderResult().isFailure() || Parts.isContent(r);
        if (code == 101 && x.upgrade != null && !invalid && HttpRules.switchesToWebSocket(r.headers())) {
            attempt.cancelResponseTimer();
            recorder.tryAnswered(x, 101);
            x.status = 101;
            x.responseStarted = true;
            x.tunnelPending = true;
            ResponseHead.switching(x, r);
            down.write(r);
            return;
        }
        if (invalid || code == 101) {
            ReferenceCountUtil.release(r);
            recorder.tryFailed(x, UpstreamError.BAD_RESPONSE);
            attempt.dropUpstream();
            if (x.responseStarted) {
                down.abort();
            } else {
                attempt.refuse(Refusal.of(502, null, "the origin sent an invalid response"));
            }
            return;
        }
        if (code < 200) {
            // 1xx: relayed, the real response follows; but the gateway answered Expect itself,
            // and a second 100 would only confuse the client; and HTTP/1.0 has no 1xx at all
            // (RFC 9110 15.2: a server must not send one to an HTTP/1.0 client).
            x.interim = true;
            if (x.http10 || (code == 100 && x.expectContinue)) {
                ReferenceCountUtil.release(r);
                x.interimDropped = true;
            } else {
                HttpRules.stripHopByHop(r.headers()); // an interim head's connection options are the origin's, as a final one's
                down.write(r);
            }
            return;
        }
        attempt.cancelResponseTimer();
        recorder.tryAnswered(x, code);
        if (code >= 500 && x.retryPolicy.retriesStatus(code) && RetryController.next(x, Failure.STATUS, code, view, metrics)) {
            // Not a byte of this response reached the client: drop it (its body too, with the
            // connection) and try the next endpoint.
            ReferenceCountUtil.release(r);
            attempt.dropUpstream();
            attempt.beginTry();
            return;
        }
        x.status = code;
        x.responseStarted = true;
        if (x.body != null) {
            x.body.release(); // nothing will be sent again
        }
        ResponseHead.rewrite(x, r, server.draining());
        down.write(r);
    }

    void content(Exchange x, HttpContent c) {
        if (x.tunnelPending) {
            if (c instanceof LastHttpContent end) {
                down.tunnel(x, end, attempt.takeConnection());
            } else {
                c.release(); // a 101 has no body
            }
            return;
        }
        if (x.interim) {
            if (Parts.isLast(c)) {
                x.interim = false;
            }
            if (x.interimDropped) {
                x.interimDropped = !Parts.isLast(c);
                c.release();
            } else {
                down.write(c);
            }
            return;
        }
        x.responseBytes += c.content().readableBytes();
        if (!Parts.isLast(c)) {
            down.write(c);
            return;
        }
        LastHttpContent last = (LastHttpContent) c;
        // The response is complete: settle the origin connection, then the client's.
        UpstreamConnection u = attempt.takeConnection();
        attempt.endTry();
        if (u != null) {
            if (x.upstreamReusable && x.complete) {
                u.release();
            } else {
                u.discard();
            }
        }
        down.responseDone(x, last);
    }
}
