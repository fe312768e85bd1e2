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
import io.netty.channel.uring.IoUringIoHandlerConfig;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.internal.SystemPropertyUtil;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The I/O transport, chosen once at start: epoll, else NIO ({@code auto}); or the one
 * {@code runtime.transport} names, io_uring included. Every channel the gateway opens (listeners,
 * origin connections, DNS) uses the same one, so an origin connection can live on the event loop
 * of the client connection that asked for it.
 *
 * <p>Why not io_uring by default, though it is the cheaper one at high concurrency: epoll makes the
 * four system calls a proxied request needs (two {@code recvfrom}, two {@code sendto}) and a wait;
 * io_uring queues a turn's sends and receives and submits them in one {@code io_uring_enter}. On
 * the host of issue 24's sixteenth and seventeenth steps its CPU per request at 256 connections
 * was 2.4-6.4 us lower than epoll's (at 64 a little higher: 0.957x epoll's req/s, +0.75 us/req;
 * benchmarks/README.md). It was {@code auto}'s first choice from 2026-12-02 to 2026-12-03, and in
 * that time glibc's heap checks aborted the end-to-end suite's JVM (on it) four times in CI (a
 * freed chunk's link overwritten: a write into memory already freed), in a different test each
 * time and never on a developer machine; none in about 18 CI runs on epoll before. The cause was
 * not found (docs/architecture.md, "Transport", says what was checked), and an edge whose heap may
 * be corrupted is not one to run by default, whatever it saves. So io_uring serves only where it
 * is named, and is tested there ({@code TransportTest}, the transport unit tests); the rest of the
 * suite runs on {@code auto}. A bug of ours that only io_uring showed was found and fixed: a read
 * asked for on an origin connection after the exchange had cut it left a poll the close never
 * cancelled, so the socket stayed established and the loop's teardown waited for ever.
 *
 * <p>Named, io_uring is refused where the kernel or a seccomp profile forbids it: the default
 * profiles of Docker 25+ and containerd 2.0+ ({@code RuntimeDefault}, which the generated EKS
 * manifests set) refuse its system calls. The start-up line and {@code edge_transport_info} say
 * which transport serves. Named, it is also logged as a warning at start ({@link #CAUTION}): an
 * operator who turns it on learns what it was seen to do, from the log rather than from a crash.
 */
public record Transport(
        String name,
        IntFunction<IoHandlerFactory> ioHandlerFactory,
        Class<? extends ServerChannel> serverChannelClass,
        Class<? extends SocketChannel> socketChannelClass,
        Class<? extends DatagramChannel> datagramChannelClass) {

    /**
     * The submission queue's entries on a traffic loop's io_uring (Netty's default, 128, elsewhere;
     * {@code -Dio.netty.iouring.ringSize} overrides both). What a loop queues in one turn (a send
     * and a receive per connection it served) is submitted in one {@code io_uring_enter} at the
     * turn's end; a queue that fills sooner is submitted there and then, in the middle of the turn.
     * With 128 entries at 256 connections that was 12% of the gateway's CPU samples (submissions
     * from a full queue under {@code flush}), and 4096 entries cost 2.85 us/request less, paired
     * over four rounds, with a higher rate in each (benchmarks/README.md, issue 24's twentieth step).
     * The rings are 256 KiB of submission entries per traffic loop, allocated once at start.
     */
    static final int TRAFFIC_RING_ENTRIES = SystemPropertyUtil.getInt("io.netty.iouring.ringSize", 4096);

    /**
     * The completion queue's entries per submission entry on a traffic loop's io_uring: four (the
     * kernel's own default is two; Netty's is 4096 whatever the submission queue). With as many
     * completion entries as submission entries, a turn that queued many sends and receives, with
     * the multishot accepts' and the cancels' completions on top, overflowed the completion queue
     * under connection churn: the completions wait in the kernel for the next turn, and Netty logs
     * a warning for each overflow it sees. Measured on loopback (clients connecting, pipelining and
     * resetting against a gateway started and stopped twice a second): 6 to 12 such warnings per
     * 100 restarts with 4096 completion entries (five runs), none in 300 with 16,384 (three runs;
     * 4 in a fourth that shared the CPUs with the test suite). 256 KiB per traffic loop, allocated once;
     * its CPU per request, against 4096 in paired rounds of issue 24's harness ({@code --baseline-jar}),
     * was within the noise: +0.05 us at 256 connections, -1.35 and +0.50 us at 64 (4 and 6 rounds).
     */
    static final int COMPLETIONS_PER_SUBMISSION = 4;

    // Each transport's handler factory takes a submission queue's entries (0: Netty's default); only io_uring has one.
    private static final Transport IO_URING = new Transport("io_uring",
            ring -> ring == 0 ? IoUringIoHandler.newFactory()
                    : IoUringIoHandler.newFactory(new IoUringIoHandlerConfig().setRingSize(ring).setCqSize(COMPLETIONS_PER_SUBMISSION * ring)),
            IoUringServerSocketChannel.class, IoUringSocketChannel.class, IoUringDatagramChannel.class);
    private static final Transport EPOLL = new Transport("epoll", ring -> EpollIoHandler.newFactory(),
            EpollServerSocketChannel.class, EpollSocketChannel.class, EpollDatagramChannel.class);
    private static final Transport NIO = new Transport("nio", ring -> NioIoHandler.newFactory(),
            NioServerSocketChannel.class, NioSocketChannel.class, NioDatagramChannel.class);

    /**
     * The transport to use. {@code auto} falls back quietly; naming a transport the machine
     * cannot run is an error that says why.
     */
    public static Transport select(RuntimeConfig.Transport wanted) {
        return switch (wanted) {
            case AUTO -> Epoll.isAvailable() ? EPOLL : NIO;
            case IO_URING -> {
                Transport t = require(IO_URING, IoUring.isAvailable(), IoUring.unavailabilityCause());
                log.warn(CAUTION);
                yield t;
            }
            case EPOLL -> require(EPOLL, Epoll.isAvailable(), Epoll.unavailabilityCause());
            case NIO -> NIO;
        };
    }

    /** Logged when io_uring is named: what it was seen to do, and where the rest is written down. */
    public static final String CAUTION = "runtime.transport is io_uring, which is not the default: while it was, glibc's heap checks"
            + " aborted this project's test suite JVM four times in CI (memory written after it was freed; the cause was not found)."
            + " Prefer auto (epoll) unless you have measured the gain on your hosts; docs/architecture.md, \"Transport\", says what was checked";

    private static final Logger log = LoggerFactory.getLogger(Transport.class);

    /** Why {@code auto} passed over epoll, for the start-up log line ("" if it did not). */
    public static String unavailableReasons() {
        return Epoll.isAvailable() ? "" : "epoll unavailable: " + Epoll.unavailabilityCause();
    }

    private static Transport require(Transport t, boolean available, Throwable cause) {
        if (!available) {
            throw new IllegalStateException("runtime.transport is " + t.name + " but it cannot be used here: " + cause, cause);
        }
        return t;
    }

    /** Which of {@code runtime.transport}'s named values this is. */
    public RuntimeConfig.Transport kind() {
        return RuntimeConfig.Transport.valueOf(name.toUpperCase(java.util.Locale.ROOT));
    }

    /** Event loops for a few sockets (the acceptor, the admin server, tests): the transport's defaults, no spin. */
    public EventLoopGroup newGroup(int threads, String threadPrefix) {
        return new MultiThreadIoEventLoopGroup(threads, LoopClock.threads(threadPrefix),
                LoopIoHandler.wrap(ioHandlerFactory.apply(0), 0, 0));
    }

    /**
     * The event loops that carry traffic: on io_uring with a submission queue of
     * {@link #TRAFFIC_RING_ENTRIES} and {@link #COMPLETIONS_PER_SUBMISSION} times as many completion
     * entries, and polling for up to {@code idleSpinNanos}, then napping {@code idleNapNanos} at a
     * time while recently busy, before they block ({@link LoopIoHandler}).
     */
    public EventLoopGroup newTrafficGroup(int threads, String threadPrefix, long idleSpinNanos, long idleNapNanos) {
        return new MultiThreadIoEventLoopGroup(threads, LoopClock.threads(threadPrefix),
                LoopIoHandler.wrap(ioHandlerFactory.apply(TRAFFIC_RING_ENTRIES), idleSpinNanos, idleNapNanos));
    }
}
