package dev.edgegateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Rate-limit keys an attacker controls: a key header sent twice, or as a comma list, or under its
 * name spelled with '_', or a key cookie sent twice, cannot get past a refused key (the request is refused with 400 and never
 * reaches the origin, for a local and a distributed policy alike); 10 KB keys are stored in Redis
 * under names of a bounded length.
 */
class RateLimitKeysTest {
    static String config(String redis, String origin) {
        return GatewayFixture.config("""
                redis: {nodes: ["%s"], timeout: 200ms}
                routes:
                  - name: local
                    match: {pathPrefix: /local}
                    cluster: app
                    rateLimits: [{name: per-key, key: [{header: x-key}], limits: [{rate: 1/h, burst: 1}]}]
                  - name: fleet
                    match: {pathPrefix: /fleet}
                    cluster: app
                    rateLimits: [{name: per-key, mode: distributed, key: [{header: x-key}], limits: [{rate: 1/h, burst: 1}], failOpen: false}]
                clusters: [{name: app, endpoints: ["%s"]}]
                """.formatted(redis, origin));
    }

    @Test
    void duplicatedOrListedKeyHeadersCannotGetPastARefusedKey() throws Exception {
        try (RedisServer redis = new RedisServer(false); TestOrigin o = new TestOrigin("o");
             GatewayFixture gw = new GatewayFixture(config(redis.address(), o.address()))) {
            awaitRedisUp(gw);
            for (String path : new String[] {"/local", "/fleet"}) {
                // k1 spends its one token, then is refused.
                assertThat(RawHttp.exchange(gw.port(), "GET " + path + " HTTP/1.1\r\nHost: x\r\nx-key: k1\r\n\r\n").status()).isEqualTo(200);
                assertThat(RawHttp.exchange(gw.port(), "GET " + path + " HTTP/1.1\r\nHost: x\r\nx-key: k1\r\n\r\n").status()).isEqualTo(429);
                int reached = o.requests.get();
                String[] attempts = {
                        "x-key: fresh9\r\nx-key: k1\r\n",      // twice: an origin reading the last line would see k1
                        "x-key: k1\r\nx-key: fresh8\r\n",
                        "x-key: k1, fresh2\r\n",               // a list on one line
                        "x-key: fresh3,k1\r\n",
                };
                for (String a : attempts) {
                    RawHttp.Response r = RawHttp.exchange(gw.port(), "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + a + "\r\n");
                    assertThat(r.status()).as(path + " " + a.replace("\r\n", " | ")).isEqualTo(400);
                    assertThat(r.text()).contains("must be sent once, with one value");
                }
                // The name spelled with '_': a PHP, WSGI or Rack origin reads x_key as x-key (HTTP_X_KEY), the limiter did not.
                for (String a : new String[] {"x_key: k1\r\n", "x-key: fresh7\r\nX_Key: k1\r\n"}) {
                    RawHttp.Response r = RawHttp.exchange(gw.port(), "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + a + "\r\n");
                    assertThat(r.status()).as(path + " " + a.replace("\r\n", " | ")).isEqualTo(400);
                    assertThat(r.text()).contains("is a rate-limit key header's name spelled with '_'");
                }
                Curl.Result h2 = Curl.run("-s", "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code} %{http_version}",
                        "-H", "Host: x", "-H", "x-key: fresh6", "-H", "x_key: k1", "http://127.0.0.1:" + gw.port() + path);
                assertThat(h2.out()).as(path + " over HTTP/2").isEqualTo("400 2");
                assertThat(o.requests.get()).as("none of them reached the origin").isEqualTo(reached);
                // A single fresh key still has its own bucket.
                assertThat(RawHttp.exchange(gw.port(), "GET " + path + " HTTP/1.1\r\nHost: x\r\nx-key: fresh-" + path.substring(1) + "\r\n\r\n").status())
                        .isEqualTo(200);
            }
            assertThat(gw.metric("edge_downstream_rejected_total{reason=\"ambiguous_key\"}")).isEqualTo(14);
        }
    }

    /**
     * A key cookie sent twice is refused in the same way: the limiter keys on the first, and an
     * origin may read the last (Django does), so {@code sid=fresh9; sid=k1} got k1 served past its
     * limit under a fresh key.
     */
    @Test
    void aKeyCookieSentTwiceCannotGetPastARefusedKey() throws Exception {
        try (TestOrigin o = new TestOrigin("o");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     routes:
                       - name: r
                         cluster: app
                         rateLimits: [{name: per-session, key: [{cookie: sid}], limits: [{rate: 1/h, burst: 1}]}]
                     clusters: [{name: app, endpoints: ["%s"]}]
                     """.formatted(o.address())))) {
            assertThat(RawHttp.exchange(gw.port(), "GET / HTTP/1.1\r\nHost: x\r\nCookie: theme=dark; sid=k1\r\n\r\n").status()).isEqualTo(200);
            assertThat(RawHttp.exchange(gw.port(), "GET / HTTP/1.1\r\nHost: x\r\nCookie: sid=k1\r\n\r\n").status()).isEqualTo(429);
            int reached = o.requests.get();
            for (String cookies : new String[] {"Cookie: sid=fresh9; sid=k1\r\n", "Cookie: sid=fresh8\r\nCookie: a=b; sid=k1\r\n"}) {
                RawHttp.Response r = RawHttp.exchange(gw.port(), "GET / HTTP/1.1\r\nHost: x\r\n" + cookies + "\r\n");
                assertThat(r.status()).as(cookies).isEqualTo(400);
                assertThat(r.text()).contains("the rate-limit key cookie 'sid' must be sent once");
            }
            assertThat(o.requests.get()).as("neither reached the origin").isEqualTo(reached);
            // A cookie whose name only ends in the key's, and another cookie sent twice, are not the key.
            assertThat(RawHttp.exchange(gw.port(), "GET / HTTP/1.1\r\nHost: x\r\nCookie: xsid=1; a=1; a=2; sid=k2\r\n\r\n").status()).isEqualTo(200);
            assertThat(gw.metric("edge_downstream_rejected_total{reason=\"ambiguous_key\"}")).isEqualTo(2);
        }
    }

    /**
     * An IPv6 subscriber holds a /64 and its hosts move within it (RFC 8981): a per-client limit
     * keyed by the full address gave it a fresh bucket per address it cared to use. The client is
     * keyed by its /64 (by default; {@code ipv6Prefix} says otherwise), and one address is one
     * key however a proxy spells it. Clients here come through a trusted proxy's
     * {@code X-Forwarded-For}, so no IPv6 socket is needed.
     */
    @Test
    void anIpv6ClientIsOneKeyAcrossItsSlash64AndAcrossSpellings() throws Exception {
        try (TestOrigin o = new TestOrigin("o");
             GatewayFixture gw = new GatewayFixture(GatewayFixture.config("""
                     forwarding: {trustedProxies: [127.0.0.1/32, 10.0.0.0/8]}
                     routes:
                       - name: net
                         match: {pathPrefix: /net}
                         cluster: app
                         rateLimits: [{name: per-client, key: [{clientAddress: true}], limits: [{rate: 1/h, burst: 1}]}]
                       - name: exact
                         match: {pathPrefix: /exact}
                         cluster: app
                         rateLimits: [{name: per-address, key: [{clientAddress: true, ipv6Prefix: 128}], limits: [{rate: 1/h, burst: 1}]}]
                     clusters: [{name: app, endpoints: ["%s"]}]
                     """.formatted(o.address())))) {
            java.util.function.BiFunction<String, String, Integer> from = (path, client) -> {
                try {
                    return RawHttp.exchange(gw.port(), "GET " + path + " HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: " + client + "\r\n\r\n").status();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            };
            assertThat(from.apply("/net", "2001:db8:1:2::1")).isEqualTo(200);
            assertThat(from.apply("/net", "2001:db8:1:2:a1b2:c3d4:e5f6:789")).as("the same /64").isEqualTo(429);
            assertThat(from.apply("/net", "2001:db8:1:3::1")).as("the next /64").isEqualTo(200);
            assertThat(from.apply("/net", "192.0.2.7")).isEqualTo(200);
            assertThat(from.apply("/net", "::ffff:192.0.2.7")).as("IPv4-mapped: the same IPv4 client").isEqualTo(429);
            // A trusted proxy that a dual-stack proxy wrote IPv4-mapped is still a trusted proxy: the client is before it.
            assertThat(from.apply("/net", "2001:db8:9::1, ::ffff:10.1.1.1")).isEqualTo(200);
            assertThat(from.apply("/net", "2001:db8:a::1, ::ffff:10.1.1.1")).as("another client behind that proxy").isEqualTo(200);
            assertThat(from.apply("/net", "2001:db8:9::2, ::ffff:10.1.1.1")).as("the client, not the proxy, is keyed").isEqualTo(429);
            // With the port a proxy may write (Azure's Application Gateway does): the address is the client.
            assertThat(from.apply("/net", "198.51.100.20:51234, 10.1.1.1")).isEqualTo(200);
            assertThat(from.apply("/net", "198.51.100.21:51234, 10.1.1.1")).as("another client behind that proxy").isEqualTo(200);
            assertThat(from.apply("/net", "198.51.100.20:443")).isEqualTo(429);
            assertThat(from.apply("/net", "[2001:db8:9::3]:51234")).isEqualTo(429);

            assertThat(from.apply("/exact", "2001:db8:1:2::1")).isEqualTo(200);
            for (String spelling : new String[] {"2001:db8:1:2::1", "2001:0DB8:0001:0002:0000::0001", "2001:db8:1:2:0:0:0:1"}) {
                assertThat(from.apply("/exact", spelling)).as(spelling).isEqualTo(429);
            }
            assertThat(from.apply("/exact", "2001:db8:1:2::2")).as("at /128 another address is another key").isEqualTo(200);
            assertThat(gw.metric("edge_ratelimit_decisions_total{outcome=\"limited\",policy=\"per-client\",route=\"net\"}")).isEqualTo(5);
        }
    }

    @Test
    void tenKilobyteKeysAreStoredInRedisUnderShortNames() throws Exception {
        try (RedisServer redis = new RedisServer(false); TestOrigin o = new TestOrigin("o");
             GatewayFixture gw = new GatewayFixture(config(redis.address(), o.address()))) {
            awaitRedisUp(gw);
            for (int i = 0; i < 50; i++) {
                String key = (i + "-" + "k".repeat(10_000)).substring(0, 10_000);
                assertThat(RawHttp.exchange(gw.port(), "GET /fleet HTTP/1.1\r\nHost: x\r\nx-key: " + key + "\r\n\r\n").status()).isEqualTo(200);
            }
            // The buckets, beside the fleet's heartbeat set (edge:rl:fleet).
            String[] names = java.util.Arrays.stream(redis.cli("--scan").split("\n")).filter(n -> n.startsWith("{rl:")).toArray(String[]::new);
            assertThat(names).hasSize(50);
            for (String n : names) {
                assertThat(n.getBytes(StandardCharsets.UTF_8).length).as(n).isLessThan(200);
            }
            System.out.printf("50 distinct 10 KB keys: Redis key names of %d bytes%n", names[0].length());
        }
    }

    static void awaitRedisUp(GatewayFixture gw) throws Exception {
        Await.until(() -> gw.metricOrMissing("edge_ratelimit_redis_up") == 1.0, 20_000, "the gateway connected to Redis");
    }
}
