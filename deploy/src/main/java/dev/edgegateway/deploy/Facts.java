package dev.edgegateway.deploy;

import dev.edgegateway.config.ClusterConfig;
import dev.edgegateway.config.DeployConfig;
import dev.edgegateway.config.GatewayConfig;
import dev.edgegateway.config.RateLimitConfig;
import dev.edgegateway.config.RouteConfig;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/** What the generators need to know about the gateway config, worked out once. */
record Facts(GatewayConfig config, DeployConfig deploy, String configText, int trafficPort, boolean trafficTls, int adminPort,
             boolean sticky, TreeSet<Integer> egressTcpPorts, long preStopSeconds, long gracePeriodSeconds) {

    /** Seconds the pod waits in preStop: the NLB's deregistration and the accelerator's health checks notice before SIGTERM. */
    static final long PRE_STOP_SECONDS = 10;
    /** Slack on top of the drain for the JVM to exit. */
    static final long EXIT_MARGIN_SECONDS = 5;

    static Facts of(GatewayConfig c, String configText) {
        DeployConfig d = c.deploy();
        if (d == null) {
            throw new IllegalArgumentException("the config has no deploy section: nothing to generate");
        }
        boolean sticky = c.routes().stream().anyMatch(r -> r.sticky() != null);
        TreeSet<Integer> ports = new TreeSet<>();
        for (ClusterConfig cl : c.clusters()) {
            cl.endpoints().forEach(e -> ports.add(e.port()));
        }
        boolean distributed = c.routes().stream().map(RouteConfig::rateLimits).flatMap(List::stream)
                .anyMatch(l -> l.mode() == RateLimitConfig.Mode.DISTRIBUTED);
        if (distributed) {
            c.redis().nodes().forEach(n -> ports.add(n.port()));
        }
        if (c.tracing().otlpEndpoint() != null) {
            URI u = URI.create(c.tracing().otlpEndpoint());
            ports.add(u.getPort() > 0 ? u.getPort() : "https".equals(u.getScheme()) ? 443 : 80);
        }
        long drain = c.drain().readinessDelay().toSeconds() + (c.drain().timeout().toMillis() + 999) / 1000;
        return new Facts(c, d, configText, c.listeners().get(0).address().port(), c.listeners().get(0).tls() != null,
                c.admin().address().port(), sticky, ports, PRE_STOP_SECONDS, PRE_STOP_SECONDS + drain + EXIT_MARGIN_SECONDS);
    }

    /** The labels every object carries; {@link #selector()} is the subset that picks the pods. */
    Map<String, String> labels(String region) {
        Map<String, String> m = new TreeMap<>(selector());
        m.put("app.kubernetes.io/component", "gateway");
        m.put("app.kubernetes.io/managed-by", "edge-sidecar");
        m.put("app.kubernetes.io/part-of", "edge");
        m.put("topology.edge.dev/region", region);
        return m;
    }

    /** Whether any listener terminates TLS (the TLS metrics exist). */
    boolean anyTls() {
        return config.listeners().stream().anyMatch(l -> l.tls() != null);
    }

    /** Whether any route has a rate limit (the rate-limit metrics exist). */
    boolean rateLimited() {
        return config.routes().stream().anyMatch(r -> !r.rateLimits().isEmpty());
    }

    Map<String, String> selector() {
        Map<String, String> m = new TreeMap<>();
        m.put("app.kubernetes.io/name", "edge-gateway");
        m.put("app.kubernetes.io/instance", deploy.name());
        return m;
    }

    String name() {
        return deploy.name();
    }

    String namespace() {
        return deploy.namespace();
    }
}
