package dev.edgegateway.routing;

import dev.edgegateway.config.ConfigException;
import dev.edgegateway.config.ConfigLoader;
import dev.edgegateway.health.EndpointRegistry;
import dev.edgegateway.health.HealthEvents;
import java.util.concurrent.atomic.AtomicLong;

/** Route tables compiled from YAML, for tests; a settable clock. */
final class Tables {
    final AtomicLong now = new AtomicLong(1_000_000_000_000L);
    final EndpointRegistry registry = new EndpointRegistry(HealthEvents.NONE, now::get);

    RouteTable compile(String yaml) {
        try {
            return RouteTable.compile(ConfigLoader.parse("listeners: [{name: l, address: 127.0.0.1:0}]\n" + yaml, "test.yaml", 1).config(), registry);
        } catch (ConfigException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }
}
