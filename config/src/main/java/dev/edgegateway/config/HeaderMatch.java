package dev.edgegateway.config;

import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A condition on one request header (or, as {@link RouteMatch#query()}, one query parameter):
 * its value equals {@code value}, starts with {@code prefix}, matches {@code regex} (the whole
 * value), or, with {@code present}, the header is there ({@code true}) or absent ({@code false}).
 * Exactly one of the four.
 */
public record HeaderMatch(String name, String value, String prefix, String regex, Boolean present) {
    public HeaderMatch {
        var v = ConfigViolation.collector().require(name, "name");
        int set = (value != null ? 1 : 0) + (prefix != null ? 1 : 0) + (regex != null ? 1 : 0) + (present != null ? 1 : 0);
        v.check(set == 1, "value", "set exactly one of value, prefix, regex or present");
        if (regex != null) {
            try {
                Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                v.add("regex", "not a valid regular expression: " + e.getDescription());
            }
        }
        v.throwIfAny();
    }

    /** Header names compare case-insensitively; query parameter names do not. */
    HeaderMatch lowerCaseName() {
        return new HeaderMatch(name.toLowerCase(Locale.ROOT), value, prefix, regex, present);
    }
}
