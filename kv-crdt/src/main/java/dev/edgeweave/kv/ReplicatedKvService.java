package dev.edgeweave.kv;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import dev.edgeweave.kv.internal.AppUsage;
import dev.edgeweave.kv.internal.BlobEndpoint;
import dev.edgeweave.kv.internal.BlobRef;
import dev.edgeweave.kv.internal.BlobStore;
import dev.edgeweave.kv.internal.BucketKey;
import dev.edgeweave.kv.internal.CasOwner;
import dev.edgeweave.kv.internal.HybridClock;
import dev.edgeweave.kv.internal.KvBucket;
import dev.edgeweave.kv.internal.KvEntry;
import dev.edgeweave.kv.internal.KvSerializer;
import dev.edgeweave.kv.internal.LocationEndpoint;
import dev.edgeweave.kv.internal.Mutations;
import dev.edgeweave.kv.internal.StoreIds;
import dev.edgeweave.kv.internal.WriteRateLimiter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.ddata.Replicator;
import org.apache.pekko.cluster.ddata.ReplicatorSettings;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.pattern.AskTimeoutException;
import org.apache.pekko.pattern.Patterns;

/**
 * The node's KV stores, replicated through Pekko Distributed Data. One per actor system ({@link
 * #get}); it runs its own replicator ({@code /system/kvReplicator}) with durable storage, and an
 * endpoint for location-majority calls ({@code /system/kvLocation}).
 *
 * <p>A store's keys are spread over {@code buckets-per-store} buckets ({@link KvBucket}); a call
 * reads or updates the one bucket of its key. Limits are checked before a write leaves the caller
 * (key and value size, rate) and inside the replicator's atomic update (bucket and app size).
 */
public final class ReplicatedKvService implements KvService, Extension {

  private static final int MAX_APP_NAME_BYTES = 256;
  private static final int MAX_LABEL_BYTES = 256;
  private static final int MAX_PAGE_SIZE = 10_000;

  private static final Id ID = new Id();

  private static final class Id extends AbstractExtensionId<ReplicatedKvService> {
    @Override
    public ReplicatedKvService createExtension(ExtendedActorSystem system) {
      return new ReplicatedKvService(system);
    }
  }

  /** The KV of this actor system, started on first use. */
  public static ReplicatedKvService get(ActorSystem system) {
    return ID.get(system);
  }

  public static ReplicatedKvService get(org.apache.pekko.actor.typed.ActorSystem<?> system) {
    return get(Adapter.toClassic(system));
  }

  private final ExtendedActorSystem system;
  private final KvSettings settings;
  private final Cluster cluster;
  private final UniqueAddress self;
  private final ActorRef replicator;
  private final HybridClock clock = HybridClock.system();
  private final Mutations mutations;
  private final AppUsage usage = new AppUsage();
  private final Map<String, WriteRateLimiter> limiters = new ConcurrentHashMap<>();
  private final org.apache.pekko.actor.typed.ActorRef<ShardingEnvelope<CasOwner.Command>> casOwners;
  private final BlobStore blobs;
  private final BlobEndpoint.Transfers transfers;
  private final java.util.concurrent.Executor blocking;

  private ReplicatedKvService(ExtendedActorSystem system) {
    this.system = system;
    this.settings = KvSettings.fromConfig(system.settings().config());
    this.cluster = Cluster.get(system);
    this.self = cluster.selfUniqueAddress();
    this.mutations = new Mutations(self, clock);
    Config ddata = system.settings().config().getConfig("edgeweave.kv.replicator");
    if (settings.durable()) {
      ddata =
          ddata
              .withValue(
                  "durable.keys", ConfigValueFactory.fromIterable(List.of(StoreIds.PREFIX + "*")))
              .withValue("durable.lmdb.dir", ConfigValueFactory.fromAnyRef(settings.durableDir()))
              .withValue(
                  "durable.lmdb.map-size",
                  ConfigValueFactory.fromAnyRef(settings.durableMapSize()));
    }
    this.replicator =
        system.systemActorOf(
            Replicator.props(ReplicatorSettings.apply(ddata)), ddata.getString("name"));
    system.systemActorOf(LocationEndpoint.props(replicator), LocationEndpoint.NAME);
    this.blobs =
        settings.durable()
            ? BlobStore.onDisk(java.nio.file.Path.of(settings.durableDir(), "blobs"))
            : BlobStore.inMemory();
    this.transfers = new BlobEndpoint.Transfers(system);
    transfers.attach(system.systemActorOf(BlobEndpoint.props(blobs, transfers), BlobEndpoint.NAME));
    this.blocking = system.dispatchers().lookup("pekko.actor.default-blocking-io-dispatcher");
    system
        .scheduler()
        .scheduleWithFixedDelay(
            settings.sweepInterval(),
            settings.sweepInterval(),
            this::sweepBlobs,
            system.dispatcher());
    // One owner per bucket for the whole cluster, hosted in the compare-and-swap location; the
    // other locations' nodes only route to it.
    this.casOwners =
        ClusterSharding.get(Adapter.toTyped(system))
            .init(
                Entity.of(
                        CasOwner.TYPE_KEY,
                        ctx ->
                            CasOwner.create(
                                this::swapAsOwner, settings.casMaxQueued(), settings.casTimeout()))
                    .withStopMessage(CasOwner.Stop.INSTANCE)
                    .withDataCenter(settings.casLocation()));
  }

