package dev.edgeweave.kv;

/** The node's key-value stores: one per app and label. */
public interface KvService {

  /**
   * The store {@code label} of {@code app}. No key or label of one app reaches another app's data.
   *
   * @throws KvException {@code NO_SUCH_STORE} when the node offers no store of that label to the
   *     app ({@code edgeweave.kv.stores}, per app under {@code edgeweave.apps."<name>".kv.stores}),
   *     {@code OTHER} when the app name or label is empty, too long or not valid Unicode.
   */
  KvStore open(String app, String label);
}
