import { describe, expect, test } from "bun:test";
import type { Kode, KodeTemplateSpec } from "../api/types.ts";
import { GitReadError, type GitFileRequest } from "../devcontainer/git.ts";
import { GIT_REFRESH_MS, resolveDevcontainer, type GitMemo } from "./resolve-devcontainer.ts";
import { renderKode } from "./render.ts";

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
    expect(first.input).toEqual({ config: { image: "img:one" }, commit: "a".repeat(40), kept: { content: '{ "image": "img:one" }', source: "http://127.0.0.1/r.git .devcontainer/devcontainer.json at main", commit: "a".repeat(40) } });
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

describe("the last good git read survives an operator restart (ConfigMap <kode>-devcontainer)", () => {
  const SHA = "b".repeat(40);
  const withUid = (k: Kode, uid = "uid-k"): Kode => ({ ...k, metadata: { ...k.metadata, uid } });
  /** The ConfigMap as render makes it from a resolution, as the cache would hold it after the apply. */
  const keptConfigMap = (r: Awaited<ReturnType<typeof resolveDevcontainer>>, k: Kode) => {
    const out = renderKode({
      kode: k,
      template: { kind: "KodeTemplate", name: "t", namespace: "n", spec: tpl },
      credentials: { secretName: "k-auth", passwordKey: "password", generated: { username: "u", password: "p" } },
      devcontainer: r.input,
    });
    const kinds = out.children.map((c) => `${c.object.kind}/${c.object.metadata.name}`);
    expect(kinds.indexOf("ConfigMap/k-devcontainer")).toBeGreaterThanOrEqual(0);
    expect(kinds.indexOf("ConfigMap/k-devcontainer")).toBeLessThan(kinds.indexOf("StatefulSet/k"));
    return out.devcontainerConfigMap!;
  };
  const cacheOf = (...objs: { metadata: { name: string; namespace?: string } }[]) =>
    ({ get: (ns: string, name: string) => objs.find((o) => o.metadata.name === name && o.metadata.namespace === ns), list: () => objs }) as never;

  test("render keeps the read: text, source and commit, owned by the Kode, applied before the StatefulSet", async () => {
    const s = setup();
    s.deps.readGit = async () => ({ content: '// team config\n{ "image": "img:kept" }', commit: SHA, resolvedRef: "refs/heads/main" });
    const k = withUid(kode());
    const cm = keptConfigMap(await resolveDevcontainer(s.deps, k, tpl), k);
    expect(cm.metadata.name).toBe("k-devcontainer");
    expect(cm.data).toEqual({ "devcontainer.json": '// team config\n{ "image": "img:kept" }' });
    expect(cm.metadata.annotations).toEqual({ "kode.jacero.io/devcontainer-source": "http://127.0.0.1/r.git .devcontainer/devcontainer.json at main", "kode.jacero.io/devcontainer-commit": SHA });
    expect(cm.metadata.ownerReferences).toEqual([{ apiVersion: "kode.jacero.io/v1alpha1", kind: "Kode", name: "k", uid: "uid-k", controller: true, blockOwnerDeletion: true }]);
    expect(cm.metadata.labels["app.kubernetes.io/managed-by"]).toBe("kode-operator");
  });

  test("a new process (empty memory) with git down uses the kept read: same config, same commit, same pod; a Warning says so", async () => {
    const before = setup();
    before.deps.readGit = async () => ({ content: '{ "image": "img:kept", "postStartCommand": "echo hi" }', commit: SHA, resolvedRef: "refs/heads/main" });
    const k = withUid(kode());
    const good = await resolveDevcontainer(before.deps, k, tpl);
    const cm = keptConfigMap(good, k);
    const podOf = (r: Awaited<ReturnType<typeof resolveDevcontainer>>) =>
      renderKode({ kode: k, template: { kind: "KodeTemplate", name: "t", namespace: "n", spec: tpl }, credentials: { secretName: "k-auth", passwordKey: "password", generated: { username: "u", password: "p" } }, devcontainer: r.input }).statefulSet.spec.template;

    const after = setup();
    after.deps.configMaps = cacheOf(cm);
    after.failWith(new GitReadError("unreachable", "connect ECONNREFUSED 127.0.0.1:80"));
    const r = await resolveDevcontainer(after.deps, k, tpl);
    expect(after.reads.length).toBe(1);
    expect(r.problems).toEqual([]);
    expect(r.input?.config).toEqual({ image: "img:kept", postStartCommand: "echo hi" });
    expect(r.input?.commit).toBe(SHA);
    expect(r.status).toEqual({ source: "http://127.0.0.1/r.git .devcontainer/devcontainer.json at main", commit: SHA });
    expect(podOf(r)).toEqual(podOf(good));
    expect(after.events).toEqual([`Warning DevcontainerGitUnavailable: connect ECONNREFUSED 127.0.0.1:80; keeping devcontainer.json from commit ${"b".repeat(12)}`]);
  });

  test("not used: another Kode's ConfigMap (uid), another ref, a user's ConfigMap of that name", async () => {
    const s0 = setup();
    s0.deps.readGit = async () => ({ content: '{ "image": "img:kept" }', commit: SHA, resolvedRef: "refs/heads/main" });
    const k = withUid(kode());
    const cm = keptConfigMap(await resolveDevcontainer(s0.deps, k, tpl), k);
    const cases: [string, Kode, unknown][] = [
      ["a Kode of the same name with another uid", withUid(kode(), "uid-other"), cm],
      ["another ref", withUid(kode("v2")), cm],
      ["a ConfigMap without our owner", k, { ...cm, metadata: { ...cm.metadata, ownerReferences: undefined } }],
    ];
    for (const [what, kk, obj] of cases) {
      const s = setup();
      s.deps.configMaps = cacheOf(obj as never);
      s.failWith(new GitReadError("unreachable", "down"));
      const r = await resolveDevcontainer(s.deps, kk, tpl);
      expect(r.input, what).toBeUndefined();
      expect(r.problems.map((p) => p.reason), what).toEqual(["DevcontainerGitError"]);
    }
  });

  test("a new process with git up reads git (a moved branch wins over the kept read)", async () => {
    const s0 = setup();
    s0.deps.readGit = async () => ({ content: '{ "image": "img:kept" }', commit: SHA, resolvedRef: "refs/heads/main" });
    const k = withUid(kode());
    const cm = keptConfigMap(await resolveDevcontainer(s0.deps, k, tpl), k);
    const s = setup();
    s.deps.configMaps = cacheOf(cm);
    const r = await resolveDevcontainer(s.deps, k, tpl);
    expect(r.input).toMatchObject({ config: { image: "img:one" }, commit: "a".repeat(40) });
    expect(s.events).toEqual([]);
  });
});
