# Builds the weave node and runs `weave` (default: a node serving /apps).
FROM maven:3.8.7-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -ntp -DskipTests -Dspotless.check.skip=true -pl mesh-node -am package

# The node as mesh-node packages it: weave.jar, whose manifest's Class-Path names the jars in lib/
# beside it. multi-jvm-tests' ImageLayoutTest checks that these copies make a complete node and
# that the java options below are the weave script's.
FROM eclipse-temurin:17-jre
COPY --from=build /src/mesh-node/target/weave.jar /opt/edgeweave/weave.jar
COPY --from=build /src/mesh-node/target/lib /opt/edgeweave/lib
EXPOSE 8080 8081 25520
ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED -jar /opt/edgeweave/weave.jar \"$@\"", "weave"]
CMD ["up", "/apps"]