  /** Runs one majority compare-and-swap on this node, as the owner of its bucket. */
  private CompletionStage<Boolean> swapAsOwner(CasOwner.Swap s) {
    Store store = (Store) open(s.app(), s.label());
    Optional<BlobRef> want =
        s.expectPresent()
            ? Optional.of(new BlobRef(s.expectedDigest(), s.expectedLength()))
            : Optional.empty();
    BlobRef blob =
        s.newBlobDigest().length == 0 ? null : new BlobRef(s.newBlobDigest(), s.newBlobLength());
    return store.swapHere(
        s.key(), want, blob == null ? s.newValue() : null, blob, Consistency.MAJORITY);
  }

  /**
   * Deletes this node's copies of large values that none of its buckets names any more, once they
   * are older than {@code sweep-grace}.
   */
  private void sweepBlobs() {
    long before = System.currentTimeMillis() - settings.sweepGrace().toMillis();
    ask(Replicator.GetKeyIds$.MODULE$, settings.localTimeout())
        .thenCompose(
            reply -> {
              List<CompletableFuture<KvBucket>> reads = new ArrayList<>();
              for (String id : ((Replicator.GetKeyIdsResult) reply).getKeyIds()) {
                if (id.startsWith(StoreIds.PREFIX)) {
                  reads.add(
                      getBucket(new BucketKey(id), Replicator.readLocal(), Consistency.LOCAL)
                          .toCompletableFuture());
                }
              }
              return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
                  .thenApplyAsync(
                      v -> {
                        java.util.Set<BlobRef> named = new java.util.HashSet<>();
                        reads.forEach(r -> named.addAll(r.join().blobs()));
                        return blobs.sweep(named, before);
                      },
                      blocking);
            })
        .whenComplete(
            (n, e) -> {
              boolean stopping =
                  org.apache.pekko.actor.CoordinatedShutdown.get(system)
                      .getShutdownReason()
                      .isPresent();
              if (e != null && !stopping) {
                system.log().warning("sweeping large KV values failed: {}", e.toString());
              }
            });
  }

  /**
   * Stores a large value on this node and sends it to every other node; done when the consistency
   * asks no more (LOCAL: stored here; LOCATION_MAJORITY: and on a majority of this location;
   * MAJORITY: on a majority of all nodes). The others receive it anyway, without waiting.
   */
  private CompletionStage<Void> storeBlob(BlobRef ref, byte[] value, Consistency c) {
    return CompletableFuture.runAsync(() -> blobs.put(ref, value), blocking)
        .thenCompose(
            stored -> {
              String dc = cluster.selfDataCenter();
              List<CompletionStage<Object>> location = new ArrayList<>();
              List<CompletionStage<Object>> all = new ArrayList<>();
              int members = 0;
              for (Member m : cluster.state().getMembers()) {
                if (!m.status().equals(MemberStatus.up())) {
                  continue;
                }
                members++;
                if (m.uniqueAddress().equals(self)) {
                  continue;
                }
                CompletionStage<Object> call =
                    transfers
                        .put(m.address(), ref, value, settings.transferTimeout())
                        .thenApply(ok -> (Object) ok);
                all.add(call);
                if (m.dataCenter().equals(dc)) {
                  location.add(call);
                }
              }
              return switch (c) {
                case LOCAL -> CompletableFuture.<Void>completedFuture(null);
                case LOCATION_MAJORITY ->
                    quorum(location, (location.size() + 1) / 2, Boolean.TRUE::equals, "location")
                        .thenApply(r -> (Void) null);
                case MAJORITY ->
                    quorum(all, members / 2, Boolean.TRUE::equals, "cluster")
                        .thenApply(r -> (Void) null);
              };
            });
  }

