package dev.edgegateway.e2e;

import dev.edgegateway.config.ConfigLoader;
import dev.edgegateway.config.ConfigSnapshot;
import dev.edgegateway.config.GatewayConfig;
import dev.edgegateway.config.RuntimeConfig;
import dev.edgegateway.proxy.Gateway;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A gateway started in this JVM from a YAML document, listening on free loopback ports. */
final class GatewayFixture implements AutoCloseable {
    final Gateway gateway;
    private final HttpClient admin = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * The transport {@code -Dedge.test.transport} names, or "": put in place of {@code auto} (epoll),
     * so that {@code ./mvnw -B verify -pl src/test -Dedge.test.transport=io_uring} runs the suite's
     * gateways on io_uring, which serves only where named (docs/architecture.md, "Transport").
     */
    static final String TEST_TRANSPORT = System.getProperty("edge.test.transport", "");

    GatewayFixture(String yaml) throws Exception {
        this(ConfigLoader.parse(yaml, "test.yaml", 1), null);
    }

    private GatewayFixture(ConfigSnapshot snapshot, io.opentelemetry.sdk.trace.export.SpanExporter exporter) throws Exception {
        ConfigSnapshot s = onTestTransport(snapshot);
        gateway = exporter == null ? Gateway.start(s) : Gateway.start(s, exporter);
        if (s != snapshot && !gateway.transportName().equals(TEST_TRANSPORT)) {
            gateway.close();
            throw new AssertionError("-Dedge.test.transport=" + TEST_TRANSPORT + " but the gateway runs on " + gateway.transportName());
        }
    }

    /** {@code s}, or with {@link #TEST_TRANSPORT} in place of {@code runtime.transport: auto} when it names one. */
    static ConfigSnapshot onTestTransport(ConfigSnapshot s) throws ReflectiveOperationException {
        GatewayConfig c = s.config();
        if (TEST_TRANSPORT.isEmpty() || c.runtime().transport() != RuntimeConfig.Transport.AUTO) {
            return s;
        }
        RuntimeConfig runtime = new RuntimeConfig(RuntimeConfig.Transport.valueOf(TEST_TRANSPORT.toUpperCase(java.util.Locale.ROOT)),
                c.runtime().workerThreads(), c.runtime().idleSpin(), c.runtime().idleNap());
        RecordComponent[] parts = GatewayConfig.class.getRecordComponents();
        Class<?>[] types = new Class<?>[parts.length];
        Object[] values = new Object[parts.length];
        for (int i = 0; i < parts.length; i++) {
            types[i] = parts[i].getType();
            values[i] = parts[i].getName().equals("runtime") ? runtime : parts[i].getAccessor().invoke(c);
        }
        GatewayConfig changed = GatewayConfig.class.getDeclaredConstructor(types).newInstance(values);
        return new ConfigSnapshot(changed, s.source(), s.generation(), s.sha256(), s.positions());
    }

    /** Exporting its spans to {@code exporter}. */
    GatewayFixture(String yaml, io.opentelemetry.sdk.trace.export.SpanExporter exporter) throws Exception {
        this(ConfigLoader.parse(yaml, "test.yaml", 1), exporter);
    }

    /** Every series of the edge's own meters (name and labels), without values. */
    java.util.Set<String> edgeSeries() throws IOException, InterruptedException {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (String line : adminGet("/metrics").split("\n")) {
            if (line.startsWith("edge_")) {
                out.add(line.substring(0, line.lastIndexOf(' ')));
            }
        }
        return out;
    }

    /** Started from a file, which is then watched for changes, as {@code edge run --config} does. */
    GatewayFixture(java.nio.file.Path file) throws Exception {
        this(ConfigLoader.load(file, 1), null);
        gateway.watch(file);
    }

    /** {@code PUT /config} or {@code POST /config/validate}, with an Authorization header unless null. */
    HttpResponse<String> adminSend(String method, String path, String body, String authorization) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.adminAddress().getPort() + path))
                .method(method, HttpRequest.BodyPublishers.ofString(body)).header("content-type", "application/yaml");
        if (authorization != null) {
            b.header("authorization", authorization);
        }
        return admin.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A config with one listener and one admin port on free ports, plus what {@code rest} adds. */
    static String config(String rest) {
        return """
                listeners:
                  - name: public
                    address: 127.0.0.1:0
                admin:
                  address: 127.0.0.1:0
                """ + rest;
    }

    int port() {
        return port("public");
    }

    int port(String listener) {
        return gateway.listenerAddress(listener).getPort();
    }

    int adminPort() {
        return gateway.adminAddress().getPort();
    }

    String adminGet(String path) throws IOException, InterruptedException {
        return admin.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.adminAddress().getPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    String adminGetUnchecked(String path) {
        try {
            return adminGet(path);
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** The value of one Prometheus sample, e.g. {@code edge_upstream_connections_opened_total}. */
    double metric(String series) throws IOException, InterruptedException {
        return sample(adminGet("/metrics"), series);
    }

    /** The value of one sample in a Prometheus text page. */
    static double sample(String page, String series) {
        for (String line : page.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        throw new AssertionError("no series " + series);
    }

    /** As {@link #metric}, or -1 while the series does not exist or the admin port does not answer (for polling). */
    double metricOrMissing(String series) {
        try {
            return metric(series);
        } catch (AssertionError | IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    @Override
    public void close() {
        gateway.close();
    }
}
