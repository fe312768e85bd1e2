package dev.edgegateway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

class HttpRulesTest {

    @Test
    void hostKeyLowersCaseAndDropsThePort() {
        assertThat(HttpRules.hostKey("Shop.Example.TEST:8080")).isEqualTo("shop.example.test");
        assertThat(HttpRules.hostKey("shop.test")).isEqualTo("shop.test");
        assertThat(HttpRules.hostKey("[::1]:8080")).isEqualTo("[::1]");
    }

    @Test
    void hostKeyRejectsWhatIsNotAHost() {
        assertThat(HttpRules.hostKey("user@shop.test")).isNull();
        assertThat(HttpRules.hostKey("shop.test:80x")).isNull();
        assertThat(HttpRules.hostKey("shop.test:")).isNull();
        assertThat(HttpRules.hostKey("[::1")).isNull();
        assertThat(HttpRules.hostKey("a/b")).isNull();
    }

    @Test
    void absoluteFormIsRecognisedCaseInsensitively() {
        assertThat(HttpRules.absoluteFormPrefix("HTTP://x/")).isEqualTo(7);
        assertThat(HttpRules.absoluteFormPrefix("https://x/")).isEqualTo(8);
        assertThat(HttpRules.absoluteFormPrefix("/x")).isZero();
    }

    @Test
    void hopByHopHeadersAndThoseNamedInConnectionAreStripped() {
        HttpHeaders h = new DefaultHttpHeaders()
                .add("Connection", "close, X-Private , Keep-Alive")
                .add("X-Private", "1").add("Keep-Alive", "timeout=5").add("Proxy-Connection", "keep-alive")
                .add("TE", "trailers").add("Trailer", "x").add("Transfer-Encoding", "chunked").add("Upgrade", "h2c")
                .add("Proxy-Authorization", "secret").add("X-Kept", "yes");
        HttpRules.stripHopByHop(h);
        assertThat(h.names()).containsExactly("X-Kept");
    }

    @Test
    void requestIdsAre32HexDigitsAndDistinct() {
        String a = HttpRules.newRequestId().toString();
        assertThat(a).matches("[0-9a-f]{32}");
        assertThat(HttpRules.newRequestId().toString()).isNotEqualTo(a);
    }
}
