package dev.edgegateway.routing;

import dev.edgegateway.config.Cidr;
import dev.edgegateway.config.GeoConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Finds a client's region from the top-level {@code geo} section: a trusted region header, then a
 * trusted country header looked up in the country table, then the most specific CIDR block
 * holding the client's address, then the default. Headers count only from trusted proxies, so a
 * client cannot pick its own region by sending one. Immutable.
 */
final class GeoResolver {
    private final String regionHeader;
    private final String countryHeader;
    private final Map<String, String> countries;
    private final Cidr[] cidrs;
    private final String[] cidrRegions;
    private final String defaultRegion;

    GeoResolver(GeoConfig g) {
        regionHeader = g.regionHeader();
        countryHeader = g.countryHeader();
        countries = g.countries();
        List<GeoConfig.CidrRegion> sorted = new ArrayList<>(g.cidrs());
        sorted.sort(Comparator.comparingInt((GeoConfig.CidrRegion c) -> c.cidr().prefixLength()).reversed());
        cidrs = sorted.stream().map(GeoConfig.CidrRegion::cidr).toArray(Cidr[]::new);
        cidrRegions = sorted.stream().map(GeoConfig.CidrRegion::region).toArray(String[]::new);
        defaultRegion = g.defaultRegion();
    }

    /** The client's region, or null if nothing says. */
    String region(RequestView r) {
        if (r.fromTrustedProxy()) {
            if (regionHeader != null) {
                String region = r.header(regionHeader);
                if (region != null && !region.isEmpty()) {
                    return region.trim();
                }
            }
            if (countryHeader != null) {
                String country = r.header(countryHeader);
                if (country != null) {
                    String region = countries.get(country.trim().toUpperCase(java.util.Locale.ROOT));
                    if (region != null) {
                        return region;
                    }
                }
            }
        }
        if (cidrs.length > 0) {
            byte[] address = r.clientAddress();
            for (int i = 0; i < cidrs.length; i++) {
                if (cidrs[i].contains(address)) {
                    return cidrRegions[i];
                }
            }
        }
        return defaultRegion;
    }
}
