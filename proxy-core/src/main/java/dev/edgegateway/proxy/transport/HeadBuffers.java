package dev.edgegateway.proxy.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;

/**
 * A connection's allocator that keeps one buffer for the HTTP/1 encoder's heads and hands it out
 * again once the last head written from it has left (nothing else holds it), instead of a new
 * buffer per head. A new buffer's memory is cold: the adaptive allocator hands out chunk memory
 * in order and reuses a segment only after many others, and the profile put a stall on the first
 * write into each new head (2-3% of the event loop's samples, both encoders), as a cache miss
 * looks. The kept buffer is warm: this connection wrote its last head into it. HAProxy keeps a
 * buffer per active stream the same way.
 *
 * <p>Bounded: a buffer that grew past {@link #MAX_KEPT} is not kept, and a connection quiet for
 * a quarter of its idle time gives its buffer back ({@link #trim}, from {@link IdleTimer}), so
 * idle keep-alive connections hold none. Everything but {@link #buffer(int)} (what the encoders
 * ask for) is the channel's allocator's. Anything else that asks for {@code buffer(int)} while
 * the kept buffer is free may get it (a decoder's cumulation as it grows, a local answer's body):
 * it is then busy until that holder lets go, and the encoder takes new buffers meanwhile.
 * Confined to the channel's event loop; a call from another thread gets a new buffer.
 */
public final class HeadBuffers implements ByteBufAllocator {
    /** A head buffer grown past this (a large head) is not kept. */
    static final int MAX_KEPT = 4096;

    private final ByteBufAllocator alloc;
    private final Channel channel;
    private ByteBuf kept;

    private HeadBuffers(ByteBufAllocator alloc, Channel channel) {
        this.alloc = alloc;
        this.channel = channel;
    }

    /** Makes {@code ch}'s allocator keep its head buffer; the buffer is released when the channel closes. */
    public static void install(Channel ch) {
        HeadBuffers b = new HeadBuffers(ch.config().getAllocator(), ch);
        ch.config().setAllocator(b);
        ch.closeFuture().addListener(f -> b.trim());
    }

    @Override
    public ByteBuf buffer(int initialCapacity) {
        if (!channel.eventLoop().inEventLoop()) {
            return alloc.buffer(initialCapacity);
        }
        ByteBuf b = kept;
        if (b != null) {
            int refs = b.refCnt();
            if (refs > 1) {
                return alloc.buffer(initialCapacity); // still being written: a head of its own
            }
            if (refs == 1 && b.capacity() >= initialCapacity && b.capacity() <= MAX_KEPT) {
                return b.clear().retain(); // nothing else holds it: its last head has been written
            }
            trim();
        }
        ByteBuf fresh = alloc.buffer(initialCapacity);
        if (channel.isOpen() && initialCapacity <= MAX_KEPT) {
            kept = fresh.retain();
        }
        return fresh;
    }

    /** Gives the kept buffer back (a quiet or closed connection); the next head takes a new one. */
    public void trim() {
        ByteBuf b = kept;
        kept = null;
        if (b != null && b.refCnt() > 0) {
            b.release();
        }
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
    public ByteBuf directBuffer(int initialCapacity) {
        return alloc.directBuffer(initialCapacity);
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
