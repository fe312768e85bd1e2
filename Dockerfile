# syntax=docker/dockerfile:1
# The gateway image the generated Deployment runs (deploy/: edge-sidecar).
# Build: the Maven wrapper on a JDK 17 image.
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY . .
RUN ./mvnw -B -q -DskipTests -pl proxy-core,deploy -am package

# Run: a JRE, the gateway (and the sidecar) with their libraries, a non-root user. The root
# filesystem can be read-only: the JVM and Netty's native libraries use /tmp (an emptyDir in
# the generated Deployment).
FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 edge && useradd --system --uid 10001 --gid edge --no-create-home edge
COPY --from=build /src/proxy-core/target/edge-gateway.jar /opt/edge/edge-gateway.jar
COPY --from=build /src/proxy-core/target/lib /opt/edge/lib
COPY --from=build /src/deploy/target/edge-sidecar.jar /opt/edge-sidecar/edge-sidecar.jar
COPY --from=build /src/deploy/target/lib /opt/edge-sidecar/lib
USER 10001:10001
# 8080: traffic; 9901: admin (/healthz, /ready for probes; /metrics for scraping).
EXPOSE 8080 9901
# The JIT compiler's threads at nice 10, below the event loops (ImageBuilder.RUNTIME_OPTIONS, which the
# daemonless image bakes into its jlink runtime). From the command line, as here, the JVM prints one
# "VM warning" at start for a non-root user: raising a priority would need privilege. Only lowering
# is used, and that applies. The parallel collector, as the daemonless image's runtime has it
# (docs/architecture.md, "The parallel collector").
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=70", "-XX:+ExitOnOutOfMemoryError", "-XX:+UseParallelGC", "-XX:ThreadPriorityPolicy=1", "-XX:CompilerThreadPriority=10", "-jar", "/opt/edge/edge-gateway.jar"]
CMD ["run", "--config", "/etc/edge/gateway.yaml"]
