// Differential test: `kubectl patch --local` runs the real k8s.io/apimachinery strategicpatch code offline,
// so each case compares our result (or error message) with Go's. Skipped where kubectl is not installed.
// Left out on purpose: patches whose new maps carry directive keys or null members, which Go leaves in its
// output for the typed decode to drop and which we drop at once.

import { describe, expect, test } from "bun:test";
import { PatchError, applyStrategicMergePatch } from "./strategic-merge.ts";

const kubectl = Bun.which("kubectl");

function realPatch(obj: Record<string, unknown>, patch: unknown): { result?: unknown; error?: string } {
  const run = Bun.spawnSync({
    cmd: [kubectl as string, "patch", "-f", "-", "--local", "--type", "strategic", "-p", JSON.stringify(patch), "-o", "json"],
    stdin: Buffer.from(JSON.stringify(obj)),
    env: { ...process.env, KUBECONFIG: "/dev/null" },
  });
  if (run.exitCode === 0) return { result: JSON.parse(run.stdout.toString()) };
  return { error: run.stderr.toString().trim().replace(/^error: /, "") };
}

function ours(obj: Record<string, unknown>, patch: unknown): { result?: unknown; error?: string } {
  try {
    return { result: applyStrategicMergePatch(obj, patch, `${obj.apiVersion}/${obj.kind}`) };
  } catch (error) {
    if (error instanceof PatchError) return { error: error.message.trim() };
    throw error;
  }
}

function object(apiVersion: string, kind: string, body: Record<string, any> = {}): Record<string, unknown> {
  return { apiVersion, kind, ...body, metadata: { name: "x", ...(body.metadata ?? {}) } };
}

function statefulSet(containers: unknown[], podSpec: Record<string, unknown> = {}) {
  return object("apps/v1", "StatefulSet", {
    spec: {
      selector: { matchLabels: { app: "a" } },
      serviceName: "s",
      template: { metadata: { labels: { app: "a" } }, spec: { containers, ...podSpec } },
    },
  });
}

const podSpecPatch = (spec: Record<string, unknown>) => ({ spec: { template: { spec } } });

