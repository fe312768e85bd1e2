package dev.edgegateway.proxy.upstream;

import io.netty.util.AttributeKey;

/** Channel attributes the gateway sets on its own channels. */
final class GatewayAttributes {
    static final AttributeKey<UpstreamConnection> CONNECTION = AttributeKey.valueOf("edge.upstream.connection");

    private GatewayAttributes() {}
}
