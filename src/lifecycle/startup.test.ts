import { describe, expect, test } from "bun:test";
import { Registry } from "../kube/metrics.ts";
import { activityStatusChanged, activityStatusFields } from "./activity-status.ts";
import { lifecycleMetrics } from "./metrics.ts";
import { startupTimings } from "./startup.ts";

describe("startupTimings", () => {
  test("a ready pod: every phase and the seconds from creation to Ready", () => {
    const pod = {
      metadata: { name: "k-0", creationTimestamp: "2026-12-01T10:00:00Z" },
      status: {
        phase: "Running",
        conditions: [
          { type: "PodReadyToStartContainers", status: "True", lastTransitionTime: "2026-12-01T10:00:04Z" },
          { type: "Initialized", status: "True", lastTransitionTime: "2026-12-01T10:00:09Z" },
          { type: "Ready", status: "True", lastTransitionTime: "2026-12-01T10:00:17Z" },
          { type: "ContainersReady", status: "True", lastTransitionTime: "2026-12-01T10:00:17Z" },
          { type: "PodScheduled", status: "True", lastTransitionTime: "2026-12-01T10:00:01Z" },
        ],
      },
    };
    expect(startupTimings(pod)).toEqual({
      startedAt: "2026-12-01T10:00:00Z",
      scheduledAt: "2026-12-01T10:00:01Z",
      initializedAt: "2026-12-01T10:00:09Z",
      readyAt: "2026-12-01T10:00:17Z",
      seconds: 17,
    });
  });

  test("still starting: conditions not True are left out, and no seconds", () => {
    const pod = {
      metadata: { creationTimestamp: "2026-12-01T10:00:00Z" },
      status: {
        conditions: [
          { type: "PodScheduled", status: "True", lastTransitionTime: "2026-12-01T10:00:02Z" },
          { type: "Initialized", status: "False", reason: "ContainersNotInitialized", lastTransitionTime: "2026-12-01T10:00:02Z" },
          { type: "Ready", status: "False", reason: "ContainersNotReady", lastTransitionTime: "2026-12-01T10:00:02Z" },
        ],
      },
    };
    expect(startupTimings(pod)).toEqual({ startedAt: "2026-12-01T10:00:00Z", scheduledAt: "2026-12-01T10:00:02Z" });
  });

  test("unschedulable, or no status at all; bad times are ignored", () => {
    expect(startupTimings({ metadata: { creationTimestamp: "2026-12-01T10:00:00Z" }, status: { conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable" }] } }))
      .toEqual({ startedAt: "2026-12-01T10:00:00Z" });
    expect(startupTimings({})).toEqual({});
    expect(startupTimings({ metadata: { creationTimestamp: "yesterday" }, status: { conditions: [{ type: "Ready", status: "True", lastTransitionTime: "2026-12-01T10:00:05Z" }] } }))
      .toEqual({ readyAt: "2026-12-01T10:00:05Z" });
  });
});

describe("activity status writes", () => {
  const T = Date.parse("2026-12-01T10:00:00Z");
  test("an active Kode polled again: lastActiveTime moved, nothing to write", () => {
    const first = activityStatusFields({ verdict: "Active", reason: "active: kernel busy", signal: "jupyter", lastActiveTime: T + 123 });
    expect(first).toEqual({ verdict: "Active", reason: "active: kernel busy", signal: "jupyter", lastActiveTime: "2026-12-01T10:00:00Z" });
    const again = activityStatusFields({ verdict: "Active", reason: "active: kernel busy", signal: "jupyter", lastActiveTime: T + 60_000 }, first);
    expect(again.lastActiveTime).toBe("2026-12-01T10:00:00Z");
    expect(activityStatusChanged(first, again)).toBe(false);
  });

  test("an idle Kode polled again writes nothing; the verdict, reason, idleSince or pauseAt changing does", () => {
    const idle = { verdict: "Idle" as const, reason: "idle: only keep-alive traffic", signal: "envoy", lastActiveTime: T, idleSince: T, pauseAt: T + 1_800_000 };
    const stored = activityStatusFields(idle);
    expect(stored).toEqual({ verdict: "Idle", reason: "idle: only keep-alive traffic", signal: "envoy", lastActiveTime: "2026-12-01T10:00:00Z", idleSince: "2026-12-01T10:00:00Z", pauseAt: "2026-12-01T10:30:00Z" });
    expect(activityStatusChanged(stored, activityStatusFields(idle, stored))).toBe(false);
    expect(activityStatusChanged(stored, activityStatusFields({ ...idle, pauseAt: T + 3_600_000 }, stored))).toBe(true);
    expect(activityStatusChanged(stored, activityStatusFields({ ...idle, reason: "idle: no browser connected" }, stored))).toBe(true);
    const active = activityStatusFields({ verdict: "Active", reason: "active: user input through the sidecar", signal: "envoy", lastActiveTime: T + 5 * 60_000 }, stored);
    expect(active.lastActiveTime).toBe("2026-12-01T10:05:00Z");
    expect(activityStatusChanged(stored, active)).toBe(true);
    expect(activityStatusChanged(undefined, stored)).toBe(true);
  });
});

describe("lifecycle metrics", () => {
  test("start durations and pauses in the exposition format", () => {
    const registry = new Registry({ processMetrics: false });
    const m = lifecycleMetrics(registry);
    m.startDuration.observe({ type: "code-server", template: "team/vscode" }, 17);
    m.pauses.inc({ reason: "idle" });
    m.pauses.inc({ reason: "idle" });
    const text = registry.expose();
    expect(text).toContain("# TYPE kode_start_duration_seconds histogram");
    expect(text).toContain('kode_start_duration_seconds_bucket{type="code-server",template="team/vscode",le="10"} 0');
    expect(text).toContain('kode_start_duration_seconds_bucket{type="code-server",template="team/vscode",le="20"} 1');
    expect(text).toContain('kode_start_duration_seconds_sum{type="code-server",template="team/vscode"} 17');
    expect(text).toContain('kode_pauses_total{reason="idle"} 2');
    expect(lifecycleMetrics(registry).pauses).toBe(m.pauses);
  });
});