  /**
   * A large value's bytes: this node's copy, or else the first copy another node sends (the node
   * that wrote it first, then this location's, then the others), kept here for the next read.
   */
  private CompletionStage<byte[]> fetchBlob(BlobRef ref, long writerUid) {
    return CompletableFuture.supplyAsync(() -> blobs.get(ref), blocking)
        .thenCompose(
            local -> {
              if (local.isPresent()) {
                return CompletableFuture.completedFuture(local.get());
              }
              String dc = cluster.selfDataCenter();
              List<Member> order = new ArrayList<>();
              for (Member m : cluster.state().getMembers()) {
                if (m.status().equals(MemberStatus.up()) && !m.uniqueAddress().equals(self)) {
                  order.add(m);
                }
              }
              order.sort(
                  java.util.Comparator.comparing(
                          (Member m) -> m.uniqueAddress().longUid() != writerUid)
                      .thenComparing(m -> !m.dataCenter().equals(dc)));
              return fetchFrom(ref, order, 0);
            });
  }

  private CompletionStage<byte[]> fetchFrom(BlobRef ref, List<Member> order, int i) {
    if (i >= order.size()) {
      return CompletableFuture.failedFuture(
          new KvException(
              KvException.Kind.UNAVAILABLE,
              "no reachable node holds this key's large value (" + ref + ") yet"));
    }
    return transfers
        .get(order.get(i).address(), ref, settings.transferTimeout())
        .handle((v, e) -> e == null ? v : Optional.<byte[]>empty())
        .thenCompose(
            v -> {
              if (v.isEmpty()) {
                return fetchFrom(ref, order, i + 1);
              }
              byte[] value = v.get();
              return CompletableFuture.runAsync(() -> blobs.put(ref, value), blocking)
                  .handle((x, e) -> value); // a copy that could not be kept is still the value
            });
  }

  public KvSettings settings() {
    return settings;
  }

  @Override
  public KvStore open(String app, String label) {
    checkName(app, "app name", MAX_APP_NAME_BYTES);
    checkName(label, "store label", MAX_LABEL_BYTES);
    KvSettings.AppKv kv = settings.forApp(app);
    if (!kv.stores().contains(label)) {
      throw new KvException(
          KvException.Kind.NO_SUCH_STORE, "app " + app + " has no store labelled " + label);
    }
    WriteRateLimiter limiter =
        limiters.computeIfAbsent(
            app,
            a ->
                new WriteRateLimiter(
                    kv.limits().writesPerSecond(), kv.limits().writeBurst(), System::nanoTime));
    return new Store(app, label, kv, limiter);
  }

  private static void checkName(String name, String what, int maxBytes) {
    if (name == null || name.isEmpty()) {
      throw new KvException(KvException.Kind.OTHER, what + " is empty");
    }
    if (!StoreIds.wellFormed(name)) {
      throw new KvException(KvException.Kind.OTHER, what + " is not valid Unicode");
    }
    if (StoreIds.utf8Length(name) > maxBytes) {
      throw new KvException(
          KvException.Kind.OTHER, what + " is longer than " + maxBytes + " bytes");
    }
  }

  /** What an update computed besides the new bucket. */
  private record Outcome<R>(KvBucket bucket, R result) {}

  private final class Store implements KvStore {
    private final String app;
    private final String label;
    private final String storeId;
    private final KvSettings.AppKv kv;
    private final KvLimits limits;
    private final WriteRateLimiter limiter;

    Store(String app, String label, KvSettings.AppKv kv, WriteRateLimiter limiter) {
      this.app = app;
      this.label = label;
      this.storeId = StoreIds.storeId(app, label);
      this.kv = kv;
      this.limits = kv.limits();
      this.limiter = limiter;
    }

    @Override
    public String app() {
      return app;
    }

    @Override
    public String label() {
      return label;
    }

