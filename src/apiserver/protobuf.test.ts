import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ProtobufDecodeError, decodeKubernetesProtobuf } from "./protobuf.ts";
import { type Bytes, envelope, len, num, varint } from "./testdata/protobuf/writer.ts";

// Fixtures are real kubectl 1.32 request bodies, written by testdata/protobuf/capture.ts.
const fixtureDir = join(import.meta.dir, "testdata", "protobuf");
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(fixtureDir, name)));
const base64Of = (name: string): string => readFileSync(join(fixtureDir, name)).toString("base64");

// Hand-made messages: the shared test writer; a map entry here takes its value as a string or bytes.
const encoder = new TextEncoder();
const MAGIC = [0x6b, 0x38, 0x73, 0x00];
const tag = (field: number, wireType: number): Bytes => varint((field << 3) | wireType);
const entry = (field: number, key: string, value: string | Bytes): Bytes => len(field, [...len(1, key), ...len(2, value)]);

/** ObjectMeta as Go marshals it: every non-pointer field written, zero or not, and an empty creationTimestamp. */
function goObjectMeta(name: string, namespace = "", extra: Bytes = []): Bytes {
  return [...len(1, name), ...len(2, ""), ...len(3, namespace), ...len(4, ""), ...len(5, ""), ...len(6, ""),
    ...num(7, 0), ...len(8, []), ...extra];
}

function decodeError(body: Uint8Array): ProtobufDecodeError {
  try {
    decodeKubernetesProtobuf(body);
  } catch (error) {
    if (error instanceof ProtobufDecodeError) return error;
    throw error;
  }
  throw new Error("expected a ProtobufDecodeError, but decoding succeeded");
}

/** kubectl's own `--dry-run=client -o json` print of the same command, minus `creationTimestamp: null`. */
function kubectlJson(name: string): unknown {
  const dropNullTimestamps = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(dropNullTimestamps);
    if (value === null || typeof value !== "object") return value;
    const entries = Object.entries(value).filter(([key, v]) => !(key === "creationTimestamp" && v === null));
    return Object.fromEntries(entries.map(([key, v]) => [key, dropNullTimestamps(v)]));
  };
  return dropNullTimestamps(JSON.parse(readFileSync(join(fixtureDir, name), "utf8")));
}

// ---- real kubectl bodies ------------------------------------------------------------------------------------

