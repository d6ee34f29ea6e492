import { describe, expect, test } from "bun:test";
import { PatchError, applyStrategicMergePatch } from "./strategic-merge.ts";

function patchError(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (error) {
    if (error instanceof PatchError) return error;
    throw error;
  }
  throw new Error("expected a PatchError, but nothing was thrown");
}

const smp = applyStrategicMergePatch;

function statefulSet(): any {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "db", finalizers: ["example.com/keep"] },
    spec: {
      replicas: 1,
      template: {
        metadata: { labels: { app: "db" } },
        spec: {
          containers: [
            {
              name: "main",
              image: "postgres:15",
              args: ["-c", "max_connections=10"],
              ports: [{ containerPort: 5432, name: "pg" }],
              env: [
                { name: "A", value: "1" },
                { name: "B", value: "2" },
              ],
              volumeMounts: [{ mountPath: "/data", name: "data" }],
            },
            { name: "sidecar", image: "busybox" },
          ],
          tolerations: [{ key: "a", operator: "Exists" }],
          volumes: [{ name: "data", emptyDir: {} }],
        },
      },
    },
  };
}

const containersOf = (obj: any) => obj.spec.template.spec.containers;

describe("applyStrategicMergePatch: ConfigMap (kubectl apply of a built-in)", () => {
  const configMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "c", annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{old}" } },
    data: { a: "1", b: "2" },
  };

  test("changes one key, deletes another with null, updates the last-applied annotation", () => {
    const patch = {
      data: { a: "10", b: null, c: "3" },
      metadata: { annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{new}" } },
    };
    expect(smp(configMap, patch, "v1/ConfigMap")).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{new}" } },
      data: { a: "10", c: "3" },
    });
  });

  test("null for a key that does not exist adds nothing", () => {
    expect(smp(configMap, { data: { missing: null }, binaryData: null }, "v1/ConfigMap")).toEqual(configMap);
  });

  test("never mutates its inputs", () => {
    const original = structuredClone(configMap);
    const patch = { data: { a: null }, metadata: { labels: { x: "y" } } };
    const patchCopy = structuredClone(patch);
    smp(original, patch, "v1/ConfigMap");
    expect(original).toEqual(configMap);
    expect(patch).toEqual(patchCopy);
  });
});

