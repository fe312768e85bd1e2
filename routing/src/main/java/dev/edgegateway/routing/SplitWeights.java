package dev.edgegateway.routing;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The weights a split route serves by, changeable while it serves (a rollout moves them): each
 * cluster owns a contiguous share of the bucket line in config order, so moving a weight moves only
 * the clients between the old and the new boundary. One volatile read per request; a change
 * publishes a new immutable line. Thread-safe.
 */
public final class SplitWeights {
    private record Line(long[] cumulative, long total) {}

    private volatile Line line;

    public SplitWeights(List<Integer> weights) {
        set(weights.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Serves by these weights (one per distinct cluster of the split, in config order; not all 0) from now on. */
    public void set(int[] weights) {
        long[] cumulative = new long[weights.length];
        long sum = 0;
        for (int i = 0; i < weights.length; i++) {
            sum += weights[i];
            cumulative[i] = sum;
        }
        if (sum <= 0) {
            throw new IllegalArgumentException("weights must not all be 0");
        }
        line = new Line(cumulative, sum);
    }

    /** The weights served now, one per cluster slot. */
    public int[] current() {
        long[] c = line.cumulative();
        int[] out = new int[c.length];
        for (int i = 0; i < c.length; i++) {
            out[i] = (int) (c[i] - (i == 0 ? 0 : c[i - 1]));
        }
        return out;
    }

    /** The slot owning a position in [0, 1) of the line (a key's hash), or a random one when {@code unit} is negative. */
    int slotOf(double unit, ThreadLocalRandom random) {
        Line l = line;
        long point = unit >= 0 ? (long) (unit * l.total()) : random.nextLong(l.total());
        long[] c = l.cumulative();
        for (int i = 0; i < c.length; i++) {
            if (point < c[i]) {
                return i;
            }
        }
        return c.length - 1;
    }
}
