package dev.edgegateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgegateway.config.DeployConfig;
import dev.edgegateway.config.GatewayConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every generated Kubernetes object parses back into its typed model with no unknown field, and
 * the objects agree with each other and with the gateway config: selectors pick the pods'
 * labels, the PDB, HPA and spread agree, the probes use the admin port's real paths, and the
 * drain fits in the grace period.
 */
class KubernetesModelTest {
    static final Map<String, Class<? extends HasMetadata>> KINDS = Map.ofEntries(
            Map.entry("Namespace", Namespace.class), Map.entry("ServiceAccount", ServiceAccount.class),
            Map.entry("ConfigMap", ConfigMap.class), Map.entry("Deployment", Deployment.class), Map.entry("Service", Service.class),
            Map.entry("HorizontalPodAutoscaler", HorizontalPodAutoscaler.class), Map.entry("PodDisruptionBudget", PodDisruptionBudget.class),
            Map.entry("NetworkPolicy", NetworkPolicy.class), Map.entry("ServiceMonitor", ServiceMonitor.class),
            Map.entry("PrometheusRule", PrometheusRule.class));

    static List<Inputs.Input> inputs() {
        return Inputs.all();
    }

    /** Parses each region's files into their typed objects, by file name. */
    static Map<String, HasMetadata> parse(SortedMap<String, String> files, String region) throws Exception {
        Map<String, HasMetadata> out = new java.util.TreeMap<>();
        String dir = "kubernetes/" + region + "/";
        for (var e : files.entrySet()) {
            if (!e.getKey().startsWith(dir)) {
                continue;
            }
            JsonNode tree = Serialization.yamlMapper().readTree(e.getValue());
            Class<? extends HasMetadata> type = KINDS.get(tree.path("kind").asText());
            assertThat(type).as(e.getKey() + " has a known kind").isNotNull();
            HasMetadata o = Serialization.yamlMapper().treeToValue(tree, type);
            List<String> unknown = new ArrayList<>();
            unknownFields(o, "", unknown, new IdentityHashMap<>());
            assertThat(unknown).as(e.getKey() + ": fields the model does not know").isEmpty();
            // And nothing was lost: writing the object again gives the same document.
            assertThat(Serialization.yaml(o).equals(e.getValue())).as(e.getKey() + " written again from its model is the same document").isTrue();
            out.put(e.getKey().substring(dir.length()), o);
        }
        return out;
    }