describe("applyStrategicMergePatch: workloads", () => {
  test("changing one container's image keeps the other container and the container's other fields", () => {
    const patch = { spec: { template: { spec: { containers: [{ name: "main", image: "postgres:16" }] } } } };
    const result = smp(statefulSet(), patch, "apps/v1/StatefulSet");
    const expected = statefulSet();
    expected.spec.template.spec.containers[0].image = "postgres:16";
    expect(result).toEqual(expected);
  });

  test("the same patch on a kind without merge keys replaces the list (as a merge patch would)", () => {
    const patch = { spec: { template: { spec: { containers: [{ name: "main", image: "postgres:16" }] } } } };
    const result = smp(statefulSet(), patch, "example.com/v1/Widget") as any;
    expect(containersOf(result)).toEqual([{ name: "main", image: "postgres:16" }]);
  });

  test("Deployment, Job, ReplicaSet and DaemonSet share the pod template merge keys", () => {
    for (const kindKey of ["apps/v1/Deployment", "batch/v1/Job", "apps/v1/ReplicaSet", "apps/v1/DaemonSet", "v1/ReplicationController"]) {
      const patch = { spec: { template: { spec: { containers: [{ name: "sidecar", image: "alpine" }] } } } };
      const result = smp(statefulSet(), patch, kindKey) as any;
      expect(containersOf(result).map((c: any) => [c.name, c.image])).toEqual([
        ["main", "postgres:15"],
        ["sidecar", "alpine"],
      ]);
    }
  });

  test("CronJob merges containers under spec.jobTemplate.spec.template", () => {
    const cronJob = {
      spec: {
        schedule: "* * * * *",
        jobTemplate: {
          spec: { template: { spec: { containers: [{ name: "a", image: "x" }, { name: "b", image: "y" }] } } },
        },
      },
    };
    const patch = { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: "b", image: "z" }] } } } } } };
    const result = smp(cronJob, patch, "batch/v1/CronJob") as any;
    expect(result.spec.jobTemplate.spec.template.spec.containers).toEqual([
      { name: "a", image: "x" },
      { name: "b", image: "z" },
    ]);
  });

  test("Pod merges spec.containers directly", () => {
    const pod = { spec: { containers: [{ name: "a", image: "x" }, { name: "b", image: "y" }] } };
    const result = smp(pod, { spec: { containers: [{ name: "a", image: "x2" }] } }, "v1/Pod") as any;
    expect(result.spec.containers).toEqual([
      { name: "a", image: "x2" },
      { name: "b", image: "y" },
    ]);
  });

  test("env merges by name, ports by containerPort, volumeMounts by mountPath inside a merged container", () => {
    const patch = {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: "main",
                env: [{ name: "B", value: "20" }],
                ports: [{ containerPort: 5432, protocol: "TCP" }],
                volumeMounts: [{ mountPath: "/data", readOnly: true }],
              },
            ],
          },
        },
      },
    };
    const main = containersOf(smp(statefulSet(), patch, "apps/v1/StatefulSet"))[0];
    expect(main.env).toEqual([
      { name: "A", value: "1" },
      { name: "B", value: "20" },
    ]);
    expect(main.ports).toEqual([{ containerPort: 5432, name: "pg", protocol: "TCP" }]);
    expect(main.volumeMounts).toEqual([{ mountPath: "/data", name: "data", readOnly: true }]);
  });

  test("an env var set to a null value field loses that field", () => {
    const patch = { spec: { template: { spec: { containers: [{ name: "main", env: [{ name: "A", value: null }] }] } } } };
    const main = containersOf(smp(statefulSet(), patch, "apps/v1/StatefulSet"))[0];
    expect(main.env).toEqual([{ name: "A" }, { name: "B", value: "2" }]);
  });

  test("args, tolerations and other lists without a merge key are replaced", () => {
    const patch = {
      spec: {
        template: {
          spec: {
            containers: [{ name: "main", args: ["-c", "max_connections=99"] }],
            tolerations: [{ key: "b", operator: "Exists" }],
          },
        },
      },
    };
    const result = smp(statefulSet(), patch, "apps/v1/StatefulSet") as any;
    expect(containersOf(result)[0].args).toEqual(["-c", "max_connections=99"]);
    expect(result.spec.template.spec.tolerations).toEqual([{ key: "b", operator: "Exists" }]);
  });

  test("a new container without $setElementOrder goes before the server's items, as in strategicpatch", () => {
    const patch = { spec: { template: { spec: { containers: [{ name: "new", image: "n" }] } } } };
    const names = containersOf(smp(statefulSet(), patch, "apps/v1/StatefulSet")).map((c: any) => c.name);
    expect(names).toEqual(["new", "main", "sidecar"]);
  });

  test("kubectl apply's $setElementOrder puts a new container where the manifest has it", () => {
    const patch = {
      spec: {
        template: {
          spec: {
            "$setElementOrder/containers": [{ name: "main" }, { name: "sidecar" }, { name: "new" }],
            containers: [{ name: "new", image: "n" }],
          },
        },
      },
    };
    const result = smp(statefulSet(), patch, "apps/v1/StatefulSet") as any;
    expect(containersOf(result).map((c: any) => c.name)).toEqual(["main", "sidecar", "new"]);
    expect(Object.keys(result.spec.template.spec)).not.toContain("$setElementOrder/containers");
  });

  test("$setElementOrder can reorder without changing any item", () => {
    const patch = { spec: { template: { spec: { "$setElementOrder/containers": [{ name: "sidecar" }, { name: "main" }] } } } };
    const result = smp(statefulSet(), patch, "apps/v1/StatefulSet") as any;
    expect(containersOf(result).map((c: any) => c.name)).toEqual(["sidecar", "main"]);
    expect(containersOf(result)[1]).toEqual(statefulSet().spec.template.spec.containers[0]);
  });

  test("$patch: delete removes a container by name", () => {
    const patch = { spec: { template: { spec: { containers: [{ name: "sidecar", $patch: "delete" }] } } } };
    const result = smp(statefulSet(), patch, "apps/v1/StatefulSet") as any;
    expect(containersOf(result).map((c: any) => c.name)).toEqual(["main"]);
  });

  test("$patch: delete of a container that does not exist changes nothing", () => {
    const patch = { spec: { template: { spec: { containers: [{ name: "ghost", $patch: "delete" }] } } } };
    expect(smp(statefulSet(), patch, "apps/v1/StatefulSet")).toEqual(statefulSet());
  });

  test("delete one container and change another in the same patch", () => {
    const patch = {
      spec: { template: { spec: { containers: [{ name: "main", $patch: "delete" }, { name: "sidecar", image: "alpine" }] } } },
    };
    const result = smp(statefulSet(), patch, "apps/v1/StatefulSet") as any;
    expect(containersOf(result)).toEqual([{ name: "sidecar", image: "alpine" }]);
  });

  test("$patch: replace as a list item makes the other items the whole list", () => {
    const patch = { spec: { template: { spec: { containers: [{ $patch: "replace" }, { name: "only", image: "o" }] } } } };
    const result = smp(statefulSet(), patch, "apps/v1/StatefulSet") as any;
    expect(containersOf(result)).toEqual([{ name: "only", image: "o" }]);
  });

  test("$patch: replace in a map replaces the map; $patch: delete empties it", () => {
    const replaced = smp(statefulSet(), { spec: { template: { metadata: { labels: { $patch: "replace", tier: "x" } } } } }, "apps/v1/StatefulSet") as any;
    expect(replaced.spec.template.metadata.labels).toEqual({ tier: "x" });
    const deleted = smp(statefulSet(), { spec: { template: { metadata: { $patch: "delete" } } } }, "apps/v1/StatefulSet") as any;
    expect(deleted.spec.template.metadata).toEqual({});
  });

  test("$patch: replace at the top replaces the whole object", () => {
    expect(smp(statefulSet(), { $patch: "replace", kind: "StatefulSet", spec: { replicas: 2 } }, "apps/v1/StatefulSet")).toEqual({
      kind: "StatefulSet",
      spec: { replicas: 2 },
    });
  });

  test("$patch: merge is rejected in a map and in a list item, as by strategicpatch", () => {
    const inMap = patchError(() => smp(statefulSet(), { spec: { $patch: "merge", replicas: 2 } }, "apps/v1/StatefulSet"));
    expect(inMap.kind).toBe("failed");
    expect(inMap.message).toContain("unknown patch type: merge in map");
    const inList = patchError(() =>
      smp(statefulSet(), { spec: { template: { spec: { containers: [{ name: "main", $patch: "merge" }] } } } }, "apps/v1/StatefulSet"),
    );
    expect(inList.message).toBe("merging lists cannot yet be specified in the patch");
  });

  test("a new map or list brought in by the patch loses its directives", () => {
    const original = { spec: {} };
    const patch = {
      spec: {
        template: {
          spec: {
            "$setElementOrder/containers": [{ name: "a" }],
            containers: [{ name: "a", image: "x" }, { name: "gone", $patch: "delete" }],
            nodeSelector: null,
          },
        },
      },
    };
    expect(smp(original, patch, "apps/v1/Deployment")).toEqual({ spec: { template: { spec: { containers: [{ name: "a", image: "x" }] } } } });
  });

  test("$retainKeys switches a Deployment strategy from RollingUpdate to Recreate", () => {
    const deployment = { spec: { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1 } }, replicas: 2 } };
    const patch = { spec: { strategy: { $retainKeys: ["type"], type: "Recreate" } } };
    expect(smp(deployment, patch, "apps/v1/Deployment")).toEqual({ spec: { strategy: { type: "Recreate" }, replicas: 2 } });
  });

  test("$retainKeys keeps listed keys and merges into them", () => {
    const original = { spec: { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } } };
    const patch = { spec: { strategy: { $retainKeys: ["type", "rollingUpdate"], rollingUpdate: { maxSurge: 2 } } } };
    expect(smp(original, patch, "apps/v1/Deployment")).toEqual({
      spec: { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 2, maxUnavailable: 0 } } },
    });
  });

  test("$retainKeys that omits a key the patch sets, or is not a list, is malformed", () => {
    const omits = { spec: { strategy: { $retainKeys: ["type"], rollingUpdate: { maxSurge: 2 } } } };
    expect(patchError(() => smp({ spec: { strategy: {} } }, omits, "apps/v1/Deployment")).kind).toBe("malformed");
    const notList = { spec: { strategy: { $retainKeys: "type", type: "Recreate" } } };
    const error = patchError(() => smp({ spec: { strategy: {} } }, notList, "apps/v1/Deployment"));
    expect(error.kind).toBe("malformed");
    expect(error.message).toBe("invalid patch format of retainKeys");
  });

  test("volumes merge by name", () => {
    const patch = { spec: { template: { spec: { volumes: [{ name: "cfg", configMap: { name: "c" } }] } } } };
    const result = smp(statefulSet(), patch, "apps/v1/StatefulSet") as any;
    expect(result.spec.template.spec.volumes.map((v: any) => v.name).sort()).toEqual(["cfg", "data"]);
  });
});