    @Override
    public Consistency consistency() {
      return kv.consistency();
    }

    @Override
    public CompletionStage<Optional<byte[]>> get(String key, Consistency c) {
      return checked(
          () -> {
            checkKey(key);
            return read(keyOf(key), c).thenCompose(b -> valueOf(b.entry(key)));
          });
    }

    private CompletionStage<Optional<byte[]>> valueOf(Optional<KvEntry> entry) {
      if (entry.isPresent() && entry.get().blob() != null) {
        return fetchBlob(entry.get().blob(), entry.get().stamp().writer()).thenApply(Optional::of);
      }
      return CompletableFuture.completedFuture(entry.flatMap(KvEntry::read));
    }

    @Override
    public CompletionStage<Boolean> exists(String key, Consistency c) {
      return checked(
          () -> {
            checkKey(key);
            return read(keyOf(key), c)
                .thenApply(b -> b.entry(key).map(KvEntry::isLive).orElse(false));
          });
    }

    @Override
    public CompletionStage<Void> set(String key, byte[] value, Consistency c) {
      return checked(
          () -> {
            checkKey(key);
            checkValue(value);
            acquire();
            byte[] copy = value.clone();
            if (copy.length <= settings.inlineMaxBytes()) {
              return this.<Void>write(
                  key, c, b -> new Outcome<>(mutations.write(b, key, copy), null));
            }
            // The bytes first, at the call's consistency; then the bucket names them.
            checkRoom(copy.length);
            BlobRef ref = BlobRef.of(copy);
            return storeBlob(ref, copy, c)
                .thenCompose(
                    stored ->
                        this.<Void>write(
                            key, c, b -> new Outcome<>(mutations.writeBlob(b, key, ref), null)));
          });
    }

    @Override
    public CompletionStage<Void> delete(String key, Consistency c) {
      return checked(
          () -> {
            checkKey(key);
            acquire();
            return this.<Void>write(
                key, c, b -> new Outcome<>(mutations.write(b, key, null), null));
          });
    }

    @Override
    public CompletionStage<Long> increment(
        String key, long delta, Optional<String> operationId, Consistency c) {
      return checked(
          () -> {
            checkKey(key);
            operationId.ifPresent(this::checkOperationId);
            acquire();
            return write(
                key,
                c,
                b -> {
                  Mutations.Result<Long> r =
                      mutations.increment(
                          b,
                          key,
                          delta,
                          operationId,
                          clock.nowMillis() - limits.operationIdRetention().toMillis(),
                          limits.maxOperationIdsPerCounter());
                  return new Outcome<>(r.bucket(), r.value());
                });
          });
    }

    @Override
    public CompletionStage<Boolean> compareAndSwap(
        String key, Optional<byte[]> expected, byte[] newValue, Consistency c) {
      return checked(
          () -> {
            checkKey(key);
            checkValue(newValue);
            acquire();
            byte[] copy = newValue.clone();
            Optional<BlobRef> want = expected.map(BlobRef::of);
            if (copy.length <= settings.inlineMaxBytes()) {
              return c == Consistency.MAJORITY
                  ? swapThroughOwner(key, want, copy, null)
                  : swapHere(key, want, copy, null, c);
            }
            // A large new value is stored at the call's consistency first; a swap that then
            // fails leaves it to the sweep.
            checkRoom(copy.length);
            BlobRef ref = BlobRef.of(copy);
            return storeBlob(ref, copy, c)
                .thenCompose(
                    stored ->
                        c == Consistency.MAJORITY
                            ? swapThroughOwner(key, want, null, ref)
                            : swapHere(key, want, null, ref, c));
          });
    }

    /**
     * Reads at the given consistency (which merges what the other replicas hold into this node's
     * replica), then compares and sets atomically in this node's replicator and writes at the same
     * consistency. Atomic across nodes only when every swap of the key runs here, one at a time:
     * the owner of the key's bucket does that for {@code MAJORITY}.
     */
    CompletionStage<Boolean> swapHere(
        String key, Optional<BlobRef> want, byte[] newValue, BlobRef newBlob, Consistency c) {
      CompletionStage<KvBucket> seen =
          c == Consistency.LOCAL
              ? CompletableFuture.completedFuture(KvBucket.EMPTY)
              : read(keyOf(key), c);
      return seen.thenCompose(
          ignored ->
              write(
                  key,
                  c,
                  b -> {
                    Optional<KvEntry> current = b.entry(key).filter(KvEntry::isLive);
                    boolean match =
                        current.isPresent() == want.isPresent()
                            && (current.isEmpty()
                                || (current.get().blob() != null
                                    ? current.get().blob().equals(want.get())
                                    : want.get().matches(current.get().read().orElseThrow())));
                    if (!match) {
                      return new Outcome<>(b, false);
                    }
                    // The write's stamp is above the one compared against (Mutations.write).
                    return new Outcome<>(
                        newBlob == null
                            ? mutations.write(b, key, newValue)
                            : mutations.writeBlob(b, key, newBlob),
                        true);
                  }));
    }

