package dev.edgegateway.proxy.server;

import dev.edgegateway.routing.Keys;
import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AsciiString;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.util.Locale;
import javax.net.ssl.SSLSession;

/**
 * What a client connection is: clear text or TLS (with the negotiated version, cipher, SNI name
 * and ALPN protocol), HTTP/1.x or HTTP/2. Set once when the protocol is known; read by every
 * request on the connection (forwarding headers, routing, the access log), on its event loop,
 * which is also the only one to fill in the peer's key ({@link #peerKey}).
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
    /** {@link #peerKey}'s last answer and the prefixes it was made for; confined to the connection's event loop. */
    private String peerKey;
    private int peerKeyPrefixes;

    private ConnectionInfo(InetSocketAddress remote, boolean tls, String tlsVersion, String cipher, String sni, boolean http2) {
        this.clientAddress = remote.getAddress().getAddress();
        this.clientText = NetUtil.toAddressString(remote.getAddress()); // RFC 5952 ("::1"), as nginx and HAProxy write it
        this.clientIp = new AsciiString(clientText);
        this.tls = tls;
        this.tlsVersion = tlsVersion;
        this.cipher = cipher;
        this.sni = sni;
        this.http2 = http2;
        this.scheme = tls ? HTTPS : HTTP;
    }

    /** The peer's address as a rate-limit, split or hash key ({@link Keys#network}), made once per connection. */
    String peerKey(int ipv4Prefix, int ipv6Prefix) {
        int prefixes = ipv4Prefix << 8 | ipv6Prefix;
        if (peerKey == null || peerKeyPrefixes != prefixes) {
            peerKey = Keys.network(clientAddress, clientText, ipv4Prefix, ipv6Prefix);
            peerKeyPrefixes = prefixes;
        }
        return peerKey;
    }

    /**
     * A clear-text connection; null when its peer's address can no longer be read: the peer has
     * already reset it (io_uring's multishot accept leaves the address to a later
     * {@code getpeername}, which fails on such a socket). The caller closes it: nobody is there to answer.
     */
    static ConnectionInfo cleartext(Channel ch, boolean http2) {
        InetSocketAddress remote = (InetSocketAddress) ch.remoteAddress();
        return remote == null ? null : cleartext(remote, http2);
    }

    /** A clear-text connection from {@code remote}. */
    static ConnectionInfo cleartext(InetSocketAddress remote, boolean http2) {
        return new ConnectionInfo(remote, false, null, null, null, http2);
    }

    /**
     * A TLS connection after its handshake; {@code sni} is the name the client asked for, or null.
     * Null, as {@link #cleartext(Channel, boolean)}, when the peer is already gone.
     */
    static ConnectionInfo tls(Channel ch, SslHandler ssl, String sni, boolean http2) {
        InetSocketAddress remote = (InetSocketAddress) ch.remoteAddress();
        if (remote == null) {
            return null;
        }
        SSLSession s = ssl.engine().getSession();
        return new ConnectionInfo(remote, true, s.getProtocol(), s.getCipherSuite(), sni == null ? null : sni.toLowerCase(Locale.ROOT), http2);
    }
}