    /** Walks the fabric8 object graph for anything that landed in an additionalProperties map. */
    static void unknownFields(Object o, String path, List<String> out, IdentityHashMap<Object, Boolean> seen) throws Exception {
        if (o == null || seen.put(o, true) != null) {
            return;
        }
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object x : c) {
                unknownFields(x, path + "[" + i++ + "]", out, seen);
            }
            return;
        }
        if (o instanceof Map<?, ?> m) {
            for (var e : m.entrySet()) {
                unknownFields(e.getValue(), path + "." + e.getKey(), out, seen);
            }
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || !m.getName().startsWith("get") || m.getDeclaringClass() == Object.class) {
                continue;
            }
            Object v = m.invoke(o);
            if (m.getName().equals("getAdditionalProperties")) {
                if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    out.add(path + ": " + extra.keySet());
                }
                continue;
            }
            unknownFields(v, path + "." + m.getName().substring(3), out, seen);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inputs")
    void objectsParseBackAndAgree(Inputs.Input input) throws Exception {
        GatewayConfig config = input.config();
        DeployConfig deploy = config.deploy();
        SortedMap<String, String> files = Generator.generate(config, input.text());
        for (DeployConfig.Region region : deploy.regions()) {
            Map<String, HasMetadata> o = parse(files, region.name());
            assertThat(o).hasSize(11);
            Deployment d = (Deployment) o.get("03-deployment.yaml");
            Service svc = (Service) o.get("04-service.yaml");
            Service admin = (Service) o.get("05-service-admin.yaml");
            HorizontalPodAutoscaler hpa = (HorizontalPodAutoscaler) o.get("06-hpa.yaml");
            PodDisruptionBudget pdb = (PodDisruptionBudget) o.get("07-pdb.yaml");
            NetworkPolicy np = (NetworkPolicy) o.get("08-networkpolicy.yaml");
            ServiceMonitor sm = (ServiceMonitor) o.get("09-servicemonitor.yaml");
            ConfigMap cm = (ConfigMap) o.get("02-configmap.yaml");

            // One namespace, one set of labels; every selector picks exactly the pods.
            Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();
            Map<String, String> selector = d.getSpec().getSelector().getMatchLabels();
            assertThat(podLabels).containsAllEntriesOf(selector);
            assertThat(svc.getSpec().getSelector()).isEqualTo(selector);
            assertThat(admin.getSpec().getSelector()).isEqualTo(selector);
            assertThat(pdb.getSpec().getSelector().getMatchLabels()).isEqualTo(selector);
            assertThat(np.getSpec().getPodSelector().getMatchLabels()).isEqualTo(selector);
            for (TopologySpreadConstraint t : d.getSpec().getTemplate().getSpec().getTopologySpreadConstraints()) {
                assertThat(t.getLabelSelector().getMatchLabels()).isEqualTo(selector);
            }
            o.values().forEach(x -> {
                if (!(x instanceof Namespace)) {
                    assertThat(x.getMetadata().getNamespace()).isEqualTo(deploy.namespace());
                }
                assertThat(x.getMetadata().getLabels()).containsAllEntriesOf(selector);
            });

            // HPA, PDB and spread agree: the HPA never goes below what the PDB needs to allow an eviction.
            DeployConfig.Replicas replicas = deploy.replicas(region);
            assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo(d.getMetadata().getName());
            assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
            assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(replicas.min());
            assertThat(hpa.getSpec().getMaxReplicas()).isEqualTo(replicas.max());
            assertThat(hpa.getSpec().getBehavior().getScaleUp().getPolicies()).isNotEmpty();
            assertThat(hpa.getSpec().getBehavior().getScaleDown().getStabilizationWindowSeconds()).isPositive();
            assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isLessThan(replicas.min());
            assertThat(d.getSpec().getReplicas()).as("replicas belong to the HPA").isNull();
            assertThat(d.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isZero();
            assertThat(d.getSpec().getTemplate().getSpec().getTopologySpreadConstraints())
                    .extracting(TopologySpreadConstraint::getTopologyKey).contains("topology.kubernetes.io/zone");

            // Ports and probes: the admin port's real paths, the traffic port of the first listener.
            Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
            int adminPort = config.admin().address().port();
            assertThat(c.getPorts()).anySatisfy(p -> {
                assertThat(p.getName()).isEqualTo("admin");
                assertThat(p.getContainerPort()).isEqualTo(adminPort);
            });
            assertThat(c.getPorts()).anySatisfy(p -> assertThat(p.getContainerPort()).isEqualTo(config.listeners().get(0).address().port()));
            assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/ready");
            assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
            assertThat(c.getStartupProbe().getHttpGet().getPath()).isEqualTo("/healthz");
            for (var probe : List.of(c.getReadinessProbe(), c.getLivenessProbe(), c.getStartupProbe())) {
                assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("admin");
            }
            assertThat(admin.getSpec().getPorts().get(0).getPort()).isEqualTo(adminPort);
            assertThat(sm.getSpec().getEndpoints().get(0).getPort()).isEqualTo(admin.getSpec().getPorts().get(0).getName());
            assertThat(admin.getMetadata().getLabels()).containsAllEntriesOf(sm.getSpec().getSelector().getMatchLabels());

            // Security: non-root, read-only root, nothing extra.
            assertThat(d.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
            assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
            assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
            assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");

            // Drain: preStop, then the gateway's readiness delay and drain timeout, all inside the grace period.
            long preStop = c.getLifecycle().getPreStop().getSleep().getSeconds();
            long drain = config.drain().readinessDelay().toSeconds() + config.drain().timeout().toSeconds();
            assertThat(d.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds()).isGreaterThan(preStop + drain);

            // The NLB: external, ip targets, scheme explicit; health checked on /ready.
            Map<String, String> a = svc.getMetadata().getAnnotations();
            assertThat(svc.getSpec().getType()).isEqualTo("LoadBalancer");
            assertThat(a).containsEntry("service.beta.kubernetes.io/aws-load-balancer-type", "external")
                    .containsEntry("service.beta.kubernetes.io/aws-load-balancer-nlb-target-type", "ip")
                    .containsEntry("service.beta.kubernetes.io/aws-load-balancer-scheme", "internet-facing")
                    .containsEntry("service.beta.kubernetes.io/aws-load-balancer-healthcheck-path", "/ready");
            assertThat(svc.getSpec().getPorts().get(0).getPort()).isEqualTo(deploy.servicePort());

            // NetworkPolicy: traffic from anywhere, admin only from monitoring and the NLB's subnets (NetworkPolicyTest evaluates it).
            assertThat(np.getSpec().getIngress()).hasSize(3);
            assertThat(np.getSpec().getIngress().get(0).getFrom()).isNullOrEmpty();
            assertThat(np.getSpec().getIngress().get(0).getPorts().get(0).getPort().getIntVal()).isEqualTo(config.listeners().get(0).address().port());
            assertThat(np.getSpec().getIngress().get(1).getFrom().get(0).getNamespaceSelector().getMatchLabels())
                    .containsEntry("kubernetes.io/metadata.name", deploy.monitoringNamespace());
            assertThat(np.getSpec().getIngress().get(1).getPorts().get(0).getPort().getIntVal()).isEqualTo(adminPort);
            for (var cluster : config.clusters()) {
                for (var e : cluster.endpoints()) {
                    assertThat(np.getSpec().getEgress().get(0).getPorts()).anySatisfy(p -> assertThat(p.getPort().getIntVal()).isEqualTo(e.port()));
                }
            }

            // The ConfigMap holds the document the sidecar read, less its deploy section, comments and all.
            String served = cm.getData().get("gateway.yaml");
            assertThat(served).doesNotContain("\ndeploy:").doesNotContain("nlbArn");
            assertThat(served).as("the examples end with their deploy section").isEqualTo(input.text().substring(0, input.text().indexOf("\ndeploy:") + 1));
            var servedConfig = dev.edgegateway.config.ConfigLoader.parse(served, "configmap", 1).config();
            assertThat(servedConfig.deploy()).isNull();
            assertThat(servedConfig.routes()).isEqualTo(config.routes());
            assertThat(servedConfig.clusters()).isEqualTo(config.clusters());
        }
    }
}
