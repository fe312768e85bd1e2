package dev.edgegateway.health;

/**
 * What health state changes the data plane wants to count (metrics, logs). Called on whatever
 * thread caused the change; implementations must be thread-safe and quick.
 */
public interface HealthEvents {
    HealthEvents NONE = new HealthEvents() {};

    default void ejected(Endpoint endpoint, long forNanos) {}

    default void breakerOpened(Endpoint endpoint) {}

    default void healthChanged(Endpoint endpoint, Endpoint.Health health) {}

    default void checked(Endpoint endpoint, boolean passed) {}
}
