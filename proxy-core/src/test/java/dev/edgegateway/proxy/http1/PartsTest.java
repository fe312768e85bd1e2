package dev.edgegateway.proxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Parts} answers as {@code instanceof} does, for the codecs' classes, whole messages, subclasses and anything else. */
class PartsTest {
    /** A subclass of a class Parts tells by identity: it must still be told by its interfaces. */
    private static final class MyContent extends DefaultLastHttpContent {
        MyContent() {
            super(Unpooled.EMPTY_BUFFER);
        }
    }

    @Test
    void everyAnswerIsInstanceofs() {
        List<Object> objects = List.of(
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"),
                new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK),
                new DefaultHttpContent(Unpooled.EMPTY_BUFFER),
                new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER),
                LastHttpContent.EMPTY_LAST_CONTENT,
                new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/"),
                new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK),
                new MyContent(),
                Unpooled.EMPTY_BUFFER,
                "not http");
        for (Object o : objects) {
            String as = o.getClass().getName();
            assertThat(Parts.isHttp(o)).as(as).isEqualTo(o instanceof HttpObject);
            assertThat(Parts.isRequest(o)).as(as).isEqualTo(o instanceof HttpRequest);
            assertThat(Parts.isResponse(o)).as(as).isEqualTo(o instanceof HttpResponse);
            assertThat(Parts.isContent(o)).as(as).isEqualTo(o instanceof HttpContent);
            assertThat(Parts.isLast(o)).as(as).isEqualTo(o instanceof LastHttpContent);
            ReferenceCountUtil.release(o);
        }
    }
}
