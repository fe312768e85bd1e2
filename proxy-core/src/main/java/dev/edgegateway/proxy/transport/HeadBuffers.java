package dev.edgegateway.proxy.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;

/**
 * A connection's allocator that keeps one buffer for the HTTP/1 encoder's heads and one for the
 * socket's reads, and hands each out again once nothing else holds it, instead of a new buffer
 * per head and per read. A new buffer's memory is cold: the adaptive allocator hands out chunk
 * memory in order and reuses a segment only after many others, and the profile put a stall on
 * the first write into each new head (2-3% of the event loop's samples, both encoders), as a
 * cache miss looks; a read buffer's allocation and its release (the segment handed back through
 * the chunk's queue) were 3.3%. A kept buffer is warm: this connection used it last. HAProxy
 * keeps a buffer per active stream the same way.
 *
 * <p>A read buffer is free again once the read's bytes have all been consumed: the decoders copy
 * heads out and hold body bytes as retained slices, so a body still on its way to the other side
 * keeps it busy, and the next read takes a new one meanwhile.
 *
 * <p>Bounded: a buffer that grew past {@link #MAX_KEPT} ({@link #MAX_KEPT_READ} for reads) is not
 * kept, and a connection quiet for a quarter of its idle time gives its buffers back
 * ({@link #trim}, from {@link IdleTimer}), so idle keep-alive connections hold none. Everything
 * but {@link #buffer(int)} (what the encoders ask for) and {@link #directBuffer(int)} (what
 * Netty's native transports read into) is the channel's allocator's. Anything else that asks for
 * those while the kept buffer is free may get it (a decoder's cumulation as it grows, a local
 * answer's body): it is then busy until that holder lets go. Confined to the channel's event
 * loop; a call from another thread gets a new buffer.
 */
public final class HeadBuffers implements ByteBufAllocator {
    /** A head buffer grown past this (a large head) is not kept. */
    static final int MAX_KEPT = 4096;
    /** A read buffer larger than this (a bulk transfer's) is not kept. */
    static final int MAX_KEPT_READ = 16384;

    private final ByteBufAllocator alloc;
    private final Channel channel;
    /** The encoder's heads' ({@link #buffer(int)}) and the socket's reads' ({@link #directBuffer(int)}). */
    private final Kept heads = new Kept(MAX_KEPT);
    private final Kept reads = new Kept(MAX_KEPT_READ);

    private HeadBuffers(ByteBufAllocator alloc, Channel channel) {
        this.alloc = alloc;
        this.channel = channel;
    }

    /** Makes {@code ch}'s allocator keep its head and read buffers; they are released when the channel closes. */
    public static void install(Channel ch) {
        HeadBuffers b = new HeadBuffers(ch.config().getAllocator(), ch);
        ch.config().setAllocator(b);
        ch.closeFuture().addListener(f -> b.trim());
    }

    /** One kept buffer and the capacity past which it is not kept. */
    private static final class Kept {
        final int max;
        ByteBuf buf;

        Kept(int max) {
            this.max = max;
        }

        void trim() {
            ByteBuf b = buf;
            buf = null;
            if (b != null && b.refCnt() > 0) {
                b.release();
            }
        }
    }

    @Override
    public ByteBuf buffer(int initialCapacity) {
        return take(heads, initialCapacity, false);
    }

    /** The socket's reads ask for theirs here (Netty's native transports ask for direct I/O buffers). */
    @Override
    public ByteBuf directBuffer(int initialCapacity) {
        return take(reads, initialCapacity, true);
    }

    private ByteBuf take(Kept k, int initialCapacity, boolean direct) {
        if (!channel.eventLoop().inEventLoop()) {
            return fresh(initialCapacity, direct);
        }
        ByteBuf b = k.buf;
        if (b != null) {
            int refs = b.refCnt();
            if (refs > 1) {
                return fresh(initialCapacity, direct); // still held: a head on its way out, a read's bytes in use
            }
            if (refs == 1 && b.capacity() >= initialCapacity && b.capacity() <= k.max) {
                return b.clear().retain(); // nothing else holds it
            }
            k.trim();
        }
        ByteBuf fresh = fresh(initialCapacity, direct);
        if (channel.isOpen() && initialCapacity <= k.max) {
            k.buf = fresh.retain();
        }
        return fresh;
    }

    private ByteBuf fresh(int initialCapacity, boolean direct) {
        return direct ? alloc.directBuffer(initialCapacity) : alloc.buffer(initialCapacity);
    }

    /** Gives the kept buffers back (a quiet or closed connection); the next head or read takes a new one. */
    public void trim() {
        heads.trim();
        reads.trim();
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
