package dev.edgegateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgegateway.config.ConfigException;
import dev.edgegateway.config.ConfigLoader;
import dev.edgegateway.config.GatewayConfig;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;

/**
 * Request-rate autoscaling (KEDA) instead of the CPU-only HPA, and the labels kube-prometheus-stack
 * selects the ServiceMonitor and PrometheusRule by.
 */
class AutoscalingTest {
    static final String REQUESTS = "  autoscaling: {mode: requests, requestsPerPod: 9000, prometheusAddress: http://prometheus-operated.monitoring:9090}\n";

    static SortedMap<String, String> generate(String text) throws ConfigException {
        GatewayConfig c = ConfigLoader.parse(text, "three-regions.yaml", 1).config();
        return Generator.generate(c, text);
    }

    static String withRequests() {
        String text = Inputs.threeRegions().text();
        return text.replace("  targetCpuPercent: 60\n", "  targetCpuPercent: 60\n" + REQUESTS);
    }

    @Test
    void requestRateModeMakesAScaledObjectWithTheRegionsRateAndCpuAndNoHpa() throws Exception {
        SortedMap<String, String> files = generate(withRequests());
        for (String region : new String[] {"eu-west-1", "us-east-1"}) {
            String dir = "kubernetes/" + region + "/";
            assertThat(files).doesNotContainKey(dir + "06-hpa.yaml").containsKey(dir + "06-scaledobject.yaml");
            JsonNode so = Serialization.yamlMapper().readTree(files.get(dir + "06-scaledobject.yaml"));
            assertThat(so.get("apiVersion").asText()).isEqualTo("keda.sh/v1alpha1");
            assertThat(so.get("kind").asText()).isEqualTo("ScaledObject");
            JsonNode spec = so.get("spec");
            assertThat(spec.get("scaleTargetRef").get("name").asText()).isEqualTo("edge-gateway");
            assertThat(spec.get("minReplicaCount").asInt()).isEqualTo(region.equals("us-east-1") ? 4 : 3);
            assertThat(spec.get("maxReplicaCount").asInt()).isEqualTo(region.equals("us-east-1") ? 40 : 30);
            JsonNode prom = spec.get("triggers").get(0);
            assertThat(prom.get("type").asText()).isEqualTo("prometheus");
            assertThat(prom.get("metricType").asText()).as("per pod: KEDA divides by the replicas").isEqualTo("AverageValue");
            assertThat(prom.get("metadata").get("threshold").asText()).isEqualTo("9000");
            assertThat(prom.get("metadata").get("serverAddress").asText()).isEqualTo("http://prometheus-operated.monitoring:9090");
            assertThat(prom.get("metadata").get("query").asText())
                    .isEqualTo("sum(rate(edge_downstream_requests_total{namespace=\"edge\",service=\"edge-gateway-admin\",region=\"" + region + "\"}[2m]))");
            JsonNode cpu = spec.get("triggers").get(1);
            assertThat(cpu.get("type").asText()).isEqualTo("cpu");
            assertThat(cpu.get("metadata").get("value").asText()).isEqualTo("60");
            assertThat(spec.get("fallback").get("behavior").asText()).isEqualTo("currentReplicasIfHigher");
            // The HPA KEDA makes behaves as the CPU one would: its behavior block parses as the HPA model's.
            JsonNode behavior = spec.get("advanced").get("horizontalPodAutoscalerConfig").get("behavior");
            var typed = Serialization.yamlMapper().treeToValue(behavior, io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBehavior.class);
            HorizontalPodAutoscaler cpuOnly = Serialization.yamlMapper().readValue(
                    generate(Inputs.threeRegions().text()).get(dir + "06-hpa.yaml"), HorizontalPodAutoscaler.class);
            assertThat(typed).isEqualTo(cpuOnly.getSpec().getBehavior());
            // Same labels and namespace as every other object of the region.
            JsonNode deployment = Serialization.yamlMapper().readTree(files.get(dir + "03-deployment.yaml"));
            assertThat(so.get("metadata").get("labels")).isEqualTo(deployment.get("metadata").get("labels"));
            assertThat(so.get("metadata").get("namespace").asText()).isEqualTo("edge");
        }
    }

    @Test
    void requestModeNeedsItsRateAndPrometheusAndSaysWhere() {
        String text = Inputs.threeRegions().text().replace("  targetCpuPercent: 60\n", "  targetCpuPercent: 60\n  autoscaling: {mode: requests}\n");
        assertThatThrownBy(() -> generate(text)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("deploy.autoscaling.requestsPerPod").hasMessageContaining("deploy.autoscaling.prometheusAddress")
                .hasMessageContaining("three-regions.yaml:");
    }

    @Test
    void monitoringLabelsAreOnTheServiceMonitorAndPrometheusRuleOnly() throws Exception {
        SortedMap<String, String> files = generate(Inputs.threeRegions().text());
        for (String f : new String[] {"09-servicemonitor.yaml", "10-prometheusrule.yaml"}) {
            JsonNode o = Serialization.yamlMapper().readTree(files.get("kubernetes/eu-west-1/" + f));
            assertThat(o.get("metadata").get("labels").get("release").asText()).as(f).isEqualTo("kube-prometheus-stack");
            assertThat(o.get("metadata").get("labels").get("app.kubernetes.io/name").asText()).isEqualTo("edge-gateway");
        }
        JsonNode deployment = Serialization.yamlMapper().readTree(files.get("kubernetes/eu-west-1/03-deployment.yaml"));
        assertThat(deployment.get("metadata").get("labels").has("release")).isFalse();
        String bad = Inputs.threeRegions().text().replace("{release: kube-prometheus-stack}", "{release: \"not a value!\"}");
        assertThatThrownBy(() -> generate(bad)).hasMessageContaining("deploy.monitoringLabels.release");
    }
}
