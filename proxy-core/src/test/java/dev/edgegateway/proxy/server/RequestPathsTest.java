package dev.edgegateway.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RequestPathsTest {
    @Test
    void aNormalPathIsTheSameStringAndNothingIsMade() {
        for (String p : new String[] {"/", "/api/v1/users?id=7", "/a.b/c..d/.e/f.", "/my%20file", "//double//slash", "/%2F%5C", "/?x=/../y",
                "/a;v=1/b;jsessionid=x", "/...;/x", "/.x;y"}) {
            assertThat(RequestPaths.normalize(p)).as(p).isSameAs(p);
        }
    }

    @Test
    void dotSegmentsGoAsRfc3986Resolves() {
        // RFC 3986 5.4's examples whose result is an absolute path, and 5.2.4's own.
        assertThat(RequestPaths.normalize("/a/b/c/./../../g")).isEqualTo("/a/g");
        assertThat(RequestPaths.normalize("/mid/content=5/../6")).isEqualTo("/mid/6");
        assertThat(RequestPaths.normalize("/a/b/..")).isEqualTo("/a/");
        assertThat(RequestPaths.normalize("/a/b/.")).isEqualTo("/a/b/");
        assertThat(RequestPaths.normalize("/a/./b")).isEqualTo("/a/b");
        assertThat(RequestPaths.normalize("/../../etc/passwd")).isEqualTo("/etc/passwd");
        assertThat(RequestPaths.normalize("/..")).isEqualTo("/");
        assertThat(RequestPaths.normalize("/.")).isEqualTo("/");
        assertThat(RequestPaths.normalize("/public/../admin?x=/../y")).isEqualTo("/admin?x=/../y");
        assertThat(RequestPaths.normalize("/public/..?q")).isEqualTo("/?q");
        assertThat(RequestPaths.normalize("//..//a")).isEqualTo("//a");
    }

    @Test
    void unreservedEscapesAreDecodedFirstAndOthersKeptInUpperCase() {
        assertThat(RequestPaths.normalize("/%61dmin")).isEqualTo("/admin");
        assertThat(RequestPaths.normalize("/public/%2e%2E/admin")).isEqualTo("/admin");
        assertThat(RequestPaths.normalize("/public/.%2e/admin")).isEqualTo("/admin");
        assertThat(RequestPaths.normalize("/%7Euser/%2d")).isEqualTo("/~user/-");
        assertThat(RequestPaths.normalize("/a%2fb%5c%3f")).isEqualTo("/a%2Fb%5C%3F");
        assertThat(RequestPaths.normalize("/a/..%2Fadmin")).as("an escaped slash is not a separator").isEqualTo("/a/..%2Fadmin");
        assertThat(RequestPaths.normalize("/x?q=%61")).as("the query is not touched").isEqualTo("/x?q=%61");
    }

    @Test
    void badEscapesAndFragmentsAreRefused() {
        for (String p : new String[] {"/%", "/%4", "/%zz", "/a%4g", "/%\u0663\u0663", "/x#frag", "/x?q#f", "/%2",
                "/public/..;/admin", "/public/.;x/admin", "/a/../b/%2e%2e;/c", "/..;"}) {
            assertThat(RequestPaths.normalize(p)).as(p).isNull();
        }
        assertThat(RequestPaths.normalize("/x?q=%zz")).as("the query's escapes are the origin's business").isEqualTo("/x?q=%zz");
    }

    /** Random paths of the characters that matter: the result is normal (the same string again), dot-free and rooted. */
    @Test
    void theNormalFormIsStableAndHasNoDotSegments() {
        String[] parts = {"/", ".", "..", "a", "%2e", "%2E", "%61", "%2f", "%2F", "%41", "%7e", "b.", ".c", ";"};
        SplittableRandom random = new SplittableRandom(24);
        for (int run = 0; run < 20_000; run++) {
            StringBuilder p = new StringBuilder("/");
            for (int k = random.nextInt(12); k > 0; k--) {
                p.append(parts[random.nextInt(parts.length)]);
            }
            String input = p.toString();
            String normal = RequestPaths.normalize(input);
            if (normal == null) { // only for a dot segment with parameters
                assertThat(RequestPaths.removeDotSegments(input.replace("%2e", ".").replace("%2E", "."))).as(input).isNull();
                continue;
            }
            assertThat(normal).as(input).startsWith("/");
            assertThat(RequestPaths.normalize(normal)).as(input).isSameAs(normal);
            assertThat(normal.split("/", -1)).as(input).doesNotContain(".", "..");
        }
    }
}
