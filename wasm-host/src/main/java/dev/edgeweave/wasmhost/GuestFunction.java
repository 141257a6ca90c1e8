package dev.edgeweave.wasmhost;

/**
 * The executor seam: a prepared guest that turns a request into a response. Implementations are
 * thread-safe and run every call in a fresh Wasm instance.
 */
public interface GuestFunction {
  /** Runs the guest once for {@code request} on the calling thread. */
  GuestResponse invoke(GuestRequest request) throws GuestException;

  /** Hex sha256 of the module bytes this function runs. */
  String moduleDigest();
}
