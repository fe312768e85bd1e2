package dev.edgegateway.routing;

import dev.edgegateway.health.Endpoint;
import java.util.Arrays;

/**
 * The endpoints one request has tried, for its retries to pass over (by identity). Made only when
 * a request retries; a handful of entries, so a linear scan. Confined to the request's thread.
 */
public final class TriedEndpoints {
    private Endpoint[] items = new Endpoint[4];
    private int size;

    public TriedEndpoints(Endpoint first) {
        add(first);
    }

    public void add(Endpoint e) {
        if (e == null || contains(e)) {
            return;
        }
        if (size == items.length) {
            items = Arrays.copyOf(items, size * 2);
        }
        items[size++] = e;
    }

    public boolean contains(Endpoint e) {
        for (int i = 0; i < size; i++) {
            if (items[i] == e) {
                return true;
            }
        }
        return false;
    }

    public int size() {
        return size;
    }
}
