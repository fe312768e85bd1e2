package dev.edgegateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {

    private static final String VALID = """
            listeners:
              - name: public
                address: 127.0.0.1:8080
            admin:
              address: 127.0.0.1:9901
            timeouts:
              connect: 250ms
              responseHeader: 1m30s
            limits:
              maxHeaderBytes: 32KiB
            forwarding:
              trustedProxies: [10.0.0.0/8, "::1"]
            routes:
              - name: api
                match: {host: API.example.com, pathPrefix: /api}
                cluster: api
              - name: web
                cluster: web
            clusters:
              - name: api
                endpoints: [127.0.0.1:9001, "[::1]:9002"]
              - name: web
                endpoints: [127.0.0.1:9003]
            """;

    @Test
    void bindsEveryFieldAndFillsDefaults() throws ConfigException {
        GatewayConfig c = ConfigLoader.parse(VALID, "gw.yaml", 1).config();
        assertThat(c.listeners()).containsExactly(new ListenerConfig("public", new HostPort("127.0.0.1", 8080)));
        assertThat(c.timeouts().connect()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.timeouts().responseHeader()).isEqualTo(Duration.ofSeconds(90));
        assertThat(c.timeouts().idle()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.timeouts().closeLinger()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.limits().maxHeaderBytes()).isEqualTo(32 * 1024);
        assertThat(c.routes().get(0).match().host()).isEqualTo("api.example.com");
        assertThat(c.routes().get(1).match()).isEqualTo(RouteMatch.ANY);
        assertThat(c.cluster("api").endpoints()).containsExactly(new HostPort("127.0.0.1", 9001), new HostPort("::1", 9002));
        assertThat(c.forwarding().isTrusted(new byte[] {10, 1, 2, 3})).isTrue();
        assertThat(c.forwarding().isTrusted(new byte[] {11, 1, 2, 3})).isFalse();
    }

    @Test
    void unknownFieldIsLocatedAndGetsASuggestion() {
        String typo = VALID.replace("responseHeader:", "responseHeadr:");
        List<ConfigError> errors = errorsOf(typo);
        assertThat(errors).hasSize(1);
        ConfigError e = errors.get(0);
        assertThat(e.line()).isEqualTo(8);
        assertThat(e.column()).isEqualTo(3);
        assertThat(e.path()).isEqualTo("timeouts.responseHeadr");
        assertThat(e.message()).contains("unknown field 'responseHeadr'").contains("did you mean 'responseHeader'");
        assertThat(e.toString()).startsWith("gw.yaml:8:3: timeouts.responseHeadr: unknown field");
    }

    @Test
    void aCloseLingerPastAMinuteIsRefusedWhereItIsWritten() throws ConfigException {
        String bad = VALID.replace("responseHeader:", "closeLinger: 5m\n  responseHeader:");
        assertThat(errorsOf(bad)).singleElement().satisfies(e -> {
            assertThat(e.path()).isEqualTo("timeouts.closeLinger");
            assertThat(e.line()).isEqualTo(8);
            assertThat(e.message()).contains("must be 0 to 1m");
        });
        assertThat(ConfigLoader.parse(VALID.replace("responseHeader:", "closeLinger: 0s\n  responseHeader:"), "gw.yaml", 1)
                .config().timeouts().closeLinger()).isZero();
    }

    @Test
    void reportsEveryErrorNotJustTheFirst() {
        String bad = VALID.replace("250ms", "fast").replace("cluster: web", "cluster: wbe").replace("127.0.0.1:9003", "127.0.0.1");
        List<ConfigError> errors = errorsOf(bad);
        assertThat(errors).extracting(ConfigError::path)
                .containsExactlyInAnyOrder("timeouts.connect", "clusters[1].endpoints[0]");
        // The dangling route is found once the clusters bind: fix the endpoint and it shows.
        List<ConfigError> second = errorsOf(bad.replace("[127.0.0.1]", "[127.0.0.1:9003]").replace("fast", "1s"));
        assertThat(second).singleElement().satisfies(e -> {
            assertThat(e.path()).isEqualTo("routes[1].cluster");
            assertThat(e.line()).isEqualTo(18);
            assertThat(e.message()).contains("unknown cluster 'wbe'").contains("did you mean 'web'");
        });
    }

    /** A header or cookie name that no request can carry (a space, a ';') would never match: an error at its place, not a rule that is silently dead. */
    @Test
    void headerAndCookieNamesMustBeTokens() {
        String bad = VALID.replace("""
                    match: {host: API.example.com, pathPrefix: /api}
                """, """
                    match: {host: API.example.com, pathPrefix: /api, headers: [{name: x-ok, value: "1"}, {name: "x bad", value: "1"}]}
                    rateLimits: [{name: p, key: [{header: "x_api key"}, {cookie: "a;b"}, {header: x-fine}], limits: [{rate: 1/s}]}]
                    sticky: {hash: {header: "bad header"}}
                """);
        assertThat(errorsOf(bad)).extracting(e -> e.path() + " @" + e.line() + ": " + e.message()).containsExactlyInAnyOrder(
                "routes[0].match.headers[1].name @15: 'x bad' is not a header name",
                "routes[0].rateLimits[0].key[0].header @16: 'x_api key' is not a header name",
                "routes[0].rateLimits[0].key[1].cookie @16: 'a;b' is not a cookie name",
                "routes[0].sticky.hash.header @17: 'bad header' is not a header name");
    }

    /** A client-address key takes a network prefix per family (default /32 and /64); nothing else takes one. */
    @Test
    void aClientAddressKeysPrefixesAreDefaultedBoundedAndItsOwn() throws ConfigException {
        String keyed = VALID.replace("""
                    match: {host: API.example.com, pathPrefix: /api}
                """, """
                    match: {host: API.example.com, pathPrefix: /api}
                    rateLimits: [{name: p, key: [%s], limits: [{rate: 1/s}]}]
                """);
        List<KeySource> key = ConfigLoader.parse(keyed.formatted("{clientAddress: true}, {clientAddress: true, ipv4Prefix: 24, ipv6Prefix: 48}, {header: x-k}"),
                "gw.yaml", 1).config().routes().get(0).rateLimits().get(0).key();
        assertThat(key).extracting(KeySource::ipv4Prefix, KeySource::ipv6Prefix).containsExactly(
                org.assertj.core.groups.Tuple.tuple(32, 64), org.assertj.core.groups.Tuple.tuple(24, 48), org.assertj.core.groups.Tuple.tuple(null, null));
        assertThat(errorsOf(keyed.formatted("{header: x-k, ipv6Prefix: 64}, {clientAddress: true, ipv4Prefix: 0, ipv6Prefix: 129}")))
                .extracting(e -> e.path() + " @" + e.line() + ": " + e.message()).containsExactlyInAnyOrder(
                        "routes[0].rateLimits[0].key[0].ipv6Prefix @16: only a clientAddress key has a prefix",
                        "routes[0].rateLimits[0].key[1].ipv4Prefix @16: 0 is outside 1..32",
                        "routes[0].rateLimits[0].key[1].ipv6Prefix @16: 129 is outside 1..128");
    }

    @Test
    void constructorRulesAreLocatedAtTheirField() {
        List<ConfigError> errors = errorsOf(VALID.replace("pathPrefix: /api", "pathPrefix: api"));
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.path()).isEqualTo("routes[0].match.pathPrefix");
            assertThat(e.line()).isEqualTo(15);
            assertThat(e.message()).contains("must start with '/'");
        });
    }

    /**
     * A route listed after one that matches everything it does is never chosen: a mistake (a
     * catch-all put first) that served every request by the wrong route without a word. Refused
     * where the later route is, naming the one before it; routes that only overlap are fine.
     */
    @Test
    void aRouteThatAnEarlierOneHidesIsRefusedNamingIt() throws ConfigException {
        String routes = """
                routes:
                  - name: all
                    cluster: web
                  - name: api
                    match: {pathPrefix: /api}
                    cluster: api
                  - name: login
                    match: {path: /login, methods: [POST]}
                    cluster: web
                clusters:
                """;
        String hidden = VALID.substring(0, VALID.indexOf("routes:")) + routes + VALID.substring(VALID.indexOf("clusters:") + "clusters:\n".length());
        List<ConfigError> errors = errorsOf(hidden);
        assertThat(errors).extracting(ConfigError::path).containsExactly("routes[1].name", "routes[2].name");
        assertThat(errors.get(0).line()).isEqualTo(hidden.lines().toList().indexOf("  - name: api") + 1);
        assertThat(errors.get(0).message()).isEqualTo("route 'api' is never chosen: routes[0] ('all') comes first and matches every request it"
                + " does (the first route that matches wins); list the more specific route first");

        RouteMatch prefix = new RouteMatch("a.test", "/api");
        RouteMatch any = RouteMatch.ANY;
        assertThat(prefix.covers(new RouteMatch("a.test", "/api/v1"))).isTrue();
        assertThat(prefix.covers(new RouteMatch("a.test", null, null, null, List.of("GET"), null, null, null, null))).as("/ is wider").isFalse();
        assertThat(prefix.covers(new RouteMatch("b.test", "/api/v1"))).as("another host").isFalse();
        assertThat(any.covers(new RouteMatch("a.test", "/x"))).as("a host's own routes come before *'s").isFalse();
        assertThat(any.covers(new RouteMatch(null, null, null, "/v[0-9]+", null, null, null, null, null))).isTrue();
        RouteMatch getOnly = new RouteMatch(null, "/login", null, null, List.of("GET", "HEAD"), null, null, null, null);
        assertThat(getOnly.covers(new RouteMatch(null, "/login", null, null, List.of("GET"), null, null, null, null))).isTrue();
        assertThat(getOnly.covers(new RouteMatch(null, "/login", null, null, List.of("POST"), null, null, null, null))).isFalse();
        assertThat(getOnly.covers(new RouteMatch(null, "/login", null, null, null, null, null, null, null))).as("any method").isFalse();
        RouteMatch withHeader = new RouteMatch(null, null, "/", null, null, List.of(new HeaderMatch("x-env", "prod", null, null, null)), null, null, null);
        assertThat(withHeader.covers(new RouteMatch(null, "/x"))).as("a header condition may not hold").isFalse();
        RouteMatch overTls = new RouteMatch(null, null, "/", null, null, null, null, null, true);
        assertThat(overTls.covers(new RouteMatch(null, "/x"))).isFalse();
        assertThat(overTls.covers(new RouteMatch(null, null, "/x", null, null, null, null, "a.test", true))).isTrue();
    }

    @Test
    void idleSpinIsBoundedAndLocated() throws ConfigException {
        RuntimeConfig unset = ConfigLoader.parse(VALID, "gw.yaml", 1).config().runtime();
        assertThat(unset.idleSpin()).isNull();
        assertThat(unset.idleSpinOn(RuntimeConfig.Transport.IO_URING)).isEqualTo(Duration.ofNanos(20_000));
        assertThat(unset.idleSpinOn(RuntimeConfig.Transport.EPOLL)).isZero();
        assertThat(unset.idleSpinOn(RuntimeConfig.Transport.NIO)).isZero();
        String spin = VALID + "runtime:\n  idleSpin: %s\n";
        RuntimeConfig set = ConfigLoader.parse(spin.formatted("50us"), "gw.yaml", 1).config().runtime();
        assertThat(set.idleSpinOn(RuntimeConfig.Transport.EPOLL)).isEqualTo(Duration.ofNanos(50_000));
        assertThat(ConfigLoader.parse(spin.formatted("0"), "gw.yaml", 1).config().runtime().idleSpinOn(RuntimeConfig.Transport.IO_URING)).isZero();
        assertThat(errorsOf(spin.formatted("2ms"))).singleElement().satisfies(e -> {
            assertThat(e.path()).isEqualTo("runtime.idleSpin");
            assertThat(e.message()).isEqualTo("must be 0 (wait at once) to 1ms, found 2ms");
        });
    }

    @Test
    void idleNapIsBoundedAndLocatedAndOffOnIoUringByDefault() throws ConfigException {
        RuntimeConfig unset = ConfigLoader.parse(VALID, "gw.yaml", 1).config().runtime();
        assertThat(unset.idleNap()).isNull();
        assertThat(unset.idleNapOn(RuntimeConfig.Transport.EPOLL)).isEqualTo(Duration.ofNanos(20_000));
        assertThat(unset.idleNapOn(RuntimeConfig.Transport.NIO)).isEqualTo(Duration.ofNanos(20_000));
        assertThat(unset.idleNapOn(RuntimeConfig.Transport.IO_URING)).isZero();
        String nap = VALID + "runtime:\n  idleNap: %s\n";
        assertThat(ConfigLoader.parse(nap.formatted("100us"), "gw.yaml", 1).config().runtime().idleNapOn(RuntimeConfig.Transport.IO_URING))
                .isEqualTo(Duration.ofNanos(100_000));
        assertThat(ConfigLoader.parse(nap.formatted("0"), "gw.yaml", 1).config().runtime().idleNapOn(RuntimeConfig.Transport.EPOLL)).isZero();
        assertThat(errorsOf(nap.formatted("5ms"))).singleElement().satisfies(e -> {
            assertThat(e.path()).isEqualTo("runtime.idleNap");
            assertThat(e.line()).isGreaterThan(1);
            assertThat(e.message()).isEqualTo("must be 0 (wait at once) to 1ms, found 5ms");
        });
    }

    @Test
    void missingRequiredFieldIsLocatedAtItsRecord() {
        List<ConfigError> errors = errorsOf(VALID.replace("    cluster: api\n", "\n"));
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.path()).isEqualTo("routes[0].cluster");
            assertThat(e.message()).isEqualTo("set exactly one of cluster, split, geo or directResponse");
            assertThat(e.line()).isEqualTo(14);
        });
    }

    @Test
    void duplicateKeysAndNamesAreErrors() {
        assertThat(errorsOf(VALID.replace("  connect: 250ms\n", "  connect: 250ms\n  connect: 1s\n")))
                .singleElement().satisfies(e -> assertThat(e.message()).contains("duplicate key 'connect'"));
        assertThat(errorsOf(VALID.replace("name: web\n    endpoints", "name: api\n    endpoints")))
                .extracting(ConfigError::message).anyMatch(m -> m.contains("duplicate cluster name 'api'"));
    }

    @Test
    void brokenYamlIsLocated() {
        List<ConfigError> errors = errorsOf("listeners:\n  - name: [oops\n");
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.message()).startsWith("not valid YAML");
            assertThat(e.line()).isGreaterThan(0);
        });
    }

    @Test
    void anUnquotedIpv6AddressIsShownQuoted() {
        // In brackets and unquoted it is a YAML flow sequence: the parser's error alone does not say so.
        assertThat(errorsOf(VALID.replace("endpoints: [127.0.0.1:9001, \"[::1]:9002\"]", "endpoints: [127.0.0.1:9001, [::1]:9002]")))
                .singleElement().satisfies(e -> {
                    assertThat(e.message()).startsWith("not valid YAML").endsWith("an IPv6 address in brackets needs quotes in YAML: \"[::1]:9002\"");
                    assertThat(e.line()).isEqualTo(21);
                });
        // Without brackets the binder's error says both what is missing and how to write it.
        assertThat(errorsOf(VALID.replace("\"[::1]:9002\"", "\"::1:9002\"")))
                .singleElement().satisfies(e -> assertThat(e.message())
                        .isEqualTo("an IPv6 address needs brackets, and quotes in YAML, e.g. \"[::1]:9002\"; found '::1:9002'"));
        // A broken line with no such address gets no such hint.
        assertThat(errorsOf("listeners:\n  - name: [oops\n")).singleElement()
                .satisfies(e -> assertThat(e.message()).doesNotContain("IPv6"));
    }

    @Test
    void wrongShapesAreExplained() {
        assertThat(errorsOf(VALID.replace("limits:\n  maxHeaderBytes: 32KiB", "limits: 5")))
                .singleElement().satisfies(e -> assertThat(e.message()).startsWith("expected a mapping of maxRequestLineBytes"));
        assertThat(errorsOf(VALID.replace("runtime:", "x:") + "runtime:\n  transport: kqueue\n"))
                .singleElement().satisfies(e -> assertThat(e.message()).isEqualTo("expected one of auto, io_uring, epoll, nio, found 'kqueue'"));
    }

    @Test
    void renderedConfigLoadsBackToTheSameModel() throws ConfigException {
        GatewayConfig c = ConfigLoader.parse(VALID, "gw.yaml", 1).config();
        String yaml = ConfigRenderer.toYaml(c);
        assertThat(yaml).contains("connect: 250ms").contains("responseHeader: 90s");
        assertThat(ConfigLoader.parse(yaml, "rendered", 2).config()).isEqualTo(c);
    }

    @Test
    void durationsAndAddressBlocks() {
        assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("PT2S")).isEqualTo(Duration.ofSeconds(2));
        assertThatThrownBy(() -> Durations.parse("5")).hasMessageContaining("expected a duration");
        assertThat(Durations.parse("20us")).isEqualTo(Duration.ofNanos(20_000));
        assertThat(Durations.format(Duration.ofNanos(20_000))).isEqualTo("20us");
        assertThat(Durations.format(Duration.ofNanos(1_500))).isEqualTo("PT0.0000015S");
        assertThat(Durations.parse(Durations.format(Duration.ofNanos(1_500)))).isEqualTo(Duration.ofNanos(1_500));
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(Cidr.parse("192.168.0.0/16").contains(new byte[] {(byte) 192, (byte) 168, 7, 1})).isTrue();
        assertThat(Cidr.parse("192.168.0.0/17").contains(new byte[] {(byte) 192, (byte) 168, (byte) 200, 1})).isFalse();
        assertThatThrownBy(() -> Cidr.parse("example.com")).hasMessageContaining("expected an address block");
        assertThat(HostPort.parse("[::1]:80")).isEqualTo(new HostPort("::1", 80));
    }

    private static List<ConfigError> errorsOf(String yaml) {
        try {
            ConfigLoader.parse(yaml, "gw.yaml", 1);
        } catch (ConfigException e) {
            return e.errors();
        }
        throw new AssertionError("expected the document to be rejected");
    }
}
