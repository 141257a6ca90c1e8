package dev.edgeweave.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeweave.faults.History.Kind;
import dev.edgeweave.faults.History.Op;
import dev.edgeweave.faults.History.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The checker on histories written by hand: it finds each kind of anomaly, and only those. */
class CheckerTest {

  private final List<Op> ops = new ArrayList<>();
  private long clock;

  private void set(String key, String value, Outcome outcome) {
    ops.add(op(Kind.SET, key, value, null, null, false, outcome, "status 0"));
  }

  private void increment(String key, String id, Outcome outcome) {
    ops.add(op(Kind.INCREMENT, key, null, null, id, false, outcome, "1"));
  }

  private void swap(String key, String expected, String value, boolean certain, String result) {
    ops.add(op(Kind.CAS, key, value, expected, null, certain, Outcome.OK, result));
  }

  private Op op(
      Kind kind,
      String key,
      String value,
      String expected,
      String id,
      boolean certain,
      Outcome outcome,
      String result) {
    clock += 10;
    return new Op(
        ops.size(),
        "c",
        "eu-1",
        kind,
        key,
        value,
        expected,
        id,
        certain,
        clock,
        clock + 5,
        outcome,
        result);
  }

  @Test
  void aHistoryWhoseWritesAllSurviveIsValid() {
    set("a", "1", Outcome.OK);
    set("a", "2", Outcome.OK);
    set("a", "3", Outcome.INFO); // may or may not have applied
    increment("n", "x", Outcome.OK);
    increment("n", "y", Outcome.INFO);
    increment("n", "y", Outcome.OK); // its retry, acknowledged: counts once
    swap("c", null, "v1", true, "swapped 1");
    Checker.Result r = Checker.check(ops, Map.of("a", "2", "n", "2", "c", "v1"));
    assertTrue(r.valid(), r.anomalies().toString());
    assertEquals(5, r.acknowledged());
    assertEquals(2, r.indeterminate());
  }

  @Test
  void anAcknowledgedWriteMissingAfterHealingIsLost() {
    set("a", "1", Outcome.OK);
    set("a", "2", Outcome.OK);
    Checker.Result older = Checker.check(ops, Map.of("a", "1"));
    assertEquals(1, older.lost(), older.anomalies().toString());
    Checker.Result gone = Checker.check(ops, Map.of());
    assertEquals(1, gone.lost(), gone.anomalies().toString());
  }

  @Test
  void aValueNobodyWroteIsAnAnomaly() {
    set("a", "1", Outcome.FAIL);
    Checker.Result r = Checker.check(ops, Map.of("a", "1"));
    assertEquals(1, r.anomalies().size(), r.anomalies().toString());
  }

  @Test
  void aCounterBelowItsAcknowledgedIncrementsLostSomeAndOneAboveCountedOneTwice() {
    increment("n", "x", Outcome.OK);
    increment("n", "y", Outcome.OK);
    increment("n", "y", Outcome.OK);
    Checker.Result low = Checker.check(ops, Map.of("n", "1"));
    assertEquals(1, low.lost(), low.anomalies().toString());
    Checker.Result high = Checker.check(ops, Map.of("n", "3"));
    assertEquals(0, high.lost());
    assertTrue(high.anomalies().get(0).contains("counted twice"), high.anomalies().toString());
  }

  @Test
  void anIncrementNeverAcknowledgedMakesTheCountInexact() {
    increment("n", "x", Outcome.OK);
    increment("n", "y", Outcome.INFO);
    Checker.Result r = Checker.check(ops, Map.of("n", "2"));
    assertTrue(r.anomalies().get(0).contains("never acknowledged"), r.anomalies().toString());
  }

  @Test
  void aSwapRefusedAlthoughItsExpectedValueWasTheClientsOwnAcknowledgedWriteIsAnAnomaly() {
    swap("c", null, "v1", true, "swapped 1");
    swap("c", "v1", "v2", true, "swapped 0");
    Checker.Result r = Checker.check(ops, Map.of("c", "v1"));
    assertEquals(1, r.anomalies().size(), r.anomalies().toString());
    ops.clear();
    swap("c", null, "v1", true, "swapped 1");
    swap("c", "stale", "v2", false, "swapped 0"); // from a read that may be stale: no anomaly
    assertTrue(Checker.check(ops, Map.of("c", "v1")).valid());
  }
}
