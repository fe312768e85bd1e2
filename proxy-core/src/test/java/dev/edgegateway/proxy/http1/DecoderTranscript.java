package dev.edgegateway.proxy.http1;

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
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

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
