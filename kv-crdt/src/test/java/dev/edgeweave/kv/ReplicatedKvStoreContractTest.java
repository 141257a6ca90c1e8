package dev.edgeweave.kv;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract on a one-node cluster with durable storage. */
class ReplicatedKvStoreContractTest extends KvStoreContractTest {

  private static ActorSystem<Void> system;
  private static Path dir;

  @BeforeAll
  static void start() {
    dir = TestNodes.tempDir("kv-contract");
    system =
        TestNodes.start(
            ConfigFactory.parseString(CONFIG)
                .withFallback(TestNodes.config("here", dir.resolve("kv"), "")));
    TestNodes.form(java.util.List.of(system));
  }

  @AfterAll
  static void stop() {
    TestNodes.stop(system);
    TestNodes.deleteTree(dir);
  }

  @Override
  protected KvService service() {
    return ReplicatedKvService.get(system);
  }
}
