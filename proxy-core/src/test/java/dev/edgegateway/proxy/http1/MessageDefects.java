package dev.edgegateway.proxy.http1;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

/** The defects requests and responses share, for the decoders' generated-input tests. */
final class MessageDefects {
    private MessageDefects() {}

    /**
     * Adds the field that defect {@code d} is made of to {@code fields}, if it is one of the
     * field defects both kinds of message share; returns whether it was.
     */
    static boolean field(String d, int bodyLength, int maxHeader, Random r, List<String> fields) {
        switch (d) {
            case "two-cl-same" -> fields.add("Content-Length: " + bodyLength);
            case "two-cl-differ" -> fields.add("Content-Length: " + (bodyLength + 1));
            case "cl-list" -> fields.add("Content-Length: " + bodyLength + ", " + bodyLength);
            case "cl-not-number" -> fields.add("Content-Length: 1x");
            case "cl-negative" -> fields.add("Content-Length: -1");
            case "space-before-colon" -> fields.add("X-Space : v");
            case "name-bad-char" -> fields.add("X(Bad): v");
            case "value-control" -> fields.add("X-Ctl: a\u0001b");
            case "value-nul" -> fields.add("X-Nul: a\u0000b");
            case "value-vertical-tab" -> fields.add("X-VT: \u000bv");
            case "value-control-long", "value-del-long" -> {
                // long enough for the word-at-a-time check, the bad byte anywhere in it
                StringBuilder v = new StringBuilder("caf\u00e9 " + "v".repeat(8 + r.nextInt(30)));
                v.insert(1 + r.nextInt(v.length() - 1), d.equals("value-del-long") ? '\u007f' : (char) (1 + r.nextInt(31)));
                fields.add("X-Long: " + v);
            }
            case "head-too-large" -> fields.add("X-Big: " + "b".repeat(maxHeader));
            case "bare-cr" -> fields.add("X-CR: a\rb");
            case "fold" -> fields.add("X-Fold: one\r\n  two");
            default -> {
                return false;
            }
        }
        return true;
    }

    /** {@code body} as chunks of random sizes, the last chunk and maybe a trailer, with defect {@code d} if it is a chunk's. */
    static void chunked(StringBuilder text, byte[] body, String d, Random r) {
        int p = 0;
        while (p < body.length) {
            int n = Math.min(body.length - p, 1 + r.nextInt(80));
            String size = Integer.toHexString(n);
            String sizeLine = switch (d) {
                case "chunk-size-not-hex" -> "zz";
                case "chunk-size-leading-space" -> " " + size;
                case "chunk-size-trailing-junk" -> size + " junk";
                case "chunk-ext-control" -> size + ";a=\u0001";
                case "chunk-too-big" -> "fffffffff";
                default -> r.nextInt(5) == 0 ? size + ";name=value" : r.nextBoolean() ? size.toUpperCase() : size;
            };
            text.append(sizeLine).append(d.equals("chunk-size-bare-lf") ? "\n" : "\r\n");
            text.append(new String(body, p, n, StandardCharsets.ISO_8859_1));
            text.append(d.equals("chunk-no-crlf") ? "XX" : "\r\n");
            p += n;
        }
        text.append("0\r\n");
        if (r.nextInt(4) == 0 || d.equals("trailer-prohibited")) {
            text.append(d.equals("trailer-prohibited") ? "Content-Length: 5\r\n" : "X-Checksum: abc\r\n");
        }
        text.append("\r\n");
    }
}
