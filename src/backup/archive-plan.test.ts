// The restore an archived Kode's pod runs, and how a resume ends the archive.
import { describe, expect, test } from "bun:test";
import type { Kode } from "../api/types.ts";
import { archiveRestoreOf, decideArchive } from "./archive-plan.ts";

const kode = (spec: Record<string, unknown>, status: Record<string, unknown>): Kode =>
  ({ apiVersion: "kode.jacero.io/v1alpha1", kind: "Kode", metadata: { name: "k", namespace: "ns", uid: "u" }, spec: { templateRef: { name: "t" }, ...spec }, status }) as Kode;
const ARCHIVED = { pause: "2026-12-01T00:00:00Z", phase: "Archived", snapshot: "cc3336d7", verifiedAt: "2026-12-01T01:00:00Z" };

describe("archiveRestoreOf", () => {
  test("resumed: the verified snapshot under the archive's id; paused: none", () => {
    expect(archiveRestoreOf(kode({}, { archive: ARCHIVED }))).toEqual({ restore: { snapshot: "cc3336d7" }, id: "archive-2026-12-01T00:00:00Z" });
    expect(archiveRestoreOf(kode({}, { archive: { ...ARCHIVED, phase: "Restoring" } }))).toEqual({ restore: { snapshot: "cc3336d7" }, id: "archive-2026-12-01T00:00:00Z" });
    expect(archiveRestoreOf(kode({ paused: true }, { archive: ARCHIVED }))).toBeUndefined();
    expect(archiveRestoreOf(kode({}, { archive: { ...ARCHIVED, phase: "Verifying" } }))).toBeUndefined();
  });
  test("after the archive: the restored request stays unless spec.restore names another, or it never finished", () => {
    const restored = { restore: { request: "archive-2026-12-01T00:00:00Z", snapshot: "cc3336d7", restoredAt: "2026-12-02T00:01:00Z", kept: 0 } };
    expect(archiveRestoreOf(kode({}, restored))).toEqual({ restore: { snapshot: "cc3336d7" }, id: "archive-2026-12-01T00:00:00Z" });
    expect(archiveRestoreOf(kode({ paused: true }, restored))).toEqual({ restore: { snapshot: "cc3336d7" }, id: "archive-2026-12-01T00:00:00Z" });
    expect(archiveRestoreOf(kode({ restore: { snapshot: "latest" } }, restored))).toBeUndefined();
    expect(archiveRestoreOf(kode({}, { restore: { request: "archive-2026-12-01T00:00:00Z", error: "S3 down" } }))).toBeUndefined();
    expect(archiveRestoreOf(kode({}, { restore: { request: "0123456789abcdef", snapshot: "aa", restoredAt: "t" } }))).toBeUndefined();
  });
});

describe("decideArchive on resume", () => {
  const input = (status: Record<string, unknown>, restoredSnapshot?: string) => ({
    kode: kode({}, status),
    spec: { type: "code-server", lifecycle: { archiveAfter: "1m" } } as never,
    pauseId: undefined,
    now: 0,
    results: new Map(),
    podRunning: true,
    ...(restoredSnapshot && { restoredSnapshot }),
  });
  test("Archived → Restoring until status.restore has the verified snapshot, then the archive is over", () => {
    const restoring = decideArchive(input({ archive: ARCHIVED }));
    expect(restoring.archive).toEqual({ ...ARCHIVED, phase: "Restoring" });
    expect(restoring.condition).toEqual({ status: "False", reason: "Restoring", message: "resumed: the new volume gets the verified snapshot cc3336d7 before the IDE starts" });
    expect(decideArchive(input({ archive: { ...ARCHIVED, phase: "Restoring" } }, "0000aaaa")).archive?.phase).toBe("Restoring");
    const over = decideArchive(input({ archive: { ...ARCHIVED, phase: "Restoring" } }, "cc3336d7"));
    expect(over.archive).toBeUndefined();
    expect(over.events).toEqual([{ type: "Normal", reason: "Unarchived", message: "snapshot cc3336d7 was restored into the new volume" }]);
  });
});
