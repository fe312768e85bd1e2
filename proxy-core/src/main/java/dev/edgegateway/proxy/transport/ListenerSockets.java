package dev.edgegateway.proxy.transport;

import io.netty.channel.Channel;
import io.netty.channel.unix.UnixChannel;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A traffic listener's accepted connections start with their ACKs delayed ({@code TCP_QUICKACK}
 * off on the listening socket once it listens, as HAProxy's {@code tcp-smart-accept}, on by default
 * for its HTTP frontends, does). A new connection starts in the kernel's quick-ACK mode, which
 * acknowledges the client's first request with a bare ACK the moment it arrives; a connection
 * accepted from a listener in delayed-ACK mode starts in that mode, so the ACK rides on the
 * gateway's answer instead, one packet fewer for every new connection. If no answer is sent within
 * the delayed-ACK timer (40 ms), the kernel sends the ACK then and leaves delayed-ACK mode for that
 * connection; nothing waits on it (a client's retransmission timer is 200 ms or more). Measured on
 * loopback (benchmarks/README.md, issue 24's forty-second step): a new connection's server side
 * sent 2 segments before, 1 now, as HAProxy's does.
 *
 * <p>It must be set after {@code listen()}, which resets the socket's ACK state, so it is set here
 * once the listener is bound, not as a channel option. Netty keeps the setter package-private on
 * epoll's and io_uring's sockets, so it is looked up reflectively, once per socket class (the Netty
 * jars are on the class path, whose packages are open); NIO has none, and its listeners are left as
 * they are. An epoll or io_uring listener it cannot be set on serves as before, and that is logged;
 * {@code TransportTest} fails on a Netty where it cannot be set on epoll or io_uring, so an upgrade
 * cannot lose it unnoticed.
 */
public final class ListenerSockets {
    private static final Logger log = LoggerFactory.getLogger(ListenerSockets.class);

    private static final ClassValue<MethodHandle> SET_QUICK_ACK = new ClassValue<>() {
        @Override
        protected MethodHandle computeValue(Class<?> socket) {
            try {
                return MethodHandles.privateLookupIn(socket, MethodHandles.lookup())
                        .findVirtual(socket, "setTcpQuickAck", MethodType.methodType(void.class, boolean.class));
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        }
    };

    private ListenerSockets() {}

    /**
     * Turns quick ACKs off on a bound listener, so its connections' first requests are acknowledged
     * by their answers; logs where an epoll or io_uring socket has no such setter.
     */
    public static void delayFirstAcks(Channel listener) {
        if (!(listener instanceof UnixChannel u)) {
            return; // NIO: no TCP_QUICKACK through Netty
        }
        Object socket = u.fd();
        MethodHandle set = SET_QUICK_ACK.get(socket.getClass());
        Throwable failure = null;
        if (set != null) {
            try {
                set.invoke(socket, false);
                return;
            } catch (Throwable e) {
                failure = e;
            }
        }
        log.warn("listener {}: could not turn quick ACKs off ({}); its connections' first requests get a bare ACK each",
                listener.localAddress(), failure != null ? failure.toString() : "no setter on " + socket.getClass().getName());
    }
}
