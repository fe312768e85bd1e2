package dev.edgegateway.config;

/**
 * A validated config as published to the gateway: the model, where it came from, its generation
 * (1 for the first config a process loads, then one more per accepted reload) and a content hash.
 */
public record ConfigSnapshot(GatewayConfig config, String source, long generation, String sha256) {}
