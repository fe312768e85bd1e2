package dev.edgegateway.proxy.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * An event loop's kept buffers, shared by all of its connections: a ring of slots for the HTTP/1
 * heads (what {@link HeadBuffers#buffer(int)} hands the encoders) and one for the sockets' reads
 * ({@link HeadBuffers#directBuffer(int)}). A take looks at the ring's next slot and hands out the
 * buffer there if nothing else holds it (the ring's own reference is its only one), else looks at
 * the next few; a slot with no buffer, or one too small for the ask, gets a new one, kept. When
 * every slot it looked at is held, the take is a new buffer, not kept.
 *
 * <p>Why a loop's and not a connection's: a buffer a connection kept for its next request has
 * gone cold by then when many connections take turns (at 256 connections on issue 24's host, each
 * of 512 client and origin connections comes back every 7-8 ms, all the others' objects and
 * buffers touched in between), so the kernel's copy into a read buffer and the encoder's into a
 * head buffer would each begin with cache misses (inferred: that host has no counters to show
 * them; the figure below is the evidence). A loop's ring is reused every {@link #SLOTS} takes: a
 * read buffer is free again as soon as the decoder has copied the head out (a body on its way
 * holds it until written), a head buffer once the turn's flush has sent it, so the ring's buffers
 * are the ones the loop touched last. Measured against a connection's own buffers, paired over
 * eight rounds: 1.05 us less CPU a request at 256 connections (8 of 8 rounds lower), 0.50 at 64,
 * not resolved there (benchmarks/README.md, issue 24's thirty-ninth step). It also
 * bounds what the buffers hold: {@link #SLOTS} of each kind per loop (heads at most
 * {@link HeadBuffers#MAX_KEPT} bytes, reads {@link HeadBuffers#MAX_KEPT_READ}), whatever the
 * number of connections, where a connection's kept buffers made it two per busy connection.
 *
 * <p>Confined to its loop's thread ({@link LoopClock.LoopThread#buffers}); released when the
 * thread ends. A buffer still held then is freed by its last holder.
 */
final class LoopBuffers {
    /** Slots per ring: a power of two. */
    static final int SLOTS = 64;
    /** Slots a take looks at before it settles for a new buffer it does not keep. */
    static final int PROBES = 4;

    final Ring heads = new Ring(HeadBuffers.MAX_KEPT, false);
    final Ring reads = new Ring(HeadBuffers.MAX_KEPT_READ, true);

    /** Gives every kept buffer back (the loop's thread is ending). */
    void release() {
        heads.release();
        reads.release();
    }

    /** One kind's ring: the buffers and the largest one it keeps. */
    static final class Ring {
        private final ByteBuf[] slots = new ByteBuf[SLOTS];
        private final int max;
        private final boolean direct;
        private int next;

        Ring(int max, boolean direct) {
            this.max = max;
            this.direct = direct;
        }

        /** A buffer of at least {@code initialCapacity} bytes; the caller owns one reference to it. */
        ByteBuf take(ByteBufAllocator alloc, int initialCapacity) {
            if (initialCapacity > max) {
                return fresh(alloc, initialCapacity);
            }
            for (int probe = 0; probe < PROBES; probe++) {
                int i = (next + probe) & (SLOTS - 1);
                ByteBuf b = slots[i];
                int capacity = 0;
                if (b != null) {
                    int refs = b.refCnt();
                    if (refs > 1) {
                        continue; // held: a head on its way out, a read's bytes in use
                    }
                    capacity = b.capacity();
                    if (refs == 1 && capacity >= initialCapacity && capacity <= max) {
                        next = (i + 1) & (SLOTS - 1);
                        return b.clear().retain();
                    }
                    if (refs == 1) {
                        b.release(); // too small for this ask, or grown past the bound while held
                    } // (0: a holder released the ring's share too; it is dropped, not released again)
                }
                // A new one at least as large as the one it replaces, so the slots settle at the sizes asked.
                ByteBuf f = fresh(alloc, Math.max(initialCapacity, capacity <= max ? capacity : 0));
                slots[i] = f.retain();
                next = (i + 1) & (SLOTS - 1);
                return f;
            }
            return fresh(alloc, initialCapacity);
        }

        private ByteBuf fresh(ByteBufAllocator alloc, int capacity) {
            return direct ? alloc.directBuffer(capacity) : alloc.buffer(capacity);
        }

        void release() {
            for (int i = 0; i < SLOTS; i++) {
                ByteBuf b = slots[i];
                slots[i] = null;
                if (b != null && b.refCnt() > 0) {
                    b.release();
                }
            }
        }
    }
}
