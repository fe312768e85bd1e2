package dev.edgegateway.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgegateway.config.KeySource;
import java.net.InetAddress;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KeysTest {
    private static final KeySource CLIENT = new KeySource(null, null, true);

    private static String key(String address) {
        return Keys.read(CLIENT, TestRequest.get("/").from(address));
    }

    @Test
    void anIpv6ClientIsKeyedByItsSlash64AndAnIpv4ClientByItsAddress() {
        // One subscriber's addresses (its hosts rotate them inside the /64) share a key...
        assertThat(key("2001:db8:1:2::1")).isEqualTo("2001:db8:1:2::/64");
        assertThat(key("2001:db8:1:2:a1b2:c3d4:e5f6:789")).isEqualTo("2001:db8:1:2::/64");
        // ...the next /64 is someone else.
        assertThat(key("2001:db8:1:3::1")).isEqualTo("2001:db8:1:3::/64");
        assertThat(key("192.0.2.7")).isEqualTo("192.0.2.7");
        // A dual-stack proxy's IPv4-mapped spelling is the IPv4 client.
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 192, 0, 2, 7};
        assertThat(Keys.network(mapped, "::ffff:192.0.2.7", 32, 64)).isEqualTo("192.0.2.7");
    }

    @Test
    void thePrefixesAreTheConfigs() {
        KeySource wide = new KeySource(null, null, true, 24, 48);
        KeySource exact = new KeySource(null, null, true, 32, 128);
        assertThat(Keys.read(wide, TestRequest.get("/").from("192.0.2.77"))).isEqualTo("192.0.2.0/24");
        assertThat(Keys.read(wide, TestRequest.get("/").from("2001:db8:1:ffff::1"))).isEqualTo("2001:db8:1::/48");
        assertThat(Keys.read(exact, TestRequest.get("/").from("2001:db8:1:2::1"))).isEqualTo("2001:db8:1:2::1");
        // A prefix off a byte boundary keeps only its bits.
        assertThat(Keys.network(new byte[] {10, 1, (byte) 0xff, 1}, null, 20, 64)).isEqualTo("10.1.240.0/20");
    }

    @Test
    void ipv6TextIsRfc5952() throws Exception {
        String[][] cases = {
                {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
                {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"}, // one zero group is not "::"
                {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},         // the longest run
                {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},   // the first of equal runs
                {"0:0:0:0:0:0:0:0", "::"},
                {"0:0:0:0:0:0:0:1", "::1"},
                {"2001:db8:1:2:0:0:0:0", "2001:db8:1:2::"},
                {"2001:DB8::ABCD", "2001:db8::abcd"},
        };
        for (String[] c : cases) {
            assertThat(Keys.ipv6Text(InetAddress.getByName(c[0]).getAddress())).as(c[0]).isEqualTo(c[1]);
        }
        // And any address: read back as itself, lower case, no leading zero, at most one "::".
        Random random = new Random(5952);
        for (int i = 0; i < 20_000; i++) {
            byte[] a = new byte[16];
            for (int g = 0; g < 8; g++) { // groups zero half the time, so runs of every length occur
                int v = random.nextBoolean() ? 0 : random.nextInt(0x10000);
                a[2 * g] = (byte) (v >> 8);
                a[2 * g + 1] = (byte) v;
            }
            if (a[10] == (byte) 0xff && a[11] == (byte) 0xff) {
                continue; // Java reads ::ffff:x back as IPv4
            }
            String text = Keys.ipv6Text(a);
            assertThat(InetAddress.getByName(text).getAddress()).as(text).isEqualTo(a);
            assertThat(text).as(text).doesNotMatch(".*[A-F].*").doesNotMatch("(^|.*:)0[0-9a-f].*");
            assertThat(text.indexOf("::")).as(text).isEqualTo(text.lastIndexOf("::"));
        }
    }
}
