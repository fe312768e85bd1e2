package dev.edgegateway.proxy.server;

import dev.edgegateway.config.KeySource;
import dev.edgegateway.proxy.http1.FieldNames;
import dev.edgegateway.proxy.metrics.GatewayMetrics.Rejection;
import dev.edgegateway.ratelimit.Policy;
import dev.edgegateway.ratelimit.Verdict;
import dev.edgegateway.routing.Keys;
import dev.edgegateway.routing.RequestView;
import io.netty.util.AsciiString;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The limit stage: asks each rate-limit policy of the exchange's route in turn. A local policy
 * answers at once; a Redis one may answer later, on the connection's own loop, through the
 * {@code resume} callback the connection handler passes (one per connection, so waiting
 * allocates nothing). Counts every verdict and records on the exchange the admitted response's
 * {@code RateLimit} headers, or the policy that refused and when to retry (the caller answers
 * 429). Stateless: the exchange holds which policy is next. A policy that answers at once writes
 * into the connection's {@code scratch} verdict, read back before the call returns; one that may
 * answer later into a verdict of the exchange's own, made then.
 */
final class LimitStage {
    /** How a run of the policies ended. */
    enum Result { ADMITTED, REFUSED, PENDING }

    private static final String[] OUTCOMES = Arrays.stream(Verdict.Decision.values())
            .map(o -> o.name().toLowerCase(Locale.ROOT)).toArray(String[]::new);

    private LimitStage() {}

    /**
     * Runs the route's policies from the exchange's next one on. On {@code PENDING} the exchange
     * waits for {@code resume}, then the caller calls {@link #resume}.
     */
    static Result run(Exchange x, RequestView view, ScheduledExecutorService loop, Runnable resume, Verdict scratch) {
        CompiledConfig.RoutePolicies rp = x.state.rateLimits(x.route);
        while (x.nextPolicy < rp.policies().length) {
            Policy p = rp.policies()[x.nextPolicy];
            Verdict v = p.answersAtOnce() ? scratch : x.verdict != null ? x.verdict : (x.verdict = new Verdict());
            if (!p.check(key(p, view), v, loop, resume)) {
                x.phase = Exchange.Phase.LIMITING;
                return Result.PENDING;
            }
            if (!count(x, rp, p, v)) {
                return Result.REFUSED;
            }
            x.nextPolicy++;
        }
        return Result.ADMITTED;
    }

    /**
     * A rate-limit key header sent more than once, or holding a comma list, is refused (400)
     * before any policy counts it: HTTP reads several lines as one list, the limiter would key on
     * one element and an origin may read another (an origin that takes the last {@code x-key} of
     * {@code x-key: fresh9} and {@code x-key: k1} would serve a refused {@code k1}). A key cookie
     * sent twice likewise ({@code Cookie: sid=fresh9; sid=k1}), and a key header's name spelled
     * with {@code _} ({@code x_key: k1}), which an origin that maps names to CGI variables reads
     * as {@code x-key}, the limiter not. Null when every key header and cookie of the route's
     * policies is absent or single.
     */
    static Refusal ambiguousKey(Exchange x, io.netty.handler.codec.http.HttpHeaders headers) {
        CompiledConfig.RoutePolicies rp = x.state.rateLimits(x.route);
        for (Policy p : rp.policies()) {
            var keys = p.config().key();
            for (int i = 0; i < keys.size(); i++) { // by index: no iterator per request
                KeySource k = keys.get(i);
                if (k.cookie() != null && RoutingView.cookieRepeated(headers, k.cookie())) {
                    return Refusal.of(400, Rejection.AMBIGUOUS_KEY, "the rate-limit key cookie '" + k.cookie() + "' must be sent once", false);
                }
                if (k.header() == null) {
                    continue;
                }
                Iterator<String> values = headers.valueStringIterator(k.header());
                if (!values.hasNext()) {
                    continue;
                }
                String first = values.next();
                if (values.hasNext() || first.indexOf(',') >= 0) {
                    return Refusal.of(400, Rejection.AMBIGUOUS_KEY, "the rate-limit key header '" + k.header()
                            + "' must be sent once, with one value", false);
                }
            }
        }
        CharSequence alias = rp.keyHeaderAliases() == null ? null : HttpRules.nameIn(headers, rp.keyHeaderAliases());
        if (alias != null) {
            return Refusal.of(400, Rejection.AMBIGUOUS_KEY, "'" + alias + "' is a rate-limit key header's name spelled with '_'", false);
        }
        return null;
    }

    /** The spellings with {@code _} of the policies' key header names ({@link #ambiguousKey}); null when they have none. */
    static FieldNames keyHeaderAliases(List<Policy> policies) {
        AsciiString[] names = policies.stream().flatMap(p -> p.config().key().stream()).filter(k -> k.header() != null)
                .map(k -> AsciiString.cached(k.header())).distinct().toArray(AsciiString[]::new);
        return names.length == 0 ? null : FieldNames.aliasesOf(names);
    }

    /** The policy the exchange waited for has decided: counts it, then runs the rest. */
    static Result resume(Exchange x, RequestView view, ScheduledExecutorService loop, Runnable resume, Verdict scratch) {
        CompiledConfig.RoutePolicies rp = x.state.rateLimits(x.route);
        x.phase = Exchange.Phase.HEAD;
        if (!count(x, rp, rp.policies()[x.nextPolicy], x.verdict)) {
            return Result.REFUSED;
        }
        x.nextPolicy++;
        return run(x, view, loop, resume, scratch);
    }

    /** Counts the verdict; false (the refusing policy recorded on the exchange) if it refuses. */
    private static boolean count(Exchange x, CompiledConfig.RoutePolicies rp, Policy p, Verdict v) {
        rp.decisions()[x.nextPolicy][v.outcome().ordinal()].increment();
        x.rateLimitOutcome = OUTCOMES[v.outcome().ordinal()];
        if (v.admitted()) {
            if (p.config().headers() && v.remaining() >= 0) {
                x.rateLimitPolicy = p.policyHeader();
                x.rateLimitHeader = "\"" + p.name() + "\";r=" + v.remaining() + ";t=" + ceilSeconds(v.resetNanos());
            }
            return true;
        }
        x.refusedBy = p;
        x.retryAfterSeconds = Math.max(1, ceilSeconds(v.retryAfterNanos()));
        return false;
    }

    private static long ceilSeconds(long nanos) {
        return (nanos + 999_999_999L) / 1_000_000_000L;
    }

    /** The policy's key for this request: its key parts joined, a missing part as "-"; "*" for a route-wide policy. */
    static String key(Policy p, RequestView view) {
        var parts = p.config().key();
        if (parts.isEmpty()) {
            return "*";
        }
        if (parts.size() == 1) {
            String v = Keys.read(parts.get(0), view);
            return v == null ? "-" : v;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < parts.size(); i++) {
            String v = Keys.read(parts.get(i), view);
            sb.append(i == 0 ? "" : "|").append(v == null ? "-" : v);
        }
        return sb.toString();
    }
}
