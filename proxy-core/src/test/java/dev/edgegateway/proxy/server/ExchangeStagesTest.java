package dev.edgegateway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.config.ConfigLoader;
import dev.edgegateway.health.Endpoint;
import dev.edgegateway.health.EndpointRegistry;
import dev.edgegateway.health.RetryPolicy.Failure;
import dev.edgegateway.proxy.metrics.GatewayMetrics;
import dev.edgegateway.ratelimit.RateLimiters;
import dev.edgegateway.ratelimit.Verdict;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The stages between the guard and the origin on plain objects, with a snapshot compiled from
 * YAML as the gateway compiles it: forwarding headers, the limit stage, and the retry controller.
 */
class ExchangeStagesTest {
    private static final String CONFIG = """
            listeners: [{name: public, address: 127.0.0.1:0}]
            forwarding: {trustedProxies: [10.0.0.0/8]}
            geo: {regionHeader: x-edge-region, defaultRegion: eu}
            routes:
              - name: limited
                match: {pathPrefix: /limited}
                cluster: three
                rateLimits: [{name: per-key, key: [{header: x-key}], limits: [{rate: 2/s}]}]
              - name: geo
                match: {pathPrefix: /geo}
                geo:
                  regions:
                    us: {cluster: us, failover: [eu]}
                    eu: {cluster: eu, failover: [us]}
              - name: resend
                match: {pathPrefix: /resend}
                cluster: careful
              - name: all
                cluster: three
            clusters:
              - {name: three, endpoints: [127.0.0.1:9001, 127.0.0.1:9002, 127.0.0.1:9003]}
              - {name: careful, endpoints: [127.0.0.1:9011, 127.0.0.1:9012], retry: {retryOn: [reset], maxRetries: 2}}
              - {name: us, endpoints: [127.0.0.1:9021]}
              - {name: eu, endpoints: [127.0.0.1:9031]}
            """;

    private final GatewayMetrics metrics = new GatewayMetrics();
    private final CompiledConfig state;
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();

    ExchangeStagesTest() throws Exception {
        state = CompiledConfig.compile(ConfigLoader.parse(CONFIG, "test.yaml", 1), new EndpointRegistry(), metrics, new RateLimiters((n, ok) -> { }));
    }

    @AfterEach
    void stop() {
        loop.shutdownNow();
    }

    private ServerContext server() {
        return new ServerContext(state, metrics, new DefaultChannelGroup(GlobalEventExecutor.INSTANCE), Map.of());
    }

    private Exchange routed(RoutingView view, HttpRequest req) {
        Exchange x = new Exchange(state, System.nanoTime(), false);
        assertThat(Guard.check(x, req, 0)).isNull();
        assertThat(RouteStage.route(x, view)).isNull();
        return x;
    }

