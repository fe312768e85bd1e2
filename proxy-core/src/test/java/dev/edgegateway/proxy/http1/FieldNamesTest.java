package dev.edgegateway.proxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.AsciiString;
import org.junit.jupiter.api.Test;

/** {@link FieldNames} through {@link FlatHeaders#nameIn} (of a caller's field and of a decoded head's slice): members in any case, and near misses of every kind. */
class FieldNamesTest {
    private static final String LONG = "x-" + "a".repeat(70) + "-z";
    private static final FieldNames SET = FieldNames.of(AsciiString.cached("connection"), AsciiString.cached("te"),
            AsciiString.cached("transfer-encoding"), AsciiString.cached(LONG));

    private static final FieldNames LOOSE = FieldNames.loose(AsciiString.cached("x-forwarded-for"), AsciiString.cached("forwarded"));

    private static boolean in(String name) {
        return in(name, SET);
    }

    private static boolean in(String name, FieldNames set) {
        FlatHeaders h = new FlatHeaders();
        h.add(name, "v");
        boolean in = h.nameIn(0, set);
        FlatHeaders decoded = FlatHeadersTest.sliced(java.util.List.of(java.util.Map.entry(name, "v")));
        assertThat(decoded.nameIn(0, set)).as("as a decoded head's slice").isEqualTo(in);
        assertThat(set.contains(name)).as("as a name alone").isEqualTo(in);
        return in;
    }

    @Test
    void membersMatchInAnyCase() {
        assertThat(in("connection")).isTrue();
        assertThat(in("Connection")).isTrue();
        assertThat(in("TE")).isTrue();
        assertThat(in("Transfer-Encoding")).isTrue();
        assertThat(in(LONG.toUpperCase())).isTrue();
    }

    @Test
    void nearMissesDoNot() {
        assertThat(in("connectiom")).isFalse();  // same length, first character
        assertThat(in("cooooooion")).isFalse(); // same length, first and last characters
        assertThat(in("t")).isFalse();
        assertThat(in("tee")).isFalse();
        assertThat(in("content-length")).isFalse();
        assertThat(in(LONG + "a")).isFalse();
        assertThat(in(LONG.substring(0, 63))).isFalse();
    }

    @Test
    void aLooseSetReadsUnderscoresAsHyphens() {
        assertThat(in("X-Forwarded-For", LOOSE)).isTrue();
        assertThat(in("x_forwarded_for", LOOSE)).isTrue();
        assertThat(in("X-Forwarded_FOR", LOOSE)).isTrue();
        assertThat(in("Forwarded", LOOSE)).isTrue();
        assertThat(in("x_forwarded_fo_", LOOSE)).isFalse();
        assertThat(in("x.forwarded.for", LOOSE)).isFalse();
        assertThat(in("x-forwarded-host", LOOSE)).isFalse();
        assertThat(in("Transfer_Encoding")).as("a strict set").isFalse();
    }

    @Test
    void anAliasSetTakesOnlyTheSpellingsWithUnderscores() {
        FieldNames aliases = FieldNames.aliasesOf(AsciiString.cached("x-api-key"));
        assertThat(in("x_api_key", aliases)).isTrue();
        assertThat(in("X-Api_Key", aliases)).isTrue();
        assertThat(in("x-api-key", aliases)).isFalse();
        assertThat(in("X-API-KEY", aliases)).isFalse();
        assertThat(in("x_api_kex", aliases)).isFalse();
    }
}
