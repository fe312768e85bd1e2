package dev.edgegateway.proxy.transport;

import io.netty.bootstrap.AbstractBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * A socket the program was told to listen on that it cannot: the message names what it is (a
 * listener by its config name, the admin port, a demo origin), the address, the kernel's reason and
 * what an operator does about it, in one line, for {@code Main} to print instead of a stack trace.
 * Netty reports the same errno differently per transport ({@code bind(..) failed with error(-98):
 * Address already in use} on epoll and io_uring, {@code BindException: Address already in use} on
 * NIO), so the reason is read from the message's end, after any {@code ": "}.
 */
public final class BindFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private BindFailure(String message, Throwable cause) {
        super(message, cause);
    }

    /** Binds {@code bootstrap} to {@code address} and waits; a failure is a {@link BindFailure} naming {@code what}. */
    public static Channel bind(AbstractBootstrap<?, ?> bootstrap, SocketAddress address, String what) throws InterruptedException {
        ChannelFuture f = bootstrap.bind(address).await();
        if (f.isSuccess()) {
            return f.channel();
        }
        throw new BindFailure(message(what, address, f.cause()), f.cause());
    }

    static String message(String what, SocketAddress address, Throwable cause) {
        String where = String.valueOf(address);
        int port = -1;
        if (address instanceof InetSocketAddress a) {
            String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
            port = a.getPort();
            where = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
        String reason = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        int colon = reason.lastIndexOf(": ");
        if (colon >= 0) {
            reason = reason.substring(colon + 2);
        }
        String hint;
        if (reason.contains("already in use")) {
            hint = "another process listens there (ss -ltnp 'sport = :" + port + "' names it)";
        } else if (reason.contains("Permission denied") || reason.contains("Access denied")) {
            hint = "a port below 1024 needs root or CAP_NET_BIND_SERVICE; use a higher port, as the examples do";
        } else if (reason.contains("assign requested address")) {
            hint = "no interface of this machine has that address; 0.0.0.0 listens on all of them";
        } else {
            hint = null;
        }
        return what + ": cannot listen on " + where + ": " + reason + (hint == null ? "" : "; " + hint);
    }
}
