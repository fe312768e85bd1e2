package dev.edgegateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The root Dockerfile builds the image the generated Deployment runs: the same non-root user,
 * the config path the container's arguments name, the ports the probes and Service use. (No
 * Docker engine here to build it; this keeps the two from drifting.)
 */
class DockerfileTest {
    @Test
    void theImageMatchesTheGeneratedDeployment() throws Exception {
        List<String> lines = Files.readAllLines(Inputs.root().resolve("Dockerfile"));
        String text = String.join("\n", lines);
        assertThat(text).contains("USER " + KubernetesGenerator.RUN_AS + ":" + KubernetesGenerator.RUN_AS);
        assertThat(text).contains("\"" + KubernetesGenerator.CONFIG_DIR + "/" + KubernetesGenerator.CONFIG_FILE + "\"");
        assertThat(text).contains("EXPOSE 8080 9901");
        // Everything the build stage copies out exists after a package of those modules.
        assertThat(text).contains("-pl proxy-core,deploy -am package");
        for (String line : lines) {
            if (line.startsWith("COPY --from=build /src/")) {
                String path = line.split(" ")[2].substring("/src/".length());
                assertThat(path).matches("(proxy-core|deploy)/target/.*");
            }
        }
        assertThat(Files.readString(Inputs.root().resolve(".dockerignore"))).contains("**/target");
        // The generated container starts the image's entrypoint with these arguments.
        Inputs.Input input = Inputs.threeRegions();
        String deployment = Generator.generate(input.config(), input.text()).get("kubernetes/eu-west-1/03-deployment.yaml");
        assertThat(deployment).contains("- run\n            - --config\n            - /etc/edge/gateway.yaml");
        assertThat(Path.of(KubernetesGenerator.CONFIG_DIR)).isAbsolute();
    }
}
