package dev.edgegateway.routing;

/**
 * 64-bit hashing of short strings for buckets and rings: FNV-1a over the UTF-16 chars, then
 * MurmurHash3's finaliser so that every input bit reaches every output bit (FNV alone leaves
 * the high bits of similar keys alike, which a ring position or a bucket would inherit).
 * Stable across processes and versions: a fleet of gateways agrees on every key.
 */
public final class Hashing {
    private Hashing() {}

    public static long hash64(CharSequence s) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < s.length(); i++) {
            h ^= s.charAt(i);
            h *= 0x100000001b3L;
        }
        return mix(h);
    }

    public static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    /** A uniform position in [0, 1) from a hash. */
    public static double unit(long hash) {
        return (hash >>> 11) * 0x1.0p-53;
    }
}
