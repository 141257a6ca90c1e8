package dev.edgeweave.deploy.spread;

import dev.edgeweave.deploy.DeployedApp;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Told of every deploy and removal an operator made on this node, to spread it to the others. */
public interface ReleaseLog {

  /** The app's release was deployed here (stored, compiled, live). */
  void deployed(DeployedApp app);

  /** The app was removed here. */
  void removed(String app);

  /**
   * The node deployed the app from a directory it was started with ({@code weave up DIR}): it
   * spreads only if the cluster does not know the app yet.
   */
  default void deployedFromDirectory(DeployedApp app) {
    deployed(app);
  }

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

  /**
   * How far the app's current release (the cluster's, else {@code servedHere}) has spread over the
   * current members; empty when this node knows nothing of the others.
   */
  default Optional<Readiness> readiness(String app, String servedHere) {
    return Optional.empty();
  }

  /** Returns the app to its previous release, here and then on every node. */
  default CompletionStage<Rollback> rollback(String app) {
    return CompletableFuture.completedFuture(
        new Rollback.NothingToRollBack("this node keeps no earlier releases to return to"));
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
