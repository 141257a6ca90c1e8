package dev.edgeweave.deploy.spread;

import dev.edgeweave.deploy.DeployedApp;
import java.util.Objects;

/** What asking to return an app to its previous release gave. */
public sealed interface Rollback
    permits Rollback.RolledBack, Rollback.NoSuchApp, Rollback.NothingToRollBack, Rollback.Failed {

  /** The app serves its previous release here, and the rollback spreads to every node. */
  record RolledBack(DeployedApp app, String from) implements Rollback {
    public RolledBack {
      Objects.requireNonNull(app, "app");
      Objects.requireNonNull(from, "from");
    }
  }

  /** No app of that name is deployed. */
  record NoSuchApp(String app) implements Rollback {}

  /** The app has no release to return to; the reason says why (never redeployed, rolled back). */
  record NothingToRollBack(String reason) implements Rollback {}

  /** The previous release could not be installed (its blobs unavailable, a compile failed). */
  record Failed(String reason) implements Rollback {}
}
