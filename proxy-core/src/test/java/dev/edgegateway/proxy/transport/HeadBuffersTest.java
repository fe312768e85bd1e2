package dev.edgegateway.proxy.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A loop's kept buffers ({@link LoopBuffers}): handed out again only when nothing else holds them,
 * bounded, given back when the loop's thread ends; and the connections' allocator
 * ({@link HeadBuffers}) that takes from them on a gateway loop's thread only.
 */
class HeadBuffersTest {
    // Unpooled: a pooled allocator recycles buffer objects, and identity is what is checked here.
    private static final UnpooledByteBufAllocator ALLOC = new UnpooledByteBufAllocator(true);

    /** Takes {@code takes} buffers and gives each back at once: the ring moves on that many slots. */
    private static void goOn(LoopBuffers.Ring ring, int takes, int capacity) {
        for (int i = 0; i < takes; i++) {
            ring.take(ALLOC, capacity).release();
        }
    }

    @Test
    void aBufferComesBackOnceNothingHoldsIt_afterTheRingHasGoneRound() {
        LoopBuffers.Ring ring = new LoopBuffers.Ring(HeadBuffers.MAX_KEPT, false);
        ByteBuf first = ring.take(ALLOC, 256);
        first.writeBytes(new byte[100]);
        assertThat(first.refCnt()).isEqualTo(2); // the writer's and the ring's
        first.release(); // written: the outbound buffer lets go of it
        for (int i = 1; i < LoopBuffers.SLOTS; i++) {
            ByteBuf other = ring.take(ALLOC, 256);
            assertThat(other).isNotSameAs(first);
            other.release();
        }
        ByteBuf again = ring.take(ALLOC, 256);
        assertThat(again).isSameAs(first);
        assertThat(again.readableBytes()).isZero(); // cleared
        again.release();
        ring.release();
        assertThat(first.refCnt()).isZero();
    }

    @Test
    void aHeldBufferIsPassedOver_andWhenAllItLooksAtAreHeldATakeIsNotKept() {
        LoopBuffers.Ring ring = new LoopBuffers.Ring(HeadBuffers.MAX_KEPT, false);
        List<ByteBuf> held = new ArrayList<>();
        for (int i = 0; i < LoopBuffers.SLOTS; i++) {
            held.add(ring.take(ALLOC, 256)); // a turn's heads, none written yet
        }
        ByteBuf extra = ring.take(ALLOC, 256);
        assertThat(held).noneMatch(b -> b == extra); // by identity: buffers equal by content
        assertThat(extra.refCnt()).isEqualTo(1); // not kept: its writer alone holds it
        extra.release();
        held.get(1).release(); // one written
        ByteBuf reused = ring.take(ALLOC, 256); // the next slot's is still held; the one after is free
        assertThat(reused).isSameAs(held.get(1));
        reused.release();
        held.forEach(b -> {
            if (b != reused) {
                b.release();
            }
        });
        ring.release();
        assertThat(held).allSatisfy(b -> assertThat(b.refCnt()).isZero());
    }

    @Test
    void aSlotGrowsToTheSizesAsked_andABufferGrownPastTheBoundIsNotKept() {
        LoopBuffers.Ring ring = new LoopBuffers.Ring(HeadBuffers.MAX_KEPT, false);
        List<ByteBuf> taken = new ArrayList<>();
        for (int i = 0; i < LoopBuffers.SLOTS; i++) {
            ByteBuf b = ring.take(ALLOC, 256);
            taken.add(b);
            b.release();
        }
        ByteBuf larger = ring.take(ALLOC, 1024); // slot 0 again: its 256 bytes are too few
        assertThat(larger).isNotSameAs(taken.get(0));
        assertThat(taken.get(0).refCnt()).isZero(); // the small one given back
        assertThat(larger.capacity()).isGreaterThanOrEqualTo(1024);
        larger.writeBytes(new byte[HeadBuffers.MAX_KEPT + 1]); // grown past the bound while written
        larger.release();
        goOn(ring, LoopBuffers.SLOTS - 1, 256);
        ByteBuf after = ring.take(ALLOC, 256); // slot 0: the grown one is not handed out again
        assertThat(after).isNotSameAs(larger);
        assertThat(larger.refCnt()).isZero();
        after.release();
        ByteBuf tooLarge = ring.take(ALLOC, HeadBuffers.MAX_KEPT + 1);
        assertThat(tooLarge.refCnt()).isEqualTo(1); // not kept
        tooLarge.release();
        ring.release();
        assertThat(taken).allSatisfy(b -> assertThat(b.refCnt()).isZero());
    }

    @Test
    void aReadBufferComesBackOnlyOnceItsBodyHasBeenWritten() {
        LoopBuffers.Ring ring = new LoopBuffers.Ring(HeadBuffers.MAX_KEPT_READ, true);
        ByteBuf read = ring.take(ALLOC, 2048);
        assertThat(read.isDirect()).isTrue();
        read.writeBytes(new byte[1500]);
        ByteBuf body = read.readRetainedSlice(1000); // a body on its way to the other side
        read.release(); // the decoder is done with the read
        goOn(ring, LoopBuffers.SLOTS - 1, 2048);
        ByteBuf next = ring.take(ALLOC, 2048);
        assertThat(next).isNotSameAs(read); // the body still holds it
        next.release();
        body.release(); // written
        goOn(ring, LoopBuffers.SLOTS - 2, 2048);
        assertThat(ring.take(ALLOC, 2048)).isSameAs(read).satisfies(ByteBuf::release);
        ring.release();
        assertThat(read.refCnt()).isZero();
    }

    @Test
    void aConnectionOnALoopThreadTakesTheLoopsBuffers_elsewhereNewOnes_andTheLoopsEndGivesThemBack() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAllocator(ALLOC);
        HeadBuffers.install(ch);
        ByteBuf offLoop = ch.alloc().buffer(256);
        assertThat(offLoop.refCnt()).isEqualTo(1); // this test's thread is not a gateway loop's: not kept
        offLoop.release();

        CompletableFuture<ByteBuf[]> taken = new CompletableFuture<>();
        int[] refsOnLoop = new int[2];
        Thread loop = LoopClock.threads("head-buffers-test").newThread(() -> {
            ByteBuf head = ch.alloc().buffer(256);
            ByteBuf read = ch.alloc().directBuffer(2048);
            refsOnLoop[0] = head.refCnt();
            refsOnLoop[1] = read.refCnt();
            taken.complete(new ByteBuf[] {head, read});
        });
        loop.start();
        ByteBuf[] bufs = taken.get(30, TimeUnit.SECONDS);
        loop.join(TimeUnit.SECONDS.toMillis(30));
        assertThat(loop.isAlive()).isFalse();
        assertThat(refsOnLoop).containsExactly(2, 2); // kept while the thread lived: the ring's reference and the taker's
        // The thread's end gave the ring's back.
        assertThat(bufs[0].refCnt()).isEqualTo(1);
        assertThat(bufs[1].refCnt()).isEqualTo(1);
        assertThat(bufs[1].isDirect()).isTrue();
        bufs[0].release();
        bufs[1].release();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }
}
