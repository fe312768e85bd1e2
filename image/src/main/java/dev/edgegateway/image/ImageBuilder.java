package dev.edgegateway.image;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.ImageReference;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainerBuilder;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.FilePermissions;
import com.google.cloud.tools.jib.api.buildplan.ImageFormat;
import com.google.cloud.tools.jib.api.buildplan.Platform;
import com.google.cloud.tools.jib.api.buildplan.Port;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Builds the gateway's image as a tarball, with no daemon and no registry: a Java runtime made by
 * jlink from the JDK running the build (only the modules the gateway and the sidecar use), the C
 * libraries that runtime and Netty's native transports link against (found with {@code ldd} on
 * the build machine and copied at the paths it names, as distroless images carry them), the
 * gateway and the sidecar jars with their {@code lib/} folders, {@code /etc/passwd} naming user
 * 10001, an empty {@code /tmp}. Layers go from least to most often changed (runtime, C libraries,
 * libraries, the project's own jars), so a code change re-pushes only the last. Every file has the
 * same time, so the same inputs give the same layers.
 *
 * <p>The image is for the build machine's architecture ({@code linux/amd64} on CI). The root
 * Dockerfile builds the same layout from {@code eclipse-temurin} where a Docker engine exists.
 */
public final class ImageBuilder {
    /** The modules {@code jdeps --print-module-deps} lists for both programs, plus EC (TLS) and DNS providers. */
    static final String MODULES = "java.base,java.desktop,java.naming,java.net.http,java.sql,jdk.jfr,jdk.management,"
            + "jdk.unsupported,jdk.crypto.ec,jdk.naming.dns,jdk.zipfs";
    static final int USER = 10001;
    /**
     * JVM options the runtime carries for every program started from it (jlink's {@code --add-options}):
     * the JIT compiler's threads at nice 10, below an event loop's 0. On a core the loop keeps busy, a
     * compilation at equal weight took half the core for its length and doubled the latency of every
     * request in flight meanwhile; at nice 10 it gets about a tenth, so warming up still progresses
     * under full load. Options baked into the runtime, unlike the same on the command line, do not
     * make the JVM warn a non-root user that raising a priority needs privilege (only this lowering
     * is used then). docs/architecture.md, "JIT compiler priority".
     *
     * <p>And the parallel collector, whatever the CPU count: the JVM's own choice is the serial
     * collector on one CPU, whose breadth-first copying scatters a connection's long-lived objects
     * among every other connection's, and G1 on more, whose write barriers cost a request more. The
     * parallel collector copies depth first. docs/architecture.md, "The parallel collector".
     */
    static final String RUNTIME_OPTIONS = "-XX:+UseParallelGC -XX:ThreadPriorityPolicy=1 -XX:CompilerThreadPriority=10";
    static final List<String> ENTRYPOINT = List.of("/opt/java/bin/java", "-XX:MaxRAMPercentage=70", "-XX:+ExitOnOutOfMemoryError",
            "-jar", "/opt/edge/edge-gateway.jar");
    static final List<String> CMD = List.of("run", "--config", "/etc/edge/gateway.yaml");
    /** Native libraries of AWT's X11 and splash-screen code: java.desktop brings them, nothing here loads them. */
    static final Pattern GUI_ONLY = Pattern.compile("lib(awt_xawt|splashscreen|jawt)\\.so");
    private static final Instant FILE_TIME = Instant.ofEpochSecond(1);
    private static final Pattern LDD_PATH = Pattern.compile("(?:=>\\s*)?(/\\S+)\\s+\\(0x[0-9a-f]+\\)");

    private ImageBuilder() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i], args[i + 1]);
        }
        Path gateway = Path.of(a.get("--gateway"));
        Path sidecar = Path.of(a.get("--sidecar"));
        Path work = Path.of(a.get("--work"));
        Path out = Path.of(a.get("--out"));
        build(gateway, sidecar, work, a.get("--name"), out);
        System.out.println("edge-image: wrote " + out + " (" + Files.size(out) / (1 << 20) + " MiB); load it with docker load -i, podman load -i or crane push");
    }

    static void build(Path gatewayTarget, Path sidecarTarget, Path work, String name, Path out) throws Exception {
        require(gatewayTarget.resolve("edge-gateway.jar"), "package proxy-core first (./mvnw -B package)");
        require(sidecarTarget.resolve("edge-sidecar.jar"), "package deploy first (./mvnw -B package)");
        deleteRecursively(work);
        Files.createDirectories(work);
        Path runtime = jlink(work.resolve("runtime"));

        FileEntriesLayer.Builder java = FileEntriesLayer.builder().setName("java runtime");
        addTree(java, runtime, "/opt/java");
        FileEntriesLayer.Builder clibs = FileEntriesLayer.builder().setName("c libraries");
        for (String lib : sharedLibraries(runtime, List.of(gatewayTarget.resolve("lib"), sidecarTarget.resolve("lib")), work)) {
            clibs.addEntry(Path.of(lib), AbsoluteUnixPath.get(lib), FilePermissions.fromOctalString("755"), FILE_TIME);
        }
        FileEntriesLayer.Builder system = FileEntriesLayer.builder().setName("system files");
        Path etc = Files.createDirectories(work.resolve("etc"));
        Files.writeString(etc.resolve("passwd"), "root:x:0:0:root:/root:/sbin/nologin\nedge:x:" + USER + ":" + USER + ":edge:/tmp:/sbin/nologin\n");
        Files.writeString(etc.resolve("group"), "root:x:0:\nedge:x:" + USER + ":\n");
        system.addEntry(etc.resolve("passwd"), AbsoluteUnixPath.get("/etc/passwd"), FilePermissions.fromOctalString("644"), FILE_TIME);
        system.addEntry(etc.resolve("group"), AbsoluteUnixPath.get("/etc/group"), FilePermissions.fromOctalString("644"), FILE_TIME);
        Path tmp = Files.createDirectories(work.resolve("tmp"));
        system.addEntry(tmp, AbsoluteUnixPath.get("/tmp"), FilePermissions.fromOctalString("777"), FILE_TIME);

        FileEntriesLayer.Builder libs = FileEntriesLayer.builder().setName("libraries");
        FileEntriesLayer.Builder own = FileEntriesLayer.builder().setName("edge");
        for (Path[] program : new Path[][] {{gatewayTarget, Path.of("/opt/edge/edge-gateway.jar")}, {sidecarTarget, Path.of("/opt/edge-sidecar/edge-sidecar.jar")}}) {
            Path jar = program[0].resolve(program[1].getFileName().toString());
            String dir = program[1].getParent().toString();
            own.addEntry(jar, AbsoluteUnixPath.get(program[1].toString()), FilePermissions.fromOctalString("644"), FILE_TIME);
            try (Stream<Path> files = Files.list(program[0].resolve("lib"))) {
                for (Path f : files.sorted().toList()) {
                    boolean ours = f.getFileName().toString().startsWith("edge-");
                    (ours ? own : libs).addEntry(f, AbsoluteUnixPath.get(dir + "/lib/" + f.getFileName()), FilePermissions.fromOctalString("644"), FILE_TIME);
                }
            }
        }

        JibContainerBuilder image = Jib.fromScratch()
                .setFormat(ImageFormat.Docker)
                .setPlatforms(Set.of(new Platform(architecture(), "linux")))
                .setFileEntriesLayers(List.of(java.build(), clibs.build(), system.build(), libs.build(), own.build()))
                .setEntrypoint(ENTRYPOINT)
                .setProgramArguments(CMD)
                .setUser(USER + ":" + USER)
                .setExposedPorts(Set.of(Port.tcp(8080), Port.tcp(9901)))
                .setEnvironment(Map.of("JAVA_HOME", "/opt/java", "PATH", "/opt/java/bin"))
                .setWorkingDirectory(AbsoluteUnixPath.get("/tmp"))
                .setCreationTime(Instant.EPOCH)
                .addLabel("org.opencontainers.image.title", "edge-gateway")
                .addLabel("org.opencontainers.image.description", "Edge gateway (8080 traffic, 9901 admin); edge-sidecar in /opt/edge-sidecar");
        Files.createDirectories(out.toAbsolutePath().getParent());
        Path cache = work.resolve("jib-cache");
        image.containerize(Containerizer.to(TarImage.at(out).named(ImageReference.parse(name)))
                .setOfflineMode(true)
                .setBaseImageLayersCache(cache)
                .setApplicationLayersCache(cache)
                .setToolName("edge-image"));
    }

    /** A runtime with {@link #MODULES}, from the JDK running this build; GUI-only native libraries removed. */
    static Path jlink(Path output) throws IOException {
        ToolProvider jlink = ToolProvider.findFirst("jlink")
                .orElseThrow(() -> new IllegalStateException("no jlink: the build must run on a JDK (with its jmods), not a JRE"));
        StringWriter said = new StringWriter();
        int rc = jlink.run(new PrintWriter(said), new PrintWriter(said), "--add-modules", MODULES, "--strip-debug", "--no-man-pages",
                "--no-header-files", "--add-options=" + RUNTIME_OPTIONS, "--output", output.toString());
        if (rc != 0) {
            throw new IllegalStateException("jlink failed (" + rc + "): " + said
                    + (said.toString().contains("java.base") ? " (on Debian, the jmods are in the openjdk-17-jmods package)" : ""));
        }
        try (Stream<Path> files = Files.walk(output)) {
            for (Path f : files.filter(p -> GUI_ONLY.matcher(p.getFileName().toString()).matches()).toList()) {
                Files.delete(f);
            }
        }
        // Debian's JDK links its cacerts to /etc/ssl/certs/java/cacerts: the image has no /etc/ssl, so it gets the file itself.
        Path cacerts = output.resolve("lib/security/cacerts");
        Path host = Path.of(System.getProperty("java.home"), "lib/security/cacerts");
        if ((!Files.exists(cacerts) || Files.size(cacerts) == 0) && Files.exists(host)) {
            Files.deleteIfExists(cacerts);
            Files.copy(host.toRealPath(), cacerts);
        }
        return output;
    }

    /**
     * Every C library the runtime's executables and libraries, and the Netty native libraries in
     * {@code jarDirs}, load: {@code ldd} on each, the absolute paths it prints (the dynamic loader
     * included). One that is not found fails the build rather than the pod.
     */
    static Set<String> sharedLibraries(Path runtime, List<Path> jarDirs, Path work) throws Exception {
        List<Path> elves = new ArrayList<>();
        try (Stream<Path> files = Files.walk(runtime)) {
            files.filter(Files::isRegularFile).filter(ImageBuilder::isElf).forEach(elves::add);
        }
        Path natives = Files.createDirectories(work.resolve("natives"));
        String arch = System.getProperty("os.arch").equals("aarch64") ? "aarch_64" : "x86_64";
        for (Path dir : jarDirs) {
            try (Stream<Path> jars = Files.list(dir)) {
                // Netty's transports and TLS (netty-*-linux-x86_64.jar) and brotli's (native-linux-x86_64-*.jar).
                for (Path jar : jars.filter(j -> j.getFileName().toString().contains("linux-" + arch)
                        || j.getFileName().toString().contains("linux-" + arch.replace("_", ""))).toList()) {
                    try (ZipFile z = new ZipFile(jar.toFile())) {
                        for (ZipEntry e : z.stream().filter(e -> e.getName().endsWith(".so")).toList()) {
                            Path f = natives.resolve(Path.of(e.getName()).getFileName().toString());
                            try (InputStream in = z.getInputStream(e)) {
                                Files.copy(in, f, StandardCopyOption.REPLACE_EXISTING);
                            }
                            elves.add(f);
                        }
                    }
                }
            }
        }
        Set<String> out = new TreeSet<>();
        for (Path elf : elves) {
            ProcessBuilder pb = new ProcessBuilder("ldd", elf.toString()).redirectErrorStream(true);
            // The runtime's own libraries find each other at run time (libjvm is loaded by then): say where they are.
            pb.environment().put("LD_LIBRARY_PATH", runtime.resolve("lib") + ":" + runtime.resolve("lib/server"));
            Process p = pb.start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("ldd " + elf + " did not finish");
            }
            if (text.contains("not found")) {
                throw new IllegalStateException(elf + " needs a library this machine does not have:\n" + text);
            }
            for (String line : text.split("\n")) {
                Matcher m = LDD_PATH.matcher(line.trim());
                if (m.find() && !m.group(1).startsWith(runtime.toString()) && !m.group(1).startsWith(natives.toString())) {
                    out.add(m.group(1));
                }
            }
        }
        if (out.stream().noneMatch(l -> l.contains("ld-linux"))) {
            throw new IllegalStateException("ldd named no dynamic loader: " + out);
        }
        return out;
    }

    static String architecture() {
        return switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64" -> "arm64";
            default -> throw new IllegalStateException("no image for " + System.getProperty("os.arch"));
        };
    }

    private static boolean isElf(Path f) {
        try (InputStream in = Files.newInputStream(f)) {
            byte[] head = in.readNBytes(4);
            return head.length == 4 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F';
        } catch (IOException e) {
            return false;
        }
    }

    private static void addTree(FileEntriesLayer.Builder layer, Path dir, String target) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted().toList()) {
                if (f.equals(dir)) {
                    continue;
                }
                String rel = dir.relativize(f).toString();
                boolean exec = Files.isDirectory(f) || Files.isExecutable(f);
                layer.addEntry(f, AbsoluteUnixPath.get(target + "/" + rel), FilePermissions.fromOctalString(exec ? "755" : "644"), FILE_TIME);
            }
        }
    }

    private static void require(Path p, String hint) {
        if (!Files.exists(p)) {
            throw new IllegalStateException(p + " is missing: " + hint);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
