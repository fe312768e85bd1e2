package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A route's own answer (a maintenance page, switched on and off by reload) and header rules on
 * the request to the origin and the response to the client, over real sockets.
 */
class RouteAnswersAndHeadersTest {
    static final String TOKEN = "answers-token";

    @TempDir
    Path dir;

    String config(TestOrigin o, boolean maintenance) {
        String shop = maintenance ? """
                  - name: shop
                    match: {pathPrefix: /shop}
                    directResponse:
                      status: 503
                      contentType: text/html; charset=utf-8
                      body: "<h1>Back soon</h1>"
                      headers: {cache-control: no-store}
                      retryAfter: 30m
                """ : """
                  - {name: shop, match: {pathPrefix: /shop}, cluster: app}
                """;
        return """
                listeners: [{name: public, address: 127.0.0.1:0}]
                admin: {address: 127.0.0.1:0, tokenEnv: EDGE_ANSWERS_UNSET, tokenFile: %s}
                forwarding: {trustedProxies: [127.0.0.1/32]}
                geo: {regionHeader: x-edge-region, defaultRegion: us-east}
                routes:
                %s  - name: api
                    cluster: app
                    requestHeaders:
                      remove: [x-internal]
                      set: {x-edge-route: "${route}", x-client: "${client.address} in ${client.region}"}
                      add: {x-tag: added}
                    responseHeaders:
                      remove: [x-origin]
                      set: {strict-transport-security: max-age=600}
                      add: {x-served-by: "${cluster} for ${request.id}"}
                clusters: [{name: app, endpoints: ["%s"]}]
                """.formatted(dir.resolve("token"), shop, o.address());
    }

    @Test
    void aMaintenancePageIsServedWithoutTheOriginAndSwitchedOffByReload() throws Exception {
        Files.writeString(dir.resolve("token"), TOKEN);
        try (TestOrigin o = new TestOrigin("o"); GatewayFixture gw = new GatewayFixture(config(o, true))) {
            RawHttp.Response r = RawHttp.exchange(gw.port(), "GET /shop/cart HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.text()).isEqualTo("<h1>Back soon</h1>");
            assertThat(r.header("content-type")).isEqualTo("text/html; charset=utf-8");
            assertThat(r.header("retry-after")).isEqualTo("1800");
            assertThat(r.header("cache-control")).isEqualTo("no-store");
            assertThat(r.header("x-request-id")).isNotBlank();
            int answered = 1;
            if (Tools.curl()) {
                Curl.Result head = Curl.run("-sS", "-I", "http://127.0.0.1:" + gw.port() + "/shop");
                assertThat(head.out()).startsWith("HTTP/1.1 503").contains("content-length: 18").contains("retry-after: 1800");
                answered++;
            }
            assertThat(o.requests.get()).as("the origin is not asked").isZero();
            assertThat(gw.metric("edge_downstream_requests_total{cluster=\"none\",route=\"shop\",status_class=\"5xx\"}")).isEqualTo(answered);

            // Maintenance over: one reload, and the origin serves again.
            var put = gw.adminSend("PUT", "/config", config(o, false), "Bearer " + TOKEN);
            assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
            assertThat(RawHttp.exchange(gw.port(), "GET /shop/cart HTTP/1.1\r\nHost: x\r\n\r\n").status()).isEqualTo(200);
            assertThat(o.requests.get()).isEqualTo(1);
        }
    }

    @Test
    void headerRulesRewriteTheRequestAndTheResponse() throws Exception {
        Files.writeString(dir.resolve("token"), TOKEN);
        try (TestOrigin o = new TestOrigin("o"); GatewayFixture gw = new GatewayFixture(config(o, true))) {
            RawHttp.Response r = RawHttp.exchange(gw.port(), "GET /x HTTP/1.1\r\nHost: x\r\nx-internal: secret\r\nx-tag: mine\r\n"
                    + "x-edge-route: forged\r\nx-edge-region: eu-west\r\n\r\n");
            assertThat(r.status()).isEqualTo(200);
            var atOrigin = o.seen.get(0).headers();
            assertThat(atOrigin.contains("x-internal")).as("removed").isFalse();
            assertThat(atOrigin.getAll("x-edge-route")).as("set replaces what the client sent").containsExactly("api");
            assertThat(atOrigin.get("x-client")).isEqualTo("127.0.0.1 in eu-west");
            assertThat(atOrigin.getAll("x-tag")).as("add keeps the client's").containsExactly("mine", "added");
            assertThat(r.header("x-origin")).as("removed from the response").isNull();
            assertThat(r.header("strict-transport-security")).isEqualTo("max-age=600");
            assertThat(r.header("x-served-by")).isEqualTo("app for " + atOrigin.get("x-request-id")).matches("app for [0-9a-f]{32}");

            // A name the rules remove or set, spelled with '_' for '-': a CGI-style origin (PHP,
            // WSGI, Rack) reads x_internal as x-internal, so it goes too; an added name's does not.
            RawHttp.exchange(gw.port(), "GET /x HTTP/1.1\r\nHost: x\r\nx_internal: secret\r\nX_Edge-Route: forged\r\nx_tag: mine\r\n\r\n");
            var spelled = o.seen.get(1).headers();
            assertThat(spelled.names()).as("what the rules own, in no spelling").doesNotContain("x_internal", "X_Edge-Route");
            assertThat(spelled.getAll("x-edge-route")).containsExactly("api");
            assertThat(spelled.getAll("x_tag")).as("add keeps the client's, in its spelling").containsExactly("mine");

            // ${client.address} behind a trusted proxy that adds its own X-Forwarded-For line (HAProxy's
            // option forwardfor) rather than extending the client's: the lines are one list, so the
            // client is the address that proxy saw, not the one the client wrote; the origin gets it all.
            RawHttp.exchange(gw.port(), "GET /x HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n");
            var behindProxy = o.seen.get(2).headers();
            assertThat(behindProxy.get("x-client")).isEqualTo("203.0.113.9 in us-east");
            assertThat(behindProxy.getAll("x-forwarded-for")).containsExactly("6.6.6.6,203.0.113.9, 127.0.0.1");
        }
    }

    @Test
    void rulesThatWouldBreakFramingOrNameUnknownValuesAreRejectedWithTheirPlace() throws Exception {
        Files.writeString(dir.resolve("token"), TOKEN);
        try (TestOrigin o = new TestOrigin("o"); GatewayFixture gw = new GatewayFixture(config(o, true))) {
            String bad = config(o, true).replace("${route}", "${rout}").replace("remove: [x-origin]", "remove: [content-length]");
            var r = gw.adminSend("POST", "/config/validate", bad, "Bearer " + TOKEN);
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.body()).contains("unknown value '${rout}'").contains("did you mean 'route'")
                    .contains("'content-length' is the gateway's to set").contains("\"field\":\"routes[1].requestHeaders.set.x-edge-route\"");
        }
    }
}
