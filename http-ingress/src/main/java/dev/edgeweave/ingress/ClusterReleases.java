package dev.edgeweave.ingress;

import dev.edgeweave.deploy.DeployedApp;
import java.util.Map;
import java.util.Optional;

/**
 * What the ingress knows of releases beyond this node: the release the cluster currently names for
 * an app (so a node still waiting for its blobs can route the request elsewhere), and which release
 * each member serves (its rollout status).
 */
public interface ClusterReleases {

  /**
   * The app's current release, by name in any case, as far as routing needs it (manifest and
   * routes; its modules may not be on this node).
   */
  Optional<DeployedApp> current(String app);

  /** Member address → the release of the app that member serves ("" for none). */
  Map<String, String> servedBy(String app);

  /** A node that knows of no other: it routes with its own catalog alone. */
  ClusterReleases NONE =
      new ClusterReleases() {
        @Override
        public Optional<DeployedApp> current(String app) {
          return Optional.empty();
        }

        @Override
        public Map<String, String> servedBy(String app) {
          return Map.of();
        }
      };
}
