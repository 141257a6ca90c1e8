package dev.edgeweave.deploy;

/**
 * The side that runs releases, told of their lifecycle by {@link Releases}: it checks a bundle
 * before anything is stored, and forgets a release no request can reach any more.
 */
public interface ReleaseHook {

  /**
   * Checks a bundle before anything is stored (e.g. compiles its modules). Runs without any lock,
   * so deploys of other apps, and lookups, go on meanwhile.
   *
   * @return what to tell once the bundle is stored and its release is live
   * @throws DeployRefusedException to refuse the deploy: nothing is stored, the live release stays
   */
  Accepted check(AppBundle bundle) throws DeployRefusedException;

  /** No request can reach this release any more: it drained, or its app was removed. */
  void dropped(DeployedApp release);

  /** A bundle that passed {@link #check}, told its release once that is live. */
  @FunctionalInterface
  interface Accepted {
    /** Called under the app's lock, right after the swap, before the deploy returns. */
    void live(DeployedApp release);
  }
}