    private static HttpRequest request(HttpMethod method, String uri, String... headers) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri);
        r.headers().set("host", "shop.test");
        for (int i = 0; i < headers.length; i += 2) {
            r.headers().add(headers[i], headers[i + 1]);
        }
        return r;
    }

    private static RoutingView from(String address) {
        return new RoutingView(ConnectionInfo.cleartext(new InetSocketAddress(address, 40000), false));
    }

    @Test
    void anUntrustedClientsForwardingHeadersAreReplacedAndATrustedProxysChainIsExtended() {
        RoutingView direct = from("203.0.113.7");
        Exchange x = routed(direct, request(HttpMethod.GET, "/", "x-forwarded-for", "1.2.3.4", "x-forwarded-proto", "https",
                "x-request-id", "forged", "connection", "keep-alive, x-hop", "x-hop", "1", "expect", "100-continue"));
        new ExchangeRecorder(server(), ConnectionInfo.cleartext(new InetSocketAddress("203.0.113.7", 1), false)).begin(x, x.request.headers());
        ForwardingHeaders.apply(x, ConnectionInfo.cleartext(new InetSocketAddress("203.0.113.7", 40000), false), null);
        HttpHeaders h = x.request.headers();
        assertThat(h.get("x-forwarded-for")).isEqualTo("203.0.113.7");
        assertThat(h.get("x-forwarded-proto")).isEqualTo("http");
        assertThat(h.get("x-forwarded-host")).isEqualTo("shop.test");
        assertThat(h.get("x-request-id")).isNotEqualTo("forged").hasSize(32);
        assertThat(h.contains("x-hop")).isFalse();
        assertThat(h.contains("connection")).isFalse();
        assertThat(h.contains("expect")).as("the gateway answers 100 itself").isFalse();

        RoutingView proxied = from("10.1.2.3");
        Exchange y = routed(proxied, request(HttpMethod.GET, "/", "x-forwarded-for", "198.51.100.9", "x-request-id", "abc"));
        new ExchangeRecorder(server(), ConnectionInfo.cleartext(new InetSocketAddress("10.1.2.3", 1), false)).begin(y, y.request.headers());
        ForwardingHeaders.apply(y, ConnectionInfo.cleartext(new InetSocketAddress("10.1.2.3", 40000), false), null);
        assertThat(y.request.headers().get("x-forwarded-for")).isEqualTo("198.51.100.9, 10.1.2.3");
        assertThat(y.request.headers().get("x-request-id")).isEqualTo("abc");
    }

    /** A port after an X-Forwarded-For entry's address is dropped; what is not address[:port] is left for the parser to refuse. */
    @Test
    void anXForwardedForEntrysPortIsNotPartOfItsAddress() {
        String[][] cases = {
                {"203.0.113.7:51234", "203.0.113.7"}, {"[2001:db8::7]:443", "2001:db8::7"}, {"[2001:db8::7]", "2001:db8::7"},
                {"203.0.113.7", "203.0.113.7"}, {"2001:db8::7", "2001:db8::7"}, {"::ffff:10.0.0.5", "::ffff:10.0.0.5"},
                {"203.0.113.7:", "203.0.113.7:"}, {"203.0.113.7:4x", "203.0.113.7:4x"},
                {"[2001:db8::7]x", "[2001:db8::7]x"}, {"[2001:db8::7]:", "[2001:db8::7]:"}, {"unknown", "unknown"}, {"", ""},
        };
        for (String[] c : cases) {
            assertThat(RoutingView.withoutPort(c[0])).as(c[0]).isEqualTo(c[1]);
        }
    }

    @Test
    void theLimitStageRefusesAKeyPastItsRateAndNamesThePolicy() {
        RoutingView view = from("203.0.113.7");
        LimitStage.Result last = null;
        Verdict scratch = new Verdict(); // the connection's, written and read again by each exchange
        for (int i = 0; i < 3; i++) {
            Exchange x = routed(view, request(HttpMethod.GET, "/limited", "x-key", "k1"));
            last = LimitStage.run(x, view, loop, () -> { }, scratch);
            assertThat(x.verdict).as("a local policy's answer needs no verdict of the exchange's own").isNull();
            if (i < 2) {
                assertThat(last).isEqualTo(LimitStage.Result.ADMITTED);
                assertThat(x.rateLimitOutcome).isEqualTo("allowed");
            } else {
                assertThat(x.refusedBy.name()).isEqualTo("per-key");
                assertThat(x.retryAfterSeconds).isPositive();
            }
        }
        assertThat(last).isEqualTo(LimitStage.Result.REFUSED);
        Exchange other = routed(view, request(HttpMethod.GET, "/limited", "x-key", "k2"));
        assertThat(LimitStage.run(other, view, loop, () -> { }, scratch)).as("another key").isEqualTo(LimitStage.Result.ADMITTED);
        assertThat(other.rateLimitOutcome).isEqualTo("allowed");
    }

    @Test
    void aRefusedConnectGoesToEachOtherEndpointOnceWhateverTheMethodAndOutsideTheBudget() {
        RoutingView view = from("203.0.113.7");
        Exchange x = routed(view, request(HttpMethod.POST, "/", "content-length", "10"));
        assertThat(RouteStage.pick(x, view, metrics)).isNull();
        Set<Endpoint> tried = new HashSet<>();
        tried.add(x.endpoint);
        while (RetryController.next(x, Failure.CONNECT_FAILURE, 0, view, metrics)) {
            assertThat(tried.add(x.endpoint)).as("never the same endpoint twice").isTrue();
        }
        assertThat(tried).hasSize(3);
        assertThat(x.retryBudgetHeld).as("no retry-budget slot").isFalse();
        RouteStage.releaseSlots(x);
    }

    @Test
    void aResetResendsOnlyARequestThatCanBeSentAgainWhole() {
        RoutingView view = from("203.0.113.7");
        Exchange get = routed(view, request(HttpMethod.GET, "/resend"));
        RouteStage.pick(get, view, metrics);
        Endpoint first = get.endpoint;
        assertThat(RetryController.next(get, Failure.RESET, 0, view, metrics)).isTrue();
        assertThat(get.endpoint).isNotSameAs(first);
        RouteStage.releaseSlots(get);

        Exchange post = routed(view, request(HttpMethod.POST, "/resend", "content-length", "10"));
        RouteStage.pick(post, view, metrics);
        assertThat(RetryController.next(post, Failure.RESET, 0, view, metrics)).as("POST without nonIdempotent").isFalse();
        RouteStage.releaseSlots(post);

        Exchange put = routed(view, request(HttpMethod.PUT, "/resend", "content-length", "10"));
        RouteStage.pick(put, view, metrics);
        put.body = new RequestBodyBuffer(4);
        DefaultHttpContent part = new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[10]));
        put.body.add(part);
        part.release();
        assertThat(RetryController.next(put, Failure.RESET, 0, view, metrics)).as("a body larger than the retry buffer").isFalse();
        RouteStage.releaseSlots(put);
    }

    @Test
    void aConnectFailureOnAGeoRouteMovesToTheNextRegion() {
        RoutingView view = from("10.0.0.1"); // a trusted proxy: its region header counts
        Exchange x = routed(view, request(HttpMethod.GET, "/geo", "x-edge-region", "us"));
        RouteStage.pick(x, view, metrics);
        assertThat(x.cluster.name()).isEqualTo("us");
        assertThat(RetryController.next(x, Failure.CONNECT_FAILURE, 0, view, metrics)).isTrue();
        assertThat(x.cluster.name()).isEqualTo("eu");
        assertThat(x.endpoint.address().port()).isEqualTo(9031);
        assertThat(x.decision.servedRegion()).isEqualTo("eu");
        RouteStage.releaseSlots(x);
    }
}