describe("decodeKubernetesProtobuf on bodies captured from kubectl", () => {
  test("create secret generic: literals, an empty literal, a binary file, --save-config, -n", () => {
    const decoded = decodeKubernetesProtobuf(fixture("secret-generic.bin"));
    const blob = base64Of("binary.dat");
    expect(decoded).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: "s1",
        namespace: "team-a",
        annotations: {
          "kubectl.kubernetes.io/last-applied-configuration":
            `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s1","namespace":"team-a","creationTimestamp":null},` +
            `"data":{"blob":"${blob}","empty":"","username":"YWRtaW4="}}\n`,
        },
      },
      data: { blob, empty: "", username: "YWRtaW4=" },
    });
  });

  test("create secret tls: cert and key as base64 data, type kubernetes.io/tls", () => {
    expect(decodeKubernetesProtobuf(fixture("secret-tls.bin"))).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "tls1" },
      data: { "tls.crt": base64Of("tls.crt"), "tls.key": base64Of("tls.key") },
      type: "kubernetes.io/tls",
    });
  });

  test("create secret docker-registry: .dockerconfigjson", () => {
    const decoded = decodeKubernetesProtobuf(fixture("secret-docker-registry.bin"));
    const config = {
      auths: {
        "registry.example.com": {
          username: "bob",
          password: "s3cr3t",
          email: "bob@example.com",
          auth: Buffer.from("bob:s3cr3t").toString("base64"),
        },
      },
    };
    expect(decoded).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "regcred" },
      data: { ".dockerconfigjson": Buffer.from(JSON.stringify(config)).toString("base64") },
      type: "kubernetes.io/dockerconfigjson",
    });
  });

  test("create configmap: UTF-8 literals and text file in data, a binary file in binaryData", () => {
    expect(decodeKubernetesProtobuf(fixture("configmap.bin"))).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "cm1" },
      data: { greeting: "hello world", unicode: "héllo ✓", "script.sh": "#!/bin/sh\necho hi\n" },
      binaryData: { blob: base64Of("binary.dat") },
    });
  });

  test("create namespace: empty spec and status stay as {} like kubectl's JSON", () => {
    expect(decodeKubernetesProtobuf(fixture("namespace.bin"))).toEqual({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "team-b" },
      spec: {},
      status: {},
    });
  });

  test("create serviceaccount: only metadata", () => {
    expect(decodeKubernetesProtobuf(fixture("serviceaccount.bin"))).toEqual({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "robot", namespace: "team-a" },
    });
  });

  test("create deployment: replicas, selector, template, command, ports, empty resources/strategy/status", () => {
    expect(decodeKubernetesProtobuf(fixture("deployment.bin"))).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", labels: { app: "web" } },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: {
            containers: [{
              name: "nginx",
              image: "nginx:1.27",
              command: ["nginx", "-g", "daemon off;"],
              ports: [{ containerPort: 8080 }],
              resources: {},
            }],
          },
        },
        strategy: {},
      },
      status: {},
    });
  });

  test.each([
    "secret-generic", "secret-tls", "secret-docker-registry", "configmap", "namespace", "serviceaccount", "deployment",
  ])("%s equals the JSON kubectl prints for the same command", (name) => {
    expect(decodeKubernetesProtobuf(fixture(`${name}.bin`))).toEqual(kubectlJson(`${name}.json`) as Record<string, unknown>);
  });

  test("every truncation of a real body either decodes or throws ProtobufDecodeError", () => {
    const body = fixture("deployment.bin");
    let failures = 0;
    for (let end = 0; end < body.length; end++) {
      try {
        decodeKubernetesProtobuf(body.subarray(0, end));
      } catch (error) {
        expect(error).toBeInstanceOf(ProtobufDecodeError);
        failures++;
      }
    }
    // Almost every cut lands inside a length-delimited field; only cuts between trailing envelope fields decode.
    expect(failures).toBeGreaterThan(body.length - 5);
  });

  test("random byte corruption never escapes as anything but ProtobufDecodeError", () => {
    const original = fixture("configmap.bin");
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 500; round++) {
      const body = original.slice();
      const position = MAGIC.length + Math.floor(random() * (body.length - MAGIC.length));
      body[position] = Math.floor(random() * 256);
      try {
        decodeKubernetesProtobuf(body);
      } catch (error) {
        expect(error).toBeInstanceOf(ProtobufDecodeError);
      }
    }
  });
});

// ---- hand-made messages: fields kubectl's generators do not send --------------------------------------------

