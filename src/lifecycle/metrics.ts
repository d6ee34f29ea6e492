// The lifecycle's Prometheus metrics, registered on the operator's registry (registering twice returns the same).
import type { Counter, Histogram, Registry } from "../kube/metrics.ts";

/** Start durations run from seconds (a cached image) to minutes (a pull, a slow volume). */
export const START_DURATION_BUCKETS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600];

export interface LifecycleMetrics {
  /** Pod creation to Ready, per start and resume: startupTimings(pod).seconds. */
  startDuration: Histogram;
  /** Pauses by reason: user, idle, max-run-time. */
  pauses: Counter;
  /** Activity readings through the pod proxy by source and result (ok, error). */
  activityReadings: Counter;
}

export function lifecycleMetrics(registry: Registry): LifecycleMetrics {
  return {
    startDuration: registry.histogram("kode_start_duration_seconds", "Seconds from a Kode's pod creation to Ready, per start and resume.", ["type", "template"], START_DURATION_BUCKETS),
    pauses: registry.counter("kode_pauses_total", "Kode pauses by reason (user, idle, max-run-time).", ["reason"]),
    activityReadings: registry.counter("kode_activity_readings_total", "Activity readings through the pod proxy by source and result.", ["source", "result"]),
  };
}
