package dev.edgegateway.config;

/** HTTP statuses from {@code low} to {@code high} inclusive, written {@code 200-299} or {@code 503}. */
public record StatusRange(int low, int high) {
    public StatusRange {
        if (low < 100 || high > 599 || low > high) {
            throw new IllegalArgumentException("expected statuses such as 200-299 or 503 (100 to 599), found " + low + "-" + high);
        }
    }

    public static StatusRange parse(String text) {
        String t = text.trim();
        int dash = t.indexOf('-');
        try {
            return dash < 0 ? new StatusRange(Integer.parseInt(t), Integer.parseInt(t))
                    : new StatusRange(Integer.parseInt(t.substring(0, dash).trim()), Integer.parseInt(t.substring(dash + 1).trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected statuses such as 200-299 or 503, found '" + text + "'");
        }
    }

    public boolean contains(int status) {
        return status >= low && status <= high;
    }

    @Override
    public String toString() {
        return low == high ? Integer.toString(low) : low + "-" + high;
    }
}
