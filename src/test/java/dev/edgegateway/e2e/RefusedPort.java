package dev.edgegateway.e2e;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A loopback port that refuses every connect for as long as this is open: a TCP socket bound to
 * it and never listening, so the kernel answers a SYN with a reset. Holding the port, unlike a
 * listener opened and closed to learn a free number, keeps the kernel from giving it to an origin
 * the test starts next (which then made a config list one endpoint twice).
 */
final class RefusedPort implements AutoCloseable {
    private final Socket socket = new Socket();

    RefusedPort() throws IOException {
        socket.setReuseAddress(false); // a listener with SO_REUSEADDR may not share the port either
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    int port() {
        return socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
