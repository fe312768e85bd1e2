package dev.edgegateway.deploy;

import dev.edgegateway.config.DeployConfig;
import dev.edgegateway.config.GatewayConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** What changed between two configs, in an operator's words ("eu-west-1 traffic dial 30 -> 40"). */
final class Changes {
    private Changes() {}

    static List<String> between(GatewayConfig before, GatewayConfig after) {
        List<String> out = new ArrayList<>();
        DeployConfig a = before.deploy();
        DeployConfig b = after.deploy();
        if (a == null || b == null) {
            return out;
        }
        Map<String, DeployConfig.Region> old = byName(a);
        Map<String, DeployConfig.Region> now = byName(b);
        now.forEach((name, r) -> {
            DeployConfig.Region o = old.get(name);
            if (o == null) {
                out.add("+region " + name + " (traffic dial " + r.trafficDial() + ", weight " + r.weight() + ")");
                return;
            }
            change(out, name + " traffic dial", o.trafficDial(), r.trafficDial());
            change(out, name + " endpoint weight", o.weight(), r.weight());
            change(out, name + " NLB", o.nlbArn(), r.nlbArn());
            change(out, name + " replicas", range(a.replicas(o)), range(b.replicas(r)));
            change(out, name + " health-check CIDRs", String.join(", ", o.healthCheckCidrs()), String.join(", ", r.healthCheckCidrs()));
        });
        old.keySet().stream().filter(n -> !now.containsKey(n)).forEach(n -> out.add("-region " + n));
        change(out, "image", a.image(), b.image());
        change(out, "resources", a.resources().cpu() + " CPU / " + a.resources().memory(), b.resources().cpu() + " CPU / " + b.resources().memory());
        change(out, "autoscaling", autoscaling(a), autoscaling(b));
        change(out, "client affinity", sticky(before), sticky(after));
        change(out, "availability SLO", a.slo().availability() + "%", b.slo().availability() + "%");
        change(out, "latency SLO", a.slo().latencyTarget() + "% within " + a.slo().latencyThreshold(),
                b.slo().latencyTarget() + "% within " + b.slo().latencyThreshold());
        return out;
    }

    private static String sticky(GatewayConfig c) {
        return c.routes().stream().anyMatch(r -> r.sticky() != null) ? "SOURCE_IP" : "NONE";
    }

    private static String autoscaling(DeployConfig d) {
        return d.autoscaling().mode() == DeployConfig.Autoscaling.Mode.CPU ? "CPU " + d.targetCpuPercent() + "%"
                : d.autoscaling().requestsPerPod() + " req/s per pod or CPU " + d.targetCpuPercent() + "%";
    }

    private static String range(DeployConfig.Replicas r) {
        return r.min() + ".." + r.max();
    }

    private static void change(List<String> out, String what, Object before, Object after) {
        if (!Objects.equals(before, after)) {
            out.add(what + " " + before + " -> " + after);
        }
    }

    private static Map<String, DeployConfig.Region> byName(DeployConfig d) {
        Map<String, DeployConfig.Region> m = new LinkedHashMap<>();
        d.regions().forEach(r -> m.put(r.name(), r));
        return m;
    }
}