    /** Sends the swap to the owner of the key's bucket and waits for its answer. */
    private CompletionStage<Boolean> swapThroughOwner(
        String key, Optional<BlobRef> want, byte[] newValue, BlobRef newBlob) {
      String location = settings.casLocation();
      if (!locationUp(location)) {
        throw new KvException(
            KvException.Kind.UNAVAILABLE,
            "no node of location '"
                + location
                + "' (edgeweave.kv.compare-and-swap.location), which owns compare-and-swap"
                + " at majority, is up");
      }
      String bucket = keyOf(key).id();
      Duration timeout = settings.casTimeout();
      CompletionStage<CasOwner.Reply> reply =
          AskPattern.ask(
              casOwners,
              (org.apache.pekko.actor.typed.ActorRef<CasOwner.Reply> replyTo) ->
                  new ShardingEnvelope<>(
                      bucket,
                      new CasOwner.Swap(
                          app,
                          label,
                          key,
                          want.isPresent(),
                          want.map(BlobRef::digest).orElse(new byte[0]),
                          want.map(BlobRef::length).orElse(0L),
                          newBlob == null ? newValue : new byte[0],
                          newBlob == null ? new byte[0] : newBlob.digest(),
                          newBlob == null ? 0 : newBlob.length(),
                          replyTo)),
              timeout,
              Adapter.toTyped(system).scheduler());
      return reply.handle(
          (r, error) -> {
            if (error != null) {
              throw new KvException(
                  KvException.Kind.UNAVAILABLE,
                  "the owner of this key's compare-and-swaps did not answer within "
                      + timeout
                      + "; it may still be applied");
            }
            if (r instanceof CasOwner.Failed f) {
              throw f.exception();
            }
            return ((CasOwner.Swapped) r).swapped();
          });
    }

    @Override
    public CompletionStage<KeyPage> keys(Optional<String> cursor, int pageSize, Consistency c) {
      return checked(
          () -> {
            if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
              throw new KvException(
                  KvException.Kind.OTHER,
                  "page size must be in 1.." + MAX_PAGE_SIZE + ": " + pageSize);
            }
            String after = cursor.map(Store::decodeCursor).orElse(null);
            List<CompletableFuture<KvBucket>> reads = new ArrayList<>();
            for (int i = 0; i < settings.bucketsPerStore(); i++) {
              reads.add(read(StoreIds.bucketKey(storeId, i), c).toCompletableFuture());
            }
            return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
                .thenApply(
                    v -> {
                      TreeSet<String> keys = new TreeSet<>();
                      for (CompletableFuture<KvBucket> r : reads) {
                        r.join()
                            .entries()
                            .forEach(
                                (k, e) -> {
                                  if (e.isLive() && (after == null || k.compareTo(after) > 0)) {
                                    keys.add(k);
                                    if (keys.size() > pageSize) {
                                      keys.pollLast();
                                    }
                                  }
                                });
                      }
                      boolean more = false;
                      for (CompletableFuture<KvBucket> r : reads) {
                        String last = keys.isEmpty() ? after : keys.last();
                        for (Map.Entry<String, KvEntry> e :
                            (last == null ? r.join().entries() : r.join().entries().tailMap(last))
                                .entrySet()) {
                          if (e.getValue().isLive() && !e.getKey().equals(last)) {
                            more = true;
                            break;
                          }
                        }
                      }
                      List<String> page = new ArrayList<>(keys);
                      Optional<String> next =
                          more && !page.isEmpty()
                              ? Optional.of(encodeCursor(page.get(page.size() - 1)))
                              : Optional.empty();
                      return new KeyPage(page, next);
                    });
          });
    }

