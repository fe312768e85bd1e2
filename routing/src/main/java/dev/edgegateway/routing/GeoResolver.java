package dev.edgegateway.routing;

import com.maxmind.db.CHMCache;
import com.maxmind.db.Reader;
import dev.edgegateway.config.Cidr;
import dev.edgegateway.config.ConfigFieldException;
import dev.edgegateway.config.GeoConfig;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Finds a client's region from the top-level {@code geo} section: a trusted region header, then a
 * trusted country header looked up in the country table, then the most specific CIDR block
 * holding the client's address, then the country of that address in a MaxMind GeoIP2/GeoLite2
 * database if one is configured, then the default. Headers count only from trusted proxies, so a
 * client cannot pick its own region by sending one. Immutable.
 */
final class GeoResolver {
    private final String regionHeader;
    private final String countryHeader;
    private final Map<String, String> countries;
    private final Cidr[] cidrs;
    private final String[] cidrRegions;
    private final String defaultRegion;
    private final Reader maxmind;

    GeoResolver(GeoConfig g) {
        this(g, openDatabase(g.maxmindDatabase()));
    }

    GeoResolver(GeoConfig g, Reader maxmind) {
        this.maxmind = maxmind;
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
                    String region = countries.get(country.trim().toUpperCase(Locale.ROOT));
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
        if (maxmind != null) {
            String region = countries.get(countryOf(r.clientAddress()));
            if (region != null) {
                return region;
            }
        }
        return defaultRegion;
    }

    /**
     * Opens a GeoIP2 / GeoLite2 database (memory-mapped: lookups are in-memory tree walks, no I/O
     * on the event loop). Called while a config is compiled, off the event loops.
     */
    static Reader openDatabase(String path) {
        if (path == null) {
            return null;
        }
        try {
            return new Reader(new File(path), Reader.FileMode.MEMORY_MAPPED, new CHMCache());
        } catch (IOException e) {
            throw new ConfigFieldException("geo.maxmindDatabase", "cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    boolean holdsFile() {
        return maxmind != null;
    }

    /** Closes the GeoIP database, if one is open; a lookup after this finds no country. */
    void close() {
        Reader r = maxmind;
        if (r != null) {
            try {
                r.close();
            } catch (IOException e) {
                // nothing to do: the mapping is released with the reader
            }
        }
    }

    /** The ISO country code of an address in the database, or null. */
    @SuppressWarnings("unchecked")
    private String countryOf(byte[] address) {
        try {
            Map<String, Object> record = maxmind.get(InetAddress.getByAddress(address), Map.class);
            if (record == null) {
                return null;
            }
            Object country = record.get("country");
            if (!(country instanceof Map)) {
                country = record.get("registered_country");
            }
            Object iso = country instanceof Map<?, ?> m ? m.get("iso_code") : null;
            return iso instanceof String s ? s : null;
        } catch (IOException | RuntimeException e) {
            return null; // a corrupt record: treat as unknown
        }
    }
}
