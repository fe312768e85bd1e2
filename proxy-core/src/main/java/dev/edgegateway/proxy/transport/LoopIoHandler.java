package dev.edgegateway.proxy.transport;

import dev.edgegateway.proxy.transport.LoopClock.LoopThread;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoRegistration;
import io.netty.util.concurrent.ThreadAwareExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An event loop's I/O handler (epoll's, io_uring's, NIO's) with {@link LoopFlushes} run as soon as it has
 * processed the ready sockets: the flushes a turn's reads asked for no longer go through the
 * loop's task queue (an MPSC offer and a task per turn: {@code SingleThreadEventExecutor.execute}
 * was 0.75% of the event loop's samples, benchmarks/README.md) but are done right there,
 * still before the loop's tasks and its next wait. A flush asked for anywhere else on the loop
 * (a task, a timer) is queued as a task, as before. The wrapper is only the loop's: a channel's
 * registration is the inner handler's (io_uring's channels take their handler from it).
 */
final class LoopIoHandler implements IoHandler {
    private static final Logger log = LoggerFactory.getLogger(LoopIoHandler.class);

    private final IoHandler io;
    private LoopFlushes flushes;

    private LoopIoHandler(IoHandler io) {
        this.io = io;
    }

    /** {@code inner}'s handlers, each wrapped. */
    static IoHandlerFactory wrap(IoHandlerFactory inner) {
        return new IoHandlerFactory() {
            @Override
            public IoHandler newHandler(ThreadAwareExecutor executor) {
                return new LoopIoHandler(inner.newHandler(executor));
            }

            @Override
            public boolean isChangingThreadSupported() {
                return inner.isChangingThreadSupported();
            }
        };
    }

    @Override
    public int run(IoHandlerContext context) {
        LoopFlushes f = flushes;
        if (f == null) {
            if (!(Thread.currentThread() instanceof LoopThread t)) {
                return io.run(context); // not a gateway loop's thread: flushes are immediate there
            }
            f = flushes = t.flushes;
        }
        f.inIo = true;
        LoopClock.enter(); // the turn's reads share one reading of the clock, taken when first asked for
        int handled;
        try {
            handled = io.run(context);
        } finally {
            LoopClock.exit();
            f.inIo = false;
        }
        try {
            f.run();
        } catch (Throwable e) {
            log.warn("a batched flush failed", e); // as the loop would have logged it from a task
        }
        return handled;
    }

    @Override
    public void initialize() {
        io.initialize();
    }

    @Override
    public void prepareToDestroy() {
        io.prepareToDestroy();
    }

    @Override
    public void destroy() {
        io.destroy();
    }

    @Override
    public IoRegistration register(IoHandle handle) throws Exception {
        return io.register(handle);
    }

    @Override
    public void wakeup() {
        io.wakeup();
    }

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
        return io.isCompatible(handleType);
    }
}
