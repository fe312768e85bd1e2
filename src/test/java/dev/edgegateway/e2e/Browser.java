package dev.edgegateway.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real headless Chromium, driven through Debian's chromedriver with the W3C WebDriver protocol
 * (JSON over HTTP on a loopback port): open a page, find elements by CSS, click, type, run a
 * script, take a screenshot. Started per test, closed with it. Skips, saying why, where Chromium
 * is not installed outside CI; under CI ({@code .ci/run} installs it) its absence fails.
 */
final class Browser implements AutoCloseable {
    static final String ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process driver;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final String session;

    Browser(Path profile) throws Exception {
        String chromedriver = tool("chromedriver");
        String chromium = tool("chromium");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        driver = new ProcessBuilder(chromedriver, "--port=" + port, "--allowed-ips=127.0.0.1")
                .redirectErrorStream(true).redirectOutput(profile.resolveSibling("chromedriver.log").toFile()).start();
        base = "http://127.0.0.1:" + port;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                if (get("/status").path("value").path("ready").asBoolean()) {
                    break;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (System.nanoTime() > deadline || !driver.isAlive()) {
                throw new IllegalStateException("chromedriver did not start: " + Files.readString(profile.resolveSibling("chromedriver.log")));
            }
            Thread.sleep(50);
        }
        ObjectNode caps = JSON.createObjectNode();
        ObjectNode always = caps.putObject("capabilities").putObject("alwaysMatch");
        always.put("browserName", "chrome");
        ObjectNode options = always.putObject("goog:chromeOptions");
        options.put("binary", chromium);
        var args = options.putArray("args");
        for (String a : List.of("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900",
                "--user-data-dir=" + profile, "--no-first-run", "--disable-extensions", "--disable-background-networking")) {
            args.add(a);
        }
        session = post("/session", caps).path("value").path("sessionId").asText();
    }

    static String tool(String name) {
        for (String dir : new String[] {"/usr/bin", "/usr/local/bin", "/usr/lib/chromium"}) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        if (System.getenv("CI") != null) {
            throw new AssertionError(name + " is missing in CI: .ci/run installs the chromium and chromium-driver packages");
        }
        assumeTrue(false, name + " is not installed (apt-get install chromium chromium-driver); skipping the browser test");
        return null;
    }

    void open(String url) throws Exception {
        command("/url", JSON.createObjectNode().put("url", url));
    }

    /** The first element matching {@code css}, or null. */
    String find(String css) throws Exception {
        JsonNode r = send("POST", "/session/" + session + "/elements", JSON.createObjectNode().put("using", "css selector").put("value", css));
        JsonNode list = r.path("value");
        return list.isArray() && list.size() > 0 ? list.get(0).path(ELEMENT).asText() : null;
    }

    void click(String css) throws Exception {
        command("/element/" + required(css) + "/click", JSON.createObjectNode());
    }

    void type(String css, String text) throws Exception {
        String id = required(css);
        command("/element/" + id + "/clear", JSON.createObjectNode());
        // Set through a script: typing a YAML document key by key would let the page auto-indent nothing, but is slow.
        script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", element(id), text);
    }

    void typeKeys(String css, String text) throws Exception {
        command("/element/" + required(css) + "/value", JSON.createObjectNode().put("text", text));
    }

    /**
     * The visible text of the first element matching {@code css} ("" when there is none), read in
     * one script run: the console redraws its tables every second, so a found element can be gone
     * by the time a second command asks for its text.
     */
    String text(String css) throws Exception {
        return script("const e = document.querySelector(arguments[0]); return e ? e.innerText : '';", css).asText();
    }

    /** Whether an element matches {@code css} now. */
    boolean present(String css) throws Exception {
        return script("return document.querySelector(arguments[0]) !== null;", css).asBoolean();
    }

    /** Runs {@code js} in the page (arguments as {@code arguments[i]}) and returns its value. */
    JsonNode script(String js, Object... args) throws Exception {
        ObjectNode body = JSON.createObjectNode().put("script", js);
        var a = body.putArray("args");
        for (Object o : args) {
            a.add(JSON.valueToTree(o));
        }
        return send("POST", "/session/" + session + "/execute/sync", body).path("value");
    }

    static java.util.Map<String, String> element(String id) {
        return java.util.Map.of(ELEMENT, id);
    }

    /** A PNG of the page as it is drawn now. */
    void screenshot(Path file) throws Exception {
        String b64 = send("GET", "/session/" + session + "/screenshot", null).path("value").asText();
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, Base64.getDecoder().decode(b64));
    }

    private String required(String css) throws Exception {
        String id = find(css);
        if (id == null) {
            throw new AssertionError("no element matches " + css);
        }
        return id;
    }

    private JsonNode command(String path, JsonNode body) throws Exception {
        return send("POST", "/session/" + session + path, body);
    }

    private JsonNode get(String path) throws IOException, InterruptedException {
        return JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    private JsonNode post(String path, JsonNode body) throws Exception {
        return send("POST", path, body);
    }

    private JsonNode send(String method, String path, JsonNode body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .header("content-type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode tree = JSON.readTree(r.body());
        if (r.statusCode() >= 400) {
            throw new IllegalStateException(method + " " + path + ": " + r.statusCode() + " " + tree.path("value").path("message").asText());
        }
        return tree;
    }

    @Override
    public void close() {
        try {
            if (session != null) {
                send("DELETE", "/session/" + session, null);
            }
        } catch (Exception ignored) {
            // the driver goes anyway
        } finally {
            driver.destroy();
            try {
                if (!driver.waitFor(10, TimeUnit.SECONDS)) {
                    driver.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
