package dev.edgegateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgegateway.config.ConfigLoader;
import dev.edgegateway.proxy.Gateway;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every metric a generated alert or dashboard panel queries is one the gateway really exports:
 * the names are taken from the generated files and looked up in the {@code /metrics} of a gateway
 * started here (with a TLS listener, a rate-limited route and a cluster, so every family
 * exists). The probe paths the Deployment uses answer 200 on its admin port.
 */
class MetricNamesTest {
    @TempDir
    Path dir;

    static final Pattern METRIC = Pattern.compile("\\b(edge_[a-z0-9_]+)");

    @Test
    void everyQueriedMetricIsExportedAndTheProbesAnswer() throws Exception {
        Inputs.Input input = Inputs.threeRegions();
        var files = Generator.generate(input.config(), input.text());
        Set<String> queried = new TreeSet<>();
        JsonNode rules = Serialization.yamlMapper().readTree(files.get("monitoring/rules.yml"));
        rules.get("groups").forEach(g -> g.get("rules").forEach(r -> names(r.get("expr").asText(), queried)));
        JsonNode dashboard = Serialization.jsonMapper().readTree(files.get("monitoring/dashboard.json"));
        dashboard.get("panels").forEach(p -> p.get("targets").forEach(t -> names(t.get("expr").asText(), queried)));
        assertThat(queried).hasSizeGreaterThan(15);

        X509Bundle ca = new CertificateBuilder().subject("CN=test CA").setIsCertificateAuthority(true).ecp256().buildSelfSigned();
        X509Bundle cert = new CertificateBuilder().subject("CN=edge.test").addSanDnsName("edge.test").ecp256().buildIssuedBy(ca);
        Files.writeString(dir.resolve("c.pem"), cert.getCertificatePEM());
        Files.writeString(dir.resolve("c.key"), cert.getPrivateKeyPEM());
        String yaml = """
                listeners:
                  - {name: public, address: 127.0.0.1:0}
                  - {name: secure, address: 127.0.0.1:0, tls: {certificates: [{certFile: %1$s/c.pem, keyFile: %1$s/c.key}]}}
                admin: {address: 127.0.0.1:0}
                routes:
                  - name: api
                    cluster: web
                    rateLimits: [{name: per-client, key: [{clientAddress: true}], limits: [{rate: 10/s}]}]
                clusters:
                  - {name: web, endpoints: [127.0.0.1:9]}
                """.formatted(dir);
        try (Gateway gw = Gateway.start(ConfigLoader.parse(yaml, "test.yaml", 1))) {
            HttpClient client = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + gw.adminAddress().getPort();
            String metrics = client.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            Set<String> exported = new TreeSet<>();
            for (String line : metrics.split("\n")) {
                if (line.startsWith("# TYPE edge_")) {
                    String name = line.split(" ")[2];
                    exported.add(name);
                    String type = line.split(" ")[3];
                    if (type.equals("histogram")) {
                        exported.add(name + "_bucket");
                        exported.add(name + "_count");
                        exported.add(name + "_sum");
                    }
                    if (type.equals("counter") && !name.endsWith("_total")) {
                        exported.add(name + "_total");
                    }
                }
            }
            assertThat(exported).as("names queried by the generated rules and dashboard").containsAll(queried);
            // The bucket bounds the rules and panels name are written exactly as /metrics writes them.
            Set<String> les = new TreeSet<>();
            Matcher le = Pattern.compile("le=\\\"([^\\\"]+)\\\"").matcher(files.get("monitoring/rules.yml") + files.get("monitoring/dashboard.json"));
            while (le.find()) {
                les.add(le.group(1));
            }
            assertThat(les).isNotEmpty().allSatisfy(v -> assertThat(metrics).contains("edge_downstream_request_duration_seconds_bucket{")
                    .containsPattern("edge_downstream_request_duration_seconds_bucket\\{[^}]*le=\"" + Pattern.quote(v) + "\""));

            // The probes of the generated Deployment, on the admin port of a running gateway.
            JsonNode deployment = Serialization.yamlMapper().readTree(files.get("kubernetes/eu-west-1/03-deployment.yaml"));
            JsonNode container = deployment.get("spec").get("template").get("spec").get("containers").get(0);
            for (String probe : new String[] {"startupProbe", "livenessProbe", "readinessProbe"}) {
                String path = container.get(probe).get("httpGet").get("path").asText();
                int status = client.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                assertThat(status).as(probe + " " + path).isEqualTo(200);
            }
        }
    }

    /**
     * A config without TLS listeners or rate limits gets no panel for them (their metrics would
     * not exist): every metric its dashboard queries is in the {@code /metrics} of a gateway
     * running that config.
     */
    @Test
    void theDashboardOfAPlainConfigQueriesOnlyWhatItsGatewayExports() throws Exception {
        String yaml = """
                listeners: [{name: public, address: 127.0.0.1:0}]
                admin: {address: 127.0.0.1:0}
                routes: [{name: api, cluster: web}]
                clusters: [{name: web, endpoints: [127.0.0.1:9]}]
                """;
        String deployable = yaml.replace("127.0.0.1:0}", "0.0.0.0:8080}").replace("address: 0.0.0.0:8080}]\nadmin: {address: 0.0.0.0:8080}",
                "address: 0.0.0.0:8080}]\nadmin: {address: 0.0.0.0:9901}") + Inputs.ONE_REGION;
        var files = Generator.generate(ConfigLoader.parse(deployable, "plain.yaml", 1).config(), deployable);
        JsonNode dashboard = Serialization.jsonMapper().readTree(files.get("monitoring/dashboard.json"));
        Set<String> queried = new TreeSet<>();
        Set<String> titles = new TreeSet<>();
        dashboard.get("panels").forEach(p -> {
            titles.add(p.get("title").asText());
            p.get("targets").forEach(t -> names(t.get("expr").asText(), queried));
        });
        assertThat(titles).noneMatch(t -> t.startsWith("TLS")).noneMatch(t -> t.startsWith("Rate-limit"));
        try (Gateway gw = Gateway.start(ConfigLoader.parse(yaml, "plain.yaml", 1))) {
            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + gw.adminAddress().getPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            for (String name : queried) {
                assertThat(metrics).as(name + " is exported").containsPattern("(?m)^" + name + "[{ ]");
            }
        }
    }

    private static void names(String expr, Set<String> out) {
        Matcher m = METRIC.matcher(expr);
        while (m.find()) {
            out.add(m.group(1));
        }
    }
}
