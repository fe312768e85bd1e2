package dev.edgegateway.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.config.HostPort;
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
    void retainAllForgetsRemovedEndpoints() {
        EndpointRegistry registry = new EndpointRegistry();
        Endpoint keep = registry.endpoint("api", new HostPort("127.0.0.1", 9001));
        registry.endpoint("api", new HostPort("127.0.0.1", 9002));
        registry.retainAll(Set.of(keep));
        assertThat(registry.all()).containsExactly(keep);
    }
}
