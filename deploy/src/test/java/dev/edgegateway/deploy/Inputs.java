package dev.edgegateway.deploy;

import dev.edgegateway.config.ConfigLoader;
import dev.edgegateway.config.GatewayConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The configs the sidecar tests generate from: the three-region example as it is, and every
 * gateway example in {@code config/examples/} made deployable (listening on all addresses, plus
 * a one-region deploy section).
 */
final class Inputs {
    record Input(String name, String text, GatewayConfig config) {}

    static final String ONE_REGION = """
            deploy:
              image: ghcr.io/example/edge-gateway:0.1.0
              accelerator: {name: edge-example}
              regions:
                - name: eu-west-1
                  eksCluster: edge-eu-west-1
                  trafficDial: 100
                  nlbArn: arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/edge-eu-west-1/0123456789abcdef
                  healthCheckCidrs: [10.10.0.0/20, 10.10.16.0/20]
            """;

    private Inputs() {}

    static Path root() {
        Path p = Path.of("").toAbsolutePath();
        return p.getFileName().toString().equals("deploy") ? p.getParent() : p;
    }

    static Input threeRegions() {
        return load("three-regions", root().resolve("deploy/examples/three-regions.yaml"), s -> s);
    }

    static List<Input> all() {
        Map<String, Input> out = new LinkedHashMap<>();
        Input three = threeRegions();
        out.put(three.name(), three);
        try (Stream<Path> files = Files.list(root().resolve("config/examples"))) {
            for (Path p : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                String name = p.getFileName().toString().replace(".yaml", "");
                out.put(name, load(name, p, s -> s.replace("127.0.0.1:8080", "0.0.0.0:8080").replace("127.0.0.1:9901", "0.0.0.0:9901") + ONE_REGION));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return List.copyOf(out.values());
    }

    private static Input load(String name, Path file, java.util.function.UnaryOperator<String> edit) {
        try {
            String text = edit.apply(Files.readString(file));
            return new Input(name, text, ConfigLoader.parse(text, file.toString(), 1).config());
        } catch (Exception e) {
            throw new IllegalStateException(name + ": " + e.getMessage(), e);
        }
    }
}