describe("decodeKubernetesProtobuf field coverage", () => {
  test("ObjectMeta: generateName, labels, annotations, ownerReferences, finalizers; zero scalars are omitted", () => {
    const ownerReference = [...len(1, "Deployment"), ...len(3, "web"), ...len(4, "uid-1"), ...len(5, "apps/v1"),
      ...num(6, true), ...num(7, false)];
    const meta = [...len(1, ""), ...len(2, "cm-"), ...len(3, "team-a"), ...len(4, ""), ...len(5, ""), ...len(6, ""),
      ...num(7, 0), ...len(8, []), ...entry(11, "app", "web"), ...entry(11, "tier", ""),
      ...entry(12, "note", "a=b"), ...len(13, ownerReference), ...len(14, "example.com/cleanup"),
      ...len(14, "kubernetes")];
    expect(decodeKubernetesProtobuf(envelope("v1", "ConfigMap", len(1, meta)))).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        generateName: "cm-",
        namespace: "team-a",
        labels: { app: "web", tier: "" },
        annotations: { note: "a=b" },
        ownerReferences: [{
          kind: "Deployment", name: "web", uid: "uid-1", apiVersion: "apps/v1", controller: true,
          blockOwnerDeletion: false,
        }],
        finalizers: ["example.com/cleanup", "kubernetes"],
      },
    });
  });

  test("ObjectMeta: set timestamps become RFC 3339 seconds, nanos dropped; generation and grace period 0 kept", () => {
    const created = [...num(1, 1_700_000_000), ...num(2, 123_000_000)];
    const epoch = [...num(1, 0)];
    const meta = [...len(1, "x"), ...num(7, 0), ...len(8, created), ...len(9, epoch), ...num(10, 0)];
    const decoded = decodeKubernetesProtobuf(envelope("v1", "ConfigMap", [...len(1, meta), ...num(7, 5)]));
    expect(decoded.metadata).toEqual({
      name: "x",
      creationTimestamp: "2023-11-14T22:13:20Z",
      deletionTimestamp: "1970-01-01T00:00:00Z",
      deletionGracePeriodSeconds: 0,
    });
  });

  test("ObjectMeta: generation and large int64 values decode as numbers", () => {
    const meta = [...len(1, "x"), ...num(7, 42), ...num(10, 2 ** 40)];
    expect(decodeKubernetesProtobuf(envelope("v1", "ConfigMap", len(1, meta))).metadata).toEqual({
      name: "x",
      generation: 42,
      deletionGracePeriodSeconds: 2 ** 40,
    });
  });

  test("ObjectMeta: managedFields with time and fieldsV1 JSON", () => {
    const fieldsV1 = len(1, '{"f:data":{"f:a":{}}}');
    const managed = [...len(1, "kubectl-create"), ...len(2, "Update"), ...len(3, "v1"), ...len(4, num(1, 1_700_000_000)),
      ...len(6, "FieldsV1"), ...len(7, fieldsV1), ...len(8, "")];
    const meta = goObjectMeta("x", "", len(17, managed));
    expect(decodeKubernetesProtobuf(envelope("v1", "ConfigMap", len(1, meta))).metadata).toEqual({
      name: "x",
      managedFields: [{
        manager: "kubectl-create",
        operation: "Update",
        apiVersion: "v1",
        time: "2023-11-14T22:13:20Z",
        fieldsType: "FieldsV1",
        fieldsV1: { "f:data": { "f:a": {} } },
      }],
    });
  });

  test("Secret: stringData, immutable false kept (pointer), empty type omitted, last map entry wins", () => {
    const raw = [...len(1, goObjectMeta("s")), ...entry(2, "k", [0xff, 0x00]), ...entry(2, "k", [1, 2, 3]),
      ...len(3, ""), ...entry(4, "plain", "text"), ...num(5, false)];
    expect(decodeKubernetesProtobuf(envelope("v1", "Secret", raw))).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s" },
      data: { k: "AQID" },
      stringData: { plain: "text" },
      immutable: false,
    });
  });

  test("map entries without a value field read as empty", () => {
    const raw = [...len(1, goObjectMeta("s")), ...len(2, len(1, "nothing")), ...len(4, len(1, "blank"))];
    const decoded = decodeKubernetesProtobuf(envelope("v1", "Secret", raw));
    expect(decoded.data).toEqual({ nothing: "" });
    expect(decoded.stringData).toEqual({ blank: "" });
  });

  test("ConfigMap: immutable true", () => {
    const raw = [...len(1, goObjectMeta("c")), ...entry(2, "a", "1"), ...num(4, true)];
    expect(decodeKubernetesProtobuf(envelope("v1", "ConfigMap", raw))).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c" },
      data: { a: "1" },
      immutable: true,
    });
  });

  test("Namespace: spec.finalizers and status.phase", () => {
    const raw = [...len(1, goObjectMeta("ns")), ...len(2, [...len(1, "kubernetes")]), ...len(3, len(1, "Active"))];
    expect(decodeKubernetesProtobuf(envelope("v1", "Namespace", raw))).toEqual({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "ns" },
      spec: { finalizers: ["kubernetes"] },
      status: { phase: "Active" },
    });
  });

  test("ServiceAccount: secrets, imagePullSecrets, automountServiceAccountToken false", () => {
    const raw = [...len(1, goObjectMeta("robot", "team-a")),
      ...len(2, [...len(1, ""), ...len(2, ""), ...len(3, "robot-token")]), ...len(3, len(1, "regcred")),
      ...len(3, len(1, "other")), ...num(4, false)];
    expect(decodeKubernetesProtobuf(envelope("v1", "ServiceAccount", raw))).toEqual({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "robot", namespace: "team-a" },
      secrets: [{ name: "robot-token" }],
      imagePullSecrets: [{ name: "regcred" }, { name: "other" }],
      automountServiceAccountToken: false,
    });
  });

  test("Deployment: rolling update IntOrString values, env, resource quantities", () => {
    const quantity = (value: string) => len(1, value);
    const container = [...len(1, "app"), ...len(2, "img"), ...len(7, [...len(1, "MODE"), ...len(2, "prod")]),
      ...len(8, [...len(1, [...len(1, "cpu"), ...len(2, quantity("500m"))]), ...len(2, [...len(1, "memory"),
        ...len(2, quantity("64Mi"))])])];
    const strategy = [...len(1, "RollingUpdate"),
      ...len(2, [...len(1, [...num(1, 0), ...num(2, 1)]), ...len(2, [...num(1, 1), ...len(3, "25%")])])];
    const spec = [...num(1, 0), ...len(3, len(2, len(2, container))), ...len(4, strategy), ...num(6, 10)];
    expect(decodeKubernetesProtobuf(envelope("apps/v1", "Deployment", [...len(1, goObjectMeta("d")), ...len(2, spec)])))
      .toEqual({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "d" },
        spec: {
          replicas: 0,
          template: {
            spec: {
              containers: [{
                name: "app",
                image: "img",
                env: [{ name: "MODE", value: "prod" }],
                resources: { limits: { cpu: "500m" }, requests: { memory: "64Mi" } },
              }],
            },
          },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: "25%" } },
          revisionHistoryLimit: 10,
        },
      });
  });

  test("Deployment: fields without omitempty in JSON keep their zero value, the others drop it", () => {
    const port = [...len(1, ""), ...num(2, 0), ...num(3, 0), ...len(4, "TCP"), ...len(5, "")];
    const container = [...len(1, ""), ...len(2, ""), ...len(6, port), ...num(16, false)];
    const spec = [...len(3, len(2, [...len(2, container), ...len(3, ""), ...num(21, false)])), ...num(7, false)];
    const decoded = decodeKubernetesProtobuf(envelope("apps/v1", "Deployment", [...len(1, goObjectMeta("d")), ...len(2, spec)]));
    expect(decoded.spec).toEqual({
      template: {
        spec: {
          containers: [{ name: "", ports: [{ containerPort: 0, protocol: "TCP" }] }],
          automountServiceAccountToken: false,
        },
      },
    });
  });

  test("unknown fields of every wire type (0, 1, 2, 5) are skipped, in the envelope and in the object", () => {
    const unknown = [...num(90, 7), ...tag(91, 1), 1, 2, 3, 4, 5, 6, 7, 8, ...len(92, "junk"), ...tag(93, 5), 9, 9, 9, 9];
    const raw = [...unknown, ...len(1, [...unknown, ...len(1, "c")]), ...entry(2, "a", "1"), ...unknown];
    const body = Uint8Array.from([...envelope("v1", "ConfigMap", raw), ...unknown]);
    expect(decodeKubernetesProtobuf(body)).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c" },
      data: { a: "1" },
    });
  });

  test("an empty raw object still carries metadata", () => {
    expect(decodeKubernetesProtobuf(envelope("v1", "ServiceAccount", []))).toEqual({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: {},
    });
  });

  test("invalid UTF-8 in a string becomes U+FFFD, as Go's JSON encoder prints it", () => {
    const raw = [...len(1, goObjectMeta("c")), ...entry(2, "bad", [0x61, 0xff, 0x62])];
    expect(decodeKubernetesProtobuf(envelope("v1", "ConfigMap", raw)).data).toEqual({ bad: "a\uFFFDb" });
  });
});

