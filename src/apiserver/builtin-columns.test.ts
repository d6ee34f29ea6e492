import { describe, expect, test } from "bun:test";
import { accessModesText, builtinColumns } from "./builtin-columns.ts";
import { toTable } from "./table.ts";
import type { KObject, ResourceType } from "./types.ts";

const NOW = Date.parse("2024-06-01T12:00:00Z");
const ago = (ms: number) => new Date(NOW - ms).toISOString().replace(".000Z", "Z");
const MIN = 60_000;
const CREATED = ago(5 * MIN);

function typeFor(key: string): ResourceType {
  const [group, kind] = key.split("/");
  return {
    group,
    version: "v1",
    kind,
    listKind: `${kind}List`,
    plural: `${kind.toLowerCase()}s`,
    singular: kind.toLowerCase(),
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: [],
    subresources: {},
    columns: builtinColumns[key],
    strategicMerge: true,
    allowUnconditionalUpdate: true,
    generation: false,
  };
}

function render(key: string, ...objects: Partial<KObject>[]) {
  const full = objects.map((o) => ({ ...o, metadata: { name: "x", creationTimestamp: CREATED, ...o.metadata } }) as KObject);
  const table = toTable(full, typeFor(key), { headers: true, now: NOW, resourceVersion: "1" });
  return {
    headers: table.columnDefinitions!.map((c) => c.name.toUpperCase()),
    wide: table.columnDefinitions!.filter((c) => c.priority > 0).map((c) => c.name.toUpperCase()),
    rows: table.rows.map((r) => r.cells),
  };
}

test("keys are <group>/<Kind>; every column can produce a cell, and computed ones are described", () => {
  for (const [key, columns] of Object.entries(builtinColumns)) {
    expect(key).toMatch(/^[a-z0-9.]*\/[A-Z][A-Za-z]+$/);
    for (const column of columns) {
      expect(column.value !== undefined || column.jsonPath !== undefined).toBe(true);
      if (column.value) expect(column.description).toBeTruthy();
    }
  }
});

