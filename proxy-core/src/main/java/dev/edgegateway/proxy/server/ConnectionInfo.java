package dev.edgegateway.proxy.server;

import io.netty.handler.ssl.SslHandler;
import io.netty.util.AsciiString;
import javax.net.ssl.SSLSession;

/**
 * What a client connection is: clear text or TLS (with the negotiated version, cipher, SNI name
 * and ALPN protocol), HTTP/1.x or HTTP/2. Set once when the protocol is known; read by every
 * request on the connection (forwarding headers, routing, the access log).
 */
public final class ConnectionInfo {
    static final AsciiString HTTP = AsciiString.cached("http");
    static final AsciiString HTTPS = AsciiString.cached("https");

    /** A clear-text HTTP/1.x connection. */
    public static final ConnectionInfo CLEARTEXT = new ConnectionInfo(false, null, null, null, false);
    /** A clear-text HTTP/2 connection (h2c). */
    public static final ConnectionInfo CLEARTEXT_H2 = new ConnectionInfo(false, null, null, null, true);

    final boolean tls;
    final String tlsVersion;
    final String cipher;
    final String sni;
    final boolean http2;
    final AsciiString scheme;

    private ConnectionInfo(boolean tls, String tlsVersion, String cipher, String sni, boolean http2) {
        this.tls = tls;
        this.tlsVersion = tlsVersion;
        this.cipher = cipher;
        this.sni = sni;
        this.http2 = http2;
        this.scheme = tls ? HTTPS : HTTP;
    }

    /** A TLS connection after its handshake; {@code sni} is the name the client asked for, or null. */
    public static ConnectionInfo tls(SslHandler ssl, String sni, boolean http2) {
        SSLSession s = ssl.engine().getSession();
        return new ConnectionInfo(true, s.getProtocol(), s.getCipherSuite(), sni, http2);
    }

    public boolean http2() {
        return http2;
    }
}