// ---- malformed input ----------------------------------------------------------------------------------------

describe("decodeKubernetesProtobuf rejects malformed input", () => {
  test("empty body", () => {
    expect(decodeError(new Uint8Array()).message).toBe("empty data");
  });

  test("bad magic: a JSON body sent with the protobuf content type", () => {
    const error = decodeError(encoder.encode('{"kind":"Secret"}'));
    expect(error.message).toBe(
      "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]",
    );
  });

  test("magic shorter than four bytes", () => {
    expect(decodeError(Uint8Array.from([0x6b, 0x38, 0x73])).message).toContain("expected prefix");
  });

  test("magic with nothing after it", () => {
    expect(decodeError(Uint8Array.from(MAGIC)).message).toBe("empty body");
  });

  test("truncated varint in the envelope", () => {
    const error = decodeError(Uint8Array.from([...MAGIC, 0x0a, 0x80]));
    expect(error.message).toContain("truncated varint");
    expect(error.message).toContain("runtime.Unknown");
  });

  test("varint longer than ten bytes", () => {
    const error = decodeError(Uint8Array.from([...MAGIC, 0x08, ...Array(11).fill(0xff), 0x01]));
    expect(error.message).toContain("varint longer than 10 bytes");
  });

  test("length beyond the buffer, naming the kind being decoded", () => {
    const raw = [...len(1, goObjectMeta("s"))];
    raw[1] += 40; // metadata claims more bytes than the object has
    const error = decodeError(envelope("v1", "Secret", raw));
    expect(error.message).toContain("v1, Kind=Secret");
    expect(error.message).toContain("runs past the end");
  });

  test("length beyond the buffer in the envelope's raw field", () => {
    const body = envelope("v1", "Secret", len(1, goObjectMeta("s")));
    const error = decodeError(body.subarray(0, body.length - 10));
    expect(error.message).toContain("runs past the end");
  });

  test("truncated fixed64 and fixed32 fields while skipping", () => {
    const fixed64 = [...len(1, goObjectMeta("c")), ...tag(50, 1), 1, 2, 3];
    expect(decodeError(envelope("v1", "ConfigMap", fixed64)).message).toContain("truncated 8-byte fixed field");
    const fixed32 = [...len(1, goObjectMeta("c")), ...tag(50, 5), 1];
    expect(decodeError(envelope("v1", "ConfigMap", fixed32)).message).toContain("truncated 4-byte fixed field");
  });

  test("group wire types are rejected", () => {
    const raw = [...len(1, goObjectMeta("c")), ...tag(50, 3)];
    expect(decodeError(envelope("v1", "ConfigMap", raw)).message).toContain("unsupported wire type 3");
  });

  test("field number 0 is rejected", () => {
    expect(decodeError(envelope("v1", "ConfigMap", [0x02, 0x00])).message).toContain("invalid field number 0");
  });

  test("a known field with the wrong wire type", () => {
    const error = decodeError(envelope("v1", "ConfigMap", num(1, 5)));
    expect(error.message).toContain("field metadata has wire type 0, expected 2");
  });

  test("malformed fieldsV1 JSON", () => {
    const meta = goObjectMeta("x", "", len(17, len(7, len(1, "{not json"))));
    expect(decodeError(envelope("v1", "ConfigMap", len(1, meta))).message).toContain(
      "metadata.managedFields.fieldsV1 does not hold valid JSON",
    );
  });

  test("a kind outside the table names the kind and version and is marked unsupported (415), not malformed", () => {
    const error = decodeError(envelope("kode.jacero.io/v1alpha1", "Kode", len(1, goObjectMeta("k"))));
    expect(error.message).toContain('kind "Kode" in version "kode.jacero.io/v1alpha1"');
    expect(error.message).toContain("application/json");
    expect(error.unsupportedKind).toBe(true);
    expect(decodeError(envelope("v1", "ConfigMap", num(1, 5))).unsupportedKind).toBe(false);
  });

  test("a known kind under the wrong version is not guessed", () => {
    expect(decodeError(envelope("v1", "Deployment", [])).message).toContain('kind "Deployment" in version "v1"');
  });

  test("missing kind or apiVersion in the envelope", () => {
    expect(decodeError(envelope("v1", "", [])).message).toContain("Object 'Kind' is missing");
    expect(decodeError(envelope("", "Secret", [])).message).toContain("'apiVersion' is missing");
  });
});
