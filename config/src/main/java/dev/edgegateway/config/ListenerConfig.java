package dev.edgegateway.config;

/** A traffic listener: where clients connect. Port 0 binds any free port (tests). */
public record ListenerConfig(String name, HostPort address) {
    public ListenerConfig {
        ConfigViolation.collector().require(name, "name").require(address, "address").throwIfAny();
    }
}