describe("applyStrategicMergePatch: metadata lists", () => {
  test("a finalizers patch adds to the list instead of replacing it", () => {
    const result = smp(statefulSet(), { metadata: { finalizers: ["example.com/other"] } }, "apps/v1/StatefulSet") as any;
    expect([...result.metadata.finalizers].sort()).toEqual(["example.com/keep", "example.com/other"]);
  });

  test("adding a finalizer that is already there does not duplicate it", () => {
    const result = smp(statefulSet(), { metadata: { finalizers: ["example.com/keep"] } }, "apps/v1/StatefulSet") as any;
    expect(result.metadata.finalizers).toEqual(["example.com/keep"]);
  });

  test("finalizers merge for any kind, even one without other merge keys", () => {
    const cm = { metadata: { name: "c", finalizers: ["a"] } };
    expect(smp(cm, { metadata: { finalizers: ["b"] } }, "v1/ConfigMap")).toEqual({ metadata: { name: "c", finalizers: ["b", "a"] } });
  });

  test("$deleteFromPrimitiveList removes a finalizer", () => {
    const obj = { metadata: { finalizers: ["a", "b", "c"] } };
    expect(smp(obj, { metadata: { "$deleteFromPrimitiveList/finalizers": ["b", "zzz"] } }, "v1/ConfigMap")).toEqual({
      metadata: { finalizers: ["a", "c"] },
    });
  });

  test("$deleteFromPrimitiveList on a missing list adds nothing", () => {
    const obj = { metadata: { name: "x" } };
    expect(smp(obj, { metadata: { "$deleteFromPrimitiveList/finalizers": ["b"] } }, "v1/ConfigMap")).toEqual(obj);
  });

  test("kubectl apply removing a finalizer: $setElementOrder with $deleteFromPrimitiveList", () => {
    const obj = { metadata: { finalizers: ["a", "b", "server-added"] } };
    const patch = { metadata: { "$setElementOrder/finalizers": ["a"], "$deleteFromPrimitiveList/finalizers": ["b"] } };
    expect(smp(obj, patch, "v1/Namespace")).toEqual({ metadata: { finalizers: ["a", "server-added"] } });
  });

  test("null deletes the whole finalizers list", () => {
    expect(smp({ metadata: { finalizers: ["a"], name: "n" } }, { metadata: { finalizers: null } }, "v1/ConfigMap")).toEqual({
      metadata: { name: "n" },
    });
  });

  test("ownerReferences merge by uid", () => {
    const obj = { metadata: { ownerReferences: [{ uid: "1", name: "a", kind: "X", apiVersion: "v1" }] } };
    const patch = { metadata: { ownerReferences: [{ uid: "2", name: "b", kind: "X", apiVersion: "v1" }, { uid: "1", controller: true }] } };
    const result = smp(obj, patch, "v1/ConfigMap") as any;
    expect(result.metadata.ownerReferences).toEqual([
      { uid: "2", name: "b", kind: "X", apiVersion: "v1" },
      { uid: "1", name: "a", kind: "X", apiVersion: "v1", controller: true },
    ]);
  });

  test("labels merge like a map; null removes one", () => {
    const obj = { metadata: { labels: { a: "1", b: "2" } } };
    expect(smp(obj, { metadata: { labels: { b: null, c: "3" } } }, "v1/Secret")).toEqual({ metadata: { labels: { a: "1", c: "3" } } });
  });
});