describe("core kinds", () => {
  test("Namespace", () => {
    const t = render("/Namespace", { metadata: { name: "default" }, status: { phase: "Active" } });
    expect(t.headers).toEqual(["NAME", "STATUS", "AGE"]);
    expect(t.rows).toEqual([["default", "Active", "5m"]]);
  });

  test("Secret counts data keys", () => {
    const t = render("/Secret", { metadata: { name: "s1" }, type: "Opaque", data: { a: "eA==", b: "eQ==" } });
    expect(t.headers).toEqual(["NAME", "TYPE", "DATA", "AGE"]);
    expect(t.rows).toEqual([["s1", "Opaque", 2, "5m"]]);
  });

  test("ConfigMap counts data and binaryData keys", () => {
    const t = render("/ConfigMap", { metadata: { name: "c" }, data: { a: "1", b: "2" }, binaryData: { c: "AA==" } }, { metadata: { name: "empty" } });
    expect(t.headers).toEqual(["NAME", "DATA", "AGE"]);
    expect(t.rows).toEqual([
      ["c", 3, "5m"],
      ["empty", 0, "5m"],
    ]);
  });

  test("Service: ports, node ports, external IPs and selector", () => {
    const t = render(
      "/Service",
      {
        metadata: { name: "web" },
        spec: {
          type: "ClusterIP",
          clusterIPs: ["10.0.0.10"],
          selector: { tier: "front", app: "web" },
          ports: [
            { port: 80, protocol: "TCP" },
            { port: 443, protocol: "TCP" },
          ],
        },
      },
      { metadata: { name: "np" }, spec: { type: "NodePort", clusterIPs: ["10.0.0.11"], ports: [{ port: 80, nodePort: 30080, protocol: "TCP" }] } },
      { metadata: { name: "lb" }, spec: { type: "LoadBalancer", clusterIPs: ["10.0.0.12"], ports: [{ port: 53, protocol: "UDP" }] } },
      {
        metadata: { name: "lb2" },
        spec: { type: "LoadBalancer", clusterIPs: ["10.0.0.13"], externalIPs: ["5.6.7.8"], ports: [{ port: 80 }] },
        status: { loadBalancer: { ingress: [{ ip: "1.2.3.4" }, { hostname: "lb.example.com" }] } },
      },
      { metadata: { name: "ext" }, spec: { type: "ExternalName", externalName: "db.example.com" } },
      { metadata: { name: "headless" }, spec: { clusterIPs: ["None"] } },
    );
    expect(t.headers).toEqual(["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"]);
    expect(t.wide).toEqual(["SELECTOR"]);
    expect(t.rows).toEqual([
      ["web", "ClusterIP", "10.0.0.10", "<none>", "80/TCP,443/TCP", "5m", "app=web,tier=front"],
      ["np", "NodePort", "10.0.0.11", "<none>", "80:30080/TCP", "5m", "<none>"],
      ["lb", "LoadBalancer", "10.0.0.12", "<pending>", "53/UDP", "5m", "<none>"],
      ["lb2", "LoadBalancer", "10.0.0.13", "1.2.3.4,lb.example.com,5.6.7.8", "80/TCP", "5m", "<none>"],
      ["ext", "ExternalName", "<none>", "db.example.com", "<none>", "5m", "<none>"],
      ["headless", "ClusterIP", "None", "<none>", "<none>", "5m", "<none>"],
    ]);
  });

  test("ServiceAccount counts secrets (v1.33 and older servers)", () => {
    const t = render("/ServiceAccount", { metadata: { name: "default" } }, { metadata: { name: "bot" }, secrets: [{ name: "tok" }] });
    expect(t.headers).toEqual(["NAME", "SECRETS", "AGE"]);
    expect(t.rows).toEqual([
      ["default", 0, "5m"],
      ["bot", 1, "5m"],
    ]);
  });

  test("PersistentVolumeClaim: bound, pending and terminating", () => {
    const t = render(
      "/PersistentVolumeClaim",
      {
        metadata: { name: "data" },
        spec: { volumeName: "pv-1", storageClassName: "standard", volumeMode: "Filesystem", resources: { requests: { storage: "1Gi" } } },
        status: { phase: "Bound", capacity: { storage: "2Gi" }, accessModes: ["ReadWriteMany", "ReadWriteOnce", "ReadWriteOnce"] },
      },
      { metadata: { name: "new" }, spec: { storageClassName: "fast", volumeAttributesClassName: "gold" }, status: { phase: "Pending" } },
      {
        metadata: { name: "old", deletionTimestamp: ago(MIN), annotations: { "volume.beta.kubernetes.io/storage-class": "legacy" } },
        spec: { storageClassName: "standard" },
        status: { phase: "Bound" },
      },
    );
    expect(t.headers).toEqual(["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "AGE", "VOLUMEMODE"]);
    expect(t.wide).toEqual(["VOLUMEMODE"]);
    expect(t.rows).toEqual([
      ["data", "Bound", "pv-1", "2Gi", "RWO,RWX", "standard", "<unset>", "5m", "Filesystem"],
      ["new", "Pending", "", "", "", "fast", "gold", "5m", "<unset>"],
      ["old", "Terminating", "", "", "", "legacy", "<unset>", "5m", "<unset>"],
    ]);
  });

  test("access modes abbreviate in a fixed order", () => {
    expect(accessModesText(["ReadWriteOncePod", "ReadOnlyMany", "ReadWriteOnce"])).toBe("RWO,ROX,RWOP");
    expect(accessModesText(undefined)).toBe("");
  });
});

describe("Pod", () => {
  const container = (name: string) => ({ name, image: `${name}:1` });
  const running = (name: string, ready: boolean, restartCount = 0, extra: Record<string, unknown> = {}) => ({
    name,
    ready,
    restartCount,
    state: { running: { startedAt: ago(10 * MIN) } },
    ...extra,
  });

  test("columns, including the wide ones", () => {
    const t = render("/Pod", { metadata: { name: "p" }, spec: { containers: [container("a")] } });
    expect(t.headers).toEqual(["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"]);
    expect(t.wide).toEqual(["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]);
  });

  test("a pending pod", () => {
    const t = render("/Pod", { metadata: { name: "p" }, spec: { containers: [container("a")] }, status: { phase: "Pending" } });
    expect(t.rows[0]).toEqual(["p", "0/1", "Pending", "0", "5m", "<none>", "<none>", "<none>", "<none>"]);
  });

  test("a running pod with one of two containers ready and recent restarts", () => {
    const t = render("/Pod", {
      metadata: { name: "p" },
      spec: { nodeName: "node-1", containers: [container("a"), container("b")], readinessGates: [{ conditionType: "example.com/gate" }] },
      status: {
        phase: "Running",
        podIPs: [{ ip: "10.1.2.3" }],
        conditions: [{ type: "example.com/gate", status: "True" }],
        containerStatuses: [
          running("a", true, 3, { lastState: { terminated: { exitCode: 1, finishedAt: ago(2 * MIN) } } }),
          running("b", false),
        ],
      },
    });
    expect(t.rows[0]).toEqual(["p", "1/2", "Running", "3 (2m ago)", "5m", "10.1.2.3", "node-1", "<none>", "1/1"]);
  });

  test("a crash-looping container shows its waiting reason", () => {
    const t = render("/Pod", {
      spec: { containers: [container("a")] },
      status: { phase: "Running", containerStatuses: [{ name: "a", ready: false, restartCount: 4, state: { waiting: { reason: "CrashLoopBackOff" } } }] },
    });
    expect(t.rows[0].slice(1, 4)).toEqual(["0/1", "CrashLoopBackOff", "4"]);
  });

  test("init containers: progress, failure, and sidecars counted as containers", () => {
    const initializing = render("/Pod", {
      spec: { initContainers: [container("init")], containers: [container("a")] },
      status: { phase: "Pending", initContainerStatuses: [{ name: "init", ready: false, restartCount: 0, state: { running: {} } }] },
    });
    expect(initializing.rows[0].slice(1, 3)).toEqual(["0/1", "Init:0/1"]);

    const failed = render("/Pod", {
      spec: { initContainers: [container("init")], containers: [container("a")] },
      status: { phase: "Pending", initContainerStatuses: [{ name: "init", restartCount: 2, state: { terminated: { exitCode: 2 } } }] },
    });
    expect(failed.rows[0].slice(1, 4)).toEqual(["0/1", "Init:ExitCode:2", "2"]);

    const sidecar = render("/Pod", {
      spec: { initContainers: [{ ...container("proxy"), restartPolicy: "Always" }], containers: [container("a")] },
      status: {
        phase: "Running",
        conditions: [{ type: "Initialized", status: "True" }],
        initContainerStatuses: [{ name: "proxy", ready: true, started: true, restartCount: 1, state: { running: {} } }],
        containerStatuses: [running("a", true)],
      },
    });
    expect(sidecar.rows[0].slice(1, 4)).toEqual(["2/2", "Running", "1"]);
  });

  test("completed and terminating pods", () => {
    const done = render("/Pod", {
      spec: { containers: [container("a")] },
      status: { phase: "Succeeded", containerStatuses: [{ name: "a", ready: false, state: { terminated: { exitCode: 0, reason: "Completed" } } }] },
    });
    expect(done.rows[0].slice(1, 3)).toEqual(["0/1", "Completed"]);

    const terminating = render("/Pod", {
      metadata: { name: "p", deletionTimestamp: ago(MIN) },
      spec: { containers: [container("a")] },
      status: { phase: "Running", containerStatuses: [running("a", true)] },
    });
    expect(terminating.rows[0].slice(1, 3)).toEqual(["1/1", "Terminating"]);
  });
});

describe("Events", () => {
  const expectedHeaders = ["LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE", "FIRST SEEN", "COUNT", "NAME"];

  test("core/v1 Event: no leading Name column, lower-cased kind/name object", () => {
    const t = render("/Event", {
      metadata: { name: "w1.17a" },
      involvedObject: { kind: "Widget", name: "w1", fieldPath: "spec.containers{a}" },
      reason: "Synced",
      message: "  all good \n",
      type: "Normal",
      source: { component: "kode-operator", host: "node-1" },
      firstTimestamp: ago(10 * MIN),
      lastTimestamp: ago(MIN),
      count: 4,
    });
    expect(t.headers).toEqual(expectedHeaders);
    expect(t.wide).toEqual(["SUBOBJECT", "SOURCE", "FIRST SEEN", "COUNT", "NAME"]);
    expect(t.rows[0]).toEqual(["60s", "Normal", "Synced", "widget/w1", "spec.containers{a}", "kode-operator, node-1", "all good", "10m", 4, "w1.17a"]);
  });

  test("core/v1 Event written with the new API: eventTime, series and reporting fields", () => {
    const t = render("/Event", {
      metadata: { name: "e" },
      involvedObject: { kind: "Node" },
      eventTime: "2024-06-01T11:50:00.000000Z",
      series: { count: 7, lastObservedTime: "2024-06-01T11:59:00.000000Z" },
      reportingComponent: "ctrl",
      reportingInstance: "",
      type: "Warning",
      reason: "Flap",
      message: "m",
    });
    expect(t.rows[0]).toEqual(["60s", "Warning", "Flap", "node", "", "ctrl", "m", "10m", 7, "e"]);
  });

  test("a singleton event without count counts 1", () => {
    const t = render("/Event", { metadata: { name: "e" }, involvedObject: { kind: "Pod", name: "p" }, eventTime: ago(30_000) });
    expect(t.rows[0][0]).toBe("30s");
    expect(t.rows[0][7]).toBe("30s");
    expect(t.rows[0][8]).toBe(1);
  });

  test("events.k8s.io/v1 Event field names", () => {
    const t = render("events.k8s.io/Event", {
      metadata: { name: "e2" },
      regarding: { kind: "Deployment", name: "web" },
      note: "scaled",
      reason: "ScalingReplicaSet",
      type: "Normal",
      reportingController: "deployment-controller",
      reportingInstance: "cm-1",
      deprecatedFirstTimestamp: ago(3 * MIN),
      deprecatedLastTimestamp: ago(2 * MIN),
      deprecatedCount: 2,
    });
    expect(t.headers).toEqual(expectedHeaders);
    expect(t.rows[0]).toEqual(["2m", "Normal", "ScalingReplicaSet", "deployment/web", "", "deployment-controller, cm-1", "scaled", "3m", 2, "e2"]);
  });
});

describe("workloads", () => {
  const template = { spec: { containers: [{ name: "app", image: "nginx:1" }, { name: "side", image: "busybox" }] } };

  test("StatefulSet READY ready/desired", () => {
    const t = render("apps/StatefulSet", { metadata: { name: "db" }, spec: { replicas: 3, template }, status: { readyReplicas: 1 } }, { metadata: { name: "d" }, spec: {} });
    expect(t.headers).toEqual(["NAME", "READY", "AGE", "CONTAINERS", "IMAGES"]);
    expect(t.rows).toEqual([
      ["db", "1/3", "5m", "app,side", "nginx:1,busybox"],
      ["d", "0/1", "5m", "", ""],
    ]);
  });

  test("Deployment READY, UP-TO-DATE, AVAILABLE", () => {
    const t = render("apps/Deployment", {
      metadata: { name: "web" },
      spec: { replicas: 3, template, selector: { matchLabels: { app: "web" } } },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    });
    expect(t.headers).toEqual(["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]);
    expect(t.rows[0]).toEqual(["web", "2/3", 3, 2, "5m", "app,side", "nginx:1,busybox", "app=web"]);
  });

  test("Job STATUS, COMPLETIONS, DURATION", () => {
    const t = render(
      "batch/Job",
      {
        metadata: { name: "done" },
        spec: { completions: 1, template, selector: { matchLabels: { "batch.kubernetes.io/controller-uid": "u1" } } },
        status: { succeeded: 1, startTime: ago(4 * MIN), completionTime: ago(4 * MIN - 10_000), conditions: [{ type: "Complete", status: "True" }] },
      },
      { metadata: { name: "par" }, spec: { parallelism: 3, template }, status: { startTime: ago(3 * MIN) } },
      { metadata: { name: "bad" }, spec: { completions: 2 }, status: { conditions: [{ type: "Failed", status: "True" }] } },
      { metadata: { name: "sus" }, spec: {}, status: { conditions: [{ type: "Suspended", status: "True" }] } },
    );
    expect(t.headers).toEqual(["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]);
    expect(t.rows).toEqual([
      ["done", "Complete", "1/1", "10s", "5m", "app,side", "nginx:1,busybox", "batch.kubernetes.io/controller-uid=u1"],
      ["par", "Running", "0/1 of 3", "3m", "5m", "app,side", "nginx:1,busybox", "<none>"],
      ["bad", "Failed", "0/2", "", "5m", "", "", "<none>"],
      ["sus", "Suspended", "0/1", "", "5m", "", "", "<none>"],
    ]);
  });

  test("CronJob SCHEDULE, TIMEZONE, SUSPEND, ACTIVE, LAST SCHEDULE", () => {
    const t = render(
      "batch/CronJob",
      {
        metadata: { name: "nightly" },
        spec: { schedule: "0 3 * * *", suspend: false, jobTemplate: { spec: { template } } },
        status: { active: [{ name: "nightly-1" }], lastScheduleTime: ago(2 * MIN) },
      },
      { metadata: { name: "tz" }, spec: { schedule: "@hourly", timeZone: "Europe/Paris", suspend: true } },
      { metadata: { name: "raw" }, spec: { schedule: "*/5 * * * *" } },
    );
    expect(t.headers).toEqual(["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]);
    expect(t.rows).toEqual([
      ["nightly", "0 3 * * *", "<none>", "False", 1, "2m", "5m", "app,side", "nginx:1,busybox", "<none>"],
      ["tz", "@hourly", "Europe/Paris", "True", 0, "<none>", "5m", "", "", "<none>"],
      ["raw", "*/5 * * * *", "<none>", "<unset>", 0, "<none>", "5m", "", "", "<none>"],
    ]);
  });
});

describe("networking, coordination, RBAC, storage, CRDs", () => {
  test("NetworkPolicy POD-SELECTOR", () => {
    const t = render(
      "networking.k8s.io/NetworkPolicy",
      { metadata: { name: "all" }, spec: { podSelector: {} } },
      { metadata: { name: "db" }, spec: { podSelector: { matchLabels: { role: "db" }, matchExpressions: [{ key: "env", operator: "In", values: ["prod", "dev"] }] } } },
    );
    expect(t.headers).toEqual(["NAME", "POD-SELECTOR", "AGE"]);
    expect(t.rows).toEqual([
      ["all", "<none>", "5m"],
      ["db", "env in (dev,prod),role=db", "5m"],
    ]);
  });

  test("Lease HOLDER", () => {
    const t = render("coordination.k8s.io/Lease", { metadata: { name: "leader" }, spec: { holderIdentity: "pod-a_1234" } }, { metadata: { name: "free" }, spec: {} });
    expect(t.headers).toEqual(["NAME", "HOLDER", "AGE"]);
    expect(t.rows).toEqual([
      ["leader", "pod-a_1234", "5m"],
      ["free", "", "5m"],
    ]);
  });

  test("Role, ClusterRole and CustomResourceDefinition use the default convertor's CREATED AT", () => {
    for (const key of ["rbac.authorization.k8s.io/Role", "rbac.authorization.k8s.io/ClusterRole", "apiextensions.k8s.io/CustomResourceDefinition"]) {
      const t = render(key, { metadata: { name: "r", creationTimestamp: "2024-06-01T11:55:00Z" } });
      expect(t.headers).toEqual(["NAME", "CREATED AT"]);
      expect(t.rows).toEqual([["r", "2024-06-01T11:55:00Z"]]);
    }
  });

  test("RoleBinding and ClusterRoleBinding ROLE and subjects", () => {
    for (const key of ["rbac.authorization.k8s.io/RoleBinding", "rbac.authorization.k8s.io/ClusterRoleBinding"]) {
      const t = render(key, {
        metadata: { name: "view-all" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
        subjects: [
          { kind: "User", name: "alice" },
          { kind: "User", name: "bob" },
          { kind: "Group", name: "devs" },
          { kind: "ServiceAccount", name: "bot", namespace: "ci" },
        ],
      });
      expect(t.headers).toEqual(["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"]);
      expect(t.wide).toEqual(["USERS", "GROUPS", "SERVICEACCOUNTS"]);
      expect(t.rows).toEqual([["view-all", "ClusterRole/view", "5m", "alice, bob", "devs", "ci/bot"]]);
    }
  });
});
