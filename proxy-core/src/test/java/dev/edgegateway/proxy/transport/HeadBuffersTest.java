package dev.edgegateway.proxy.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A connection's kept head buffer: handed out again only when nothing else holds it, and given back. */
class HeadBuffersTest {
    private static HeadBuffers installed(EmbeddedChannel ch) {
        // Unpooled under it: a pooled allocator recycles buffer objects, and identity is what is checked here.
        ch.config().setAllocator(new UnpooledByteBufAllocator(true));
        HeadBuffers.install(ch);
        return (HeadBuffers) ch.alloc();
    }

    @Test
    void theBufferComesBackOnceItsHeadHasBeenWritten_andNotWhileItIsHeld() {
        EmbeddedChannel ch = new EmbeddedChannel();
        HeadBuffers alloc = installed(ch);
        ByteBuf first = alloc.buffer(256);
        first.writeBytes(new byte[100]);
        ByteBuf whileHeld = alloc.buffer(256);
        assertThat(whileHeld).isNotSameAs(first); // the first head is still on its way out
        whileHeld.release();
        first.release(); // written: the outbound buffer lets go of it
        ByteBuf again = alloc.buffer(256);
        assertThat(again).isSameAs(first);
        assertThat(again.readableBytes()).isZero(); // cleared
        assertThat(again.refCnt()).isEqualTo(2); // the writer's and the connection's
        again.release();
        ch.close();
        assertThat(first.refCnt()).isZero(); // the close gave it back
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aQuietConnectionGivesItBack_andALargeHeadIsNotKept() {
        EmbeddedChannel ch = new EmbeddedChannel();
        HeadBuffers alloc = installed(ch);
        ByteBuf first = alloc.buffer(256);
        first.release();
        alloc.trim();
        assertThat(first.refCnt()).isZero();
        ByteBuf next = alloc.buffer(256);
        assertThat(next.refCnt()).isEqualTo(2); // a new one, kept
        next.writeBytes(new byte[HeadBuffers.MAX_KEPT + 1]); // grown past the bound while written
        next.release();
        ByteBuf after = alloc.buffer(256);
        assertThat(after).isNotSameAs(next);
        assertThat(next.refCnt()).isZero();
        after.release();
        ByteBuf large = alloc.buffer(HeadBuffers.MAX_KEPT + 1);
        assertThat(large.refCnt()).isEqualTo(1); // not kept: released by its writer alone
        large.release();
        ch.close();
        assertThat(after.refCnt()).isZero();
    }

    @Test
    void theReadBufferComesBackOnceItsBytesAreConsumed_separatelyFromTheHeads() {
        EmbeddedChannel ch = new EmbeddedChannel();
        HeadBuffers alloc = installed(ch);
        ByteBuf read = alloc.directBuffer(2048);
        read.writeBytes(new byte[1500]);
        ByteBuf body = read.readRetainedSlice(1000); // a body on its way to the other side
        read.release(); // the decoder is done with the read
        ByteBuf next = alloc.directBuffer(2048);
        assertThat(next).isNotSameAs(read); // the body still holds it
        next.release();
        assertThat(alloc.buffer(256)).isNotSameAs(read).satisfies(ByteBuf::release);
        body.release(); // written
        ByteBuf again = alloc.directBuffer(2048);
        assertThat(again).isSameAs(read);
        assertThat(again.readableBytes()).isZero();
        assertThat(alloc.directBuffer(HeadBuffers.MAX_KEPT_READ + 1)).satisfies(b -> assertThat(b.refCnt()).isEqualTo(1)).satisfies(ByteBuf::release);
        again.release();
        ch.close();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aClosedConnectionKeepsNothing() {
        EmbeddedChannel ch = new EmbeddedChannel();
        HeadBuffers alloc = installed(ch);
        ch.close();
        ByteBuf late = alloc.buffer(256);
        assertThat(late.refCnt()).isEqualTo(1);
        late.release();
    }

    @Test
    void theIdleTimersLookAtAQuietConnectionTrimsIt() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel(new IdleTimer(TimeUnit.MILLISECONDS.toNanos(40)));
        HeadBuffers alloc = installed(ch);
        ch.writeInbound("a request"); // activity: the first look only notes it
        ch.readInbound();
        ByteBuf head = alloc.buffer(256);
        head.release(); // written; kept
        assertThat(head.refCnt()).isEqualTo(1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (head.refCnt() > 0 && System.nanoTime() < deadline) {
            ch.runPendingTasks();
            Thread.sleep(5);
        }
        assertThat(head.refCnt()).isZero();
        ch.finishAndReleaseAll();
    }
}