describe("applyStrategicMergePatch: other built-ins", () => {
  test("Service ports merge by port", () => {
    const svc = { spec: { ports: [{ port: 80, targetPort: 8080, name: "http" }, { port: 443, name: "https" }] } };
    const result = smp(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } }, "v1/Service") as any;
    expect(result.spec.ports).toEqual([
      { port: 80, targetPort: 9090, name: "http" },
      { port: 443, name: "https" },
    ]);
  });

  test("status conditions merge by type (PATCH of /status)", () => {
    const deployment = {
      status: {
        conditions: [
          { type: "Available", status: "False" },
          { type: "Progressing", status: "True" },
        ],
      },
    };
    const result = smp(deployment, { status: { conditions: [{ type: "Available", status: "True" }] } }, "apps/v1/Deployment") as any;
    expect(result.status.conditions).toEqual([
      { type: "Available", status: "True" },
      { type: "Progressing", status: "True" },
    ]);
  });

  test("PodDisruptionBudget spec.selector is replaced, not merged", () => {
    const pdb = { spec: { selector: { matchLabels: { a: "1" } }, minAvailable: 1 } };
    const result = smp(pdb, { spec: { selector: { matchExpressions: [] } } }, "policy/v1/PodDisruptionBudget") as any;
    expect(result.spec).toEqual({ selector: { matchExpressions: [] }, minAvailable: 1 });
  });

  test("a type change replaces the value", () => {
    expect(smp({ spec: { a: { b: 1 } } }, { spec: { a: "x" } }, "v1/Pod")).toEqual({ spec: { a: "x" } });
    expect(smp({ spec: { a: "x" } }, { spec: { a: { b: 1, c: null } } }, "v1/Pod")).toEqual({ spec: { a: { b: 1 } } });
  });
});

