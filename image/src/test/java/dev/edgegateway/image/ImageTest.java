package dev.edgegateway.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgegateway.config.ConfigLoader;
import dev.edgegateway.deploy.Generator;
import dev.edgegateway.deploy.Serialization;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image tarball the build wrote (target/edge-gateway-image.tar), read as {@code docker load}
 * reads it: its manifest and config (entrypoint, arguments, user 10001, ports) agree with the
 * generated Deployment; it holds the runtime, the C libraries, both programs and every library
 * their manifests name; and unpacked, the gateway starts from it (the image's own dynamic loader,
 * C library, Java runtime and jar) and answers {@code /ready}, and the sidecar generates from it.
 */
class ImageTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static JsonNode manifest;
    static JsonNode config;
    /** Every file in the image (last layer wins), with its mode. */
    static final Map<String, Integer> files = new TreeMap<>();
    static final List<String> layers = new ArrayList<>();

    @TempDir
    static Path root;

    @BeforeAll
    static void unpack() throws Exception {
        Path tar = Path.of(System.getProperty("image.tar", "target/edge-gateway-image.tar"));
        assertThat(tar).as("the build writes the image in process-classes").exists();
        Map<String, byte[]> blobs = new HashMap<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(tar))) {
            for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                blobs.put(e.getName(), in.readAllBytes());
            }
        }
        manifest = JSON.readTree(blobs.get("manifest.json")).get(0);
        config = JSON.readTree(blobs.get(manifest.get("Config").asText()));
        Path rootfs = Files.createDirectories(root.resolve("rootfs"));
        for (JsonNode layer : manifest.get("Layers")) {
            layers.add(layer.asText());
            try (TarArchiveInputStream in = new TarArchiveInputStream(new GZIPInputStream(new java.io.ByteArrayInputStream(blobs.get(layer.asText()))))) {
                for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                    String name = "/" + e.getName().replaceFirst("^\\./", "").replaceFirst("^/", "");
                    name = name.endsWith("/") && name.length() > 1 ? name.substring(0, name.length() - 1) : name;
                    files.put(name, e.getMode());
                    Path target = rootfs.resolve(name.substring(1));
                    if (e.isDirectory()) {
                        Files.createDirectories(target);
                    } else {
                        Files.createDirectories(target.getParent());
                        Files.copy(in, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                        if ((e.getMode() & 0100) != 0) {
                            Files.setPosixFilePermissions(target, EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                                    PosixFilePermission.OWNER_EXECUTE));
                        }
                    }
                }
            }
        }
    }

    static Path rootfs() {
        return root.resolve("rootfs");
    }

    @Test
    void theConfigRunsTheGatewayAsTheDeploymentExpects() throws Exception {
        assertThat(manifest.get("RepoTags").get(0).asText()).isEqualTo(System.getProperty("image.name", "edge-gateway:0.1.0-SNAPSHOT"));
        assertThat(config.get("os").asText()).isEqualTo("linux");
        JsonNode c = config.get("config");
        assertThat(strings(c.get("Entrypoint"))).isEqualTo(ImageBuilder.ENTRYPOINT);
        assertThat(strings(c.get("Entrypoint"))).startsWith("/opt/java/bin/java").endsWith("-jar", "/opt/edge/edge-gateway.jar");
        assertThat(c.get("User").asText()).isEqualTo("10001:10001");
        List<String> ports = new ArrayList<>();
        c.get("ExposedPorts").fieldNames().forEachRemaining(ports::add);
        assertThat(ports).containsExactlyInAnyOrder("8080/tcp", "9901/tcp");

        // The generated Deployment: its arguments are the image's CMD, its user the image's, its ports exposed.
        Path example = Path.of("..", "deploy", "examples", "three-regions.yaml");
        String text = Files.readString(example);
        String yaml = Generator.generate(ConfigLoader.parse(text, example.toString(), 1).config(), text).get("kubernetes/eu-west-1/03-deployment.yaml");
        JsonNode pod = Serialization.yamlMapper().readTree(yaml).get("spec").get("template").get("spec");
        JsonNode container = pod.get("containers").get(0);
        assertThat(strings(container.get("args"))).isEqualTo(strings(c.get("Cmd")));
        assertThat(pod.get("securityContext").get("runAsUser").asInt()).isEqualTo(10001);
        assertThat(pod.get("securityContext").get("runAsGroup").asInt()).isEqualTo(10001);
        for (JsonNode p : container.get("ports")) {
            assertThat(ports).contains(p.get("containerPort").asInt() + "/tcp");
        }
        assertThat(container.get("command")).as("the Deployment uses the image's entrypoint").isNull();
    }

    @Test
    void itHoldsTheRuntimeTheCLibrariesAndEveryJarTheManifestsName() throws Exception {
        assertThat(layers).as("runtime, C libraries, system files, libraries, the project's jars").hasSize(5);
        assertThat(files).containsKeys("/opt/java/bin/java", "/opt/java/lib/server/libjvm.so", "/opt/java/lib/security/cacerts",
                "/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libz.so.1",
                "/etc/passwd", "/etc/group", "/tmp", "/opt/edge/edge-gateway.jar", "/opt/edge-sidecar/edge-sidecar.jar");
        assertThat(files.get("/opt/java/bin/java") & 0111).as("java is executable").isEqualTo(0111);
        assertThat(files.get("/tmp") & 0777).isEqualTo(0777);
        assertThat(Files.readString(rootfs().resolve("etc/passwd"))).contains("edge:x:10001:10001:");
        assertThat(Files.size(rootfs().resolve("opt/java/lib/security/cacerts"))).as("CA certificates for origins over TLS").isGreaterThan(10_000);
        assertThat(files.keySet()).noneMatch(f -> f.startsWith("/opt/java/jmods")).noneMatch(f -> f.endsWith("libawt_xawt.so"));
        for (String jar : new String[] {"opt/edge/edge-gateway.jar", "opt/edge-sidecar/edge-sidecar.jar"}) {
            Path p = rootfs().resolve(jar);
            try (JarFile j = new JarFile(p.toFile())) {
                String classPath = j.getManifest().getMainAttributes().getValue("Class-Path");
                for (String entry : classPath.trim().split("\\s+")) {
                    assertThat(p.resolveSibling(entry)).as(jar + " names " + entry).exists();
                }
            }
        }
    }

    @Test
    void theGatewayStartsFromTheImageAndAnswersReadyAndTheSidecarGenerates() throws Exception {
        int traffic = freePort();
        int admin = freePort();
        Path cfg = root.resolve("gateway.yaml");
        Files.writeString(cfg, """
                listeners: [{name: public, address: 127.0.0.1:%d}]
                admin: {address: 127.0.0.1:%d}
                routes: [{name: api, cluster: web}]
                clusters: [{name: web, endpoints: [127.0.0.1:9]}]
                """.formatted(traffic, admin));
        List<String> cmd = inImage(ImageBuilder.ENTRYPOINT);
        cmd.addAll(List.of("run", "--config", cfg.toString()));
        Process gw = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(root.resolve("gateway.log").toFile())
                .directory(root.toFile()).start();
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            int status = 0;
            while (System.nanoTime() < deadline && gw.isAlive() && status != 200) {
                try {
                    status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/ready")).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode();
                } catch (IOException notYet) {
                    Thread.sleep(100);
                }
            }
            assertThat(status).as("/ready from the image's gateway:\n" + Files.readString(root.resolve("gateway.log"))).isEqualTo(200);
            String log = Files.readString(root.resolve("gateway.log"));
            assertThat(log).as("the image's own runtime").doesNotContain("Error:").doesNotContain("VM warning");
            assertThat(compilerThreadNices(gw.pid())).as("the JIT compiler threads' nice values (the runtime's options)")
                    .isNotEmpty().containsOnly(10);
            String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).as("the collector the runtime's options choose, not the JVM's own pick for this machine (G1 on two CPUs or more)")
                    .containsPattern("jvm_gc_pause_seconds_count\\{[^}]*gc=\"PS Scavenge\"").doesNotContain("gc=\"Copy\"").doesNotContain("G1 Young");
            // A request through it: no origin on port 9, so the gateway answers 502 itself.
            int proxied = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + traffic + "/x")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
            assertThat(proxied).isIn(502, 503);
        } finally {
            gw.destroy();
            if (!gw.waitFor(30, TimeUnit.SECONDS)) {
                gw.destroyForcibly();
            }
        }

        // The sidecar in the image generates the deployment from the example.
        List<String> sidecar = inImage(List.of("/opt/java/bin/java", "-jar", "/opt/edge-sidecar/edge-sidecar.jar"));
        sidecar.addAll(List.of("generate", "--config", Path.of("..", "deploy", "examples", "three-regions.yaml").toAbsolutePath().toString(),
                "--out", root.resolve("out").toString()));
        Process p = new ProcessBuilder(sidecar).redirectErrorStream(true).start();
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        try (InputStream in = p.getInputStream()) {
            in.transferTo(said);
        }
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(said.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(root.resolve("out/kubernetes/eu-west-1/03-deployment.yaml")).exists();
    }

    /** The nice value of each of the process's JIT compiler threads ("C1 CompilerThre", "C2 CompilerThre": comm is cut at 15). */
    static List<Integer> compilerThreadNices(long pid) throws IOException {
        List<Integer> nices = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException exited) {
                    continue;
                }
                String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                if (comm.matches("C[12] CompilerThre.*")) {
                    // After "(comm) ": state is field 3 of stat(5), nice field 19.
                    nices.add(Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]));
                }
            }
        }
        return nices;
    }

    /**
     * A command of the image run on this machine from the unpacked layers, with the image's own
     * dynamic loader and C libraries (not the machine's): the loader runs the program with the
     * image's library directory as its only search path.
     */
    static List<String> inImage(List<String> command) {
        Path r = rootfs();
        List<String> out = new ArrayList<>(List.of(r.resolve("lib64/ld-linux-x86-64.so.2").toString(), "--inhibit-cache", "--library-path",
                r.resolve("lib/x86_64-linux-gnu").toString()));
        for (String arg : command) {
            out.add(arg.startsWith("/opt/") ? r.resolve(arg.substring(1)).toString() : arg);
        }
        return out;
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** A loopback port free now, for the image's process to bind; never the same number twice in one JVM. */
    static int freePort() throws IOException {
        while (true) {
            try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            }
        }
    }

    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();
}
