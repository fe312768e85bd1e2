package dev.edgegateway.config;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Header rules of a route, for the request to the origin or the response to the client: headers
 * removed, then set (replacing any), then added (next to any). Values may name a few things of
 * the request: {@code ${client.address}}, {@code ${client.region}} (the geo section's region of
 * the client), {@code ${route}}, {@code ${request.id}}, {@code ${cluster}}.
 */
public record HeaderRules(List<String> remove, Map<String, String> set, Map<String, String> add) {
    /** The values a header rule may name. */
    public static final Set<String> VARIABLES = Set.of("client.address", "client.region", "route", "request.id", "cluster");
    /** A value's reference to the request: {@code ${name}}. */
    public static final Pattern VARIABLE = Pattern.compile("\\$\\{([^}]*)}");
    /** A field name, or a cookie's: an RFC 9110 token. */
    static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    /** Framing and connection fields the gateway owns: a rule may not touch them. */
    private static final Set<String> RESERVED = Set.of("content-length", "transfer-encoding", "connection", "keep-alive", "upgrade",
            "host", "te", "trailer", "proxy-connection");

    public HeaderRules {
        remove = remove == null ? List.of() : remove.stream().map(n -> n.toLowerCase(Locale.ROOT)).toList();
        set = set == null ? Map.of() : lower(set);
        add = add == null ? Map.of() : lower(add);
        var v = ConfigViolation.collector();
        checkNames(v, "remove", remove);
        checkNames(v, "set", set.keySet());
        checkNames(v, "add", add.keySet());
        for (String kind : new String[] {"set", "add"}) {
            for (var e : (kind.equals("set") ? set : add).entrySet()) {
                String where = kind + "." + e.getKey();
                v.check(validValue(e.getValue()), where, "no control characters (CR, LF, NUL)");
                Matcher m = VARIABLE.matcher(e.getValue());
                while (m.find()) {
                    v.check(VARIABLES.contains(m.group(1)), where, "unknown value '${" + m.group(1) + "}'"
                            + Suggestions.didYouMean(m.group(1), VARIABLES) + " (known: " + String.join(", ", new java.util.TreeSet<>(VARIABLES)) + ")");
                }
            }
        }
        v.throwIfAny();
    }

    public boolean isEmpty() {
        return remove.isEmpty() && set.isEmpty() && add.isEmpty();
    }

    private static Map<String, String> lower(Map<String, String> m) {
        Map<String, String> out = new TreeMap<>();
        m.forEach((k, val) -> out.put(k.toLowerCase(Locale.ROOT), val == null ? "" : val));
        return out;
    }

    static void checkNames(ConfigViolation.Collector v, String field, Iterable<String> names) {
        for (String n : names) {
            String lower = n.toLowerCase(Locale.ROOT);
            v.check(TOKEN.matcher(n).matches(), field, "'" + n + "' is not a header name");
            v.check(!RESERVED.contains(lower), field, "'" + n + "' is the gateway's to set (framing and connection fields cannot be changed by a rule)");
        }
    }

    static boolean validValue(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) {
                return false;
            }
        }
        return true;
    }
}