describe("applyStrategicMergePatch: ordering cases from strategicpatch's own tests", () => {
  // Lists keyed by name under Pod spec.containers stand in for the tests' "mergingList".
  const named = (...names: (string | [string, Record<string, unknown>])[]) =>
    names.map((n) => (typeof n === "string" ? { name: n } : { name: n[0], ...n[1] }));

  test("set elements order with server-only items 2", () => {
    const current = { spec: { containers: named(["1", { other: "a" }], ["2", { value: 2 }], "9", ["3", { value: 3 }], ["4", { value: 4 }]) } };
    const patch = { spec: { "$setElementOrder/containers": named("2", "1", "4", "3") } };
    const result = smp(current, patch, "v1/Pod") as any;
    expect(result.spec.containers).toEqual(named(["2", { value: 2 }], ["1", { other: "a" }], "9", ["4", { value: 4 }], ["3", { value: 3 }]));
  });

  test("set elements order with server-only items 3", () => {
    const current = {
      spec: { containers: named(["1", { other: "a" }], ["2", { value: 2 }], "7", "9", "8", ["3", { value: 3 }], ["4", { value: 4 }]) },
    };
    const patch = { spec: { "$setElementOrder/containers": named("2", "1", "4", "3") } };
    const result = smp(current, patch, "v1/Pod") as any;
    expect(result.spec.containers).toEqual(
      named(["2", { value: 2 }], ["1", { other: "a" }], "7", "9", "8", ["4", { value: 4 }], ["3", { value: 3 }]),
    );
  });

  test("merge lists of maps: new items placed by $setElementOrder", () => {
    const current = { spec: { containers: named(["1", { other: "a" }], ["2", { value: 2, other: "b" }]) } };
    const patch = {
      spec: { "$setElementOrder/containers": named("4", "1", "2", "3"), containers: named(["4", { value: 4 }], ["3", { value: 3 }]) },
    };
    const result = smp(current, patch, "v1/Pod") as any;
    expect(result.spec.containers).toEqual(
      named(["4", { value: 4 }], ["1", { other: "a" }], ["2", { value: 2, other: "b" }], ["3", { value: 3 }]),
    );
  });

  test("merge lists of scalars: a server-only item stays after the ordered ones", () => {
    const current = { metadata: { finalizers: ["1", "2", "4"] } };
    const patch = { metadata: { "$setElementOrder/finalizers": ["1", "2", "3"], finalizers: ["3"] } };
    expect(smp(current, patch, "v1/ConfigMap")).toEqual({ metadata: { finalizers: ["1", "2", "3", "4"] } });
  });

  test("$setElementOrder whose order contradicts the patch list fails", () => {
    const current = { spec: { containers: named("1", "3", "2") } };
    const patch = { spec: { "$setElementOrder/containers": named("1", "2", "3"), containers: named("3", "1") } };
    const error = patchError(() => smp(current, patch, "v1/Pod"));
    expect(error.kind).toBe("failed");
    expect(error.message).toContain("doesn't match");
  });
});

