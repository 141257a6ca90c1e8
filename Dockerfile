# Builds the weave node and runs `weave` (default: a node serving /apps).
FROM maven:3.8.7-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -ntp -DskipTests -Dspotless.check.skip=true package

FROM eclipse-temurin:17-jre
COPY --from=build /src/mesh-node/target/weave.jar /opt/edgeweave/weave.jar
EXPOSE 8080 8081 25520
ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED -jar /opt/edgeweave/weave.jar \"$@\"", "weave"]
CMD ["up", "/apps"]
