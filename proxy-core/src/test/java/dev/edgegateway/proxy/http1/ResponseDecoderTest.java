package dev.edgegateway.proxy.http1;

import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link ResponseDecoder} (through {@link ClientCodec}) against Netty's {@link HttpClientCodec} as
 * the oracle, on generated responses: well-formed ones of every framing, and ones with one defect
 * each (the kinds request smuggling and response splitting are made of), arriving in random pieces.
 * Wherever Netty's decoder refuses, ours must too; where both accept, the messages must be the
 * same (status, version, fields in order, body bytes, trailers). Ours may refuse more only for the
 * defects named in {@link #STRICTER}.
 */
class ResponseDecoderTest {
    private static final int MAX_HEADER = 600;
    /** Defects Netty tolerates and this decoder refuses, on purpose (see the class comment of ResponseDecoder). */
    private static final Set<String> STRICTER = Set.of("name-junk-before-colon", "version-lower-case", "version-2", "status-not-3-digits",
            "reason-control", "te-gzip");

    @Test
    void generatedResponsesDecodeAsNettyDecodesThem() {
        Random random = new Random(20261201);
        DecoderTranscript.Oracle oracle = new DecoderTranscript.Oracle("ResponseDecoderTest", STRICTER);
        for (int round = 0; round < 6000; round++) {
            Case c = generate(random);
            DecoderTranscript ours = run(new ClientCodec(256, MAX_HEADER, 64), c, new Random(round));
            DecoderTranscript netty = run(new HttpClientCodec(new HttpDecoderConfig().setMaxInitialLineLength(256).setMaxHeaderSize(MAX_HEADER)
                    .setMaxChunkSize(64), false, false), c, new Random(round));
            oracle.check(ours, netty, c.defect, round, c.text);
        }
        oracle.finish(3000, 500);
    }

    // ---- generation ------------------------------------------------------------------------------

    private record Case(String text, List<HttpMethod> methods, boolean close, String defect) {}

    private static final String[] FIELDS = {"Server: nginx/1.22.1", "Date: Tue, 01 Dec 2026 03:00:00 GMT", "Content-Type: text/html; charset=utf-8",
        "X-Empty:", "X-Padded:   padded value \t ", "Set-Cookie: a=b; Path=/", "set-cookie: c=d", "ETag: \"5f-1\"", "X-Obs: caf\u00e9",
        "Cache-Control: no-cache, no-store", "X-Tab: a\tb", "Connection: keep-alive", "Keep-Alive: timeout=5", "Vary: Accept-Encoding"};

    private static Case generate(Random r) {
        List<HttpMethod> methods = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        String defect = "none";
        boolean close = false;
        int responses = 1 + r.nextInt(3);
        String[] defects = {"bare-lf", "cl-and-te", "two-cl-same", "two-cl-differ", "cl-list", "cl-not-number", "cl-negative", "te-twice",
            "te-http10", "space-before-colon", "name-junk-before-colon", "name-bad-char", "value-control", "value-nul", "value-vertical-tab",
            "chunk-size-not-hex", "chunk-no-crlf", "chunk-size-bare-lf", "chunk-too-big", "chunk-size-leading-space", "chunk-size-trailing-junk",
            "chunk-ext-control", "value-control-long", "value-del-long", "head-too-large", "status-too-long", "truncated-head", "truncated-body", "fold", "fold-first",
            "version-lower-case", "status-not-3-digits", "reason-control", "version-2", "trailer-prohibited", "bare-cr", "leading-crlf", "te-gzip"};
        int defective = r.nextInt(2) == 0 ? -1 : r.nextInt(responses);
        for (int i = 0; i < responses; i++) {
            String d = i == defective ? defects[r.nextInt(defects.length)] : "none";
            if (!d.equals("none")) {
                defect = d;
            }
            boolean head = r.nextInt(8) == 0;
            methods.add(head ? HttpMethod.HEAD : HttpMethod.GET);
            int kind = r.nextInt(10); // 0-4 length, 5-7 chunked, 8 no body status, 9 until close (last only)
            if (kind == 9 && i < responses - 1) {
                kind = 0;
            }
            if (r.nextInt(6) == 0 || d.equals("leading-crlf")) {
                text.append("\r\n");
            }
            if (r.nextInt(10) == 0) {
                text.append("HTTP/1.1 100 Continue\r\n\r\n");
            }
            int code = kind == 8 ? (r.nextBoolean() ? 204 : 304) : new int[] {200, 200, 404, 500, 302}[r.nextInt(5)];
            String version = d.equals("te-http10") || kind == 9 && r.nextBoolean() ? "HTTP/1.0" : "HTTP/1.1";
            String reason = switch (r.nextInt(4)) {
                case 0 -> "";
                case 1 -> " Custom Reason";
                default -> " " + io.netty.handler.codec.http.HttpResponseStatus.valueOf(code).reasonPhrase();
            };
            String statusLine = switch (d) {
                case "version-lower-case" -> "http/1.1 " + code + reason;
                case "version-2" -> "HTTP/2.0 " + code + reason;
                case "status-not-3-digits" -> version + " 2000" + reason;
                case "reason-control" -> version + " " + code + " Bad\u0001Reason";
                case "status-too-long" -> version + " " + code + " " + "x".repeat(300);
                default -> version + " " + code + reason;
            };
            text.append(statusLine).append("\r\n");
            List<String> fields = new ArrayList<>();
            int nf = r.nextInt(8);
            for (int k = 0; k < nf; k++) {
                fields.add(FIELDS[r.nextInt(FIELDS.length)]);
            }
            byte[] body = new byte[kind == 8 ? 0 : r.nextInt(200)];
            for (int k = 0; k < body.length; k++) {
                body[k] = (byte) ('a' + r.nextInt(26));
            }
            boolean chunked = kind >= 5 && kind <= 7 && !version.equals("HTTP/1.0");
            if (kind <= 4 || kind >= 5 && kind <= 7 && !chunked) {
                fields.add("Content-Length: " + body.length);
            }
            if (chunked || d.equals("te-http10")) {
                fields.add(d.equals("te-gzip") ? "Transfer-Encoding: gzip, chunked" : "Transfer-Encoding: chunked");
            }
            if (!MessageDefects.field(d, body.length, MAX_HEADER, r, fields)) {
                switch (d) {
                    case "cl-and-te" -> fields.add("Transfer-Encoding: chunked");
                    case "te-twice" -> fields.add("Transfer-Encoding: chunked, chunked");
                    case "name-junk-before-colon" -> fields.add("X-Junk junk: v");
                    case "fold-first" -> fields.add(0, " leading: v");
                    default -> { }
                }
            }
            java.util.Collections.shuffle(fields, r);
            if (d.equals("fold-first")) {
                fields.remove(" leading: v");
                fields.add(0, " leading: v");
            }
            for (int k = 0; k < fields.size(); k++) {
                String line = fields.get(k);
                text.append(line).append(d.equals("bare-lf") && k == fields.size() - 1 ? "\n" : "\r\n");
            }
            text.append("\r\n");
            if (d.equals("truncated-head")) {
                text.setLength(text.length() - 3 - r.nextInt(Math.min(10, text.length() - 20)));
                close = true;
                break;
            }
            if (chunked) {
                MessageDefects.chunked(text, body, d, r);
            } else if (!head && kind != 8) {
                text.append(new String(body, StandardCharsets.ISO_8859_1));
            }
            if (d.equals("truncated-body") && body.length > 1 && !head && kind != 9) {
                text.setLength(text.length() - 1);
                close = true;
                break;
            }
            if (kind == 9) {
                close = true; // the body ends with the connection
                break;
            }
        }
        if (r.nextInt(5) == 0) {
            close = true;
        }
        return new Case(text.toString(), methods, close, defect);
    }

    // ---- running ---------------------------------------------------------------------------------

    private static DecoderTranscript run(ChannelHandler codec, Case c, Random split) {
        return DecoderTranscript.run(codec, c.text, c.close, split, ch -> {
            for (HttpMethod m : c.methods) {
                ch.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, m, "/"));
            }
            ch.releaseOutbound();
        });
    }
}
