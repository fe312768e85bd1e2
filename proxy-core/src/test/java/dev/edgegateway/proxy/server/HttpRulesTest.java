package dev.edgegateway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.proxy.http1.FlatHeaders;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HttpRulesTest {

    @Test
    void hostKeyLowersCaseAndDropsThePort() {
        assertThat(HttpRules.hostKey("Shop.Example.TEST:8080")).isEqualTo("shop.example.test");
        assertThat(HttpRules.hostKey("shop.test")).isEqualTo("shop.test");
        assertThat(HttpRules.hostKey("[::1]:8080")).isEqualTo("[::1]");
        assertThat(HttpRules.hostKey("Shop.Test.:443")).as("the same name with its root's dot").isEqualTo("shop.test");
        assertThat(HttpRules.hostKey("shop.test.")).isEqualTo("shop.test");
    }

    @Test
    void hostKeyRejectsWhatIsNotAHost() {
        assertThat(HttpRules.hostKey("user@shop.test")).isNull();
        assertThat(HttpRules.hostKey("shop.test:80x")).isNull();
        assertThat(HttpRules.hostKey("shop.test:")).isNull();
        assertThat(HttpRules.hostKey("")).as("no host").isNull();
        assertThat(HttpRules.hostKey(":8080")).as("a port and no host").isNull();
        assertThat(HttpRules.hostKey("[]:8080")).as("an empty IPv6 literal").isNull();
        assertThat(HttpRules.hostKey("[::1")).isNull();
        assertThat(HttpRules.hostKey("a/b")).isNull();
    }

    @Test
    void absoluteFormIsRecognisedCaseInsensitively() {
        assertThat(HttpRules.absoluteFormPrefix("HTTP://x/")).isEqualTo(7);
        assertThat(HttpRules.absoluteFormPrefix("https://x/")).isEqualTo(8);
        assertThat(HttpRules.absoluteFormPrefix("/x")).isZero();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void hopByHopHeadersAndThoseNamedInConnectionAreStripped(boolean flat) {
        HttpHeaders h = (flat ? new FlatHeaders() : new DefaultHttpHeaders())
                .add("Connection", "close, X-Private ,\tKeep-Alive")
                .add("X-Private", "1").add("Keep-Alive", "timeout=5").add("Proxy-Connection", "keep-alive")
                .add("TE", "trailers").add("Trailer", "x").add("Transfer-Encoding", "chunked").add("Upgrade", "h2c")
                .add("Proxy-Authorization", "secret").add("X-Kept", "yes");
        HttpRules.stripHopByHop(h);
        assertThat(h.names()).containsExactly("X-Kept");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void everyConnectionLineCounts(boolean flat) {
        // A second Connection line is as much a list of hop-by-hop names as the first.
        HttpHeaders h = (flat ? new FlatHeaders() : new DefaultHttpHeaders())
                .add("Connection", "keep-alive").add("X-Kept", "yes").add("Connection", "x-secret, ,x-other")
                .add("X-Secret", "s").add("x-other", "o").add("X-Closer", "c");
        HttpRules.stripHopByHop(h);
        assertThat(h.names()).containsExactlyInAnyOrder("X-Kept", "X-Closer");
        assertThat(HttpRules.repeated(h, "x-kept")).isFalse();
        h.add("x-KEPT", "again");
        assertThat(HttpRules.repeated(h, "X-Kept")).isTrue();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aRepeatedFieldIsOneValueItsLinesJoinedInOrder(boolean flat) {
        HttpHeaders h = (flat ? new FlatHeaders() : new DefaultHttpHeaders())
                .add("X-Env", "prod").add("Accept", "*/*").add("x-env", "test").add("x-one", "a, b");
        assertThat(HttpRules.combined(h, "x-env")).isEqualTo("prod,test");
        assertThat(HttpRules.combined(h, "x-one")).as("one line is as sent").isEqualTo("a, b");
        assertThat(HttpRules.combined(h, "x-none")).isNull();
    }

    @Test
    void requestIdsAre32HexDigitsAndDistinct() {
        String a = HttpRules.newRequestId().toString();
        assertThat(a).matches("[0-9a-f]{32}");
        assertThat(HttpRules.newRequestId().toString()).isNotEqualTo(a);
    }
}
