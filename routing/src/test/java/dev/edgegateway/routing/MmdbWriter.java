package dev.edgegateway.routing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a small IPv4 MaxMind DB (the format GeoIP2/GeoLite2 files use: a binary search tree with
 * 24-bit records, a data section, a metadata map) mapping networks to countries, so tests can
 * read a real .mmdb through MaxMind's own reader without shipping a database.
 * Spec: https://maxmind.github.io/MaxMind-DB/
 */
final class MmdbWriter {
    private final List<int[]> nodes = new ArrayList<>(); // [left, right]; -1 empty, -2-k data k
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();
    private final List<Integer> dataOffsets = new ArrayList<>();

    MmdbWriter() {
        nodes.add(new int[] {-1, -1});
    }

    /** Maps {@code a.b.c.d/prefix} to {@code {"country": {"iso_code": iso}}}. */
    MmdbWriter add(String cidr, String iso) {
        String[] parts = cidr.split("/");
        String[] octets = parts[0].split("\\.");
        long ip = 0;
        for (String o : octets) {
            ip = (ip << 8) | Integer.parseInt(o);
        }
        int prefix = Integer.parseInt(parts[1]);
        dataOffsets.add(data.size());
        map(data, 1);
        string(data, "country");
        map(data, 1);
        string(data, "iso_code");
        string(data, iso);
        int node = 0;
        for (int depth = 0; depth < prefix; depth++) {
            int bit = (int) ((ip >>> (31 - depth)) & 1);
            if (depth == prefix - 1) {
                nodes.get(node)[bit] = -2 - (dataOffsets.size() - 1);
            } else {
                int next = nodes.get(node)[bit];
                if (next < 0) {
                    nodes.add(new int[] {-1, -1});
                    next = nodes.size() - 1;
                    nodes.get(node)[bit] = next;
                }
                node = next;
            }
        }
        return this;
    }

    Path write(Path file) throws IOException {
        int n = nodes.size();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int[] node : nodes) {
            for (int r : node) {
                int value = r >= 0 ? r : r == -1 ? n : n + 16 + dataOffsets.get(-2 - r);
                out.write(value >>> 16);
                out.write(value >>> 8);
                out.write(value);
            }
        }
        out.write(new byte[16]);
        out.write(data.toByteArray());
        out.write(new byte[] {(byte) 0xAB, (byte) 0xCD, (byte) 0xEF});
        out.write("MaxMind.com".getBytes(StandardCharsets.US_ASCII));
        map(out, 9);
        string(out, "binary_format_major_version");
        uint(out, 5, 2, 2);
        string(out, "binary_format_minor_version");
        uint(out, 5, 0, 2);
        string(out, "build_epoch");
        out.write(8); // extended type, 8 bytes
        out.write(9 - 7); // uint64
        for (int i = 7; i >= 0; i--) {
            out.write((int) (1_700_000_000L >>> (8 * i)));
        }
        string(out, "database_type");
        string(out, "GeoLite2-Country");
        string(out, "description");
        map(out, 1);
        string(out, "en");
        string(out, "edge gateway test database");
        string(out, "ip_version");
        uint(out, 5, 4, 2);
        string(out, "languages");
        out.write(1); // extended type, 1 element
        out.write(11 - 7); // array
        string(out, "en");
        string(out, "node_count");
        uint(out, 6, n, 4);
        string(out, "record_size");
        uint(out, 5, 24, 2);
        Files.write(file, out.toByteArray());
        return file;
    }

    private static void map(ByteArrayOutputStream out, int size) {
        out.write((7 << 5) | size);
    }

    private static void string(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length >= 29) {
            out.write((2 << 5) | 29);
            out.write(b.length - 29);
        } else {
            out.write((2 << 5) | b.length);
        }
        out.write(b, 0, b.length);
    }

    private static void uint(ByteArrayOutputStream out, int type, long value, int bytes) {
        out.write((type << 5) | bytes);
        for (int i = bytes - 1; i >= 0; i--) {
            out.write((int) (value >>> (8 * i)));
        }
    }
}
