package dev.edgegateway.proxy.http1;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * What kind of HTTP/1 message part an object is, told for the classes the codecs make (a head,
 * a body part, a last part, the empty last part) by their class, and for any other by its
 * interfaces. A type check against an interface is a compare against the class's one-entry cache
 * of the last interface it matched, and on a miss a scan of all its interfaces that refills the
 * cache (JDK-8180450, until JDK 23); the request path asks each part whether it is an
 * {@code HttpObject}, a head, content, the last content, in turn, so each check missed. One such
 * method was 1.8% of the event loop's samples and 0.2% told by class.
 */
public final class Parts {
    private static final Class<?> EMPTY_LAST = LastHttpContent.EMPTY_LAST_CONTENT.getClass();

    private Parts() {}

    /** Whether {@code msg} is an {@link HttpObject}. */
    public static boolean isHttp(Object msg) {
        Class<?> c = msg.getClass();
        return c == DefaultLastHttpContent.class || c == EMPTY_LAST || c == DefaultHttpContent.class
                || c == DefaultHttpResponse.class || c == DefaultHttpRequest.class || msg instanceof HttpObject;
    }

    /** Whether {@code msg} is an {@link HttpRequest} (a head, or a whole request). */
    public static boolean isRequest(Object msg) {
        Class<?> c = msg.getClass();
        if (c == DefaultHttpRequest.class) {
            return true;
        }
        return !isCodecContent(c) && msg instanceof HttpRequest;
    }

    /** Whether {@code msg} is an {@link HttpResponse} (a head, or a whole response). */
    public static boolean isResponse(Object msg) {
        Class<?> c = msg.getClass();
        if (c == DefaultHttpResponse.class) {
            return true;
        }
        return !isCodecContent(c) && msg instanceof HttpResponse;
    }

    /** Whether {@code msg} is {@link HttpContent}: a body part, its last, or a whole message. */
    public static boolean isContent(Object msg) {
        Class<?> c = msg.getClass();
        if (isCodecContent(c)) {
            return true;
        }
        return c != DefaultHttpRequest.class && c != DefaultHttpResponse.class && msg instanceof HttpContent;
    }

    /** Whether {@code msg} is a {@link LastHttpContent}: the end of a body, or a whole message. */
    public static boolean isLast(Object msg) {
        Class<?> c = msg.getClass();
        if (c == DefaultLastHttpContent.class || c == EMPTY_LAST) {
            return true;
        }
        return c != DefaultHttpContent.class && msg instanceof LastHttpContent;
    }

    /**
     * A request with no body as one message, head and end: {@code head}'s line and its headers
     * (the same object, not a copy), no content, no trailers.
     */
    public static DefaultFullHttpRequest whole(HttpRequest head) {
        return new DefaultFullHttpRequest(head.protocolVersion(), head.method(), head.uri(), Unpooled.EMPTY_BUFFER, head.headers(),
                EmptyHttpHeaders.INSTANCE);
    }

    /** Whether {@code msg} is a whole request as {@link #whole} makes it (told by its class). */
    static boolean isWholeRequest(Object msg) {
        return msg.getClass() == DefaultFullHttpRequest.class;
    }

    private static boolean isCodecContent(Class<?> c) {
        return c == DefaultLastHttpContent.class || c == EMPTY_LAST || c == DefaultHttpContent.class;
    }
}
