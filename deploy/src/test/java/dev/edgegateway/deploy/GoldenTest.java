package dev.edgegateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Generated files against golden copies, one bundle per input (every file, with a header line
 * naming it). A change to a generator shows up here as a reviewable diff; after checking it,
 * regenerate with {@code ./mvnw -pl deploy test -Dgolden.update=true}.
 */
class GoldenTest {
    static List<Inputs.Input> inputs() {
        return Inputs.all();
    }

    static String bundle(SortedMap<String, String> files) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : files.entrySet()) {
            sb.append("==> ").append(e.getKey()).append(" <==\n").append(e.getValue());
            if (!e.getValue().endsWith("\n")) {
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inputs")
    void matchesTheGoldenFilesAndIsDeterministic(Inputs.Input input) throws Exception {
        String first = bundle(Generator.generate(input.config(), input.text()));
        String second = bundle(Generator.generate(input.config(), input.text()));
        assertThat(second).as("same input, same bytes").isEqualTo(first);
        Path golden = Inputs.root().resolve("deploy/src/test/resources/golden/" + input.name() + ".txt");
        if (Boolean.getBoolean("golden.update") || !Files.exists(golden)) {
            Files.createDirectories(golden.getParent());
            Files.writeString(golden, first, StandardCharsets.UTF_8);
            if (!Boolean.getBoolean("golden.update")) {
                throw new AssertionError("no golden file for " + input.name() + "; wrote " + golden + ": review it and commit it");
            }
        }
        assertThat(first).isEqualTo(Files.readString(golden, StandardCharsets.UTF_8));
    }
}