    private static String encodeCursor(String key) {
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }

    private static String decodeCursor(String cursor) {
      try {
        return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new KvException(KvException.Kind.OTHER, "not a cursor of this store: " + cursor);
      }
    }

    private BucketKey keyOf(String key) {
      return StoreIds.bucketKey(storeId, StoreIds.bucketOf(key, settings.bucketsPerStore()));
    }

    private void checkKey(String key) {
      if (key == null) {
        throw new KvException(KvException.Kind.OTHER, "key is null");
      }
      if (!StoreIds.wellFormed(key)) {
        throw new KvException(KvException.Kind.OTHER, "key is not valid Unicode");
      }
      int n = StoreIds.utf8Length(key);
      if (n > limits.maxKeyBytes()) {
        throw new KvException(
            KvException.Kind.KEY_TOO_LARGE,
            "key of " + n + " bytes is over max-key-bytes (" + limits.maxKeyBytes() + ")");
      }
    }

    private void checkValue(byte[] value) {
      if (value == null) {
        throw new KvException(KvException.Kind.OTHER, "value is null");
      }
      if (value.length > limits.maxValueBytes()) {
        throw new KvException(
            KvException.Kind.VALUE_TOO_LARGE,
            "value of "
                + value.length
                + " bytes is over max-value-bytes ("
                + limits.maxValueBytes()
                + ")");
      }
    }

    private void checkOperationId(String id) {
      if (id.isEmpty() || !StoreIds.wellFormed(id)) {
        throw new KvException(KvException.Kind.OTHER, "operation id is empty or not Unicode");
      }
      if (StoreIds.utf8Length(id) > limits.maxOperationIdBytes()) {
        throw new KvException(
            KvException.Kind.OTHER,
            "operation id is over max-operation-id-bytes (" + limits.maxOperationIdBytes() + ")");
      }
    }

    private void acquire() {
      if (!limiter.tryAcquire()) {
        throw new KvException(
            KvException.Kind.RATE_LIMITED,
            "app " + app + " is over " + limits.writesPerSecond() + " writes per second");
      }
    }

    /** Refuses a large value the app has no room for before its bytes travel anywhere. */
    private void checkRoom(long bytes) {
      long total = usage.total(app) + bytes;
      if (total > limits.maxAppBytes()) {
        throw new KvException(
            KvException.Kind.STORE_TABLE_FULL,
            "app "
                + app
                + " would hold "
                + total
                + " bytes, over max-app-bytes ("
                + limits.maxAppBytes()
                + ")");
      }
    }

    /** Bucket and app size, checked where the update is atomic: a write may only grow so far. */
    private void checkSize(BucketKey k, KvBucket before, KvBucket after) {
      int was = before.estimatedBytes();
      int now = after.estimatedBytes();
      if (now > was && now > limits.maxBucketBytes()) {
        throw new KvException(
            KvException.Kind.STORE_TABLE_FULL,
            "store "
                + label
                + ": the bucket of this key would hold "
                + now
                + " bytes, over max-bucket-bytes ("
                + limits.maxBucketBytes()
                + ")");
      }
      long held = now + after.blobBytes();
      if (held > was + before.blobBytes()) {
        long total = usage.totalWith(app, k.id(), held);
        if (total > limits.maxAppBytes()) {
          throw new KvException(
              KvException.Kind.STORE_TABLE_FULL,
              "app "
                  + app
                  + " would hold "
                  + total
                  + " bytes, over max-app-bytes ("
                  + limits.maxAppBytes()
                  + ")");
        }
      }
      usage.record(app, k.id(), held);
    }

