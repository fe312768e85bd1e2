package dev.edgegateway.proxy.upstream;

import io.netty.util.AttributeKey;

/** Channel attributes the gateway sets on its own channels. */
final class GatewayAttributes {
    static final AttributeKey<UpstreamConnection> CONNECTION = AttributeKey.valueOf("edge.upstream.connection");
    static final AttributeKey<H2OriginConnection> H2 = AttributeKey.valueOf("edge.upstream.h2");

    private GatewayAttributes() {}
}
