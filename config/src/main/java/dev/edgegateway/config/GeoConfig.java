package dev.edgegateway.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How the gateway finds a client's region, first answer wins:
 * {@code regionHeader} (a region name set by the accelerator or CDN), then {@code countryHeader}
 * (an ISO country code, looked up in {@code countries}), then {@code cidrs} (the client address,
 * most specific block first), then {@code maxmindDatabase} (a GeoIP2 / GeoLite2 Country or City
 * file: the client address's country, looked up in {@code countries}), then {@code defaultRegion}. Headers are believed only from peers in
 * {@code forwarding.trustedProxies}; from anyone else they are ignored.
 */
public record GeoConfig(String regionHeader, String countryHeader, Map<String, String> countries,
                        List<CidrRegion> cidrs, String maxmindDatabase, String defaultRegion) {
    public static final GeoConfig DEFAULT = new GeoConfig(null, null, null, null, null, null);

    /** Client addresses in {@code cidr} are in {@code region}. */
    public record CidrRegion(Cidr cidr, String region) {
        public CidrRegion {
            ConfigViolation.collector().require(cidr, "cidr").require(region, "region").throwIfAny();
        }
    }

    public GeoConfig {
        regionHeader = regionHeader == null ? null : regionHeader.toLowerCase(Locale.ROOT);
        countryHeader = countryHeader == null ? null : countryHeader.toLowerCase(Locale.ROOT);
        Map<String, String> upper = new LinkedHashMap<>();
        if (countries != null) {
            countries.forEach((k, v) -> upper.put(k.toUpperCase(Locale.ROOT), v));
        }
        countries = Collections.unmodifiableMap(upper);
        cidrs = cidrs == null ? List.of() : List.copyOf(cidrs);
        ConfigViolation.collector()
                .check(countries.isEmpty() || countryHeader != null || maxmindDatabase != null, "countries",
                        "needs countryHeader or maxmindDatabase to say where the country comes from")
                .check(maxmindDatabase == null || countries.size() > 0, "maxmindDatabase", "needs countries to map a country to a region")
                .check(maxmindDatabase == null || Files.isReadable(Path.of(maxmindDatabase)), "maxmindDatabase",
                        "cannot read '" + maxmindDatabase + "' (a GeoIP2 or GeoLite2 .mmdb file)")
                .throwIfAny();
    }
}
