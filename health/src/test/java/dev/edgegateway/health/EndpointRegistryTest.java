package dev.edgegateway.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.config.HostPort;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EndpointRegistryTest {

    @Test
    void sameIdentityGivesTheSameStateAcrossLookups() {
        EndpointRegistry registry = new EndpointRegistry();
        Endpoint a = registry.endpoint("api", new HostPort("127.0.0.1", 9001));
        a.requestStarted();
        Endpoint again = registry.endpoint("api", HostPort.parse("127.0.0.1:9001"));
        assertThat(again).isSameAs(a);
        assertThat(again.inFlight()).isEqualTo(1);
        assertThat(again.id()).isEqualTo("api/127.0.0.1:9001");
    }

    @Test
    void sameAddressInAnotherClusterIsAnotherEndpoint() {
        EndpointRegistry registry = new EndpointRegistry();
        HostPort address = new HostPort("127.0.0.1", 9001);
        assertThat(registry.endpoint("api", address)).isNotSameAs(registry.endpoint("web", address));
    }

    @Test
    void endpointsAreKeysByInstanceWithAHashTheirMonitorDoesNotMove() {
        // Two registries hand out two endpoints with one identity: a pool keyed by endpoint keeps them apart.
        HostPort address = new HostPort("127.0.0.1", 9001);
        Endpoint a = new EndpointRegistry().endpoint("api", address);
        Endpoint b = new EndpointRegistry().endpoint("api", address);
        int hash = a.hashCode();
        synchronized (a) {
            assertThat(a.hashCode()).isEqualTo(hash);
        }
        a.record(TryOutcome.SUCCESS, 1_000_000, System.nanoTime()); // takes the monitor, as every outcome does
        assertThat(a.hashCode()).isEqualTo(hash).isEqualTo(b.hashCode());
        assertThat(a).isNotEqualTo(b);
        Map<Endpoint, String> pool = new HashMap<>(Map.of(a, "a", b, "b"));
        assertThat(pool.get(a)).isEqualTo("a");
        assertThat(pool.get(b)).isEqualTo("b");
    }

    @Test
    void retainForgetsRemovedEndpointsAndClusters() {
        EndpointRegistry registry = new EndpointRegistry();
        Endpoint keep = registry.endpoint("api", new HostPort("127.0.0.1", 9001));
        registry.endpoint("api", new HostPort("127.0.0.1", 9002));
        registry.endpoint("old", new HostPort("127.0.0.1", 9003));
        registry.retain(Set.of("api"), Set.of(keep));
        assertThat(registry.all()).containsExactly(keep);
        assertThat(registry.clusterNames()).containsExactly("api");
    }

    @Test
    void aStageFindsLiveStateAndAddsNothingUntilCommitted() {
        EndpointRegistry registry = new EndpointRegistry();
        Endpoint live = registry.endpoint("api", new HostPort("127.0.0.1", 9001));
        EndpointRegistry.Stage stage = registry.stage();
        assertThat(stage.endpoint("api", new HostPort("127.0.0.1", 9001))).isSameAs(live);
        Endpoint fresh = stage.endpoint("api", new HostPort("127.0.0.1", 9002));
        stage.cluster("new");
        assertThat(registry.all()).containsExactly(live);
        assertThat(registry.clusterNames()).containsExactly("api");
        // Dropped: nothing changed. Committed: both are there, the fresh one as made.
        stage.commit();
        assertThat(registry.all()).containsExactlyInAnyOrder(live, fresh);
        assertThat(registry.clusterNames()).containsExactlyInAnyOrder("api", "new");
    }
}
