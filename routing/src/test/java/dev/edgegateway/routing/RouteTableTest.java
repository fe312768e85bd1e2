package dev.edgegateway.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.config.ClusterConfig;
import dev.edgegateway.config.GatewayConfig;
import dev.edgegateway.config.HostPort;
import dev.edgegateway.config.ListenerConfig;
import dev.edgegateway.config.RouteConfig;
import dev.edgegateway.config.RouteMatch;
import dev.edgegateway.health.Endpoint;
import dev.edgegateway.health.EndpointRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouteTableTest {
    private final EndpointRegistry registry = new EndpointRegistry();

    private RouteTable table(RouteConfig... routes) {
        List<ClusterConfig> clusters = List.of(
                new ClusterConfig("a", List.of(HostPort.parse("127.0.0.1:9001"), HostPort.parse("127.0.0.1:9002"), HostPort.parse("127.0.0.1:9003")), null),
                new ClusterConfig("b", List.of(HostPort.parse("127.0.0.1:9004")), null));
        GatewayConfig config = new GatewayConfig(List.of(new ListenerConfig("l", HostPort.parse("127.0.0.1:0"))),
                null, null, null, null, null, null, List.of(routes), clusters);
        return RouteTable.compile(config, registry);
    }

    private static RouteConfig route(String name, String host, String prefix, String cluster) {
        return new RouteConfig(name, new RouteMatch(host, prefix), cluster);
    }

    @Test
    void longestPrefixWinsWhateverTheOrder() {
        RouteTable t = table(route("root", "*", "/", "a"), route("api", "*", "/api", "b"), route("apiv2", "*", "/api/v2", "a"));
        assertThat(t.match("x", "/api/v2/users").name()).isEqualTo("apiv2");
        assertThat(t.match("x", "/api/v1").name()).isEqualTo("api");
        assertThat(t.match("x", "/other").name()).isEqualTo("root");
    }

    @Test
    void exactHostIsTriedBeforeAnyHost() {
        RouteTable t = table(route("any", "*", "/api", "a"), route("host", "shop.example.com", "/", "b"));
        assertThat(t.match("shop.example.com", "/api").name()).isEqualTo("host");
        assertThat(t.match("other.example.com", "/api").name()).isEqualTo("any");
    }

    @Test
    void exactHostFallsBackToAnyHostWhenNoPrefixMatches() {
        RouteTable t = table(route("host", "shop.example.com", "/cart", "b"), route("any", "*", "/", "a"));
        assertThat(t.match("shop.example.com", "/login").name()).isEqualTo("any");
    }

    @Test
    void noMatchIsNull() {
        RouteTable t = table(route("host", "shop.example.com", "/", "b"));
        assertThat(t.match("evil.example.net", "/")).isNull();
        assertThat(t.match("", "/")).isNull();
    }

    @Test
    void equalPrefixesKeepConfigOrder() {
        RouteTable t = table(route("first", "*", "/x", "a"), route("second", "*", "/x", "b"));
        assertThat(t.match("h", "/x").name()).isEqualTo("first");
    }

    @Test
    void roundRobinVisitsEachEndpointEqually() {
        RouteTable t = table(route("r", "*", "/", "a"));
        LoadBalancer lb = t.clusters().get("a").balancer();
        Map<Endpoint, Integer> counts = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            counts.merge(lb.pick(null), 1, Integer::sum);
        }
        // Deterministic rotation: exactly 100 each, no tolerance needed.
        assertThat(counts.values()).containsExactly(100, 100, 100);
    }

    @Test
    void endpointsKeepTheirIdentityAcrossRecompiles() {
        Endpoint before = table(route("r", "*", "/", "a")).clusters().get("a").endpoints().get(0);
        Endpoint after = table(route("r2", "*", "/", "a")).clusters().get("a").endpoints().get(0);
        assertThat(after).isSameAs(before);
    }
}
