package dev.edgegateway.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.edgegateway.health.Endpoint;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouteTableTest {
    private final Tables tables = new Tables();

    private static final String CLUSTERS = """
            clusters:
              - {name: a, endpoints: [127.0.0.1:9001, 127.0.0.1:9002, 127.0.0.1:9003], balancer: round-robin}
              - {name: b, endpoints: [127.0.0.1:9004]}
            """;

    private RouteTable table(String routes) {
        return tables.compile("routes:\n" + routes + CLUSTERS);
    }

    private static String name(Route r) {
        return r == null ? null : r.name();
    }

    @Test
    void firstMatchInConfigOrderWithinAHost() {
        RouteTable t = table("""
                  - {name: apiv2, match: {pathPrefix: /api/v2/, methods: [GET, HEAD]}, cluster: a}
                  - {name: v2x, match: {pathPrefix: /api/v2/x}, cluster: b}
                  - {name: api, match: {pathPrefix: /api}, cluster: b}
                  - {name: root, cluster: a}
                """);
        assertThat(name(t.match("x", TestRequest.get("/api/v2/users")))).isEqualTo("apiv2");
        assertThat(name(t.match("x", TestRequest.get("/api/v1")))).isEqualTo("api");
        assertThat(name(t.match("x", TestRequest.get("/apix")))).isEqualTo("api");
        assertThat(name(t.match("x", TestRequest.get("/other")))).isEqualTo("root");
        assertThat(name(t.match("x", TestRequest.get("/api/v2/x")))).as("an earlier route wins over a more specific one").isEqualTo("apiv2");
        TestRequest post = TestRequest.get("/api/v2/x");
        post.method = "POST";
        assertThat(name(t.match("x", post))).as("where the earlier one does not hold").isEqualTo("v2x");
        // A later route that an earlier one hides entirely is refused with the config (ConfigLoaderTest).
        assertThatThrownBy(() -> table("""
                  - {name: api, match: {pathPrefix: /api}, cluster: b}
                  - {name: never, match: {pathPrefix: /api/v2/x}, cluster: a}
                """)).hasMessageContaining("route 'never' is never chosen: routes[0] ('api') comes first");
    }

    @Test
    void exactHostThenLongestWildcardThenAnyHost() {
        RouteTable t = table("""
                  - {name: any, cluster: a}
                  - {name: wild, match: {host: "*.example.com"}, cluster: a}
                  - {name: deeper, match: {host: "*.shop.example.com"}, cluster: a}
                  - {name: exact, match: {host: shop.example.com}, cluster: b}
                """);
        assertThat(name(t.match("shop.example.com", TestRequest.get("/")))).isEqualTo("exact");
        assertThat(name(t.match("eu.shop.example.com", TestRequest.get("/")))).isEqualTo("deeper");
        assertThat(name(t.match("api.example.com", TestRequest.get("/")))).isEqualTo("wild");
        assertThat(name(t.match("example.com", TestRequest.get("/")))).as("*.example.com needs a label").isEqualTo("any");
        assertThat(name(t.match("evil.net", TestRequest.get("/")))).isEqualTo("any");
    }

    @Test
    void aHostGroupFallsBackToLessSpecificGroupsWhenNothingInItMatches() {
        RouteTable t = table("""
                  - {name: cart, match: {host: shop.example.com, pathPrefix: /cart}, cluster: b}
                  - {name: any, cluster: a}
                """);
        assertThat(name(t.match("shop.example.com", TestRequest.get("/login")))).isEqualTo("any");
    }

    @Test
    void noMatchIsNull() {
        RouteTable t = table("  - {name: host, match: {host: shop.example.com}, cluster: b}\n");
        assertThat(t.match("evil.example.net", TestRequest.get("/"))).isNull();
        assertThat(t.match("", TestRequest.get("/"))).isNull();
    }

    @Test
    void exactPathIgnoresTheQueryAndRegexIsWholePath() {
        RouteTable t = table("""
                  - {name: exact, match: {path: /login}, cluster: a}
                  - {name: versioned, match: {pathRegex: "/v[0-9]+/.*"}, cluster: a}
                  - {name: rest, cluster: b}
                """);
        assertThat(name(t.match("h", TestRequest.get("/login?next=/")))).isEqualTo("exact");
        assertThat(name(t.match("h", TestRequest.get("/login/x")))).isEqualTo("rest");
        assertThat(name(t.match("h", TestRequest.get("/v12/users?x=/v1/")))).isEqualTo("versioned");
        assertThat(name(t.match("h", TestRequest.get("/api/v12/users")))).isEqualTo("rest");
    }

    @Test
    void methodsHeadersAndQueryMustAllHold() {
        RouteTable t = table("""
                  - name: writes
                    match: {pathPrefix: /api/, methods: [post, PUT], headers: [{name: X-Env, value: prod}]}
                    cluster: a
                  - name: beta
                    match: {pathPrefix: /api/, query: [{name: beta, value: "on off"}], headers: [{name: x-debug, present: false}]}
                    cluster: a
                  - name: prefixed
                    match: {headers: [{name: authorization, prefix: "Bearer "}]}
                    cluster: a
                  - {name: rest, cluster: b}
                """);
        TestRequest post = TestRequest.get("/api/x").header("x-env", "prod");
        post.method = "POST";
        assertThat(name(t.match("h", post))).isEqualTo("writes");
        post.headers.put("x-env", "dev");
        assertThat(name(t.match("h", post))).isEqualTo("rest");
        assertThat(name(t.match("h", TestRequest.get("/api/x?a=1&beta=on+off")))).isEqualTo("beta");
        assertThat(name(t.match("h", TestRequest.get("/api/x?beta=on%20off&a")))).isEqualTo("beta");
        assertThat(name(t.match("h", TestRequest.get("/api/x?beta=on+off").header("x-debug", "1")))).isEqualTo("rest");
        assertThat(name(t.match("h", TestRequest.get("/api/x?betas=on+off")))).isEqualTo("rest");
        assertThat(name(t.match("h", TestRequest.get("/z").header("authorization", "Bearer abc")))).isEqualTo("prefixed");
    }

    @Test
    void theSegmentIndexKeepsConfigOrderAcrossPinnedAndUnpinnedRoutes() {
        StringBuilder routes = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            routes.append("  - {name: r").append(i).append(", match: {pathPrefix: /s").append(i).append("/")
                    .append(i == 150 ? ", methods: [GET]" : "").append("}, cluster: a}\n");
        }
        routes.append("  - {name: late, match: {pathPrefix: /s150/}, cluster: b}\n");
        routes.append("  - {name: loose, match: {pathPrefix: /s1}, cluster: a}\n");
        routes.append("  - {name: any, cluster: b}\n");
        RouteTable t = table(routes.toString());
        assertThat(name(t.match("h", TestRequest.get("/s150/x")))).isEqualTo("r150");
        TestRequest post = TestRequest.get("/s150/x");
        post.method = "POST";
        assertThat(name(t.match("h", post))).isEqualTo("late");
        assertThat(name(t.match("h", TestRequest.get("/s1x")))).isEqualTo("loose");
        assertThat(name(t.match("h", TestRequest.get("/s1/")))).isEqualTo("r1");
        assertThat(name(t.match("h", TestRequest.get("/s999/")))).isEqualTo("any");
        assertThat(name(t.match("h", TestRequest.get("/")))).isEqualTo("any");
    }

    @Test
    void roundRobinVisitsEachEndpointEqually() {
        RouteTable t = table("  - {name: r, cluster: a}\n");
        LoadBalancer lb = t.clusters().get("a").balancer();
        Map<Endpoint, Integer> counts = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            counts.merge(lb.pick(), 1, Integer::sum);
        }
        // Deterministic rotation: exactly 100 each, no tolerance needed.
        assertThat(counts.values()).containsExactly(100, 100, 100);
    }

    @Test
    void endpointsKeepTheirIdentityAcrossRecompiles() {
        Endpoint before = table("  - {name: r, cluster: a}\n").clusters().get("a").endpoints().get(0);
        Endpoint after = table("  - {name: r2, cluster: a}\n").clusters().get("a").endpoints().get(0);
        assertThat(after).isSameAs(before);
    }
}