const cases: [string, Record<string, unknown>, unknown][] = [
  ["change one image", statefulSet([{ name: "a", image: "1" }, { name: "b", image: "2" }]), podSpecPatch({ containers: [{ name: "b", image: "3" }] })],
  ["add a container", statefulSet([{ name: "a" }, { name: "b" }]), podSpecPatch({ containers: [{ name: "new", image: "n" }] })],
  ["delete a container", statefulSet([{ name: "a" }, { name: "b" }]), podSpecPatch({ containers: [{ name: "a", $patch: "delete" }] })],
  ["replace the containers", statefulSet([{ name: "a" }, { name: "b" }]), podSpecPatch({ containers: [{ $patch: "replace" }, { name: "c" }] })],
  ["delete a missing container", statefulSet([{ name: "a" }]), podSpecPatch({ containers: [{ name: "z", $patch: "delete" }, { name: "a", image: "i" }] })],
  [
    "env merge and order",
    statefulSet([{ name: "a", env: [{ name: "A", value: "1" }, { name: "B", value: "2" }, { name: "C" }] }]),
    podSpecPatch({ containers: [{ name: "a", env: [{ name: "D" }, { name: "B", value: "x" }] }] }),
  ],
  [
    "$setElementOrder places a new container",
    statefulSet([{ name: "a" }, { name: "b" }, { name: "c" }]),
    podSpecPatch({ "$setElementOrder/containers": [{ name: "c" }, { name: "new" }, { name: "a" }], containers: [{ name: "new" }] }),
  ],
  ["$setElementOrder alone", statefulSet([{ name: "a" }, { name: "b" }, { name: "c" }]), podSpecPatch({ "$setElementOrder/containers": [{ name: "c" }, { name: "b" }] })],
  [
    "nested $setElementOrder in a merged container",
    statefulSet([{ name: "a", env: [{ name: "A" }, { name: "B" }] }]),
    podSpecPatch({ containers: [{ name: "a", "$setElementOrder/env": [{ name: "B" }, { name: "X" }, { name: "A" }], env: [{ name: "X", value: "1" }] }] }),
  ],
  ["args are replaced", statefulSet([{ name: "a", args: ["1"] }]), podSpecPatch({ containers: [{ name: "a", args: ["2", "3"] }] })],
  ["tolerations are replaced", statefulSet([{ name: "a" }], { tolerations: [{ key: "a" }, { key: "b" }] }), podSpecPatch({ tolerations: [{ key: "c" }] })],
  [
    "$deleteFromPrimitiveList on a list without merge strategy",
    statefulSet([{ name: "a", args: ["1", "2", "3"] }]),
    podSpecPatch({ containers: [{ name: "a", "$deleteFromPrimitiveList/args": ["2"] }] }),
  ],
  [
    "volume with $retainKeys",
    statefulSet([{ name: "a" }], { volumes: [{ name: "v", emptyDir: {} }] }),
    podSpecPatch({ volumes: [{ name: "v", $retainKeys: ["name", "configMap"], configMap: { name: "c" } }] }),
  ],
  ["add finalizers", statefulSet([{ name: "a" }]), { metadata: { finalizers: ["z", "y"] } }],
  ["add a duplicate finalizer", object("v1", "ConfigMap", { metadata: { finalizers: ["a", "a", "b"] } }), { metadata: { finalizers: ["c", "a"] } }],
  [
    "remove a finalizer the kubectl apply way",
    object("v1", "ConfigMap", { metadata: { finalizers: ["a", "b", "c"] } }),
    { metadata: { "$deleteFromPrimitiveList/finalizers": ["b"], "$setElementOrder/finalizers": ["c", "a"] } },
  ],
  ["reorder finalizers", object("v1", "ConfigMap", { metadata: { finalizers: ["a", "b", "c"] } }), { metadata: { "$setElementOrder/finalizers": ["c", "a"] } }],
  ["null $deleteFromPrimitiveList drops the list", object("v1", "ConfigMap", { metadata: { finalizers: ["a"] } }), { metadata: { "$deleteFromPrimitiveList/finalizers": null } }],
  [
    "ownerReferences by uid",
    object("v1", "ConfigMap", { metadata: { ownerReferences: [{ uid: "1", name: "a", kind: "K", apiVersion: "v1" }] } }),
    { metadata: { ownerReferences: [{ uid: "2", name: "b", kind: "K", apiVersion: "v1" }] } },
  ],
  ["labels $patch: replace", object("v1", "ConfigMap", { metadata: { labels: { a: "1" } } }), { metadata: { labels: { $patch: "replace", b: "2" } } }],
  ["map $patch: delete", statefulSet([{ name: "a" }]), { spec: { template: { metadata: { $patch: "delete" } } } }],
  ["ConfigMap data with nulls", object("v1", "ConfigMap", { data: { a: "1", b: "2" } }), { data: { a: null, c: "3", d: null } }],
  ["type change", object("v1", "ConfigMap", { data: { a: "1" } }), { data: "x" }],
  ["top-level $patch: replace", object("v1", "ConfigMap", { data: { a: "1" } }), { $patch: "replace", apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" }, data: { b: "2" } }],
  [
    "Deployment strategy $retainKeys",
    object("apps/v1", "Deployment", { spec: { selector: {}, template: {}, strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1 } } } }),
    { spec: { strategy: { $retainKeys: ["type"], type: "Recreate" } } },
  ],
  ["$retainKeys on a plain map", object("v1", "ConfigMap", { data: { a: "1", b: "2" } }), { data: { $retainKeys: ["a"], a: "3" } }],
  [
    "Service ports by port",
    object("v1", "Service", { spec: { ports: [{ port: 80, name: "a" }, { port: 81, name: "b" }] } }),
    { spec: { ports: [{ port: 81, targetPort: 9 }, { port: 82 }] } },
  ],
  [
    "Pod volumeMounts by mountPath",
    object("v1", "Pod", { spec: { containers: [{ name: "a", volumeMounts: [{ name: "v", mountPath: "/a" }, { name: "w", mountPath: "/b" }] }] } }),
    { spec: { containers: [{ name: "a", volumeMounts: [{ mountPath: "/b", readOnly: true }, { mountPath: "/c", name: "z" }] }] } },
  ],
  [
    "CronJob containers",
    object("batch/v1", "CronJob", { spec: { schedule: "*", jobTemplate: { spec: { template: { spec: { containers: [{ name: "a" }, { name: "b" }] } } } } } }),
    { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: "a", image: "q" }] } } } } } },
  ],
  [
    "Deployment status conditions",
    object("apps/v1", "Deployment", { status: { conditions: [{ type: "A", status: "F" }, { type: "B", status: "T" }] } }),
    { status: { conditions: [{ type: "B", status: "F" }, { type: "C", status: "T" }] } },
  ],
  [
    "PodDisruptionBudget selector",
    object("policy/v1", "PodDisruptionBudget", { spec: { selector: { matchLabels: { a: "1" } } } }),
    { spec: { selector: { matchExpressions: [] } } },
  ],
  ["ServiceAccount secrets", object("v1", "ServiceAccount", { secrets: [{ name: "a" }] }), { secrets: [{ name: "b" }] }],
  ["two patch items with one key", statefulSet([{ name: "a" }]), podSpecPatch({ containers: [{ name: "b", image: "1" }, { name: "b", image: "2" }] })],
  // Errors: the message must match Go's.
  ["$patch: merge in a list", statefulSet([{ name: "a" }]), podSpecPatch({ containers: [{ name: "a", $patch: "merge" }] })],
  ["$patch: merge in a map", statefulSet([{ name: "a" }]), { spec: { $patch: "merge", replicas: 2 } }],
  ["missing merge key", statefulSet([{ name: "a" }]), podSpecPatch({ containers: [{ image: "x" }] })],
  [
    "$setElementOrder contradicting the patch",
    statefulSet([{ name: "a" }, { name: "b" }]),
    podSpecPatch({ "$setElementOrder/containers": [{ name: "a" }, { name: "b" }], containers: [{ name: "b", image: "n" }, { name: "a", image: "m" }] }),
  ],
  ["$retainKeys missing a patched key", object("apps/v1", "Deployment", { spec: { strategy: { type: "RollingUpdate" } } }), { spec: { strategy: { $retainKeys: ["type"], rollingUpdate: {} } } }],
  ["a list inside a primitive list", object("v1", "ConfigMap", { metadata: { finalizers: ["a"] } }), { metadata: { finalizers: [["b"]] } }],
  ["only lists in a primitive list", object("v1", "ConfigMap", { metadata: { finalizers: [] } }), { metadata: { finalizers: [["b"]] } }],
];

describe.skipIf(!kubectl)("applyStrategicMergePatch matches kubectl patch --local", () => {
  for (const [name, obj, patch] of cases) {
    test(name, () => {
      const expected = realPatch(obj, patch);
      expect(ours(obj, patch)).toEqual(expected);
    });
  }
});
