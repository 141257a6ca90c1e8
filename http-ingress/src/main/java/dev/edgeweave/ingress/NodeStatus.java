package dev.edgeweave.ingress;

import dev.edgeweave.deploy.spread.ReleaseLog;
import dev.edgeweave.sharding.FunctionCatalog;
import dev.edgeweave.sharding.FunctionEntity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * What {@code GET /v1/status} reports: the apps this node serves, the cluster as this node sees it
 * (its location, every member with its location, status and reachability) and the function entities
 * running on this node; with a blob server, what it has uploaded to peers ({@code blobUploads}).
 */
final class NodeStatus {

  private NodeStatus() {}

  static CompletionStage<Map<String, Object>> describe(
      ActorSystem<?> system, FunctionCatalog catalog, ReleaseLog releaseLog, Duration timeout) {
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("status", "serving");
    status.put("apps", catalog.apps().size());
    status.put("cluster", cluster(Cluster.get(system)));
    releaseLog
        .blobUploads()
        .ifPresent(
            u -> {
              Map<String, Object> uploads = new LinkedHashMap<>();
              uploads.put("uploads", u.uploads());
              uploads.put("bytes", u.bytes());
              uploads.put("busyRefusals", u.busyRefusals());
              status.put("blobUploads", uploads);
            });
    return AskPattern
        .<org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery,
            ShardRegion.CurrentShardRegionState>
            ask(
                ClusterSharding.get(system).shardState(),
                replyTo -> new GetShardRegionState(FunctionEntity.TYPE_KEY, replyTo),
                timeout,
                system.scheduler())
        .thenApplyAsync(
            state -> {
              Set<String> entities = new TreeSet<>();
              for (ShardRegion.ShardState shard : state.getShards()) {
                entities.addAll(shard.getEntityIds());
              }
              status.put("entities", new ArrayList<>(entities));
              return status;
            },
            PublicIngress.SAME_THREAD);
  }

  private static Map<String, Object> cluster(Cluster cluster) {
    Member self = cluster.selfMember();
    ClusterEvent.CurrentClusterState state = cluster.state();
    Set<Member> unreachable = state.getUnreachable();
    List<Object> members = new ArrayList<>();
    for (Member m : state.getMembers()) {
      Map<String, Object> member = new LinkedHashMap<>();
      member.put("address", m.address().toString());
      member.put("location", m.dataCenter());
      member.put("status", m.status().toString());
      member.put("reachable", !unreachable.contains(m));
      members.add(member);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("self", self.address().toString());
    out.put("location", self.dataCenter());
    out.put("selfStatus", self.status().toString());
    out.put("members", members);
    out.put(
        "unreachableLocations", new ArrayList<>(new TreeSet<>(state.getUnreachableDataCenters())));
    return out;
  }
}
