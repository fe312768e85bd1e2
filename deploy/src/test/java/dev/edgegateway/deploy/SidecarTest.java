package dev.edgegateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The command line: one pass, then watch mode following edits to the config file. */
@Timeout(60)
class SidecarTest {
    @TempDir
    Path dir;

    private static void await(BooleanSupplier c, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    @Test
    void watchRegeneratesOnChangeSaysWhatChangedAndKeepsTheFilesOfTheLastGoodConfig() throws Exception {
        Path config = dir.resolve("gateway.yaml");
        Path out = dir.resolve("out");
        String text = Inputs.threeRegions().text();
        Files.writeString(config, text);
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        SidecarMain main = new SidecarMain(new PrintStream(stdout, true, StandardCharsets.UTF_8), new PrintStream(stderr, true, StandardCharsets.UTF_8));
        Thread t = new Thread(() -> {
            try {
                main.run(new String[] {"watch", "--config", config.toString(), "--out", out.toString()});
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        t.start();
        try {
            await(() -> stdout.toString(StandardCharsets.UTF_8).contains("watching"), "the first pass");
            assertThat(stdout.toString(StandardCharsets.UTF_8)).contains("37 written, 0 deleted, 0 unchanged");
            Path cfn = out.resolve("accelerator/cloudformation.json");
            assertThat(Files.readString(cfn)).contains("\"TrafficDialPercentage\" : 30");
            long before = Files.getLastModifiedTime(out.resolve("kubernetes/eu-west-1/03-deployment.yaml")).toMillis();

            // The operator turns ap-southeast-1's dial up: the accelerator files change and nothing
            // else; no region's ConfigMap (it carries no deploy section), so no gateway reloads.
            Files.writeString(config, text.replace("trafficDial: 30", "trafficDial: 40"));
            await(() -> stdout.toString(StandardCharsets.UTF_8).contains("ap-southeast-1 traffic dial 30 -> 40"), "the change reported");
            await(() -> stdout.toString(StandardCharsets.UTF_8).contains("2 written, 0 deleted, 35 unchanged"), "only the changed files rewritten");
            String pass = stdout.toString(StandardCharsets.UTF_8);
            pass = pass.substring(pass.indexOf("ap-southeast-1 traffic dial 30 -> 40"));
            assertThat(pass).contains("wrote   accelerator/terraform/main.tf.json").contains("wrote   accelerator/cloudformation.json")
                    .doesNotContain("configmap");
            assertThat(Files.readString(cfn)).contains("\"TrafficDialPercentage\" : 40");
            assertThat(Files.getLastModifiedTime(out.resolve("kubernetes/eu-west-1/03-deployment.yaml")).toMillis()).isEqualTo(before);

            // A broken edit: reported with its line and field; the files stay as they were.
            Files.writeString(config, text.replace("trafficDial: 30", "trafficDial: 300"));
            await(() -> stderr.toString(StandardCharsets.UTF_8).contains("trafficDial"), "the error reported");
            assertThat(stderr.toString(StandardCharsets.UTF_8)).contains("gateway.yaml:").contains("must be 0 to 100");
            assertThat(Files.readString(cfn)).contains("\"TrafficDialPercentage\" : 40");

            // A region removed: its files go.
            String twoRegions = text.substring(0, text.indexOf("    - name: ap-southeast-1"));
            Files.writeString(config, twoRegions);
            // The pass prints after it has written and deleted: wait for its summary, not the files.
            await(() -> {
                String all = stdout.toString(StandardCharsets.UTF_8);
                int change = all.indexOf("-region ap-southeast-1");
                return change >= 0 && all.indexOf(" unchanged in ", change) >= 0;
            }, "the pass that drops the region");
            assertThat(stdout.toString(StandardCharsets.UTF_8)).contains("-region ap-southeast-1").contains("deleted kubernetes/ap-southeast-1/03-deployment.yaml");
            // Its folder too: an empty one left behind would linger in the operator's tree.
            assertThat(out.resolve("kubernetes/ap-southeast-1")).doesNotExist();
            assertThat(out.resolve("kubernetes/eu-west-1/03-deployment.yaml")).exists();
        } finally {
            main.stop();
            t.join(5000);
        }
    }

    /**
     * The program as a process: SIGHUP generates again at once, changed or not (a generated file
     * removed by hand is written back), and SIGTERM ends it with 0. Before, SIGHUP killed it
     * (exit 129), as a JVM does without a handler.
     */
    @Test
    void asAProcessSighupGeneratesAgainAndSigtermStopsIt() throws Exception {
        Path config = dir.resolve("gateway.yaml");
        Path out = dir.resolve("out");
        Path log = dir.resolve("sidecar.log");
        Files.writeString(config, Inputs.threeRegions().text());
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), SidecarMain.class.getName(),
                "watch", "--config", config.toString(), "--out", out.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            BooleanSupplier watching = () -> read(log).contains("watching");
            await(watching, "the first pass");
            Path cfn = out.resolve("accelerator/cloudformation.json");
            Files.delete(cfn);
            signal(p, "HUP");
            await(() -> read(log).contains("0 deleted, 36 unchanged"), "the pass SIGHUP asked for");
            assertThat(read(log)).contains("SIGHUP received: generating from " + config).contains("wrote   accelerator/cloudformation.json");
            assertThat(cfn).exists();
            assertThat(p.isAlive()).isTrue();
            signal(p, "TERM");
            assertThat(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).as("stopped").isTrue();
            assertThat(p.exitValue()).as(read(log)).isZero();
            assertThat(read(log)).contains("edge-sidecar: stopped");
        } finally {
            p.destroyForcibly();
        }
    }

    private static void signal(Process p, String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(p.pid())).start();
        assertThat(kill.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) && kill.exitValue() == 0).as("kill -" + name).isTrue();
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void generateTwiceWritesNothingTheSecondTime() throws Exception {
        Path config = dir.resolve("gateway.yaml");
        Files.writeString(config, Inputs.threeRegions().text());
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(stdout, true, StandardCharsets.UTF_8);
        assertThat(new SidecarMain(ps, ps).run(new String[] {"generate", "--config", config.toString(), "--out", dir.resolve("o").toString()})).isZero();
        assertThat(new SidecarMain(ps, ps).run(new String[] {"generate", "--config", config.toString(), "--out", dir.resolve("o").toString()})).isZero();
        assertThat(stdout.toString(StandardCharsets.UTF_8)).contains("0 written, 0 deleted, 37 unchanged");
        Files.writeString(config, "listeners: []\n");
        assertThat(new SidecarMain(ps, ps).run(new String[] {"generate", "--config", config.toString(), "--out", dir.resolve("o").toString()})).isEqualTo(1);
    }
    /**
     * The command line takes {@code --name VALUE} and {@code --name=VALUE}, and refuses what it does
     * not know, saying what: an option it ignored would leave the operator believing it applied.
     */
    @Test
    void theCommandLineSaysWhatIsWrongWithIt() throws Exception {
        Path config = dir.resolve("gateway.yaml");
        Files.writeString(config, Inputs.threeRegions().text());
        String out = dir.resolve("o").toString();
        assertThat(sidecar("generate", "--config=" + config, "--out=" + out)).startsWith("0 ").contains("37 written");
        assertThat(sidecar("generate", "--config", config.toString(), "--out", out, "--dry-run"))
                .startsWith("2 edge-sidecar: unknown argument '--dry-run'").contains("usage:");
        assertThat(sidecar("generate", "--config", config.toString())).startsWith("2 edge-sidecar: missing --out DIR");
        assertThat(sidecar("generate", "--out", out, "--config")).startsWith("2 edge-sidecar: --config needs a value");
        assertThat(sidecar("generate", "--config", "a", "--config=b", "--out", out)).startsWith("2 edge-sidecar: --config given twice");
        assertThat(sidecar("generat", "--config", config.toString(), "--out", out)).startsWith("2 edge-sidecar: unknown command 'generat'");
    }

    /** The exit code, a space, and what the sidecar printed. */
    private static String sidecar(String... args) throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(printed, true, StandardCharsets.UTF_8);
        int code = new SidecarMain(ps, ps).run(args);
        return code + " " + printed.toString(StandardCharsets.UTF_8);
    }
}
