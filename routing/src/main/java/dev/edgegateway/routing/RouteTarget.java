package dev.edgegateway.routing;

import dev.edgegateway.config.CanaryConfig;
import dev.edgegateway.config.KeySource;
import dev.edgegateway.config.RouteGeoConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/** How a route chooses among its clusters. Immutable; built per snapshot. */
abstract class RouteTarget {
    /** The slot, in the route's cluster list, of the cluster for this request. */
    abstract int pick(RequestView r, RouteDecision d);

    /** After the serving region failed to connect: the next region's slot, or -1. Only geo has regions. */
    int nextRegion(RouteDecision d) {
        return -1;
    }

    /** One cluster. */
    static final class Single extends RouteTarget {
        @Override
        int pick(RequestView r, RouteDecision d) {
            return 0;
        }
    }

    /**
     * A weighted split. With a key, the request's bucket is a stable position in [0, 1) from the
     * key's hash, and each cluster owns a contiguous share of that line in config order; so the
     * same client stays with the same cluster, and moving a weight moves only the clients between
     * the old and the new boundary (raising a last-listed canary from 10 to 20 moves 10% of
     * clients, all towards the canary). Without a key, each request is placed at random. A
     * canary header or cookie overrides the bucket.
     */
    static final class Split extends RouteTarget {
        private final SplitWeights weights;
        private final KeySource key;
        private final CanaryConfig canary;
        private final int canarySlot;

        Split(List<Integer> weights, KeySource key, CanaryConfig canary, int canarySlot) {
            this.weights = new SplitWeights(weights);
            this.key = key;
            this.canary = canary;
            this.canarySlot = canarySlot;
        }

        SplitWeights weights() {
            return weights;
        }

        @Override
        int pick(RequestView r, RouteDecision d) {
            if (canary != null && flagged(r)) {
                return canarySlot;
            }
            String k = key == null ? null : Keys.read(key, r);
            return weights.slotOf(k != null ? Hashing.unit(Hashing.hash64(k)) : -1, ThreadLocalRandom.current());
        }

        private boolean flagged(RequestView r) {
            if (canary.header() != null && canary.value().equals(r.header(canary.header()))) {
                return true;
            }
            return canary.cookie() != null && canary.value().equals(r.cookie(canary.cookie()));
        }
    }

    /**
     * Geo: the client's region's cluster while at least {@code minHealthyPercent} of it is
     * available; else the first region of its failover list that is; else (nothing is) its own,
     * where panic mode takes over. In latency mode, the lowest mean latency among the eligible.
     * A client with no region, or one this route does not list, is treated as being in the
     * route's first region.
     */
    static final class Geo extends RouteTarget {
        private final GeoResolver resolver;
        private final Map<String, Integer> regionIndex;
        private final String[] regionNames;
        private final int[] slots;
        private final int[][] failover;
        private final Cluster[] clusters;
        private final int minHealthyPercent;
        private final boolean latency;
        private final LongSupplier nanoClock;

        Geo(RouteGeoConfig g, GeoResolver resolver, List<Cluster> routeClusters, LongSupplier nanoClock) {
            this.resolver = resolver;
            this.nanoClock = nanoClock;
            this.minHealthyPercent = g.minHealthyPercent();
            this.latency = g.mode() == RouteGeoConfig.Mode.LATENCY;
            int n = g.regions().size();
            regionNames = g.regions().keySet().toArray(new String[0]);
            regionIndex = new HashMap<>();
            for (int i = 0; i < n; i++) {
                regionIndex.put(regionNames[i], i);
            }
            slots = new int[n];
            failover = new int[n][];
            clusters = new Cluster[n];
            for (int i = 0; i < n; i++) {
                RouteGeoConfig.Region region = g.regions().get(regionNames[i]);
                for (int s = 0; s < routeClusters.size(); s++) {
                    if (routeClusters.get(s).name().equals(region.cluster())) {
                        slots[i] = s;
                        clusters[i] = routeClusters.get(s);
                    }
                }
                failover[i] = region.failover().stream().mapToInt(regionIndex::get).toArray();
            }
        }

        @Override
        int pick(RequestView r, RouteDecision d) {
            String region = resolver.region(r);
            Integer own = region == null ? null : regionIndex.get(region);
            int home = own == null ? 0 : own;
            d.clientRegion = regionNames[home];
            d.homeRegion = home;
            long now = nanoClock.getAsLong();
            int chosen = -1;
            if (latency) {
                double best = Double.MAX_VALUE;
                for (int i = -1; i < failover[home].length; i++) {
                    int candidate = i < 0 ? home : failover[home][i];
                    if (clusters[candidate].availablePercent(now) >= minHealthyPercent) {
                        double cost = clusters[candidate].meanLatencyNanos(now);
                        if (cost < best) {
                            best = cost;
                            chosen = candidate;
                        }
                    }
                }
            } else if (clusters[home].availablePercent(now) >= minHealthyPercent) {
                chosen = home;
            } else {
                for (int candidate : failover[home]) {
                    if (clusters[candidate].availablePercent(now) >= minHealthyPercent) {
                        chosen = candidate;
                        break;
                    }
                }
            }
            if (chosen < 0) {
                chosen = home;
            }
            d.servedRegion = regionNames[chosen];
            d.servedRegionIndex = chosen;
            return slots[chosen];
        }

        /**
         * The client's failover order is its own region, then its failover list. The next region
         * after the one that failed, preferring one whose cluster is available enough; if none is,
         * the next in order anyway (better a try than a certain 502).
         */
        @Override
        int nextRegion(RouteDecision d) {
            if (d.homeRegion < 0 || d.servedRegionIndex < 0) {
                return -1;
            }
            int[] order = failover[d.homeRegion];
            int at = d.servedRegionIndex == d.homeRegion ? -1 : indexOf(order, d.servedRegionIndex);
            if (d.servedRegionIndex != d.homeRegion && at < 0) {
                return -1; // served by a region outside the client's order (latency mode): no next
            }
            long now = nanoClock.getAsLong();
            int fallback = -1;
            for (int i = at + 1; i < order.length; i++) {
                int candidate = order[i];
                if (clusters[candidate].availablePercent(now) >= minHealthyPercent) {
                    return serve(d, candidate);
                }
                if (fallback < 0) {
                    fallback = candidate;
                }
            }
            return fallback < 0 ? -1 : serve(d, fallback);
        }

        private int serve(RouteDecision d, int region) {
            d.servedRegion = regionNames[region];
            d.servedRegionIndex = region;
            return slots[region];
        }

        private static int indexOf(int[] a, int v) {
            for (int i = 0; i < a.length; i++) {
                if (a[i] == v) {
                    return i;
                }
            }
            return -1;
        }
    }
}
