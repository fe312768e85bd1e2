package dev.edgegateway.config;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A route: requests that {@code match} go to one cluster, to a weighted {@code split} of
 * clusters, to a cluster chosen by the client's region ({@code geo}), or are answered by the
 * gateway itself ({@code directResponse}): exactly one of the four.
 *
 * @param splitKey keeps a client in one bucket of the split (a stable hash of this key); without
 *     it each request is placed at random
 * @param canary sends a flagged request to one cluster of the split whatever its bucket
 * @param sticky keeps a client on one endpoint of the chosen cluster
 * @param rateLimits policies checked before the request goes anywhere; all must admit it
 * @param directResponse the gateway's own answer instead of an origin's (maintenance, notices)
 * @param requestHeaders headers removed, set and added on the request to the origin
 * @param responseHeaders headers removed, set and added on the response to the client
 * @param compression compress the origin's uncompressed responses on this route (absent: never)
 * @param mirror copy a share of the route's requests to another cluster (shadow testing)
 * @param rollout walk a two-cluster split's canary through steps, judged against the stable cluster
 */
public record RouteConfig(String name, RouteMatch match, String cluster, List<WeightedCluster> split, KeySource splitKey,
                          CanaryConfig canary, RouteGeoConfig geo, StickyConfig sticky, List<RateLimitConfig> rateLimits,
                          DirectResponseConfig directResponse, HeaderRules requestHeaders, HeaderRules responseHeaders,
                          CompressionConfig compression, MirrorConfig mirror, RolloutConfig rollout) {
    public RouteConfig(String name, RouteMatch match, String cluster) {
        this(name, match, cluster, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    public RouteConfig {
        match = match == null ? RouteMatch.ANY : match;
        split = split == null ? List.of() : List.copyOf(split);
        rateLimits = rateLimits == null ? List.of() : List.copyOf(rateLimits);
        var v = ConfigViolation.collector().require(name, "name");
        int targets = (cluster != null ? 1 : 0) + (!split.isEmpty() ? 1 : 0) + (geo != null ? 1 : 0) + (directResponse != null ? 1 : 0);
        v.check(targets == 1, "cluster", "set exactly one of cluster, split, geo or directResponse");
        v.check(directResponse == null || mirror == null, "mirror", "a route that answers by itself sends nothing to copy");
        v.check(directResponse == null || sticky == null, "sticky", "a route that answers by itself has no endpoint to stick to");
        if (!split.isEmpty()) {
            v.check(split.stream().mapToLong(WeightedCluster::weight).sum() > 0, "split", "weights must not all be 0");
        }
        v.check(splitKey == null || !split.isEmpty(), "splitKey", "only with split");
        v.check(canary == null || split.stream().anyMatch(w -> w.cluster().equals(canary.cluster())), "canary.cluster",
                "must be one of the split's clusters");
        if (rollout != null) {
            v.check(split.size() == 2, "rollout", "a rollout moves weight between the two clusters of a split; this route has "
                    + (split.isEmpty() ? "no split" : split.size() + " clusters in its split"));
            v.check(split.size() != 2 || !split.get(0).cluster().equals(split.get(1).cluster()), "split",
                    "a rollout needs two different clusters in the split");
            v.check(rollout.canary() == null || split.stream().anyMatch(w -> w.cluster().equals(rollout.canary())), "rollout.canary",
                    "must be one of the split's clusters");
        }
        Set<String> policyNames = new HashSet<>();
        for (int i = 0; i < rateLimits.size(); i++) {
            v.check(policyNames.add(rateLimits.get(i).name()), "rateLimits[" + i + "].name", "duplicate policy name '" + rateLimits.get(i).name() + "'");
        }
        v.throwIfAny();
    }

    /** The cluster a rollout moves weight to: its {@code canary}, else the split's second. */
    public String rolloutCanary() {
        return rollout.canary() != null ? rollout.canary() : split.get(1).cluster();
    }

    /** Every cluster this route may send to. */
    public List<String> clusterNames() {
        if (cluster != null) {
            return List.of(cluster);
        }
        if (!split.isEmpty()) {
            return split.stream().map(WeightedCluster::cluster).toList();
        }
        if (geo == null) {
            return List.of(); // answers by itself
        }
        return geo.regions().values().stream().map(RouteGeoConfig.Region::cluster).toList();
    }
}
