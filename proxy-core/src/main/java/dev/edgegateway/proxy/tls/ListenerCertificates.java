package dev.edgegateway.proxy.tls;

import dev.edgegateway.config.ConfigFieldException;
import dev.edgegateway.config.GatewayConfig;
import dev.edgegateway.config.ListenerConfig;
import dev.edgegateway.proxy.metrics.TlsMeters;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS listeners' certificates across reloads and file rotations: what a config reload needs
 * built (all or nothing, in the reload's first phase), installing it, and the file watch that
 * rotates pair by pair.
 */
public final class ListenerCertificates {
    private static final Logger log = LoggerFactory.getLogger(ListenerCertificates.class);

    private final Map<String, ServerTls> byListener;
    private final TlsMeters meters;
    /** Errors already reported ({@code listener \0 error}), so a file that stays broken is reported once, not every poll. */
    private final Set<String> reported = ConcurrentHashMap.newKeySet();

    public ListenerCertificates(Map<String, ServerTls> byListener, TlsMeters meters) {
        this.byListener = byListener;
        this.meters = meters;
    }

    /**
     * The certificate sets a config needs that differ from those installed (its {@code tls}
     * section changed). A TLS listener added or removed needs a restart, like any listener change.
     * Throws, naming the listener's field and the file, if a certificate cannot be used.
     */
    public Map<String, ServerTls.Certs> prepare(GatewayConfig config) {
        Map<String, ServerTls.Certs> out = new HashMap<>();
        for (int i = 0; i < config.listeners().size(); i++) {
            ListenerConfig l = config.listeners().get(i);
            ServerTls tls = byListener.get(l.name());
            if (tls == null || l.tls() == null) {
                continue;
            }
            try {
                ServerTls.Certs c = tls.prepareIfChanged(l.tls());
                if (c != null) {
                    out.put(l.name(), c);
                }
            } catch (RuntimeException e) {
                throw new ConfigFieldException("listeners[" + i + "].tls", e.getMessage(), e);
            }
        }
        return out;
    }

    /** Installs what {@link #prepare} built, for new connections. */
    public void install(Map<String, ServerTls.Certs> certs) {
        certs.forEach((name, c) -> {
            byListener.get(name).install(c);
            meters.certificateReload(name, "applied");
        });
    }

    /**
     * The certificate file watch: each listener's pairs whose files changed are loaded and
     * installed for new connections, pair by pair. A pair that cannot be used (half written, key
     * and certificate out of step) keeps its old certificate, is reported once, and is tried
     * again next time; the other names rotate. The caller serialises this with config reloads.
     */
    public void rotate() {
        byListener.forEach((name, tls) -> {
            ServerTls.Rotation r = tls.rotate();
            Set<String> now = new HashSet<>();
            for (String error : r.errors()) {
                String key = name + "\0" + error;
                now.add(key);
                if (reported.add(key)) {
                    log.warn("listener {}: certificate files changed but cannot be used; that pair keeps its certificate: {}", name, error);
                    meters.certificateReload(name, "invalid");
                }
            }
            reported.removeIf(k -> k.startsWith(name + "\0") && !now.contains(k));
            if (r.next() != null) {
                tls.install(r.next());
                meters.certificateReload(name, "applied");
            }
        });
    }
}
