package dev.edgegateway.proxy.transport;

import dev.edgegateway.proxy.transport.LoopClock.LoopThread;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundInvoker;
import io.netty.util.concurrent.EventExecutor;
import java.util.Arrays;

/**
 * Flushes issued while an event loop processes its ready sockets, done together once they all
 * have been: after the loop's I/O ({@link LoopIoHandler}, which wraps every transport's handler),
 * before its tasks and before it waits again. An exchange's
 * request goes to the origin, and its response to the client, in the read that completes them;
 * flushed there and then, each send woke a peer that had gone back to sleep since the last one
 * (the loopback's wake-up of the reader showed as the largest kernel difference from HAProxy,
 * whose sends go out after its poller's events have been processed, as these now do). Sent in a
 * burst, one wake-up serves many. A send waits at most for the rest of the ready sockets' reads, and
 * behind at most {@link #BATCH} - 1 other flushes.
 *
 * <p>On io_uring a flush sends nothing itself: it queues a send in the submission ring, and the
 * loop submits the turn's queue in one {@code io_uring_enter} once it has processed what was ready.
 * The burst is the ring's there, so a flush is done at once ({@link #sendsQueued}): the send is
 * queued while the exchange's channel, buffers and outbound queue are still in the cache, not
 * after the rest of the turn has gone through it (at 256 connections a turn is 256 requests).
 * The loop may then process the answer in the same turn, so such a flush ends the turn's hold
 * on the clock ({@link LoopClock#sent}).
 * Measured on issue 24's host (benchmarks/README.md, twenty-second step), paired against deferred
 * flushes: at 64 connections -0.85 and -0.80 us/req in two A/Bs (lower in 5 of 6 and 5 of 8 rounds),
 * the rate 1.053x and 1.046x; at 256 +1.00, -0.05 and -1.70 us/req in three, so level or better.
 *
 * <p>A turn holds at most {@link #BATCH} flushes: the batch goes out mid-turn when it is full.
 * Measured on issue 24's host (benchmarks/README.md, thirty-third step), paired against no cap: at
 * 256 connections the p99 0.98 ms lower (resolved), the CPU level; at 64 the stalls of 0.8 ms and
 * more 5.6 a second against 7.2 ({@code --stalls}), the p99 0.23 ms lower against the build before
 * in one A/B and 0.28 higher in another (neither resolved); a cap of 8 was no better than 16.
 *
 * <p>Only where the channel belongs to the calling {@link LoopThread}; anything else is flushed
 * at once. A channel named twice in a turn is flushed twice, the second time with nothing to do.
 * A close drops what was written and not flushed: a client connection is flushed before it is
 * closed (every close of one does so); an origin connection is closed unflushed only when its
 * exchange abandons it.
 */
public final class LoopFlushes implements Runnable {
    /**
     * The most flushes a turn holds: the batch goes out mid-turn once this many are waiting. A turn
     * after a stall of the loop's CPU holds every connection's input (at 64 connections about 64
     * reads, about 0.8 ms of work by an estimate of half a request's CPU a read), and a batch held to
     * its end kept the whole pipeline idle meanwhile; 16 leaves a turn with fewer untouched and
     * restarts the peers early after a stall. How many turns hold more was not counted.
     */
    static final int BATCH = 16;
    /** Channels, or handlers' contexts (a flush from the handler's place in its pipeline). */
    private ChannelOutboundInvoker[] channels = new ChannelOutboundInvoker[64];
    private ChannelOutboundInvoker[] spare = new ChannelOutboundInvoker[64];
    private int count;
    /** Set by {@link LoopIoHandler} while its loop processes ready sockets: it runs the batch when they are done. */
    boolean inIo;
    /** Set by {@link LoopIoHandler} on an io_uring loop, whose flushes only queue sends for the turn's submission: flushed at once. */
    boolean sendsQueued;
    private boolean running;

    LoopFlushes() {}

    /** Flushes {@code ch} once this turn of its event loop has processed its ready sockets; on io_uring, and off the channel's loop, at once. */
    public static void later(Channel ch) {
        later(ch, ch.eventLoop());
    }

    /**
     * As {@link #later(Channel)}, the flush issued from {@code ctx}: it passes the handlers before
     * that one, not the whole pipeline from its tail (the last handler's context: the same handlers).
     */
    public static void later(ChannelHandlerContext ctx) {
        later(ctx, ctx.executor());
    }

    private static void later(ChannelOutboundInvoker target, EventExecutor loop) {
        if (!(Thread.currentThread() instanceof LoopThread t) || !loop.inEventLoop()) {
            target.flush();
        } else if (t.flushes.sendsQueued) {
            target.flush();
            LoopClock.sent(t); // its answer may come in this turn: timed from a new reading
        } else if (t.flushes.add(target, loop)) {
            LoopClock.sent(t); // the batch went out mid-turn: as above
        }
    }

    /** True when this add ran the batch (it was full, mid-turn; not from within a batch's own flushes). */
    private boolean add(ChannelOutboundInvoker target, EventExecutor loop) {
        if (count == channels.length) {
            channels = Arrays.copyOf(channels, count * 2);
        }
        channels[count++] = target;
        if (count == 1 && !inIo) {
            loop.execute(this);
        } else if (count >= BATCH && inIo && !running) {
            run();
            return true;
        }
        return false;
    }

    @Override
    public void run() {
        // A flush can lead to more (a write's listener): those join a new batch, behind this one.
        int n = count;
        ChannelOutboundInvoker[] batch = channels;
        channels = spare;
        spare = batch;
        count = 0;
        running = true;
        try {
            for (int i = 0; i < n; i++) {
                ChannelOutboundInvoker target = batch[i];
                batch[i] = null;
                target.flush();
            }
        } finally {
            running = false;
        }
    }
}
