package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.HttpRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A route's controls hold for every spelling of its host and path: dot segments and escaped
 * letters are resolved before routing (RFC 3986 6.2.2), and the origin is sent the path the route
 * was chosen for; a host's trailing dot is dropped. Without it, {@code /public/../admin} was routed
 * by {@code /public} and served as {@code /admin} by an origin that resolves it, and
 * {@code api.test.} went to the catch-all routes.
 */
@Timeout(60)
class TargetSpellingTest {
    private static final String CONFIG = """
            routes:
              - name: api
                match: {host: api.test}
                directResponse: {status: 429, body: "api is closed"}
              - name: admin
                match: {pathPrefix: /admin}
                directResponse: {status: 403, body: "not here"}
              - name: app
                cluster: app
            clusters: [{name: app, endpoints: [%s]}]
            """;

    @Test
    void anotherSpellingOfAGuardedPathGetsThatRoutesAnswer() throws Exception {
        try (TestOrigin o = new TestOrigin("o"); GatewayFixture gw = new GatewayFixture(GatewayFixture.config(CONFIG.formatted(o.address())))) {
            for (String path : new String[] {"/admin", "/public/../admin", "/public/%2e%2E/admin", "/public/.%2e/admin/x",
                    "/%61dmin", "/public/./../admin?q=1", "/../../admin"}) {
                RawHttp.Response r = RawHttp.exchange(gw.port(), "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(r.status()).as(path).isEqualTo(403);
                assertThat(r.text()).as(path).isEqualTo("not here");
            }
            if (Tools.curl()) { // HTTP/2 (h2c), with curl told to send the path as written
                Curl.Result h2 = Curl.run("-sS", "--http2-prior-knowledge", "--path-as-is", "-o", "/dev/null", "-w", "%{http_code} %{http_version}",
                        "http://127.0.0.1:" + gw.port() + "/public/../admin");
                assertThat(h2.out()).isEqualTo("403 2");
            }
            assertThat(o.requests.get()).as("the origin is not asked").isZero();
        }
    }

    @Test
    void aHostWithItsRootsDotIsTheSameHost() throws Exception {
        try (TestOrigin o = new TestOrigin("o"); GatewayFixture gw = new GatewayFixture(GatewayFixture.config(CONFIG.formatted(o.address())))) {
            for (String head : new String[] {"GET /x HTTP/1.1\r\nHost: api.test\r\n", "GET /x HTTP/1.1\r\nHost: API.test.\r\n",
                    "GET /x HTTP/1.1\r\nHost: api.test.:80\r\n", "GET http://api.test./x HTTP/1.1\r\nHost: other\r\n"}) {
                RawHttp.Response r = RawHttp.exchange(gw.port(), head + "\r\n");
                assertThat(r.status()).as(head).isEqualTo(429);
                assertThat(r.text()).as(head).isEqualTo("api is closed");
            }
            assertThat(o.requests.get()).as("the origin is not asked").isZero();
        }
    }

    @Test
    void theOriginIsSentThePathThatWasRouted() throws Exception {
        try (TestOrigin o = new TestOrigin("o"); GatewayFixture gw = new GatewayFixture(GatewayFixture.config(CONFIG.formatted(o.address())))) {
            String[][] cases = {
                {"/public/./a/../b?x=/../y", "/public/b?x=/../y"}, // the query is not touched
                {"/%7Euser/%41%2fb", "/~user/A%2Fb"},               // an escaped slash stays escaped
                {"//twice//", "//twice//"},                         // repeated slashes are not merged
                {"/plain/path?q=%zz", "/plain/path?q=%zz"},
            };
            for (String[] c : cases) {
                o.seen.clear();
                assertThat(RawHttp.exchange(gw.port(), "GET " + c[0] + " HTTP/1.1\r\nHost: x\r\n\r\n").status()).as(c[0]).isEqualTo(200);
                assertThat(o.seen).as(c[0]).singleElement().extracting(HttpRequest::uri).isEqualTo(c[1]);
            }
        }
    }

    @Test
    void aBadEscapeAFragmentOrADotSegmentWithParametersIs400AndReachesNoOrigin() throws Exception {
        try (TestOrigin o = new TestOrigin("o"); GatewayFixture gw = new GatewayFixture(GatewayFixture.config(CONFIG.formatted(o.address())))) {
            for (String path : new String[] {"/%zz", "/a%2", "/page#section", "/x?q=1#f", "/public/..;/admin"}) {
                RawHttp.Response r = RawHttp.exchange(gw.port(), "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(r.status()).as(path).isEqualTo(400);
                assertThat(r.text()).as(path).contains("invalid request target");
            }
            assertThat(o.requests.get()).isZero();
            assertThat(gw.metric("edge_downstream_rejected_total{reason=\"bad_request\"}")).isEqualTo(5);
        }
    }
}
