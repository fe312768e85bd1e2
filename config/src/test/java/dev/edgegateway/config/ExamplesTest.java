package dev.edgegateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every shipped example is a valid config that follows the examples' local conventions. */
class ExamplesTest {
    static Stream<Path> examples() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("examples"))) {
            List<Path> list = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
            assertThat(list).isNotEmpty();
            return list.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("examples")
    void exampleIsValidAndLocal(Path file) throws ConfigException {
        GatewayConfig c = ConfigLoader.load(file, 1).config();
        assertThat(c.listeners()).extracting(ListenerConfig::address).containsExactly(new HostPort("127.0.0.1", 8080));
        assertThat(c.admin().address()).isEqualTo(new HostPort("127.0.0.1", 9901));
        assertThat(c.clusters()).flatExtracting(ClusterConfig::endpoints)
                .allSatisfy(e -> assertThat(e.host()).isEqualTo("127.0.0.1"))
                .allSatisfy(e -> assertThat(e.port()).isBetween(9001, 9006));
    }
}
