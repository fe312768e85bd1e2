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
 * <p>{@code auto} prefers epoll over io_uring. With Netty 4.2 on Linux 6.18, in two runs of
 * {@code benchmarks/load/compare.py --transports}, epoll's p99 at 64 connections is lower (2.53
 * and 2.47 ms against 2.66 and 2.84) at the same requests/s, while at 256 io_uring does 1-4% more
 * requests/s at a level p99. io_uring's edge is kernel time: epoll makes the four system calls a
 * proxied request needs (two {@code recvfrom}, two {@code writev}; {@code strace -c}), io_uring
 * submits a loop iteration's work in one {@code io_uring_enter} (one per ~18 requests at 256
 * connections), which saves 1-3 µs of system time per request; user time is level. The default
 * seccomp profiles of Docker 25+ and containerd 2.0+ ({@code RuntimeDefault}, which the generated
 * EKS manifests set) refuse io_uring's system calls, so an io_uring-first default would run one
 * transport on a developer's machine and another in production; epoll is the same everywhere.
 * Name io_uring where the host allows it and CPU at high connection counts matters more than
 * tail latency.
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
