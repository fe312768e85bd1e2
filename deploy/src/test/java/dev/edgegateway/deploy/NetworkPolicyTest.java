package dev.edgegateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.config.Cidr;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.net.InetAddress;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The generated NetworkPolicy evaluated as a CNI would (the Kubernetes ingress rules: a policy
 * selecting the pod admits a connection when any rule matches both a peer and a port; a peer is a
 * namespace selector, a pod selector, both, or an ipBlock with exceptions; ipBlocks apply to
 * addresses outside the cluster, which is how an NLB's health check arrives), against the
 * sources that matter: Prometheus in the monitoring namespace, the NLB's health check from its
 * subnet, another pod in the cluster, and an address on the internet.
 */
class NetworkPolicyTest {
    /** Who connects: a pod (its namespace's and its own labels) or an address outside the cluster. */
    record Source(String what, Map<String, String> namespaceLabels, Map<String, String> podLabels, String address) {
        static Source pod(String what, String namespace, String ip) {
            return new Source(what, Map.of("kubernetes.io/metadata.name", namespace), Map.of("app", "x"), ip);
        }

        static Source external(String what, String ip) {
            return new Source(what, null, null, ip);
        }
    }

    static boolean admits(NetworkPolicy np, Source s, int port) throws Exception {
        for (NetworkPolicyIngressRule rule : np.getSpec().getIngress()) {
            boolean portOk = rule.getPorts() == null || rule.getPorts().isEmpty()
                    || rule.getPorts().stream().anyMatch(p -> matches(p, port));
            boolean peerOk = rule.getFrom() == null || rule.getFrom().isEmpty();
            for (NetworkPolicyPeer peer : rule.getFrom() == null ? java.util.List.<NetworkPolicyPeer>of() : rule.getFrom()) {
                peerOk |= matches(peer, s);
            }
            if (portOk && peerOk) {
                return true;
            }
        }
        return false;
    }

    static boolean matches(NetworkPolicyPort p, int port) {
        return (p.getProtocol() == null || p.getProtocol().equals("TCP")) && (p.getPort() == null || p.getPort().getIntVal() == port);
    }

    static boolean matches(NetworkPolicyPeer peer, Source s) throws Exception {
        if (peer.getIpBlock() != null) {
            // ipBlock: for traffic from outside the cluster (pod traffic is matched by selectors).
            if (s.namespaceLabels() != null) {
                return false;
            }
            InetAddress a = InetAddress.getByName(s.address());
            if (!Cidr.parse(peer.getIpBlock().getCidr()).contains(a.getAddress())) {
                return false;
            }
            for (String except : peer.getIpBlock().getExcept() == null ? java.util.List.<String>of() : peer.getIpBlock().getExcept()) {
                if (Cidr.parse(except).contains(a.getAddress())) {
                    return false;
                }
            }
            return true;
        }
        if (s.namespaceLabels() == null) {
            return false; // selectors only match pods
        }
        boolean ns = peer.getNamespaceSelector() == null || selects(peer.getNamespaceSelector(), s.namespaceLabels());
        boolean pod = peer.getPodSelector() == null || selects(peer.getPodSelector(), s.podLabels());
        return ns && pod && (peer.getNamespaceSelector() != null || peer.getPodSelector() != null);
    }

    static boolean selects(LabelSelector sel, Map<String, String> labels) {
        assertThat(sel.getMatchExpressions()).as("the evaluator knows matchLabels only").isNullOrEmpty();
        return sel.getMatchLabels() == null || labels.entrySet().containsAll(sel.getMatchLabels().entrySet());
    }

    @Test
    void theAdminPortAdmitsMonitoringAndTheLoadBalancersHealthChecksAndNobodyElse() throws Exception {
        Inputs.Input input = Inputs.threeRegions();
        var files = Generator.generate(input.config(), input.text());
        int admin = input.config().admin().address().port();
        int traffic = input.config().listeners().get(0).address().port();
        for (var region : input.config().deploy().regions()) {
            NetworkPolicy np = Serialization.yamlMapper().readValue(files.get("kubernetes/" + region.name() + "/08-networkpolicy.yaml"), NetworkPolicy.class);
            String nlbSubnet = region.healthCheckCidrs().get(0);
            String nlbAddress = nlbSubnet.substring(0, nlbSubnet.lastIndexOf('.')) + ".37";
            Source prometheus = Source.pod("Prometheus in monitoring", "monitoring", "10.1.2.3");
            Source nlb = Source.external("the NLB's health check from " + nlbSubnet, nlbAddress);
            Source otherPod = Source.pod("a pod in another namespace", "shop", "10.1.9.9");
            Source internet = Source.external("an address on the internet", "203.0.113.50");

            assertThat(admits(np, prometheus, admin)).as(region.name() + ": " + prometheus.what()).isTrue();
            assertThat(admits(np, nlb, admin)).as(region.name() + ": " + nlb.what()).isTrue();
            assertThat(admits(np, otherPod, admin)).as(region.name() + ": " + otherPod.what()).isFalse();
            assertThat(admits(np, internet, admin)).as(region.name() + ": " + internet.what()).isFalse();
            // An address just outside every health-check CIDR is refused too.
            assertThat(admits(np, Source.external("next door", "10.99.0.1"), admin)).isFalse();
            // Traffic: from anywhere, the internet included.
            for (Source s : new Source[] {prometheus, nlb, otherPod, internet}) {
                assertThat(admits(np, s, traffic)).as(region.name() + " traffic from " + s.what()).isTrue();
            }
            // Nothing else is open.
            assertThat(admits(np, internet, 22)).isFalse();
            assertThat(admits(np, prometheus, 22)).isFalse();
        }
    }
}
