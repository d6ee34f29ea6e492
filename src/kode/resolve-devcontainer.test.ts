import { describe, expect, test } from "bun:test";
import type { Kode, KodeTemplateSpec } from "../api/types.ts";
import { GitReadError, type GitFileRequest } from "../devcontainer/git.ts";
import { GIT_REFRESH_MS, resolveDevcontainer, type GitMemo } from "./resolve-devcontainer.ts";

const kode = (ref = "main", generation = 1): Kode => ({
  apiVersion: "kode.jacero.io/v1alpha1",
  kind: "Kode",
  metadata: { name: "k", namespace: "n", generation },
  spec: { templateRef: { name: "t" }, devcontainer: { git: { url: "http://127.0.0.1/r.git", ref } } },
});
const tpl: KodeTemplateSpec = { type: "devcontainers", image: "img" };
const empty = { get: () => undefined, list: () => [] } as never;

function setup() {
  let now = 1_000_000;
  const reads: GitFileRequest[] = [];
  let fail: GitReadError | undefined;
  const events: string[] = [];
  const deps = {
    secrets: empty,
    configMaps: empty,
    gitReads: new Map<string, GitMemo>(),
    clock: () => now,
    readGit: async (req: GitFileRequest) => {
      reads.push(req);
      if (fail) throw fail;
      return { content: '{ "image": "img:one" }', commit: "a".repeat(40), resolvedRef: "refs/heads/main" };
    },
    events: { event: (_o: unknown, type: string, reason: string, message: string) => events.push(`${type} ${reason}: ${message}`) },
  };
  return { deps, reads, events, advance: (ms: number) => (now += ms), failWith: (e?: GitReadError) => (fail = e) };
}

describe("resolveDevcontainer (git)", () => {
  test("a good read is cached; an outage keeps it (no roll), says so once, and recovers", async () => {
    const s = setup();
    const first = await resolveDevcontainer(s.deps, kode(), tpl);
    expect(first.problems).toEqual([]);
    expect(first.input).toEqual({ config: { image: "img:one" }, commit: "a".repeat(40) });
    expect(first.requeueAfterMs).toBe(GIT_REFRESH_MS);
    await resolveDevcontainer(s.deps, kode(), tpl);
    expect(s.reads.length).toBe(1);

    s.advance(GIT_REFRESH_MS);
    s.failWith(new GitReadError("unreachable", "connect ECONNREFUSED 127.0.0.1:80"));
    const down = await resolveDevcontainer(s.deps, kode(), tpl);
    expect(down.problems).toEqual([]);
    expect(down.input).toEqual(first.input);
    expect(down.requeueAfterMs).toBe(5_000);
    expect(s.events).toEqual([`Warning DevcontainerGitUnavailable: connect ECONNREFUSED 127.0.0.1:80; keeping devcontainer.json from commit ${"a".repeat(12)}`]);
    s.advance(5_000);
    const again = await resolveDevcontainer(s.deps, kode(), tpl);
    expect(again.requeueAfterMs).toBe(10_000);
    expect(s.events.length).toBe(1);

    s.advance(10_000);
    s.failWith(undefined);
    await resolveDevcontainer(s.deps, kode(), tpl);
    expect(s.events.at(-1)).toBe(`Normal DevcontainerGitRecovered: read http://127.0.0.1/r.git .devcontainer/devcontainer.json at main again at ${"a".repeat(12)}`);
  });

  test("another ref with the server down: Ready=False with the git error, nothing kept from the old ref", async () => {
    const s = setup();
    await resolveDevcontainer(s.deps, kode("main"), tpl);
    s.failWith(new GitReadError("bad-ref", 'ref "nope" not found'));
    const r = await resolveDevcontainer(s.deps, kode("nope", 2), tpl);
    expect(r.input).toBeUndefined();
    expect(r.problems).toEqual([
      { reason: "DevcontainerGitError", message: 'reading http://127.0.0.1/r.git .devcontainer/devcontainer.json at nope: ref "nope" not found (bad-ref; retried with backoff, at once when the Kode or its Secret changes)' },
    ]);
    expect(r.requeueAfterMs).toBe(5 * 60_000);
  });

  test("a new generation of the same source reads again at once, keeping the last good read if that fails", async () => {
    const s = setup();
    await resolveDevcontainer(s.deps, kode("main", 1), tpl);
    s.failWith(new GitReadError("unreachable", "timeout"));
    const r = await resolveDevcontainer(s.deps, kode("main", 2), tpl);
    expect(s.reads.length).toBe(2);
    expect(r.input?.commit).toBe("a".repeat(40));
    expect(r.problems).toEqual([]);
  });
});