    private <R> CompletionStage<R> write(
        String key, Consistency c, Function<KvBucket, Outcome<R>> op) {
      BucketKey k = keyOf(key);
      AtomicReference<Outcome<R>> outcome = new AtomicReference<>();
      long retention = settings.tombstoneRetention().toMillis();
      Function<KvBucket, KvBucket> modify =
          before -> {
            Outcome<R> o = op.apply(before);
            KvBucket after = mutations.collect(o.bucket(), clock.nowMillis() - retention);
            checkSize(k, before, after);
            outcome.set(new Outcome<>(after, o.result()));
            return after;
          };
      Replicator.WriteConsistency wc =
          c == Consistency.MAJORITY
              ? new Replicator.WriteMajority(settings.timeout(c))
              : Replicator.writeLocal();
      CompletionStage<R> local =
          ask(
                  new Replicator.Update<>(k, KvBucket.EMPTY, wc, Optional.empty(), modify),
                  askTimeout(c))
              .thenApply(
                  reply -> {
                    if (reply instanceof Replicator.UpdateSuccess) {
                      return outcome.get().result();
                    }
                    throw updateFailure(reply, c);
                  });
      if (c != Consistency.LOCATION_MAJORITY) {
        return local;
      }
      return local.thenCompose(
          result -> {
            KvBucket after = outcome.get().bucket();
            KvBucket delta =
                KvBucket.of(
                    after.entry(key).map(e -> Map.of(key, e)).orElse(Map.of()), after.horizon());
            return pushToLocation(k, delta).thenApply(v -> result);
          });
    }

