package dev.edgegateway.proxy.server;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AsciiString;
import java.net.InetSocketAddress;
import java.util.Locale;
import javax.net.ssl.SSLSession;

/**
 * What a client connection is: clear text or TLS (with the negotiated version, cipher, SNI name
 * and ALPN protocol), HTTP/1.x or HTTP/2. Set once when the protocol is known; read by every
 * request on the connection (forwarding headers, routing, the access log).
 */
public final class ConnectionInfo {
    static final AsciiString HTTP = AsciiString.cached("http");
    static final AsciiString HTTPS = AsciiString.cached("https");

    final boolean tls;
    final String tlsVersion;
    final String cipher;
    final String sni;
    final boolean http2;
    final AsciiString scheme;
    /** The peer's address (4 or 16 bytes), as text, and as the X-Forwarded-For value: made once per connection, shared by its streams. */
    final byte[] clientAddress;
    final String clientText;
    final AsciiString clientIp;

    private ConnectionInfo(InetSocketAddress remote, boolean tls, String tlsVersion, String cipher, String sni, boolean http2) {
        this.clientAddress = remote.getAddress().getAddress();
        this.clientText = remote.getAddress().getHostAddress();
        this.clientIp = new AsciiString(clientText);
        this.tls = tls;
        this.tlsVersion = tlsVersion;
        this.cipher = cipher;
        this.sni = sni;
        this.http2 = http2;
        this.scheme = tls ? HTTPS : HTTP;
    }

    /** A clear-text connection. */
    static ConnectionInfo cleartext(Channel ch, boolean http2) {
        return cleartext((InetSocketAddress) ch.remoteAddress(), http2);
    }

    /** A clear-text connection from {@code remote}. */
    static ConnectionInfo cleartext(InetSocketAddress remote, boolean http2) {
        return new ConnectionInfo(remote, false, null, null, null, http2);
    }

    /** A TLS connection after its handshake; {@code sni} is the name the client asked for, or null. */
    static ConnectionInfo tls(Channel ch, SslHandler ssl, String sni, boolean http2) {
        SSLSession s = ssl.engine().getSession();
        return new ConnectionInfo((InetSocketAddress) ch.remoteAddress(), true, s.getProtocol(), s.getCipherSuite(), sni == null ? null : sni.toLowerCase(Locale.ROOT), http2);
    }
}
