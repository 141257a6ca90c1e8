package dev.edgeweave.faults;

import java.util.List;
import java.util.Locale;

/**
 * What one scenario run saw: operations (HTTP requests and KV calls), acknowledged ones,
 * acknowledged writes lost, failed requests at nodes the fault did not hit, the error window there
 * (seconds from the fault to the last failing request sent; NaN when the fault hit every node), and
 * the time from healing until every node was back and agreed.
 */
record Summary(
    String scenario,
    String mode,
    int operations,
    int acknowledged,
    int lost,
    int errors,
    double errorWindowSeconds,
    double convergenceSeconds,
    String notes,
    List<String> anomalies) {

  String line() {
    return String.format(
        Locale.ROOT,
        "FAULT %s [%s]: %d operations, %d acknowledged, %d lost, %d errors, error window %s,"
            + " converged %.1f s after healing, %d anomalies (%s)",
        scenario,
        mode,
        operations,
        acknowledged,
        lost,
        errors,
        window(),
        convergenceSeconds,
        anomalies.size(),
        notes);
  }

  String window() {
    return Double.isNaN(errorWindowSeconds)
        ? "n/a"
        : String.format(Locale.ROOT, "%.1f s", errorWindowSeconds);
  }
}
