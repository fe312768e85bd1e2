package dev.edgegateway.bench;

import dev.edgegateway.routing.RequestView;

/** A fixed request for benchmarks: a target, one header, one cookie, an address. */
final class BenchRequest implements RequestView {
    String target;
    String session = "session-42";
    private final byte[] address = {(byte) 198, 51, 100, 7};

    BenchRequest(String target) {
        this.target = target;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String target() {
        return target;
    }

    @Override
    public String header(String lowerCaseName) {
        return lowerCaseName.equals("x-session") ? session : null;
    }

    @Override
    public String cookie(String name) {
        return null;
    }

    @Override
    public byte[] clientAddress() {
        return address;
    }

    @Override
    public String clientAddressText() {
        return "198.51.100.7";
    }

    @Override
    public boolean fromTrustedProxy() {
        return false;
    }
}
