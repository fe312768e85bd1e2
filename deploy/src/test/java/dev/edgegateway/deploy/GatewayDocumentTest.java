package dev.edgegateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The deploy section cut out of the document the pods run, wherever it is and however it is written. */
class GatewayDocumentTest {
    @Test
    void aBlockSectionInTheMiddleGoesWithItsLinesTheCommentsBeforeTheNextKeyStay() {
        String text = """
                # the gateway
                listeners: [{name: public, address: 0.0.0.0:8080}]
                deploy:
                  image: x   # a comment inside
                  regions:
                    - name: eu-west-1

                # routes follow
                routes: [{name: api, cluster: web}]
                clusters: [{name: web, endpoints: [10.0.0.1:80]}]
                """;
        assertThat(GatewayDocument.withoutDeploy(text)).isEqualTo("""
                # the gateway
                listeners: [{name: public, address: 0.0.0.0:8080}]

                # routes follow
                routes: [{name: api, cluster: web}]
                clusters: [{name: web, endpoints: [10.0.0.1:80]}]
                """);
    }

    @Test
    void aFlowSectionOnOneLineAndADocumentWithoutOne() {
        assertThat(GatewayDocument.withoutDeploy("a: 1\ndeploy: {image: x, regions: []}\nb: 2\n")).isEqualTo("a: 1\nb: 2\n");
        assertThat(GatewayDocument.withoutDeploy("a: 1\nb: 2\n")).isEqualTo("a: 1\nb: 2\n");
    }

    @Test
    void aFlowStyleRootIsWrittenAgainWithoutTheSection() {
        String out = GatewayDocument.withoutDeploy("{a: 1, deploy: {image: x}, b: [2, 3]}\n");
        assertThat(out).doesNotContain("deploy").contains("a: 1").contains("b:");
    }
}
