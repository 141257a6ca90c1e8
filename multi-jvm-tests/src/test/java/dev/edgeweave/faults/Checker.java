package dev.edgeweave.faults;

import dev.edgeweave.faults.History.Kind;
import dev.edgeweave.faults.History.Op;
import dev.edgeweave.faults.History.Outcome;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a KV history against the store's state after healing (the state every node agrees on):
 *
 * <ul>
 *   <li>every acknowledged write (a set, a swap that swapped) is present, or superseded by a later
 *       write of the same key (each register key has one writer, so "later" is its order);
 *   <li>a value present is one that was written and not older than the last acknowledged write;
 *   <li>each counter equals its acknowledged increments exactly — each operation id once, however
 *       often it was sent — and no increment stays unacknowledged after healing;
 *   <li>a swap from the client's own acknowledged value is never refused.
 * </ul>
 */
final class Checker {

  /**
   * Operations, how many were acknowledged and how many indeterminate, acknowledged writes lost
   * (including increments missing from a counter), and every anomaly found, described.
   */
  record Result(
      int operations, int acknowledged, int indeterminate, int lost, List<String> anomalies) {
    boolean valid() {
      return lost == 0 && anomalies.isEmpty();
    }
  }

  private Checker() {}

  static Result check(List<Op> ops, Map<String, String> state) {
    List<String> anomalies = new ArrayList<>();
    int lost = 0;
    Map<String, List<Op>> writes = new LinkedHashMap<>();
    Map<String, List<Op>> increments = new LinkedHashMap<>();
    for (Op op : ops) {
      switch (op.kind()) {
        case SET, CAS -> {
          boolean maybeWritten =
              op.kind() == Kind.SET ? op.outcome() != Outcome.FAIL : op.swapped() || isInfo(op);
          List<Op> keyWrites = writes.computeIfAbsent(op.key(), k -> new ArrayList<>());
          if (maybeWritten) {
            keyWrites.add(op);
          }
          if (op.kind() == Kind.CAS
              && op.certain()
              && op.outcome() == Outcome.OK
              && !op.swapped()) {
            anomalies.add(
                "swap of "
                    + op.key()
                    + " from the client's own acknowledged value "
                    + op.expected()
                    + " was refused at "
                    + op.node());
          }
        }
        case INCREMENT -> increments.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
      }
    }
    for (Map.Entry<String, List<Op>> e : writes.entrySet()) {
      String key = e.getKey();
      List<Op> w = e.getValue();
      int last = -1;
      for (int i = 0; i < w.size(); i++) {
        if (w.get(i).outcome() == Outcome.OK) {
          last = i;
        }
      }
      Set<String> allowed = new HashSet<>();
      for (int i = Math.max(last, 0); i < w.size(); i++) {
        if (i == last || isInfo(w.get(i))) {
          allowed.add(w.get(i).value());
        }
      }
      String value = state.get(key);
      boolean ok = value == null ? last < 0 : allowed.contains(value);
      if (!ok) {
        if (last >= 0) {
          lost++;
          Op acked = w.get(last);
          anomalies.add(
              "lost write: "
                  + key
                  + " = "
                  + acked.value()
                  + " acknowledged by "
                  + acked.node()
                  + " (op "
                  + acked.id()
                  + "), but every node reads "
                  + (value == null ? "nothing" : value));
        } else {
          anomalies.add("phantom value: " + key + " reads " + value + ", never written");
        }
      }
    }
    for (Map.Entry<String, List<Op>> e : increments.entrySet()) {
      Set<String> acked = new HashSet<>();
      Set<String> issued = new HashSet<>();
      for (Op op : e.getValue()) {
        issued.add(op.operationId());
        if (op.outcome() == Outcome.OK) {
          acked.add(op.operationId());
        }
      }
      String raw = state.get(e.getKey());
      long value;
      try {
        value = raw == null ? 0 : Long.parseLong(raw);
      } catch (NumberFormatException notANumber) {
        anomalies.add("counter " + e.getKey() + " reads " + raw);
        continue;
      }
      int unresolved = issued.size() - acked.size();
      if (value < acked.size()) {
        lost += acked.size() - (int) value;
        anomalies.add(
            "counter "
                + e.getKey()
                + " = "
                + value
                + " but "
                + acked.size()
                + " increments were acknowledged");
      } else if (value > issued.size()) {
        anomalies.add(
            "counter "
                + e.getKey()
                + " = "
                + value
                + " but only "
                + issued.size()
                + " distinct increments were sent: an increment counted twice");
      } else if (unresolved > 0) {
        anomalies.add(
            "counter "
                + e.getKey()
                + ": "
                + unresolved
                + " increments never acknowledged after healing (value "
                + value
                + ", acknowledged "
                + acked.size()
                + ")");
      }
    }
    int acknowledged = (int) ops.stream().filter(o -> o.outcome() == Outcome.OK).count();
    int indeterminate = (int) ops.stream().filter(Checker::isInfo).count();
    return new Result(ops.size(), acknowledged, indeterminate, lost, List.copyOf(anomalies));
  }

  private static boolean isInfo(Op op) {
    return op.outcome() == Outcome.INFO;
  }
}
