# syntax=docker/dockerfile:1
# Build: the Maven wrapper on a JDK 17 image.
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
COPY config config
COPY health health
COPY routing routing
COPY ratelimit ratelimit
COPY proxy-core proxy-core
COPY deploy deploy
COPY src src
RUN ./mvnw -B -q -DskipTests package

# Run: a JRE, the gateway jar and its libraries, a non-root user.
FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 edge && useradd --system --uid 10001 --gid edge --no-create-home edge
COPY --from=build /src/proxy-core/target/edge-gateway.jar /opt/edge/edge-gateway.jar
COPY --from=build /src/proxy-core/target/lib /opt/edge/lib
USER 10001:10001
# 8080: traffic; 9901: admin (/healthz, /ready for probes; /metrics for scraping).
EXPOSE 8080 9901
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=70", "-XX:+ExitOnOutOfMemoryError", "-jar", "/opt/edge/edge-gateway.jar"]
CMD ["run", "--config", "/etc/edge/gateway.yaml"]
