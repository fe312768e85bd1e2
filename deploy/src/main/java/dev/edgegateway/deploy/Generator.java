package dev.edgegateway.deploy;

import dev.edgegateway.config.DeployConfig;
import dev.edgegateway.config.GatewayConfig;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Turns a gateway config with a {@code deploy} section into every file an operator applies
 * around the gateway, by relative path. Pure: no clock, no environment, no randomness; the same
 * config text gives byte-identical files.
 *
 * <pre>
 * kubernetes/REGION/00-namespace.yaml ... 08-networkpolicy.yaml   the gateway in that region's EKS cluster
 * kubernetes/REGION/09-servicemonitor.yaml, 10-prometheusrule.yaml  its monitoring (Prometheus Operator)
 * monitoring/rules.yml          the same rule groups as a plain Prometheus rules file
 * monitoring/dashboard.json     the Grafana dashboard
 * accelerator/cloudformation.json, accelerator/terraform/main.tf.json
 * </pre>
 */
public final class Generator {
    private Generator() {}

    public static SortedMap<String, String> generate(GatewayConfig config, String configText) {
        Facts f = Facts.of(config, configText);
        KubernetesGenerator k8s = new KubernetesGenerator(f);
        MonitoringGenerator mon = new MonitoringGenerator(f);
        SortedMap<String, String> out = new TreeMap<>();
        for (DeployConfig.Region r : f.deploy().regions()) {
            String dir = "kubernetes/" + r.name() + "/";
            for (Map.Entry<String, HasMetadata> e : k8s.objects(r).entrySet()) {
                out.put(dir + e.getKey(), Serialization.yaml(e.getValue()));
            }
            out.put(dir + "09-servicemonitor.yaml", Serialization.yaml(mon.serviceMonitor(r)));
            out.put(dir + "10-prometheusrule.yaml", Serialization.yaml(mon.prometheusRule(r)));
        }
        out.put("monitoring/rules.yml", Serialization.yaml(mon.rulesFile()));
        out.put("monitoring/dashboard.json", Serialization.json(new DashboardGenerator(f).dashboard()));
        AcceleratorGenerator ga = new AcceleratorGenerator(f);
        out.put("accelerator/cloudformation.json", Serialization.json(ga.cloudFormation()));
        out.put("accelerator/terraform/main.tf.json", Serialization.json(ga.terraform()));
        return out;
    }
}
