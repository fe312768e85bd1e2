package dev.edgegateway.routing;

import dev.edgegateway.config.StickyConfig;
import dev.edgegateway.health.Endpoint;
import java.util.function.LongSupplier;

/**
 * A route's stickiness: keeps a client on one endpoint of the chosen cluster while that endpoint
 * is available, by the gateway's cookie or by a consistent hash of a key. When the endpoint is
 * not available the cluster's balancer chooses (and, for the cookie, the response re-pins the
 * client), so stickiness never sends traffic where health says not to. Immutable.
 */
final class Sticky {
    private final StickyConfig config;
    private final String cookieName;
    private final String cookieSuffix;
    private final LongSupplier nanoClock;

    Sticky(StickyConfig config, LongSupplier nanoClock) {
        this.config = config;
        this.nanoClock = nanoClock;
        if (config.cookie() != null) {
            cookieName = config.cookie().name();
            StringBuilder attrs = new StringBuilder("; Path=/; HttpOnly");
            if (config.cookie().maxAge() != null) {
                attrs.append("; Max-Age=").append(config.cookie().maxAge().toSeconds());
            }
            cookieSuffix = attrs.toString();
        } else {
            cookieName = null;
            cookieSuffix = null;
        }
    }

    Endpoint pick(Cluster cluster, RequestView r, RouteDecision d) {
        long now = nanoClock.getAsLong();
        if (cookieName != null) {
            String id = r.cookie(cookieName);
            Endpoint pinned = id == null ? null : cluster.byStickyId(id);
            if (pinned != null && pinned.tryUse(now)) {
                d.sticky = RouteDecision.StickyOutcome.HIT;
                return pinned;
            }
            d.sticky = RouteDecision.StickyOutcome.MISS;
            Endpoint chosen = cluster.balancer().pick();
            if (chosen != null) {
                d.setCookie = cookieName + "=" + cluster.stickyIdOf(chosen) + cookieSuffix;
            }
            return chosen;
        }
        String key = Keys.read(config.hash(), r);
        if (key != null) {
            d.ringKeyed = true;
            d.ringHash = Hashing.hash64(key);
            Endpoint e = cluster.ring().pick(d.ringHash, now, config.boundedLoad(), cluster.health(), null);
            if (e != null) {
                d.sticky = RouteDecision.StickyOutcome.HIT;
                return e;
            }
        }
        d.sticky = RouteDecision.StickyOutcome.MISS;
        return cluster.balancer().pick();
    }

    /** The owner of the decision's key after those {@code tried} on the ring, claimed; null if none. */
    Endpoint nextOwner(Cluster cluster, RouteDecision d, TriedEndpoints tried) {
        return cluster.ring().pick(d.ringHash, nanoClock.getAsLong(), config.boundedLoad(), cluster.health(), tried);
    }
}
