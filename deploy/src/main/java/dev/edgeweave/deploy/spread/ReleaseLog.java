package dev.edgeweave.deploy.spread;

import dev.edgeweave.deploy.DeployedApp;
import java.util.Map;
import java.util.Optional;

/** Told of every deploy and removal an operator made on this node, to spread it to the others. */
public interface ReleaseLog {

  /** The app's release was deployed here (stored, compiled, live). */
  void deployed(DeployedApp app);

  /** The app was removed here. */
  void removed(String app);

  /**
   * Which cluster member serves which release of the app (member address → release digest), as far
   * as this node has heard; members that left are not listed.
   */
  default Map<String, String> rollout(String app) {
    return Map.of();
  }

  /** What this node's blob server has sent its peers, when it runs one. */
  default Optional<BlobUploads> blobUploads() {
    return Optional.empty();
  }

  /** A log that spreads nothing: a node on its own. */
  static ReleaseLog none() {
    return new ReleaseLog() {
      @Override
      public void deployed(DeployedApp app) {}

      @Override
      public void removed(String app) {}
    };
  }
}
