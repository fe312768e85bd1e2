package dev.edgegateway.proxy.tls;

import dev.edgegateway.config.TlsConfig;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Chooses the TLS implementation: BoringSSL (netty-tcnative) when it loads, else the JDK's. */
public final class TlsProviders {
    private static final Logger log = LoggerFactory.getLogger(TlsProviders.class);
    private static volatile boolean logged;

    private TlsProviders() {}

    /** The provider for a setting; {@code openssl} where BoringSSL does not load is an error. */
    public static SslProvider choose(TlsConfig.Provider wanted) {
        boolean openssl = OpenSsl.isAvailable();
        if (!logged) {
            logged = true;
            if (openssl) {
                log.info("TLS: OpenSSL provider available ({}), ALPN {}, OCSP stapling {}", OpenSsl.versionString(),
                        OpenSsl.isAlpnSupported() ? "yes" : "no", OpenSsl.isOcspSupported() ? "yes" : "no");
            } else {
                log.info("TLS: OpenSSL provider unavailable ({}); the JDK provider is used", String.valueOf(OpenSsl.unavailabilityCause()));
            }
        }
        return switch (wanted) {
            case JDK -> SslProvider.JDK;
            case OPENSSL -> {
                if (!openssl) {
                    throw new IllegalArgumentException("tls.provider is openssl, but BoringSSL (netty-tcnative) did not load: "
                            + OpenSsl.unavailabilityCause());
                }
                yield SslProvider.OPENSSL;
            }
            case AUTO -> openssl ? SslProvider.OPENSSL : SslProvider.JDK;
        };
    }

    /** How a provider is named in logs and metrics. */
    public static String name(SslProvider p) {
        return p == SslProvider.JDK ? "jdk" : "openssl";
    }
}
