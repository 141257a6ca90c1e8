package dev.edgeweave.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KvSettingsTest {

  private static KvSettings settings(String hocon) {
    return KvSettings.fromConfig(
        ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load()).resolve());
  }

  @Test
  void defaultsComeFromReferenceConf() {
    KvSettings s = settings("");
    KvSettings.AppKv kv = s.forApp("any");
    assertEquals(Set.of("default"), kv.stores());
    assertEquals(Consistency.LOCAL, kv.consistency());
    assertEquals(8 * 1024, kv.limits().maxKeyBytes());
    assertEquals(1024 * 1024, kv.limits().maxValueBytes());
    assertEquals(Duration.ofMinutes(5), kv.limits().operationIdRetention());
    assertEquals(32, s.bucketsPerStore());
    assertTrue(s.durable());
  }

  @Test
  void anAppOverridesItsLimitsStoresAndConsistency() {
    KvSettings s =
        settings(
            """
            edgeweave.apps."shop".kv {
              stores = ["default", "sessions"]
              consistency = location-majority
              limits.writes-per-second = 5
            }
            """);
    KvSettings.AppKv shop = s.forApp("shop");
    assertEquals(Set.of("default", "sessions"), shop.stores());
    assertEquals(Consistency.LOCATION_MAJORITY, shop.consistency());
    assertEquals(5.0, shop.limits().writesPerSecond());
    assertEquals(1024 * 1024, shop.limits().maxValueBytes());
    assertEquals(1000.0, s.forApp("other").limits().writesPerSecond());
  }

  @Test
  void aBadOverrideNamesItsAppAndWhatWasExpected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> settings("edgeweave.apps.\"shop\".kv.limits.write-burst = 0"));
    assertTrue(e.getMessage().contains("edgeweave.apps.\"shop\".kv"), e.getMessage());
    assertTrue(e.getMessage().contains("write-burst >= 1"), e.getMessage());
  }

  @Test
  void aBucketLimitOverHalfAFrameIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> settings("edgeweave.kv.limits.max-bucket-bytes = 200 KiB"));
    assertTrue(e.getMessage().contains("maximum-frame-size"), e.getMessage());
  }

  @Test
  void aValueLimitThatCannotTravelInOneLargeFrameIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> settings("edgeweave.apps.\"big\".kv.limits.max-value-bytes = 2 MiB"));
    assertTrue(e.getMessage().contains("maximum-large-frame-size"), e.getMessage());
    assertEquals(
        3 * 1024 * 1024,
        settings(
                """
                pekko.remote.artery.advanced.maximum-large-frame-size = 4 MiB
                edgeweave.kv.limits.max-value-bytes = 3 MiB
                """)
            .forApp("any")
            .limits()
            .maxValueBytes());
  }

  @Test
  void anUnknownConsistencyIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> settings("edgeweave.kv.consistency = all"));
  }
}
