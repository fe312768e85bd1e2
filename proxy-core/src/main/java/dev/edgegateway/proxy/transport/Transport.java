package dev.edgegateway.proxy.transport;

import dev.edgegateway.config.RuntimeConfig;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.util.function.Supplier;

/**
 * The I/O transport, chosen once at start: epoll, else NIO by default; io_uring when configured.
 * Every channel the gateway opens (listeners, origin connections, DNS) uses the same one, so an
 * origin connection can live on the event loop of the client connection that asked for it.
 *
 * <p>{@code auto} prefers epoll over io_uring, though io_uring is the cheaper of the two where a
 * system call is dear. epoll makes the four system calls a proxied request needs (two
 * {@code recvfrom}, two {@code sendto}), io_uring submits a turn's work in one {@code io_uring_enter}.
 * On the host of issue 24's sixteenth step (a VM whose guest pays for every system call's entry;
 * benchmarks/README.md), {@code compare.py --limiters --transports}: io_uring's CPU per request
 * 2.4-6.4 us lower at 256 connections in three runs (every round), at 64 connections 1.5-2.0 us
 * lower in two and 0.7 higher in the third; on the earlier host the two were level. Two things
 * keep it from being the default. On io_uring, an origin connection the gateway cuts after a
 * client's broken chunked body ({@code OriginResponseTest}) stays established: its descriptor
 * closed, its socket held by an operation in the ring that never completes, so the origin never
 * sees the cut; at shutdown the loop waits for that operation in Netty 4.2.18's
 * {@code IoUringIoHandler.prepareToDestroy} (the suite hung there; {@code Gateway.close} now bounds
 * that wait). Not yet understood: a minimal Netty program does not reproduce it. And the default
 * seccomp profiles of Docker 25+ and containerd 2.0+ ({@code RuntimeDefault}, which the generated
 * EKS manifests set) refuse io_uring's system calls, so an io_uring-first default would run one
 * transport on a developer's machine and another in production; epoll is the same everywhere.
 * Name io_uring only where CPU at high connection counts matters more than both;
 * {@code edge_transport_info} says which transport serves.
 */
public record Transport(
        String name,
        Supplier<IoHandlerFactory> ioHandlerFactory,
        Class<? extends ServerChannel> serverChannelClass,
        Class<? extends SocketChannel> socketChannelClass,
        Class<? extends DatagramChannel> datagramChannelClass) {

    private static final Transport IO_URING = new Transport("io_uring", () -> LoopIoHandler.wrap(IoUringIoHandler.newFactory()),
            IoUringServerSocketChannel.class, IoUringSocketChannel.class, IoUringDatagramChannel.class);
    private static final Transport EPOLL = new Transport("epoll", () -> LoopIoHandler.wrap(EpollIoHandler.newFactory()),
            EpollServerSocketChannel.class, EpollSocketChannel.class, EpollDatagramChannel.class);
    private static final Transport NIO = new Transport("nio", () -> LoopIoHandler.wrap(NioIoHandler.newFactory()),
            NioServerSocketChannel.class, NioSocketChannel.class, NioDatagramChannel.class);

    /**
     * The transport to use. {@code auto} falls back quietly; naming a transport the machine
     * cannot run is an error that says why.
     */
    public static Transport select(RuntimeConfig.Transport wanted) {
        return switch (wanted) {
            case AUTO -> Epoll.isAvailable() ? EPOLL : NIO;
            case IO_URING -> require(IO_URING, IoUring.isAvailable(), IoUring.unavailabilityCause());
            case EPOLL -> require(EPOLL, Epoll.isAvailable(), Epoll.unavailabilityCause());
            case NIO -> NIO;
        };
    }

    /** Why the native transports that were not chosen are unavailable, for the start-up log line. */
    public static String unavailableReasons() {
        return Epoll.isAvailable() ? "" : "epoll unavailable: " + Epoll.unavailabilityCause();
    }

    private static Transport require(Transport t, boolean available, Throwable cause) {
        if (!available) {
            throw new IllegalStateException("runtime.transport is " + t.name + " but it cannot be used here: " + cause, cause);
        }
        return t;
    }

    public EventLoopGroup newGroup(int threads, String threadPrefix) {
        return new MultiThreadIoEventLoopGroup(threads, LoopClock.threads(threadPrefix), ioHandlerFactory.get());
    }
}
