import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeKubernetesProtobuf, goDuration, ProtobufDecodeError } from "./protobuf.ts";
import { double, entry, envelope, len, num } from "./testdata/protobuf/writer.ts";

const fixtureDir = join(import.meta.dir, "testdata", "protobuf");
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(fixtureDir, name)));

/** JSON as Go prints it, without the nulls (unset times, nil slices) that the decoded object leaves out. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]));
}

describe("every body captured from kubectl decodes to what kubectl itself prints (--dry-run=client -o json)", () => {
  const captured = readdirSync(fixtureDir).filter((name) => name.endsWith(".bin") && !name.startsWith("helm"));
  test("the captures cover the generators kubectl sends protobuf from", () => {
    expect(captured.length).toBe(24);
  });
  for (const name of captured) {
    test(name, () => {
      const printed = JSON.parse(readFileSync(join(fixtureDir, name.replace(/\.bin$/, ".json")), "utf8"));
      expect(decodeKubernetesProtobuf(fixture(name))).toEqual(withoutNulls(printed) as Record<string, unknown>);
    });
  }
});

describe("kubectl 1.35 bodies of kinds beyond the first six, as literals", () => {
  test("create role: rules per API group, resourceNames", () => {
    expect(decodeKubernetesProtobuf(fixture("role.bin"))).toEqual({
      kind: "Role",
      apiVersion: "rbac.authorization.k8s.io/v1",
      metadata: { name: "pod-reader", namespace: "team-a" },
      rules: [
        { verbs: ["get", "list", "watch"], apiGroups: [""], resources: ["pods", "pods/log"], resourceNames: ["web"] },
        { verbs: ["get", "list", "watch"], apiGroups: ["apps"], resources: ["deployments"], resourceNames: ["web"] },
      ],
    });
  });

  test("create rolebinding: User, Group and ServiceAccount subjects", () => {
    expect(decodeKubernetesProtobuf(fixture("rolebinding.bin"))).toEqual({
      kind: "RoleBinding",
      apiVersion: "rbac.authorization.k8s.io/v1",
      metadata: { name: "read-pods", namespace: "team-a" },
      subjects: [
        { kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "jane" },
        { kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "devs" },
        { kind: "ServiceAccount", name: "robot", namespace: "team-a" },
      ],
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pod-reader" },
    });
  });

  test("create service nodeport: IntOrString targetPort as a number, nodePort", () => {
    expect(decodeKubernetesProtobuf(fixture("service-nodeport.bin"))).toEqual({
      kind: "Service",
      apiVersion: "v1",
      metadata: { name: "np", labels: { app: "np" } },
      spec: {
        ports: [{ name: "80-8080", protocol: "TCP", port: 80, targetPort: 8080, nodePort: 30080 }],
        selector: { app: "np" },
        type: "NodePort",
      },
      status: { loadBalancer: {} },
    });
  });

  test("create pdb: minAvailable as a percentage string; status counters without omitempty stay 0", () => {
    expect(decodeKubernetesProtobuf(fixture("pdb.bin"))).toEqual({
      kind: "PodDisruptionBudget",
      apiVersion: "policy/v1",
      metadata: { name: "web-pdb" },
      spec: { minAvailable: "50%", selector: { matchLabels: { app: "web" } } },
      status: { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 },
    });
  });

  test("create cronjob: the job template nested two levels", () => {
    const cronJob = decodeKubernetesProtobuf(fixture("cronjob.bin")) as any;
    expect(cronJob.spec.schedule).toBe("*/5 * * * *");
    expect(cronJob.spec.jobTemplate.spec.template.spec).toEqual({
      containers: [{ name: "nightly", image: "busybox:1.36", command: ["date"], resources: {} }],
      restartPolicy: "OnFailure",
    });
  });

  test("create quota: Quantity map values, scopes", () => {
    expect((decodeKubernetesProtobuf(fixture("quota.bin")) as any).spec).toEqual({
      hard: { cpu: "1", memory: "1Gi", pods: "10" },
      scopes: ["NotTerminating"],
    });
  });
});

