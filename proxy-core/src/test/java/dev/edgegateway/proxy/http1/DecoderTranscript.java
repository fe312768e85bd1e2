package dev.edgegateway.proxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * What an HTTP/1 decoder made of some bytes, as text to compare with another decoder's: each
 * head (its line, then its fields in order per name: a decoder may move a field it rewrites to
 * the end, and the relative order of same-named fields is what carries meaning), each body whole
 * with its trailers, raw bytes after an upgrade; and whether anything failed, after which nothing
 * more is recorded.
 */
final class DecoderTranscript extends ChannelInboundHandlerAdapter {
    final List<String> messages = new ArrayList<>();
    boolean failed;
    private StringBuilder body = new StringBuilder();

    /**
     * Tallies one decoder's transcripts against an oracle's (Netty's decoder) over generated
     * cases, each with at most one named defect: wherever the oracle refuses, ours must too; ours
     * may refuse more only for the defects in {@code stricter}; where both accept, the
     * transcripts are equal, and where ours refused, equal up to the failure.
     */
    static final class Oracle {
        private final String name;
        private final Set<String> stricter;
        /** Per defect: both accepted, both refused, only ours refused. */
        private final Map<String, int[]> stats = new TreeMap<>();
        private int compared;
        private int refusedByBoth;

        Oracle(String name, Set<String> stricter) {
            this.name = name;
            this.stricter = stricter;
        }

        void check(DecoderTranscript ours, DecoderTranscript oracle, String defect, int round, String text) {
            stats.computeIfAbsent(defect, k -> new int[3])[oracle.failed ? 1 : ours.failed ? 2 : 0]++;
            String what = "case " + round + " (" + defect + "):\n" + text.replace("\r", "\\r").replace("\n", "\\n\n");
            if (oracle.failed) {
                assertThat(ours.failed).as("Netty refuses, so must we: " + what + "\nours: " + ours.messages).isTrue();
                refusedByBoth++;
            }
            if (ours.failed && !oracle.failed) {
                assertThat(stricter).as("we refuse what Netty accepts: " + what + "\nNetty: " + oracle.messages + "\nours: " + ours.messages)
                        .contains(defect);
                return;
            }
            int n = Math.min(ours.messages.size(), oracle.messages.size());
            if (!ours.failed) {
                assertThat(ours.messages).as(what).isEqualTo(oracle.messages);
            } else {
                // Up to a failure, both said the same.
                assertThat(ours.messages.subList(0, Math.max(0, n - 1))).as(what).isEqualTo(oracle.messages.subList(0, Math.max(0, n - 1)));
            }
            compared++;
        }

        /** After all the cases: enough of them compared and refused by both, and every stricter defect met. */
        void finish(int minCompared, int minRefusedByBoth) {
            System.out.println(name + ": " + stats.entrySet().stream().map(e -> e.getKey() + "=" + Arrays.toString(e.getValue()))
                    .collect(Collectors.joining(" ")));
            assertThat(compared).isGreaterThan(minCompared);
            assertThat(refusedByBoth).isGreaterThan(minRefusedByBoth);
            for (String d : stricter) {
                assertThat(stats.get(d)).as("generated: " + d).isNotNull();
                assertThat(stats.get(d)[2]).as("generated and refused only here: " + d).isGreaterThan(0);
            }
        }
    }

    /**
     * Feeds {@code text} (Latin-1) to {@code codec} in random pieces ({@code split}), after
     * {@code before} has had the channel, and closes the input if {@code close}.
     */
    static DecoderTranscript run(ChannelHandler codec, String text, boolean close, Random split, Consumer<EmbeddedChannel> before) {
        DecoderTranscript t = new DecoderTranscript();
        EmbeddedChannel ch = new EmbeddedChannel(codec, t);
        before.accept(ch);
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        int p = 0;
        while (p < bytes.length) {
            int n = Math.min(bytes.length - p, 1 + split.nextInt(split.nextBoolean() ? 8 : 400));
            ch.writeInbound(Unpooled.copiedBuffer(bytes, p, n));
            p += n;
        }
        if (close) {
            ch.finish();
        }
        ch.finishAndReleaseAll();
        return t;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (failed) {
                return;
            }
            if (msg instanceof HttpObject o && o.decoderResult().isFailure()) {
                failed = true;
                return;
            }
            if (msg instanceof HttpMessage m) {
                StringBuilder s = new StringBuilder();
                if (m instanceof HttpResponse r) {
                    s.append(r.protocolVersion()).append(' ').append(r.status().code()).append(" [").append(r.status().reasonPhrase()).append(']');
                } else if (m instanceof HttpRequest r) {
                    s.append(r.method()).append(' ').append(r.uri()).append(' ').append(r.protocolVersion());
                }
                List<String> fields = new ArrayList<>();
                for (Map.Entry<CharSequence, CharSequence> e : (Iterable<Map.Entry<CharSequence, CharSequence>>) m.headers()::iteratorCharSequence) {
                    fields.add(e.getKey().toString().toLowerCase(Locale.ROOT) + ": " + e.getValue());
                }
                fields.sort(Comparator.comparing(f -> f.substring(0, f.indexOf(':'))));
                for (String f : fields) {
                    s.append(" | ").append(f);
                }
                messages.add(s.toString());
            }
            if (msg instanceof HttpContent c) {
                body.append(c.content().toString(StandardCharsets.ISO_8859_1));
                if (c instanceof LastHttpContent last) {
                    StringBuilder s = new StringBuilder("body " + body);
                    for (Map.Entry<String, String> e : last.trailingHeaders()) {
                        s.append(" | trailer ").append(e.getKey()).append(": ").append(e.getValue());
                    }
                    messages.add(s.toString());
                    body = new StringBuilder();
                }
            }
            if (msg instanceof ByteBuf b) {
                messages.add("raw " + b.toString(StandardCharsets.ISO_8859_1));
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        failed = true;
    }
}
