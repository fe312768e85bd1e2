package dev.edgegateway.config;

/** One cluster of a route's split and its weight (any non-negative integers; 0 drains it). */
public record WeightedCluster(String cluster, Integer weight) {
    public WeightedCluster {
        ConfigViolation.collector().require(cluster, "cluster").require(weight, "weight").throwIfAny();
        ConfigViolation.collector().check(weight >= 0 && weight <= 1_000_000, "weight", "must be 0 to 1000000").throwIfAny();
    }
}