describe("helm's protobuf bodies", () => {
  for (const major of [3, 4]) {
    test(`helm ${major} uninstall: an empty DeleteOptions in the v1 envelope`, () => {
      expect(decodeKubernetesProtobuf(fixture(`helm${major}-delete-secrets.bin`))).toEqual({ kind: "DeleteOptions", apiVersion: "v1" });
    });

    test(`helm ${major} install: the release Secret`, () => {
      const secret = decodeKubernetesProtobuf(fixture(`helm${major}-post-secrets.bin`)) as any;
      expect(secret.metadata.name).toBe("sh.helm.release.v1.rel.v1");
      expect(secret.metadata.labels).toMatchObject({ name: "rel", owner: "helm", status: "pending-install", version: "1" });
      expect(secret.metadata.labels.createdAt).toMatch(/^\d{10}$/);
      expect(secret.type).toBe("helm.sh/release.v1");
      expect(Object.keys(secret.data)).toEqual(["release"]);
      // helm stores base64(gzip(JSON)) in the Secret's bytes: decoded once here, the gzip magic shows.
      expect(Buffer.from(Buffer.from(secret.data.release, "base64").toString(), "base64").subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    });
  }
});

// Field numbers below are written from k8s.io/api's generated.proto by hand.
const objectMeta = (name: string) => len(1, len(1, name));
const intOrString = (value: number | string) => (typeof value === "number" ? [...num(1, 0), ...num(2, value)] : [...num(1, 1), ...len(3, value)]);
const quantity = (value: string) => len(1, value);

describe("hand-built bodies for the special encodings", () => {
  test("Pod: inlined VolumeSource and LocalObjectReference, an empty emptyDir, probe handler, pointer zeros kept", () => {
    const volumes = [
      ...len(1, [...len(1, "scratch"), ...len(2, len(2, []))]),
      ...len(1, [...len(1, "cfg"), ...len(2, len(19, [
        ...len(1, len(1, "app-config")),
        ...len(2, [...len(1, "a"), ...len(2, "a.txt"), ...num(3, 0)]),
        ...num(3, 420),
      ]))]),
    ];
    const container = [
      ...len(1, "app"), ...len(2, "busybox"), ...len(5, ""),
      ...len(8, entry(1, "cpu", len(2, quantity("500m")))),
      ...len(11, [...len(1, len(2, [...len(1, "/healthz"), ...len(2, intOrString("http"))])), ...num(2, 0), ...num(4, 5)]),
      ...len(15, [...num(5, false), ...num(4, 0)]),
      ...num(16, false),
    ];
    const spec = [...volumes, ...len(2, container), ...num(4, 0), ...num(11, false), ...num(21, false), ...len(3, "")];
    expect(decodeKubernetesProtobuf(envelope("v1", "Pod", [...objectMeta("p"), ...len(2, spec), ...len(3, [])]))).toEqual({
      kind: "Pod",
      apiVersion: "v1",
      metadata: { name: "p" },
      spec: {
        volumes: [
          { name: "scratch", emptyDir: {} },
          { name: "cfg", configMap: { name: "app-config", items: [{ key: "a", path: "a.txt", mode: 0 }], defaultMode: 420 } },
        ],
        containers: [{
          name: "app",
          image: "busybox",
          resources: { limits: { cpu: "500m" } },
          readinessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 5 },
          securityContext: { runAsUser: 0, runAsNonRoot: false },
        }],
        terminationGracePeriodSeconds: 0,
        automountServiceAccountToken: false,
      },
      status: {},
    });
  });

  test("Deployment with replicas 0 keeps it (a pointer), so the server does not default it to 1", () => {
    const decoded = decodeKubernetesProtobuf(envelope("apps/v1", "Deployment", [...objectMeta("d"), ...len(2, [...num(1, 0), ...num(5, 0)])]));
    expect(decoded.spec).toEqual({ replicas: 0 });
  });

  test("Lease: MicroTime with microseconds, int32 pointers", () => {
    const spec = [...len(1, "me"), ...num(2, 15), ...len(3, [...num(1, 1764590400), ...num(2, 123456789)]), ...num(5, 0)];
    expect(decodeKubernetesProtobuf(envelope("coordination.k8s.io/v1", "Lease", [...objectMeta("l"), ...len(2, spec)]))).toEqual({
      kind: "Lease",
      apiVersion: "coordination.k8s.io/v1",
      metadata: { name: "l" },
      spec: { holderIdentity: "me", leaseDurationSeconds: 15, acquireTime: "2025-12-01T12:00:00.123456Z", leaseTransitions: 0 },
    });
  });

  test("SubjectAccessReview: map of ExtraValue shows plain string lists", () => {
    const spec = [
      ...len(1, [...len(2, "get"), ...len(5, "pods")]),
      ...len(3, "jane"), ...len(4, "devs"),
      ...entry(5, "scopes", len(2, [...len(1, "a"), ...len(1, "b")])),
    ];
    const decoded = decodeKubernetesProtobuf(envelope("authorization.k8s.io/v1", "SubjectAccessReview", [...objectMeta(""), ...len(2, spec)]));
    expect(decoded.spec).toEqual({ resourceAttributes: { verb: "get", resource: "pods" }, user: "jane", groups: ["devs"], extra: { scopes: ["a", "b"] } });
  });

  test("ControllerRevision: RawExtension holding JSON", () => {
    const decoded = decodeKubernetesProtobuf(envelope("apps/v1", "ControllerRevision", [...objectMeta("r"), ...len(2, len(1, '{"spec":{"x":1}}')), ...num(3, 2)]));
    expect(decoded).toEqual({ kind: "ControllerRevision", apiVersion: "apps/v1", metadata: { name: "r" }, data: { spec: { x: 1 } }, revision: 2 });
  });

  test("Job: repeated int32 exit codes, packed and unpacked alike", () => {
    const packed = [...len(2, "In"), ...len(3, [3, 5])];
    const unpacked = [...len(2, "NotIn"), ...num(3, 1), ...num(3, 2)];
    const rules = [...len(1, [...len(1, "FailJob"), ...len(2, packed)]), ...len(1, [...len(1, "Ignore"), ...len(2, unpacked)])];
    const decoded = decodeKubernetesProtobuf(envelope("batch/v1", "Job", [...objectMeta("j"), ...len(2, len(11, rules))])) as any;
    expect(decoded.spec.podFailurePolicy.rules).toEqual([
      { action: "FailJob", onExitCodes: { operator: "In", values: [3, 5] } },
      { action: "Ignore", onExitCodes: { operator: "NotIn", values: [1, 2] } },
    ]);
  });

  test("DeleteOptions in any group version: zero grace period kept, preconditions, propagation, dryRun", () => {
    const options = [...num(1, 0), ...len(2, len(1, "u1")), ...len(4, "Foreground"), ...len(5, "All")];
    expect(decodeKubernetesProtobuf(envelope("apps/v1", "DeleteOptions", options))).toEqual({
      kind: "DeleteOptions",
      apiVersion: "apps/v1",
      gracePeriodSeconds: 0,
      preconditions: { uid: "u1" },
      propagationPolicy: "Foreground",
      dryRun: ["All"],
    });
  });

  test("a double field (fixed64) and an unknown field beside it", () => {
    // HPA v2 has no doubles; a double in an unknown field number is skipped without confusing the reader.
    const decoded = decodeKubernetesProtobuf(envelope("v1", "ConfigMap", [...objectMeta("c"), ...double(99, 1.5), ...entry(2, "k", len(2, "v"))]));
    expect(decoded).toEqual({ kind: "ConfigMap", apiVersion: "v1", metadata: { name: "c" }, data: { k: "v" } });
  });

  test("SelfSubjectReview in the pre-release versions old clients post", () => {
    for (const version of ["v1alpha1", "v1beta1", "v1"]) {
      const apiVersion = `authentication.k8s.io/${version}`;
      expect(decodeKubernetesProtobuf(envelope(apiVersion, "SelfSubjectReview", [...len(1, []), ...len(2, len(1, []))]))).toEqual({
        kind: "SelfSubjectReview",
        apiVersion,
        metadata: {},
        status: { userInfo: {} },
      });
    }
  });

  test("a kind this table does not know is unsupported (415), never guessed", () => {
    let error: unknown;
    try {
      decodeKubernetesProtobuf(envelope("example.com/v1", "Widget", objectMeta("w")));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProtobufDecodeError);
    expect((error as ProtobufDecodeError).unsupportedKind).toBe(true);
    expect((error as Error).message).toBe('this server has no protobuf table for kind "Widget" in version "example.com/v1"; send it as application/json');
  });
});

describe("goDuration (metav1.Duration's JSON form)", () => {
  test.each([
    [0n, "0s"],
    [1500000000n, "1.5s"],
    [3723000000000n, "1h2m3s"],
    [150000000n, "150ms"],
    [2500n, "2.5µs"],
    [-90000000000n, "-1m30s"],
    [3600000000000n, "1h0m0s"],
  ])("%p ns is %p", (nanos, text) => {
    expect(goDuration(nanos)).toBe(text);
  });
});
