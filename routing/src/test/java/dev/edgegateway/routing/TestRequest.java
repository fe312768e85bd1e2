package dev.edgegateway.routing;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.Map;

/** A request for routing tests: set what a test needs. */
final class TestRequest implements RequestView {
    String method = "GET";
    String target = "/";
    final Map<String, String> headers = new HashMap<>();
    final Map<String, String> cookies = new HashMap<>();
    String address = "192.0.2.1";
    boolean trusted;

    static TestRequest get(String target) {
        TestRequest r = new TestRequest();
        r.target = target;
        return r;
    }

    TestRequest header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    TestRequest cookie(String name, String value) {
        cookies.put(name, value);
        return this;
    }

    TestRequest from(String address) {
        this.address = address;
        return this;
    }

    @Override
    public String method() {
        return method;
    }

    @Override
    public String target() {
        return target;
    }

    @Override
    public String header(String lowerCaseName) {
        return headers.get(lowerCaseName);
    }

    @Override
    public String cookie(String name) {
        return cookies.get(name);
    }

    @Override
    public byte[] clientAddress() {
        try {
            return InetAddress.getByName(address).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Override
    public String clientAddressText() {
        return address;
    }

    @Override
    public boolean fromTrustedProxy() {
        return trusted;
    }
}
