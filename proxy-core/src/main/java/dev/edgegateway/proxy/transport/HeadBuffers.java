package dev.edgegateway.proxy.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;

/**
 * A connection's allocator that takes the HTTP/1 encoder's heads and the socket's reads from its
 * event loop's kept buffers ({@link LoopBuffers}), handed out again once nothing else holds them,
 * instead of a new buffer per head and per read. A new buffer's memory is cold: the adaptive
 * allocator hands out chunk memory in order and reuses a segment only after many others, and the
 * profile put a stall on the first write into each new head (2-3% of the event loop's samples,
 * both encoders), as a cache miss looks; a read buffer's allocation and its release (the segment
 * handed back through the chunk's queue) were 3.3%. A kept buffer is warm: the loop used it last.
 *
 * <p>A read buffer is free again once the read's bytes have all been consumed: the decoders copy
 * heads out and hold body bytes as retained slices, so a body still on its way to the other side
 * keeps it busy, and the next read takes another meanwhile.
 *
 * <p>Bounded: a buffer larger than {@link #MAX_KEPT} ({@link #MAX_KEPT_READ} for reads) is not
 * kept, and a loop keeps {@link LoopBuffers#SLOTS} of each kind whatever its connections, so an
 * idle keep-alive connection holds none. Everything but {@link #buffer(int)} (what the encoders ask
 * for) and {@link #directBuffer(int)} (what Netty's native transports read into) is the channel's
 * allocator's. Anything else that asks for those (a decoder's cumulation as it grows, a local
 * answer's body) may get a kept one: it is then busy until that holder lets go. Kept buffers are
 * handed out only on the connection's own loop when that is a gateway loop's thread
 * ({@link LoopClock.LoopThread}); a call from anywhere else gets a new buffer.
 */
public final class HeadBuffers implements ByteBufAllocator {
    /** A head buffer grown past this (a large head) is not kept. */
    static final int MAX_KEPT = 4096;
    /** A read buffer larger than this (a bulk transfer's) is not kept. */
    static final int MAX_KEPT_READ = 16384;

    private final ByteBufAllocator alloc;
    private final Channel channel;

    private HeadBuffers(ByteBufAllocator alloc, Channel channel) {
        this.alloc = alloc;
        this.channel = channel;
    }

    /** Makes {@code ch}'s allocator hand out its loop's kept head and read buffers. */
    public static void install(Channel ch) {
        ch.config().setAllocator(new HeadBuffers(ch.config().getAllocator(), ch));
    }

    @Override
    public ByteBuf buffer(int initialCapacity) {
        LoopBuffers kept = kept();
        return kept == null ? alloc.buffer(initialCapacity) : kept.heads.take(alloc, initialCapacity);
    }

    /** The socket's reads ask for theirs here (Netty's native transports ask for direct I/O buffers). */
    @Override
    public ByteBuf directBuffer(int initialCapacity) {
        LoopBuffers kept = kept();
        return kept == null ? alloc.directBuffer(initialCapacity) : kept.reads.take(alloc, initialCapacity);
    }

    /** The loop's kept buffers, when called on the channel's own loop and that is a gateway loop; else null. */
    private LoopBuffers kept() {
        return Thread.currentThread() instanceof LoopClock.LoopThread t && channel.eventLoop().inEventLoop() ? t.buffers : null;
    }

    @Override
    public ByteBuf buffer() {
        return alloc.buffer();
    }

    @Override
    public ByteBuf buffer(int initialCapacity, int maxCapacity) {
        return alloc.buffer(initialCapacity, maxCapacity);
    }

    @Override
    public ByteBuf ioBuffer() {
        return alloc.ioBuffer();
    }

    @Override
    public ByteBuf ioBuffer(int initialCapacity) {
        return alloc.ioBuffer(initialCapacity);
    }

    @Override
    public ByteBuf ioBuffer(int initialCapacity, int maxCapacity) {
        return alloc.ioBuffer(initialCapacity, maxCapacity);
    }

    @Override
    public ByteBuf heapBuffer() {
        return alloc.heapBuffer();
    }

    @Override
    public ByteBuf heapBuffer(int initialCapacity) {
        return alloc.heapBuffer(initialCapacity);
    }

    @Override
    public ByteBuf heapBuffer(int initialCapacity, int maxCapacity) {
        return alloc.heapBuffer(initialCapacity, maxCapacity);
    }

    @Override
    public ByteBuf directBuffer() {
        return alloc.directBuffer();
    }

    @Override
    public ByteBuf directBuffer(int initialCapacity, int maxCapacity) {
        return alloc.directBuffer(initialCapacity, maxCapacity);
    }

    @Override
    public CompositeByteBuf compositeBuffer() {
        return alloc.compositeBuffer();
    }

    @Override
    public CompositeByteBuf compositeBuffer(int maxNumComponents) {
        return alloc.compositeBuffer(maxNumComponents);
    }

    @Override
    public CompositeByteBuf compositeHeapBuffer() {
        return alloc.compositeHeapBuffer();
    }

    @Override
    public CompositeByteBuf compositeHeapBuffer(int maxNumComponents) {
        return alloc.compositeHeapBuffer(maxNumComponents);
    }

    @Override
    public CompositeByteBuf compositeDirectBuffer() {
        return alloc.compositeDirectBuffer();
    }

    @Override
    public CompositeByteBuf compositeDirectBuffer(int maxNumComponents) {
        return alloc.compositeDirectBuffer(maxNumComponents);
    }

    @Override
    public boolean isDirectBufferPooled() {
        return alloc.isDirectBufferPooled();
    }

    @Override
    public int calculateNewCapacity(int minNewCapacity, int maxCapacity) {
        return alloc.calculateNewCapacity(minNewCapacity, maxCapacity);
    }
}