    private CompletionStage<KvBucket> read(BucketKey k, Consistency c) {
      CompletionStage<KvBucket> bucket =
          switch (c) {
            case LOCAL -> getBucket(k, Replicator.readLocal(), c);
            case MAJORITY -> getBucket(k, new Replicator.ReadMajority(settings.timeout(c)), c);
            case LOCATION_MAJORITY -> readLocation(k);
          };
      return bucket.thenApply(
          b -> {
            usage.record(app, k.id(), b.estimatedBytes() + b.blobBytes());
            return b;
          });
    }
  }

  private CompletionStage<KvBucket> getBucket(
      BucketKey k, Replicator.ReadConsistency rc, Consistency c) {
    return ask(new Replicator.Get<>(k, rc, Optional.empty()), askTimeout(c))
        .thenApply(
            reply -> {
              if (reply instanceof Replicator.GetSuccess<?> s) {
                return (KvBucket) s.dataValue();
              }
              if (reply instanceof Replicator.NotFound) {
                return KvBucket.EMPTY;
              }
              if (reply instanceof Replicator.GetFailure) {
                throw new KvException(
                    KvException.Kind.UNAVAILABLE,
                    "no majority answered a read within " + settings.timeout(c));
              }
              throw new KvException(KvException.Kind.OTHER, "unexpected reply: " + reply);
            });
  }

  /** Reads a bucket from a majority of this location, merging what they hold into this node. */
  private CompletionStage<KvBucket> readLocation(BucketKey k) {
    List<Address> peers = locationPeers();
    int needed = (peers.size() + 1) / 2;
    Duration timeout = settings.timeout(Consistency.LOCATION_MAJORITY);
    List<CompletionStage<Object>> calls = new ArrayList<>();
    for (Address peer : peers) {
      calls.add(Patterns.ask(endpoint(peer), new LocationEndpoint.Read(k.id()), timeout));
    }
    return quorum(calls, needed, reply -> reply instanceof LocationEndpoint.ReadResult)
        .thenCompose(
            replies -> {
              KvBucket merged = KvBucket.EMPTY;
              for (Object r : replies) {
                merged =
                    merged.mergeData(
                        KvSerializer.fromProto(((LocationEndpoint.ReadResult) r).bucket()));
              }
              KvBucket remote = merged;
              AtomicReference<KvBucket> result = new AtomicReference<>();
              return ask(
                      new Replicator.Update<>(
                          k,
                          KvBucket.EMPTY,
                          Replicator.writeLocal(),
                          Optional.empty(),
                          existing -> {
                            KvBucket m = existing.mergeData(remote);
                            result.set(m);
                            return m;
                          }),
                      askTimeout(Consistency.LOCAL))
                  .thenApply(
                      reply -> {
                        if (reply instanceof Replicator.UpdateSuccess) {
                          return result.get();
                        }
                        throw updateFailure(reply, Consistency.LOCAL);
                      });
            });
  }

  /** Sends a bucket delta to this location's other nodes; done when a majority stored it. */
  private CompletionStage<Void> pushToLocation(BucketKey k, KvBucket delta) {
    List<Address> peers = locationPeers();
    int needed = (peers.size() + 1) / 2;
    Duration timeout = settings.timeout(Consistency.LOCATION_MAJORITY);
    LocationEndpoint.Push push = new LocationEndpoint.Push(k.id(), KvSerializer.toProto(delta));
    List<CompletionStage<Object>> calls = new ArrayList<>();
    for (Address peer : peers) {
      calls.add(Patterns.ask(endpoint(peer), push, timeout));
    }
    return quorum(calls, needed, r -> r instanceof LocationEndpoint.Ack a && a.stored())
        .thenApply(r -> null);
  }

  /**
   * Completes with the first {@code needed} replies that pass {@code ok}, or fails as soon as so
   * many calls failed that {@code needed} can no longer be reached.
   */
  private static CompletionStage<List<Object>> quorum(
      List<CompletionStage<Object>> calls, int needed, java.util.function.Predicate<Object> ok) {
    return quorum(calls, needed, ok, "location");
  }

  /** As above; {@code scope} ("location" or "cluster") names the majority in the error. */
  private static CompletionStage<List<Object>> quorum(
      List<CompletionStage<Object>> calls,
      int needed,
      java.util.function.Predicate<Object> ok,
      String scope) {
    CompletableFuture<List<Object>> done = new CompletableFuture<>();
    if (needed <= 0) {
      done.complete(List.of());
      return done;
    }
    List<Object> good = new ArrayList<>();
    AtomicInteger bad = new AtomicInteger();
    int total = calls.size();
    for (CompletionStage<Object> call : calls) {
      call.whenComplete(
          (reply, error) -> {
            synchronized (good) {
              if (error == null && ok.test(reply)) {
                good.add(reply);
                if (good.size() == needed) {
                  done.complete(List.copyOf(good));
                }
              } else if (total - bad.incrementAndGet() < needed) {
                done.completeExceptionally(
                    new KvException(
                        KvException.Kind.UNAVAILABLE,
                        "a majority of this "
                            + scope
                            + " ("
                            + (needed + 1)
                            + " of "
                            + (total + 1)
                            + " nodes) did not answer in time"));
              }
            }
          });
    }
    if (total < needed) {
      done.completeExceptionally(
          new KvException(KvException.Kind.UNAVAILABLE, "too few nodes in this " + scope));
    }
    return done;
  }

  private boolean locationUp(String location) {
    for (Member m : cluster.state().getMembers()) {
      if (m.status().equals(MemberStatus.up()) && m.dataCenter().equals(location)) {
        return true;
      }
    }
    return false;
  }

  /** The other nodes of this node's location that are up. */
  private List<Address> locationPeers() {
    String dc = cluster.selfDataCenter();
    List<Address> peers = new ArrayList<>();
    for (Member m : cluster.state().getMembers()) {
      if (m.status().equals(MemberStatus.up())
          && m.dataCenter().equals(dc)
          && !m.uniqueAddress().equals(self)) {
        peers.add(m.address());
      }
    }
    return peers;
  }

  private org.apache.pekko.actor.ActorSelection endpoint(Address node) {
    return system.actorSelection(node + "/system/" + LocationEndpoint.NAME);
  }

  private Duration askTimeout(Consistency c) {
    return c == Consistency.LOCAL
        ? settings.localTimeout()
        : settings.timeout(c).plus(settings.localTimeout());
  }

  private CompletionStage<Object> ask(Object message, Duration timeout) {
    return Patterns.ask(replicator, message, timeout)
        .exceptionally(
            e -> {
              Throwable cause = e.getCause() != null ? e.getCause() : e;
              if (cause instanceof AskTimeoutException || e instanceof AskTimeoutException) {
                throw new KvException(
                    KvException.Kind.UNAVAILABLE,
                    "the KV replicator did not answer within " + timeout);
              }
              throw KvException.unwrap(e);
            });
  }

  private KvException updateFailure(Object reply, Consistency c) {
    if (reply instanceof Replicator.ModifyFailure<?> f) {
      return KvException.unwrap(f.cause());
    }
    if (reply instanceof Replicator.UpdateTimeout) {
      return new KvException(
          KvException.Kind.UNAVAILABLE,
          "write not acknowledged by the "
              + c.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
              + " within "
              + settings.timeout(c)
              + "; it may still be applied");
    }
    if (reply instanceof Replicator.StoreFailure) {
      return new KvException(
          KvException.Kind.STORAGE_FAILURE, "this node could not store the write durably");
    }
    return new KvException(KvException.Kind.OTHER, "unexpected reply: " + reply);
  }

  private static <T> CompletionStage<T> checked(
      java.util.function.Supplier<CompletionStage<T>> call) {
    try {
      return call.get();
    } catch (KvException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
