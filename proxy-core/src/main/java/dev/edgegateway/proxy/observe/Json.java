package dev.edgegateway.proxy.observe;

/** The little JSON the gateway writes itself (admin answers, access-log lines): string quoting. */
public final class Json {
    private Json() {}

    /** Appends {@code s} as a JSON string, quotes included; null as {@code null}. */
    public static StringBuilder quote(StringBuilder sb, CharSequence s) {
        if (s == null) {
            return sb.append("null");
        }
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (ch < 0x20) {
                        sb.append("\\u00").append(Character.forDigit(ch >> 4, 16)).append(Character.forDigit(ch & 15, 16));
                    } else {
                        sb.append(ch);
                    }
                }
            }
        }
        return sb.append('"');
    }

    /** {@code s} as a JSON string, quotes included. */
    public static String quote(CharSequence s) {
        return quote(new StringBuilder(s == null ? 4 : s.length() + 2), s).toString();
    }
}
