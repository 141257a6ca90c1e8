package dev.edgeweave.deploy.spread;

import dev.edgeweave.deploy.DeployedApp;

/** Told of every deploy and removal an operator made on this node, to spread it to the others. */
public interface ReleaseLog {

  /** The app's release was deployed here (stored, compiled, live). */
  void deployed(DeployedApp app);

  /** The app was removed here. */
  void removed(String app);

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