describe("applyStrategicMergePatch: malformed and failing patches", () => {
  test("a patch that is not an object is malformed", () => {
    for (const patch of [[], "x", 1, true, [{ op: "add" }]]) {
      expect(patchError(() => smp({ a: 1 }, patch, "v1/ConfigMap")).kind).toBe("malformed");
    }
    expect(patchError(() => smp({}, [], "v1/ConfigMap")).message).toBe(
      "json: cannot unmarshal array into Go value of type map[string]interface {}",
    );
  });

  test("a null patch changes nothing (Go decodes it into an empty map)", () => {
    expect(smp({ a: 1 }, null, "v1/ConfigMap")).toEqual({ a: 1 });
  });

  test("a merged list item without its merge key fails with strategicpatch's message", () => {
    const patch = { spec: { template: { spec: { containers: [{ image: "nginx" }] } } } };
    const error = patchError(() => smp(statefulSet(), patch, "apps/v1/StatefulSet"));
    expect(error.kind).toBe("failed");
    expect(error.message).toBe("map: map[image:nginx] does not contain declared merge key: name");
  });

  test("a $patch: delete item without its merge key fails", () => {
    const patch = { spec: { template: { spec: { containers: [{ $patch: "delete" }] } } } };
    expect(patchError(() => smp(statefulSet(), patch, "apps/v1/StatefulSet")).message).toContain("does not contain declared merge key: name");
  });

  test("a badly named $deleteFromPrimitiveList or $setElementOrder key is malformed", () => {
    const obj = { metadata: { finalizers: ["a"] } };
    const deleteError = patchError(() => smp(obj, { metadata: { $deleteFromPrimitiveListfinalizers: ["a"] } }, "v1/ConfigMap"));
    expect(deleteError.kind).toBe("malformed");
    expect(deleteError.message).toBe("invalid patch format of primitive list");
    const orderError = patchError(() => smp(obj, { metadata: { $setElementOrderX: ["a"] } }, "v1/ConfigMap"));
    expect(orderError.kind).toBe("malformed");
  });

  test("a $setElementOrder that is not a list fails", () => {
    expect(patchError(() => smp({ metadata: {} }, { metadata: { "$setElementOrder/finalizers": "a" } }, "v1/ConfigMap")).kind).toBe("failed");
  });

  test("lists of lists cannot be merged", () => {
    const error = patchError(() => smp({ metadata: { finalizers: [] } }, { metadata: { finalizers: [["b"]] } }, "v1/ConfigMap"));
    expect(error.kind).toBe("failed");
    expect(error.message).toBe("lists of lists are not supported");
  });

  test("mixed element types in a merged list fail, naming both lists as Go prints them", () => {
    const mixed = patchError(() => smp({ metadata: { finalizers: ["a"] } }, { metadata: { finalizers: [1] } }, "v1/ConfigMap"));
    expect(mixed.kind).toBe("failed");
    expect(mixed.message).toBe("list element types are not identical: [[a] [1]]");
    const nested = patchError(() => smp({ metadata: { finalizers: ["a"] } }, { metadata: { finalizers: [["b"]] } }, "v1/ConfigMap"));
    expect(nested.message).toBe("list element types are not identical: [[a] [[b]]]");
  });

  test("a failing patch leaves the original untouched", () => {
    const original = statefulSet();
    const patch = { metadata: { labels: { x: "y" } }, spec: { template: { spec: { containers: [{ image: "nginx" }] } } } };
    patchError(() => smp(original, patch, "apps/v1/StatefulSet"));
    expect(original).toEqual(statefulSet());
  });

  test("the result shares no structure with the patch", () => {
    const patch = { spec: { template: { spec: { containers: [{ name: "new", env: [{ name: "X" }] }] } } } };
    const result = smp(statefulSet(), patch, "apps/v1/StatefulSet") as any;
    containersOf(result)[0].env.push({ name: "Y" });
    expect(patch.spec.template.spec.containers[0].env).toEqual([{ name: "X" }]);
  });
});
