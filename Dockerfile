# The node as mesh-node packages it, built on the host first (the image holds no build tools):
#   mvn -B -ntp -q -DskipTests package -pl mesh-node -am
# weave.jar's manifest Class-Path names the jars in lib/ beside it. multi-jvm-tests'
# ImageLayoutTest checks that these copies make a complete node and that the java options below
# are the weave script's. The base is any image with Java 17 on its PATH: where no registry is
# reachable, scripts/debian-base-image.sh builds one from Debian packages.
ARG BASE_IMAGE=eclipse-temurin:17-jre
FROM ${BASE_IMAGE}
COPY mesh-node/target/weave.jar /opt/edgeweave/weave.jar
COPY mesh-node/target/lib /opt/edgeweave/lib
# The node runs as a user of its own, its data (apps, key-value store, admin token) in /data.
# /keys is where a cluster's TLS keys go (WEAVE_CLUSTER_KEYS=/keys): owned by the node's user, so
# a named volume mounted there starts owned by it too and `weave keys /keys` can write it.
RUN useradd --system --user-group --home-dir /data weave && mkdir /data /keys \
  && chown weave:weave /data /keys && chmod 0700 /keys
USER weave
ENV WEAVE_DATA_DIR=/data
# public HTTP, admin API, Artery (cluster), blob transfer between peers
EXPOSE 8080 8081 25520 25530
ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED -jar /opt/edgeweave/weave.jar \"$@\"", "weave"]
# A node with no apps of its own: apps come with `weave deploy` and spread through the cluster.
CMD ["up"]
