package dev.edgegateway.config;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The whole gateway config: one YAML document, immutable once built. The constructor checks
 * every rule that spans sections (names unique, routes name real clusters, no two listeners on
 * one address), so an instance that exists is one the gateway can run.
 */
public record GatewayConfig(
        List<ListenerConfig> listeners,
        AdminConfig admin,
        RuntimeConfig runtime,
        TimeoutsConfig timeouts,
        LimitsConfig limits,
        ForwardingConfig forwarding,
        DrainConfig drain,
        GeoConfig geo,
        RedisConfig redis,
        MetricsConfig metrics,
        TracingConfig tracing,
        AccessLogConfig accessLog,
        List<RouteConfig> routes,
        List<ClusterConfig> clusters,
        DeployConfig deploy) {

    public GatewayConfig {
        listeners = listeners == null ? List.of() : List.copyOf(listeners);
        admin = admin == null ? AdminConfig.DEFAULT : admin;
        runtime = runtime == null ? RuntimeConfig.DEFAULT : runtime;
        timeouts = timeouts == null ? TimeoutsConfig.DEFAULT : timeouts;
        limits = limits == null ? LimitsConfig.DEFAULT : limits;
        forwarding = forwarding == null ? ForwardingConfig.DEFAULT : forwarding;
        drain = drain == null ? DrainConfig.DEFAULT : drain;
        geo = geo == null ? GeoConfig.DEFAULT : geo;
        redis = redis == null ? RedisConfig.DEFAULT : redis;
        metrics = metrics == null ? MetricsConfig.DEFAULT : metrics;
        tracing = tracing == null ? TracingConfig.DEFAULT : tracing;
        accessLog = accessLog == null ? AccessLogConfig.DEFAULT : accessLog;
        routes = routes == null ? List.of() : List.copyOf(routes);
        clusters = clusters == null ? List.of() : List.copyOf(clusters);

        var v = ConfigViolation.collector();
        v.check(!listeners.isEmpty(), "listeners", "at least one listener is required");
        Set<String> listenerNames = new HashSet<>();
        Map<HostPort, String> bound = new HashMap<>();
        if (admin.address().port() != 0) {
            bound.put(admin.address(), "admin.address");
        }
        for (int i = 0; i < listeners.size(); i++) {
            ListenerConfig l = listeners.get(i);
            v.check(listenerNames.add(l.name()), "listeners[" + i + "].name", "duplicate listener name '" + l.name() + "'");
            if (l.address().port() != 0) {
                String other = bound.putIfAbsent(l.address(), "listeners[" + i + "]");
                v.check(other == null, "listeners[" + i + "].address", l.address() + " is already used by " + other);
            }
        }
        Set<String> clusterNames = new HashSet<>();
        for (int i = 0; i < clusters.size(); i++) {
            v.check(clusterNames.add(clusters.get(i).name()), "clusters[" + i + "].name",
                    "duplicate cluster name '" + clusters.get(i).name() + "'");
        }
        Set<String> routeNames = new HashSet<>();
        for (int i = 0; i < routes.size(); i++) {
            RouteConfig r = routes.get(i);
            v.check(routeNames.add(r.name()), "routes[" + i + "].name", "duplicate route name '" + r.name() + "'");
            for (int j = 0; j < i; j++) {
                if (routes.get(j).match().covers(r.match())) {
                    v.add("routes[" + i + "].name", "route '" + r.name() + "' is never chosen: routes[" + j + "] ('" + routes.get(j).name()
                            + "') comes first and matches every request it does (the first route that matches wins); list the more specific route first");
                    break;
                }
            }
            String at = "routes[" + i + "].";
            if (r.cluster() != null) {
                checkCluster(v, at + "cluster", r.cluster(), clusterNames);
            }
            for (int j = 0; j < r.split().size(); j++) {
                checkCluster(v, at + "split[" + j + "].cluster", r.split().get(j).cluster(), clusterNames);
            }
            if (r.geo() != null) {
                for (var e : r.geo().regions().entrySet()) {
                    checkCluster(v, at + "geo.regions." + e.getKey() + ".cluster", e.getValue().cluster(), clusterNames);
                }
            }
            if (r.mirror() != null) {
                checkCluster(v, at + "mirror.cluster", r.mirror().cluster(), clusterNames);
            }
        }
        if (deploy != null) {
            // In a pod, kubelet probes, Prometheus and the NLB reach the gateway by the pod's address.
            v.check(wildcard(admin.address().host()), "admin.address",
                    "with a deploy section the admin port must listen on all addresses (0.0.0.0:" + admin.address().port()
                            + "): kubelet probes and Prometheus reach it by the pod's address, found " + admin.address());
            for (int i = 0; i < listeners.size(); i++) {
                HostPort a = listeners.get(i).address();
                v.check(wildcard(a.host()) && a.port() != 0, "listeners[" + i + "].address",
                        "with a deploy section listeners must listen on all addresses at a fixed port (0.0.0.0:PORT), found " + a);
            }
        }
        v.throwIfAny();
    }

    private static boolean wildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
    }

    private static void checkCluster(ConfigViolation.Collector v, String field, String name, Set<String> clusterNames) {
        if (!clusterNames.contains(name)) {
            v.add(field, "unknown cluster '" + name + "'"
                    + Suggestions.didYouMean(name, clusterNames)
                    + (clusterNames.isEmpty() ? " (no clusters are defined)" : " (defined: " + String.join(", ", clusterNames.stream().sorted().toList()) + ")"));
        }
    }

    /** The cluster with this name, or null. */
    public ClusterConfig cluster(String name) {
        for (ClusterConfig c : clusters) {
            if (c.name().equals(name)) {
                return c;
            }
        }
        return null;
    }
}
