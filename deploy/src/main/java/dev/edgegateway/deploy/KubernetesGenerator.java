package dev.edgegateway.deploy;

import dev.edgegateway.config.DeployConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HPAScalingPolicyBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBehavior;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBehaviorBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Kubernetes objects of one region, typed (fabric8's model): Namespace, ServiceAccount, the
 * ConfigMap with the gateway's config, Deployment, the NLB Service, an admin Service for
 * Prometheus, HorizontalPodAutoscaler (or KEDA's ScaledObject), PodDisruptionBudget and NetworkPolicy. Every object carries
 * the same labels; every selector is the same subset of them.
 */
final class KubernetesGenerator {
    static final String CONFIG_FILE = "gateway.yaml";
    static final String CONFIG_DIR = "/etc/edge";
    static final String HEALTHZ = "/healthz";
    static final String READY = "/ready";
    static final int RUN_AS = 10001;

    private final Facts f;

    KubernetesGenerator(Facts facts) {
        this.f = facts;
    }

    /** The region's objects, in the order to apply them, by file name. */
    Map<String, HasMetadata> objects(DeployConfig.Region region) {
        Map<String, HasMetadata> out = new LinkedHashMap<>();
        out.put("00-namespace.yaml", namespace(region));
        out.put("01-serviceaccount.yaml", serviceAccount(region));
        out.put("02-configmap.yaml", configMap(region));
        out.put("03-deployment.yaml", deployment(region));
        out.put("04-service.yaml", service(region));
        out.put("05-service-admin.yaml", adminService(region));
        if (f.deploy().autoscaling().mode() == DeployConfig.Autoscaling.Mode.REQUESTS) {
            out.put("06-scaledobject.yaml", scaledObject(region));
        } else {
            out.put("06-hpa.yaml", hpa(region));
        }
        out.put("07-pdb.yaml", pdb(region));
        out.put("08-networkpolicy.yaml", networkPolicy(region));
        return out;
    }

    private ObjectMeta meta(DeployConfig.Region region, String name, Map<String, String> annotations) {
        return new ObjectMetaBuilder().withName(name).withNamespace(f.namespace()).withLabels(f.labels(region.name()))
                .withAnnotations(annotations == null || annotations.isEmpty() ? null : new TreeMap<>(annotations)).build();
    }

    private LabelSelector selector() {
        return new LabelSelectorBuilder().withMatchLabels(f.selector()).build();
    }

    Namespace namespace(DeployConfig.Region region) {
        Map<String, String> labels = new TreeMap<>(f.labels(region.name()));
        labels.put("pod-security.kubernetes.io/enforce", "restricted");
        return new NamespaceBuilder().withNewMetadata().withName(f.namespace()).withLabels(labels).endMetadata().build();
    }

    ServiceAccount serviceAccount(DeployConfig.Region region) {
        return new ServiceAccountBuilder().withMetadata(meta(region, f.name(), null)).withAutomountServiceAccountToken(false).build();
    }

    ConfigMap configMap(DeployConfig.Region region) {
        return new ConfigMapBuilder().withMetadata(meta(region, f.name() + "-config", null))
                .withData(Map.of(CONFIG_FILE, GatewayDocument.withoutDeploy(f.configText()))).build();
    }

    private Probe probe(String path, int period, int failures) {
        return new ProbeBuilder().withNewHttpGet().withPath(path).withPort(new IntOrString("admin")).endHttpGet()
                .withPeriodSeconds(period).withFailureThreshold(failures).withTimeoutSeconds(2).build();
    }

    Deployment deployment(DeployConfig.Region region) {
        DeployConfig d = f.deploy();
        Map<String, Quantity> requests = new TreeMap<>();
        requests.put("cpu", new Quantity(d.resources().cpu()));
        requests.put("memory", new Quantity(d.resources().memory()));
        Map<String, Quantity> limits = new TreeMap<>();
        limits.put("memory", new Quantity(d.resources().memory())); // no CPU limit: throttling an event loop is worse than sharing
        return new DeploymentBuilder()
                .withMetadata(meta(region, f.name(), null))
                .withNewSpec()
                    .withSelector(selector())
                    .withRevisionHistoryLimit(5)
                    .withNewStrategy().withType("RollingUpdate")
                        .withNewRollingUpdate().withMaxUnavailable(new IntOrString(0)).withMaxSurge(new IntOrString("25%")).endRollingUpdate()
                    .endStrategy()
                    .withNewTemplate()
                        .withNewMetadata().withLabels(f.labels(region.name()))
                            .withAnnotations(new TreeMap<>(Map.of("kubectl.kubernetes.io/default-container", "gateway"))).endMetadata()
                        .withNewSpec()
                            .withServiceAccountName(f.name())
                            .withAutomountServiceAccountToken(false)
                            .withTerminationGracePeriodSeconds(f.gracePeriodSeconds())
                            .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser((long) RUN_AS).withRunAsGroup((long) RUN_AS)
                                .withFsGroup((long) RUN_AS).withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
                            .addNewTopologySpreadConstraint().withMaxSkew(1).withTopologyKey("topology.kubernetes.io/zone")
                                .withWhenUnsatisfiable("DoNotSchedule").withLabelSelector(selector()).withMatchLabelKeys("pod-template-hash")
                            .endTopologySpreadConstraint()
                            .addNewTopologySpreadConstraint().withMaxSkew(1).withTopologyKey("kubernetes.io/hostname")
                                .withWhenUnsatisfiable("ScheduleAnyway").withLabelSelector(selector()).withMatchLabelKeys("pod-template-hash")
                            .endTopologySpreadConstraint()
                            .addNewContainer()
                                .withName("gateway")
                                .withImage(d.image())
                                .withArgs("run", "--config", CONFIG_DIR + "/" + CONFIG_FILE)
                                .withEnv(new EnvVarBuilder().withName("JAVA_TOOL_OPTIONS")
                                                .withValue("-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp").build(),
                                        new EnvVarBuilder().withName(f.config().admin().tokenEnv()).withNewValueFrom()
                                                .withNewSecretKeyRef().withName(f.name() + "-admin-token").withKey("token").withOptional(true).endSecretKeyRef()
                                                .endValueFrom().build())
                                .withPorts(new ContainerPortBuilder().withName(f.trafficTls() ? "https" : "http").withContainerPort(f.trafficPort()).withProtocol("TCP").build(),
                                        new ContainerPortBuilder().withName("admin").withContainerPort(f.adminPort()).withProtocol("TCP").build())
                                .withStartupProbe(probe(HEALTHZ, 2, 30))
                                .withLivenessProbe(probe(HEALTHZ, 10, 3))
                                .withReadinessProbe(probe(READY, 5, 2))
                                .withNewLifecycle().withNewPreStop().withNewSleep().withSeconds(f.preStopSeconds()).endSleep().endPreStop().endLifecycle()
                                .withNewResources().withRequests(requests).withLimits(limits).endResources()
                                .withNewSecurityContext().withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true)
                                    .withRunAsNonRoot(true).withNewCapabilities().withDrop("ALL").endCapabilities().endSecurityContext()
                                .addNewVolumeMount().withName("config").withMountPath(CONFIG_DIR).withReadOnly(true).endVolumeMount()
                                .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
                            .endContainer()
                            .addNewVolume().withName("config").withNewConfigMap().withName(f.name() + "-config").endConfigMap().endVolume()
                            .addNewVolume().withName("tmp").withNewEmptyDir().withSizeLimit(new Quantity("256Mi")).endEmptyDir().endVolume()
                        .endSpec()
                    .endTemplate()
                .endSpec()
                .build();
    }

    /** The NLB's name, from its ARN ({@code ...:loadbalancer/net/NAME/ID}), so the controller creates the one the accelerator names. */
    static String nlbName(String arn) {
        String[] parts = arn.split("/");
        return parts.length >= 3 ? parts[parts.length - 2] : arn;
    }

    Service service(DeployConfig.Region region) {
        Map<String, String> a = new TreeMap<>();
        String p = "service.beta.kubernetes.io/aws-load-balancer-";
        a.put(p + "type", "external");
        a.put(p + "nlb-target-type", "ip");
        a.put(p + "scheme", "internet-facing");
        a.put(p + "name", nlbName(region.nlbArn()));
        a.put(p + "healthcheck-protocol", "http");
        a.put(p + "healthcheck-port", Integer.toString(f.adminPort()));
        a.put(p + "healthcheck-path", READY);
        a.put(p + "healthcheck-interval", "10");
        a.put(p + "healthcheck-healthy-threshold", "2");
        a.put(p + "healthcheck-unhealthy-threshold", "2");
        // The gateway's rate limits and geo routing need the client's address: keep it.
        a.put(p + "target-group-attributes", "preserve_client_ip.enabled=true,deregistration_delay.timeout_seconds=" + f.preStopSeconds());
        a.put(p + "cross-zone-load-balancing-enabled", "true");
        return new ServiceBuilder().withMetadata(meta(region, f.name(), a))
                .withNewSpec().withType("LoadBalancer").withLoadBalancerClass("service.k8s.aws/nlb").withSelector(f.selector())
                    .addNewPort().withName(f.trafficTls() ? "https" : "http").withPort(f.deploy().servicePort())
                        .withTargetPort(new IntOrString(f.trafficTls() ? "https" : "http")).withProtocol("TCP").endPort()
                .endSpec().build();
    }

    Service adminService(DeployConfig.Region region) {
        ObjectMeta m = meta(region, f.name() + "-admin", null);
        Map<String, String> labels = new TreeMap<>(m.getLabels());
        labels.put("app.kubernetes.io/component", "admin");
        m.setLabels(labels);
        return new ServiceBuilder().withMetadata(m)
                .withNewSpec().withType("ClusterIP").withSelector(f.selector())
                    .addNewPort().withName("admin").withPort(f.adminPort()).withTargetPort(new IntOrString("admin")).withProtocol("TCP").endPort()
                .endSpec().build();
    }

    HorizontalPodAutoscaler hpa(DeployConfig.Region region) {
        DeployConfig.Replicas r = f.deploy().replicas(region);
        return new HorizontalPodAutoscalerBuilder().withMetadata(meta(region, f.name(), null))
                .withNewSpec()
                    .withNewScaleTargetRef().withApiVersion("apps/v1").withKind("Deployment").withName(f.name()).endScaleTargetRef()
                    .withMinReplicas(r.min()).withMaxReplicas(r.max())
                    .addNewMetric().withType("Resource").withNewResource().withName("cpu")
                        .withNewTarget().withType("Utilization").withAverageUtilization(f.deploy().targetCpuPercent()).endTarget()
                    .endResource().endMetric()
                    .withBehavior(behavior())
                .endSpec().build();
    }

    /** Up fast (a surge at the edge does not wait), down slowly (no flapping, connections drain). */
    static HorizontalPodAutoscalerBehavior behavior() {
        return new HorizontalPodAutoscalerBehaviorBuilder()
                .withNewScaleUp().withStabilizationWindowSeconds(0).withSelectPolicy("Max")
                    .withPolicies(new HPAScalingPolicyBuilder().withType("Percent").withValue(100).withPeriodSeconds(30).build(),
                            new HPAScalingPolicyBuilder().withType("Pods").withValue(4).withPeriodSeconds(30).build())
                .endScaleUp()
                .withNewScaleDown().withStabilizationWindowSeconds(300).withSelectPolicy("Min")
                    .withPolicies(new HPAScalingPolicyBuilder().withType("Percent").withValue(10).withPeriodSeconds(60).build(),
                            new HPAScalingPolicyBuilder().withType("Pods").withValue(1).withPeriodSeconds(60).build())
                .endScaleDown()
                .build();
    }

    /**
     * KEDA's ScaledObject (keda.sh/v1alpha1, KEDA 2.15 or later): the region's request rate per
     * pod from Prometheus, and CPU, whichever asks for more pods; KEDA makes the HPA, with the same
     * bounds and behaviour as {@link #hpa}. Prometheus unreachable: the pods stay as many as they
     * are (fallback {@code currentReplicasIfHigher}), never fewer than the minimum.
     */
    GenericKubernetesResource scaledObject(DeployConfig.Region region) {
        DeployConfig.Replicas r = f.deploy().replicas(region);
        DeployConfig.Autoscaling a = f.deploy().autoscaling();
        Map<String, Object> prometheus = new TreeMap<>();
        prometheus.put("type", "prometheus");
        prometheus.put("metricType", "AverageValue");
        prometheus.put("metadata", new TreeMap<>(Map.of(
                "serverAddress", a.prometheusAddress(),
                "query", requestRateQuery(region),
                "threshold", Integer.toString(a.requestsPerPod()),
                "ignoreNullValues", "false")));
        Map<String, Object> cpu = new TreeMap<>();
        cpu.put("type", "cpu");
        cpu.put("metricType", "Utilization");
        cpu.put("metadata", Map.of("value", Integer.toString(f.deploy().targetCpuPercent())));
        Map<String, Object> spec = new TreeMap<>();
        spec.put("scaleTargetRef", new TreeMap<>(Map.of("apiVersion", "apps/v1", "kind", "Deployment", "name", f.name())));
        spec.put("minReplicaCount", r.min());
        spec.put("maxReplicaCount", r.max());
        spec.put("pollingInterval", 15);
        spec.put("fallback", new TreeMap<>(Map.of("failureThreshold", 3, "replicas", r.min(), "behavior", "currentReplicasIfHigher")));
        spec.put("advanced", Map.of("horizontalPodAutoscalerConfig", new TreeMap<>(Map.of("name", f.name(), "behavior", behavior()))));
        spec.put("triggers", List.of(prometheus, cpu));
        GenericKubernetesResource o = new GenericKubernetesResourceBuilder().withApiVersion("keda.sh/v1alpha1").withKind("ScaledObject")
                .withMetadata(meta(region, f.name(), null)).build();
        o.setAdditionalProperty("spec", spec);
        return o;
    }

    /** Requests per second reaching this region's gateways, as the ServiceMonitor's series label them. */
    String requestRateQuery(DeployConfig.Region region) {
        return "sum(rate(edge_downstream_requests_total{namespace=\"" + f.namespace() + "\",service=\"" + f.name() + "-admin\",region=\""
                + region.name() + "\"}[2m]))";
    }

    PodDisruptionBudget pdb(DeployConfig.Region region) {
        return new PodDisruptionBudgetBuilder().withMetadata(meta(region, f.name(), null))
                .withNewSpec().withMaxUnavailable(new IntOrString(1)).withSelector(selector())
                    .withUnhealthyPodEvictionPolicy("AlwaysAllow").endSpec().build();
    }

    NetworkPolicy networkPolicy(DeployConfig.Region region) {
        List<NetworkPolicyPort> origins = new ArrayList<>();
        for (int port : f.egressTcpPorts()) {
            origins.add(new NetworkPolicyPortBuilder().withProtocol("TCP").withPort(new IntOrString(port)).build());
        }
        List<NetworkPolicyPeer> cidrs = new ArrayList<>();
        for (String cidr : f.deploy().egressCidrs()) {
            cidrs.add(new NetworkPolicyPeerBuilder().withNewIpBlock().withCidr(cidr).endIpBlock().build());
        }
        List<NetworkPolicyPeer> healthChecks = new ArrayList<>();
        for (String cidr : region.healthCheckCidrs()) {
            healthChecks.add(new NetworkPolicyPeerBuilder().withNewIpBlock().withCidr(cidr).endIpBlock().build());
        }
        return new NetworkPolicyBuilder().withMetadata(meta(region, f.name(), null))
                .withNewSpec()
                    .withPodSelector(selector())
                    .withPolicyTypes("Ingress", "Egress")
                    // Traffic from anywhere (the NLB keeps client addresses); the admin port only from monitoring
                    // (scrapes) and from the NLB's subnets (its target health checks on /ready come from its own VPC addresses).
                    .addNewIngress().addNewPort().withProtocol("TCP").withPort(new IntOrString(f.trafficPort())).endPort().endIngress()
                    .addNewIngress()
                        .addNewFrom().withNewNamespaceSelector()
                            .withMatchLabels(Map.of("kubernetes.io/metadata.name", f.deploy().monitoringNamespace())).endNamespaceSelector().endFrom()
                        .addNewPort().withProtocol("TCP").withPort(new IntOrString(f.adminPort())).endPort()
                    .endIngress()
                    .addNewIngress().withFrom(healthChecks)
                        .addNewPort().withProtocol("TCP").withPort(new IntOrString(f.adminPort())).endPort()
                    .endIngress()
                    // Origins, Redis and the trace collector on their ports; DNS anywhere in the cluster.
                    .addNewEgress().withTo(cidrs).withPorts(origins).endEgress()
                    .addNewEgress()
                        .addNewTo().withNewNamespaceSelector().withMatchLabels(Map.of("kubernetes.io/metadata.name", "kube-system")).endNamespaceSelector().endTo()
                        .addNewPort().withProtocol("UDP").withPort(new IntOrString(53)).endPort()
                        .addNewPort().withProtocol("TCP").withPort(new IntOrString(53)).endPort()
                    .endEgress()
                .endSpec().build();
    }
}
