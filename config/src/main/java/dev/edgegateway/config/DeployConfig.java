package dev.edgegateway.config;

import java.time.Duration;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * How the gateway is deployed, for the control sidecar ({@code edge-sidecar}): the same document
 * the gateway runs carries this section, so the generated Kubernetes, Global Accelerator and
 * monitoring artifacts cannot drift from the routing config. The gateway itself ignores it.
 *
 * @param image the gateway image the Deployment runs
 * @param servicePort the port the NLB listens on (and the accelerator's listener); the traffic
 *     goes to the first listener's port in the pod
 * @param targetCpuPercent the HorizontalPodAutoscaler's CPU utilisation target
 * @param monitoringNamespace the namespace Prometheus scrapes from: the only one allowed to the admin port
 * @param egressCidrs where origins and Redis live (NetworkPolicy egress); DNS is always allowed
 * @param monitoringLabels labels the ServiceMonitor and PrometheusRule carry on top of the usual
 *     ones, for a Prometheus Operator that selects by label (kube-prometheus-stack: {@code release})
 * @param autoscaling what the pods scale on: CPU (a HorizontalPodAutoscaler) or request rate too
 *     (a KEDA ScaledObject)
 */
public record DeployConfig(String namespace, String name, String image, Integer servicePort, Replicas replicas,
                           Resources resources, Integer targetCpuPercent, String monitoringNamespace, List<String> egressCidrs,
                           Map<String, String> monitoringLabels, Autoscaling autoscaling,
                           Accelerator accelerator, Slo slo, List<Region> regions) {

    /** A Kubernetes label key ({@code prefix/name}) and value. */
    static final Pattern LABEL_KEY = Pattern.compile("([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
    static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?");

    /**
     * What the pods scale on. {@code cpu}: a HorizontalPodAutoscaler on CPU utilisation.
     * {@code requests}: a KEDA ScaledObject (KEDA makes the HPA) with two triggers, the region's
     * request rate per pod from Prometheus and CPU utilisation, whichever asks for more pods.
     *
     * @param requestsPerPod the request rate one pod should carry (per second): size it from
     *     benchmarks/ at the CPU target (docs/deploy.md, "Sizing")
     * @param prometheusAddress where KEDA queries Prometheus, e.g. http://prometheus-operated.monitoring:9090
     */
    public record Autoscaling(Mode mode, Integer requestsPerPod, String prometheusAddress) {
        public enum Mode { CPU, REQUESTS }

        public Autoscaling {
            mode = mode == null ? Mode.CPU : mode;
            var v = ConfigViolation.collector();
            if (mode == Mode.REQUESTS) {
                v.require(requestsPerPod, "requestsPerPod").require(prometheusAddress, "prometheusAddress");
                v.check(requestsPerPod == null || requestsPerPod >= 1, "requestsPerPod", "must be at least 1, found " + requestsPerPod);
                v.check(prometheusAddress == null || prometheusAddress.matches("https?://[^\\s/]+(/\\S*)?"), "prometheusAddress",
                        "expected an http(s) URL such as http://prometheus-operated.monitoring:9090, found '" + prometheusAddress + "'");
            }
            v.throwIfAny();
        }
    }

    /** Pods per region: the HPA's bounds; the PDB keeps all but one available. */
    public record Replicas(Integer min, Integer max) {
        public Replicas {
            min = min == null ? 3 : min;
            max = max == null ? 20 : max;
            ConfigViolation.collector()
                    .check(min >= 2, "min", "must be at least 2 (one pod may be disrupted at a time)")
                    .check(max >= min, "max", "must be at least min (" + min + ")")
                    .throwIfAny();
        }
    }

    /** Each pod's CPU and memory request; memory is also the limit (a JVM past it is killed, never throttled). */
    public record Resources(String cpu, String memory) {
        public Resources {
            cpu = cpu == null ? "1" : cpu;
            memory = memory == null ? "1Gi" : memory;
            ConfigViolation.collector()
                    .check(cpu.matches("\\d+(\\.\\d+)?|\\d+m"), "cpu", "expected a Kubernetes CPU quantity such as 2, 1.5 or 500m, found '" + cpu + "'")
                    .check(memory.matches("\\d+(Ki|Mi|Gi|Ti|k|M|G|T)?"), "memory", "expected a Kubernetes memory quantity such as 1Gi, found '" + memory + "'")
                    .throwIfAny();
        }
    }

    /**
     * The AWS Global Accelerator in front of the regions. Its health checks go to the gateway's
     * {@code /ready} through the NLB.
     *
     * @param healthCheckIntervalSeconds 10 or 30 (the only values the service accepts)
     * @param clientIpPreservation keep the client's address on the way to the NLB (the gateway's
     *     rate limits and geo routing need it)
     */
    public record Accelerator(String name, Integer healthCheckIntervalSeconds, Integer thresholdCount, Boolean clientIpPreservation,
                              Integer healthCheckPort) {
        public Accelerator {
            healthCheckIntervalSeconds = healthCheckIntervalSeconds == null ? 10 : healthCheckIntervalSeconds;
            thresholdCount = thresholdCount == null ? 3 : thresholdCount;
            clientIpPreservation = clientIpPreservation == null || clientIpPreservation;
            var v = ConfigViolation.collector().require(name, "name");
            v.check(name == null || name.matches("[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?"), "name",
                    "expected 1-64 letters, digits and hyphens, not starting or ending with a hyphen, found '" + name + "'");
            v.check(healthCheckIntervalSeconds == 10 || healthCheckIntervalSeconds == 30, "healthCheckIntervalSeconds",
                    "must be 10 or 30 (Global Accelerator accepts no other), found " + healthCheckIntervalSeconds);
            v.check(thresholdCount >= 1 && thresholdCount <= 10, "thresholdCount", "must be 1 to 10");
            v.check(healthCheckPort == null || (healthCheckPort >= 1 && healthCheckPort <= 65535), "healthCheckPort", "must be 1 to 65535");
            v.throwIfAny();
        }
    }

    /**
     * Service level objectives, for the multi-window, multi-burn-rate alerts.
     *
     * @param availability percent of requests not answered 5xx, e.g. 99.9
     * @param latencyThreshold a request is fast if it takes at most this; must be one of the
     *     latency histogram's bucket bounds (100us, 250us, ..., 250ms, 500ms, 1s, 2.5s, 5s, 10s)
     * @param latencyTarget percent of requests that must be fast
     */
    public record Slo(Double availability, Duration latencyThreshold, Double latencyTarget) {
        public Slo {
            availability = availability == null ? 99.9 : availability;
            latencyThreshold = latencyThreshold == null ? Duration.ofMillis(250) : latencyThreshold;
            latencyTarget = latencyTarget == null ? 99.0 : latencyTarget;
            Duration t = latencyThreshold;
            ConfigViolation.collector()
                    .check(availability > 0 && availability < 100, "availability", "must be between 0 and 100 (exclusive), found " + availability)
                    .check(latencyTarget > 0 && latencyTarget < 100, "latencyTarget", "must be between 0 and 100 (exclusive), found " + latencyTarget)
                    .check(MetricsConfig.LATENCY_BUCKETS.contains(t), "latencyThreshold", "must be a latency bucket bound ("
                            + String.join(", ", MetricsConfig.LATENCY_BUCKETS.stream().map(Durations::format).toList()) + "), found " + Durations.format(t))
                    .throwIfAny();
        }
    }

    /**
     * One region: an EKS cluster running the gateway behind an NLB, and its endpoint group in the
     * accelerator.
     *
     * @param trafficDial percent of the traffic the accelerator would send this region that it does send (0 to 100)
     * @param weight the NLB endpoint's weight in the region's endpoint group (0 to 255)
     * @param nlbArn the NLB the region's Service gets (AWS Load Balancer Controller), by ARN
     * @param healthCheckCidrs where the NLB's health checks come from: its subnets' CIDRs (or the
     *     VPC's); the NetworkPolicy admits the admin port from them
     */
    public record Region(String name, String eksCluster, Integer trafficDial, Integer weight, String nlbArn, List<String> healthCheckCidrs,
                         Replicas replicas) {
        public Region {
            trafficDial = trafficDial == null ? 100 : trafficDial;
            weight = weight == null ? 128 : weight;
            var v = ConfigViolation.collector().require(name, "name").require(eksCluster, "eksCluster").require(nlbArn, "nlbArn");
            v.check(healthCheckCidrs != null && !healthCheckCidrs.isEmpty(), "healthCheckCidrs",
                    "is required: list the NLB's subnet CIDRs (or the VPC's): its health checks come from there and must reach /ready on the admin port");
            healthCheckCidrs = healthCheckCidrs == null ? List.of() : List.copyOf(healthCheckCidrs);
            v.check(healthCheckCidrs.isEmpty() || healthCheckCidrs.stream().noneMatch(c -> c.endsWith("/0")), "healthCheckCidrs",
                    "the NLB's subnets (or the VPC), not the whole internet: the admin port would be open to anyone");
            for (int i = 0; i < healthCheckCidrs.size(); i++) {
                try {
                    Cidr.parse(healthCheckCidrs.get(i));
                } catch (IllegalArgumentException e) {
                    v.add("healthCheckCidrs[" + i + "]", e.getMessage());
                }
            }
            v.check(name == null || name.matches("[a-z]{2}(-gov)?-[a-z]+-\\d"), "name", "expected an AWS region such as eu-west-1, found '" + name + "'");
            v.check(trafficDial >= 0 && trafficDial <= 100, "trafficDial", "must be 0 to 100, found " + trafficDial);
            v.check(weight >= 0 && weight <= 255, "weight", "must be 0 to 255, found " + weight);
            v.check(nlbArn == null || name == null || nlbArn.startsWith("arn:aws:elasticloadbalancing:" + name + ":"), "nlbArn",
                    "expected an NLB ARN in " + name + " (arn:aws:elasticloadbalancing:" + name + ":ACCOUNT:loadbalancer/net/NAME/ID), found '" + nlbArn + "'");
            v.throwIfAny();
        }
    }

    public DeployConfig {
        namespace = namespace == null ? "edge" : namespace;
        name = name == null ? "edge-gateway" : name;
        servicePort = servicePort == null ? 443 : servicePort;
        replicas = replicas == null ? new Replicas(null, null) : replicas;
        resources = resources == null ? new Resources(null, null) : resources;
        targetCpuPercent = targetCpuPercent == null ? 60 : targetCpuPercent;
        monitoringNamespace = monitoringNamespace == null ? "monitoring" : monitoringNamespace;
        egressCidrs = egressCidrs == null ? List.of("0.0.0.0/0") : List.copyOf(egressCidrs);
        monitoringLabels = monitoringLabels == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(monitoringLabels));
        autoscaling = autoscaling == null ? new Autoscaling(null, null, null) : autoscaling;
        slo = slo == null ? new Slo(null, null, null) : slo;
        regions = regions == null ? List.of() : List.copyOf(regions);
        var v = ConfigViolation.collector().require(image, "image").require(accelerator, "accelerator");
        v.check(namespace.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"), "namespace", "expected a Kubernetes namespace name, found '" + namespace + "'");
        v.check(name.matches("[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?"), "name", "expected a Kubernetes object name, found '" + name + "'");
        v.check(servicePort >= 1 && servicePort <= 65535, "servicePort", "must be 1 to 65535");
        v.check(targetCpuPercent >= 10 && targetCpuPercent <= 95, "targetCpuPercent", "must be 10 to 95");
        v.check(!regions.isEmpty(), "regions", "at least one region is required");
        for (int i = 0; i < egressCidrs.size(); i++) {
            try {
                Cidr.parse(egressCidrs.get(i));
            } catch (IllegalArgumentException e) {
                v.add("egressCidrs[" + i + "]", e.getMessage());
            }
        }
        for (Map.Entry<String, String> e : monitoringLabels.entrySet()) {
            v.check(LABEL_KEY.matcher(e.getKey()).matches(), "monitoringLabels." + e.getKey(), "not a Kubernetes label key");
            v.check(e.getValue() != null && LABEL_VALUE.matcher(e.getValue()).matches(), "monitoringLabels." + e.getKey(),
                    "expected a Kubernetes label value (up to 63 letters, digits, '-', '_', '.'), found '" + e.getValue() + "'");
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < regions.size(); i++) {
            v.check(names.add(regions.get(i).name()), "regions[" + i + "].name", "duplicate region '" + regions.get(i).name() + "'");
        }
        v.check(regions.isEmpty() || regions.stream().anyMatch(r -> r.trafficDial() > 0), "regions",
                "every region's trafficDial is 0: the accelerator would send no traffic anywhere");
        v.throwIfAny();
    }

    /** The replica bounds of a region: its own, else the section's. */
    public Replicas replicas(Region r) {
        return r.replicas() != null ? r.replicas() : replicas;
    }
}
