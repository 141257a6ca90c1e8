package dev.edgeweave.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A node's {@code GET /v1/status}: its apps, the cluster as it sees it, the entities it runs. */
public record NodeStatus(
    String self, String location, int apps, List<Member> members, List<String> entities) {

  /** A cluster member as the reporting node sees it. */
  public record Member(String address, String location, String status, boolean reachable) {}

  @SuppressWarnings("unchecked")
  public static NodeStatus parse(String json) {
    Map<String, Object> root = Json.object(json);
    Map<String, Object> cluster = (Map<String, Object>) root.get("cluster");
    if (cluster == null) {
      throw new IllegalStateException("status without cluster membership: " + json);
    }
    List<Member> members = new ArrayList<>();
    for (Object m : (List<Object>) cluster.get("members")) {
      Map<String, Object> member = (Map<String, Object>) m;
      members.add(
          new Member(
              (String) member.get("address"),
              (String) member.get("location"),
              (String) member.get("status"),
              (Boolean) member.get("reachable")));
    }
    List<String> entities = new ArrayList<>();
    for (Object e : (List<Object>) root.get("entities")) {
      entities.add((String) e);
    }
    return new NodeStatus(
        (String) cluster.get("self"),
        (String) cluster.get("location"),
        ((Number) root.get("apps")).intValue(),
        List.copyOf(members),
        List.copyOf(entities));
  }

  public Optional<Member> member(WeaveNode node) {
    return members.stream().filter(m -> m.address().equals(node.address())).findFirst();
  }

  /** Members that are Up and reachable. */
  public long upAndReachable() {
    return members.stream().filter(m -> m.status().equals("Up") && m.reachable()).count();
  }

  /** True when exactly {@code count} members are listed, all Up and reachable. */
  public boolean allUp(int count) {
    return members.size() == count && upAndReachable() == count;
  }
}
