package dev.edgegateway.proxy.reload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.config.ConfigLoader;
import dev.edgegateway.config.GatewayConfig;
import org.junit.jupiter.api.Test;

/** The one line a reload logs, answers and shows in the console: every section that changed is in it. */
class ReloadSummaryTest {
    private static final String BASE = """
            listeners: [{name: public, address: 127.0.0.1:8080}]
            routes: [{name: all, cluster: web}]
            clusters: [{name: web, endpoints: [127.0.0.1:9001]}]
            """;

    private static GatewayConfig config(String extra) throws Exception {
        return ConfigLoader.parse(BASE + extra, "gw.yaml", 1).config();
    }

    private static String summary(String before, String after) throws Exception {
        return ConfigReloader.describe(config(before), config(after));
    }

    @Test
    void sectionsReadAtStartSayTheyWaitForARestart() throws Exception {
        assertThat(ConfigReloader.describe(config(""), ConfigLoader.parse(BASE.replace("8080", "8081"), "gw.yaml", 1).config()))
                .isEqualTo("listener public changed: this takes effect on restart");
        assertThat(summary("", "accessLog: {enabled: true}\n")).isEqualTo("accessLog changed: this takes effect on restart");
        assertThat(summary("", "tracing: {samplingRatio: 0.5}\n")).isEqualTo("tracing changed: this takes effect on restart");
        assertThat(summary("", "admin: {address: 127.0.0.1:9902}\nruntime: {workerThreads: 3}\n"))
                .isEqualTo("admin, runtime changed: these take effect on restart");
    }

    @Test
    void aListenerAddedOrChangedWaitsForARestart() throws Exception {
        // A TLS listener's certificates apply live instead: TwoPhaseReloadTest (it needs real PEM files).
        GatewayConfig two = ConfigLoader.parse(BASE.replace("listeners: [", "listeners: [{name: extra, address: 127.0.0.1:8081}, "), "gw.yaml", 1)
                .config();
        assertThat(ConfigReloader.describe(config(""), two)).isEqualTo("+listener extra changed: this takes effect on restart");
        assertThat(ConfigReloader.describe(two, config(""))).isEqualTo("-listener extra changed: this takes effect on restart");
        GatewayConfig h1 = ConfigLoader.parse(BASE.replace("8080}", "8080, http2: {enabled: false}}"), "gw.yaml", 1).config();
        assertThat(ConfigReloader.describe(config(""), h1)).isEqualTo("listener public changed: this takes effect on restart");
    }

    @Test
    void sectionsAReloadAppliesAreNamed() throws Exception {
        assertThat(summary("", "drain: {timeout: 5s}\n")).isEqualTo("drain changed");
        assertThat(summary("", "metrics: {enabled: false}\n")).isEqualTo("metrics changed");
        assertThat(summary("", "timeouts: {connect: 1s}\nforwarding: {trustedProxies: [10.0.0.0/8]}\n")).isEqualTo("forwarding, timeouts changed");
        assertThat(summary("timeouts: {connect: 1s}\n", "timeouts: {connect: 1s}\n")).isEqualTo("no effective change");
    }
}
