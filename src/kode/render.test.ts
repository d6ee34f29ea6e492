import { describe, expect, test } from "bun:test";
import type { EnvVar, Kode, KodeTemplateSpec } from "../api/types.ts";
import {
  ANNOTATION_CONFIG_CHECKSUM,
  ANNOTATION_KEEP_VOLUME,
  ANNOTATION_TEMPLATE,
  childNames,
  type RenderInput,
  renderKode,
  selectorLabels,
  serviceUrl,
} from "./render.ts";

const PASSWORD = "s3cr3t-Pa55word-zq9";

const kode = (spec: Partial<Kode["spec"]> = {}, meta: Partial<Kode["metadata"]> = {}): Kode => ({
  apiVersion: "kode.jacero.io/v1alpha1",
  kind: "Kode",
  metadata: { name: "alice", namespace: "dev", uid: "uid-1", generation: 1, ...meta },
  spec: { templateRef: { kind: "KodeTemplate", name: "tpl" }, ...spec },
});

const codeServerTpl = (spec: Partial<KodeTemplateSpec> = {}): KodeTemplateSpec => ({
  type: "code-server",
  image: "lscr.io/linuxserver/code-server:4.100.0",
  ...spec,
});
const webtopTpl = (spec: Partial<KodeTemplateSpec> = {}): KodeTemplateSpec => ({
  type: "webtop",
  image: "lscr.io/linuxserver/webtop:ubuntu-xfce",
  ...spec,
});

const input = (k: Kode, spec: KodeTemplateSpec, over: Partial<RenderInput> = {}): RenderInput => ({
  kode: k,
  template: { kind: "KodeTemplate", name: "tpl", namespace: "dev", spec },
  credentials: { secretName: "alice-auth", passwordKey: "password", generated: { username: "alice", password: PASSWORD } },
  rollout: { key: "rollout-key-1", material: "material-1" },
  ...over,
});

const envOf = (r: ReturnType<typeof renderKode>) => r.statefulSet.spec.template.spec.containers[0].env;
const envMap = (r: ReturnType<typeof renderKode>) => Object.fromEntries(envOf(r).map((e) => [e.name, e]));
const ide = (r: ReturnType<typeof renderKode>) => r.statefulSet.spec.template.spec.containers[0];
const pod = (r: ReturnType<typeof renderKode>) => r.statefulSet.spec.template.spec;

describe("names, labels, owners", () => {
  const r = renderKode(input(kode(), codeServerTpl({ storage: { resources: { requests: { storage: "10Gi" } } } })));
  const children = [r.statefulSet, r.service, r.secret!, r.pvc!];

  test("child names", () => {
    expect(r.statefulSet.metadata.name).toBe("alice");
    expect(r.service.metadata.name).toBe("alice");
    expect(r.secret!.metadata.name).toBe("alice-auth");
    expect(r.pvc!.metadata.name).toBe("alice-home");
    expect(childNames("alice")).toEqual({ statefulSet: "alice", service: "alice", secret: "alice-auth", pvc: "alice-home", pod: "alice-0" });
  });

  test("every child is in the Kode's namespace, with apiVersion/kind", () => {
    for (const c of children) {
      expect(c.metadata.namespace).toBe("dev");
      expect(c.apiVersion).toMatch(/^(v1|apps\/v1)$/);
      expect(typeof c.kind).toBe("string");
    }
    expect(r.statefulSet.kind).toBe("StatefulSet");
    expect(r.service.kind).toBe("Service");
    expect(r.secret!.kind).toBe("Secret");
    expect(r.pvc!.kind).toBe("PersistentVolumeClaim");
  });

  test("labels on every child", () => {
    const expected = (component: string) => ({
      "app.kubernetes.io/name": "code-server",
      "app.kubernetes.io/instance": "alice",
      "app.kubernetes.io/managed-by": "kode-operator",
      "app.kubernetes.io/component": component,
      "kode.jacero.io/name": "alice",
    });
    expect(r.statefulSet.metadata.labels).toEqual(expected("ide"));
    expect(r.service.metadata.labels).toEqual(expected("ide"));
    expect(r.secret!.metadata.labels).toEqual(expected("credentials"));
    expect(r.pvc!.metadata.labels).toEqual(expected("storage"));
    expect(r.statefulSet.spec.template.metadata.labels).toEqual(expected("ide"));
  });

  test("controller ownerReference to the Kode on every child", () => {
    for (const c of children)
      expect(c.metadata.ownerReferences).toEqual([
        { apiVersion: "kode.jacero.io/v1alpha1", kind: "Kode", name: "alice", uid: "uid-1", controller: true, blockOwnerDeletion: true },
      ]);
  });

  test("no uid (offline render): no ownerReferences", () => {
    const r2 = renderKode(input(kode({}, { uid: undefined }), codeServerTpl()));
    expect(r2.statefulSet.metadata.ownerReferences).toBeUndefined();
    expect(r2.service.metadata.ownerReferences).toBeUndefined();
  });

  test("no namespace: none rendered", () => {
    const r2 = renderKode(input(kode({}, { namespace: undefined }), codeServerTpl()));
    expect("namespace" in r2.statefulSet.metadata).toBe(false);
  });

  test("template annotation names the template", () => {
    expect(r.statefulSet.metadata.annotations?.[ANNOTATION_TEMPLATE]).toBe("KodeTemplate/dev/tpl");
    const rc = renderKode({ ...input(kode(), codeServerTpl()), template: { kind: "KodeClusterTemplate", name: "shared", spec: codeServerTpl() } });
    expect(rc.service.metadata.annotations?.[ANNOTATION_TEMPLATE]).toBe("KodeClusterTemplate/shared");
  });
});

describe("selector stability", () => {
  test("selector uses only instance and kode name", () => {
    const r = renderKode(input(kode(), codeServerTpl()));
    expect(r.statefulSet.spec.selector).toEqual({ matchLabels: { "app.kubernetes.io/instance": "alice", "kode.jacero.io/name": "alice" } });
    expect(r.service.spec.selector).toEqual({ "app.kubernetes.io/instance": "alice", "kode.jacero.io/name": "alice" });
    expect(selectorLabels("alice")).toEqual({ "app.kubernetes.io/instance": "alice", "kode.jacero.io/name": "alice" });
  });

  test("changing template and type does not change the selector, but does change pod labels", () => {
    const a = renderKode(input(kode(), codeServerTpl()));
    const b = renderKode({ ...input(kode(), webtopTpl()), template: { kind: "KodeClusterTemplate", name: "other", spec: webtopTpl() } });
    for (const r of [a, b]) {
      expect(r.statefulSet.spec.selector).toEqual({ matchLabels: { "app.kubernetes.io/instance": "alice", "kode.jacero.io/name": "alice" } });
      expect(r.service.spec.selector).toEqual({ "app.kubernetes.io/instance": "alice", "kode.jacero.io/name": "alice" });
      expect(r.statefulSet.spec.serviceName).toBe("alice");
      expect(r.statefulSet.spec.podManagementPolicy).toBe("Parallel");
    }
    expect(b.statefulSet.spec.template.metadata.labels["app.kubernetes.io/name"]).toBe("webtop");
  });

  test("pod labels match the selector", () => {
    const r = renderKode(input(kode(), webtopTpl()));
    for (const [k, v] of Object.entries(r.statefulSet.spec.selector.matchLabels)) expect(r.statefulSet.spec.template.metadata.labels[k]).toBe(v);
  });
});

describe("StatefulSet and pod", () => {
  test("fixed StatefulSet fields", () => {
    const r = renderKode(input(kode(), codeServerTpl()));
    expect(r.statefulSet.spec.replicas).toBe(1);
    expect(r.statefulSet.spec.serviceName).toBe("alice");
    expect(r.statefulSet.spec.podManagementPolicy).toBe("Parallel");
    expect(r.statefulSet.spec.updateStrategy).toEqual({ type: "RollingUpdate" });
  });

  test("the rollout annotation is an HMAC of the material with the key, and follows both", () => {
    // Literal values: HMAC-SHA256(key, material + "\n"), hex, first 32 characters (computed with Python's hmac).
    const a = renderKode(input(kode(), codeServerTpl()));
    expect(a.statefulSet.spec.template.metadata.annotations).toEqual({ [ANNOTATION_CONFIG_CHECKSUM]: "d47e151c71f6dc572ae8ad3de1dd39f0" });
    const b = renderKode(input(kode(), codeServerTpl(), { rollout: { key: "rollout-key-1", material: "material-2" } }));
    expect(b.statefulSet.spec.template.metadata.annotations[ANNOTATION_CONFIG_CHECKSUM]).toBe("7a4a9258415595c09ce900e588eca92b");
    const c = renderKode(input(kode(), codeServerTpl(), { rollout: { key: "rollout-key-2", material: "material-1" } }));
    expect(c.statefulSet.spec.template.metadata.annotations[ANNOTATION_CONFIG_CHECKSUM]).toBe("419032b8b9fa31986206cb0248c70855");
    const offline = renderKode(input(kode(), codeServerTpl(), { rollout: undefined }));
    expect(offline.statefulSet.spec.template.metadata.annotations[ANNOTATION_CONFIG_CHECKSUM]).toBe("<computed-by-the-operator>");
    // Only the annotation differs.
    const strip = (x: typeof a) => JSON.stringify({ ...x.statefulSet, spec: { ...x.statefulSet.spec, template: { ...x.statefulSet.spec.template, metadata: {} } } });
    expect(strip(a)).toBe(strip(b));
  });

  test("children come as one list in apply order, with what the apply step needs", () => {
    const r = renderKode(input(kode(), codeServerTpl({ storage: { resources: { requests: { storage: "1Gi" } }, keepVolume: true } }), {
      credentials: { secretName: "alice-auth", passwordKey: "password", generated: { username: "alice", password: PASSWORD }, createOnly: true },
    }));
    expect(r.children.map((c) => `${c.resource.plural}/${c.object.metadata.name}${c.createOnly ? " createOnly" : ""}${c.keep ? " keep" : ""}`)).toEqual([
      "secrets/alice-auth createOnly",
      "persistentvolumeclaims/alice-home keep",
      "services/alice",
      "statefulsets/alice",
    ]);
  });

  test("pod-level settings", () => {
    const r = renderKode(input(kode(), codeServerTpl({ pgid: 2000 })));
    expect(pod(r).securityContext).toEqual({ fsGroup: 2000, fsGroupChangePolicy: "OnRootMismatch", seccompProfile: { type: "RuntimeDefault" } });
    expect(pod(r).enableServiceLinks).toBe(false);
    expect(pod(r).automountServiceAccountToken).toBe(false);
    expect(pod(r).containers.map((c) => c.name)).toEqual(["ide"]);
    expect(pod(r).imagePullSecrets).toBeUndefined();
    expect(pod(r).nodeSelector).toBeUndefined();
    expect(pod(r).tolerations).toBeUndefined();
  });

  test("every template field reaches the pod", () => {
    const tpl = codeServerTpl({
      port: 9000,
      tz: "Europe/Stockholm",
      puid: 1001,
      pgid: 1002,
      defaultHome: "/home/dev",
      defaultWorkspace: "src",
      env: [{ name: "EXTRA", value: "1" }],
      envFrom: [{ configMapRef: { name: "cfg" } }, { secretRef: { name: "tokens", optional: true }, prefix: "T_" }],
      command: ["/init"],
      args: ["--verbose"],
      resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "2Gi" } },
      imagePullPolicy: "Always",
      imagePullSecrets: [{ name: "regcred" }],
      nodeSelector: { "kubernetes.io/arch": "amd64" },
      tolerations: [{ key: "dev", operator: "Exists", effect: "NoSchedule" }],
      storage: { storageClassName: "fast", resources: { requests: { storage: "5Gi" } } },
    });
    const r = renderKode(input(kode(), tpl));
    const c = ide(r);
    expect(c.image).toBe("lscr.io/linuxserver/code-server:4.100.0");
    expect(c.imagePullPolicy).toBe("Always");
    expect(c.command).toEqual(["/init"]);
    expect(c.args).toEqual(["--verbose"]);
    expect(c.envFrom).toEqual([{ configMapRef: { name: "cfg" } }, { secretRef: { name: "tokens", optional: true }, prefix: "T_" }]);
    expect(c.ports).toEqual([{ name: "http", containerPort: 9000, protocol: "TCP" }]);
    expect(c.resources).toEqual({ requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "2Gi" } });
    expect(c.volumeMounts).toEqual([{ name: "home", mountPath: "/home/dev" }]);
    const env = envMap(r);
    expect(env.PUID.value).toBe("1001");
    expect(env.PGID.value).toBe("1002");
    expect(env.TZ.value).toBe("Europe/Stockholm");
    expect(env.PORT.value).toBe("9000");
    expect(env.DEFAULT_WORKSPACE.value).toBe("/home/dev/src");
    expect(env.EXTRA.value).toBe("1");
    expect(pod(r).securityContext.fsGroup).toBe(1002);
    expect(pod(r).imagePullSecrets).toEqual([{ name: "regcred" }]);
    expect(pod(r).nodeSelector).toEqual({ "kubernetes.io/arch": "amd64" });
    expect(pod(r).tolerations).toEqual([{ key: "dev", operator: "Exists", effect: "NoSchedule" }]);
    expect(r.pvc!.spec).toEqual({ accessModes: ["ReadWriteOnce"], storageClassName: "fast", resources: { requests: { storage: "5Gi" } } });
  });

  test("unset optional fields are absent, not empty", () => {
    const r = renderKode(input(kode(), codeServerTpl({ command: [], args: [], envFrom: [], imagePullSecrets: [], tolerations: [], nodeSelector: {} })));
    const c = ide(r) as unknown as Record<string, unknown>;
    for (const k of ["imagePullPolicy", "command", "args", "envFrom", "resources"]) expect(k in c).toBe(false);
    const p = pod(r) as unknown as Record<string, unknown>;
    for (const k of ["imagePullSecrets", "nodeSelector", "tolerations"]) expect(k in p).toBe(false);
  });

  test("template defaults: tz UTC, puid/pgid 1000, home /config, workspace 'workspace'", () => {
    const r = renderKode(input(kode(), codeServerTpl()));
    const env = envMap(r);
    expect(env.TZ.value).toBe("UTC");
    expect(env.PUID.value).toBe("1000");
    expect(env.PGID.value).toBe("1000");
    expect(env.DEFAULT_WORKSPACE.value).toBe("/config/workspace");
    expect(ide(r).volumeMounts[0]).toEqual({ name: "home", mountPath: "/config" });
  });

  test("rendered objects do not alias the input", () => {
    const tpl = codeServerTpl({ env: [{ name: "A", value: "1" }], tolerations: [{ key: "k" }], resources: { limits: { cpu: "1" } } });
    const r = renderKode(input(kode(), tpl));
    envOf(r).find((e) => e.name === "A")!.value = "changed";
    pod(r).tolerations![0].key = "changed";
    ide(r).resources!.limits!.cpu = "2";
    expect(tpl.env![0].value).toBe("1");
    expect(tpl.tolerations![0].key).toBe("k");
    expect(tpl.resources!.limits!.cpu).toBe("1");
  });

  test("same input, same output (pure)", () => {
    const i = input(kode(), webtopTpl({ storage: { resources: { requests: { storage: "1Gi" } } } }));
    expect(JSON.stringify(renderKode(i))).toBe(JSON.stringify(renderKode(i)));
  });
});

describe("home and workspace", () => {
  const ws = (k: Kode, t: KodeTemplateSpec) => {
    const r = renderKode(input(k, t));
    return { ws: envMap(r).DEFAULT_WORKSPACE.value, mount: ide(r).volumeMounts[0].mountPath };
  };
  test("Kode home and workspace override the template's", () => {
    expect(ws(kode({ home: "/home/alice", workspace: "proj" }), codeServerTpl({ defaultHome: "/x", defaultWorkspace: "y" }))).toEqual({
      ws: "/home/alice/proj",
      mount: "/home/alice",
    });
  });
  test("home alone is honoured (upstream bug)", () => {
    expect(ws(kode({ home: "/home/alice" }), codeServerTpl({ defaultWorkspace: "y" }))).toEqual({ ws: "/home/alice/y", mount: "/home/alice" });
  });
  test("workspace alone uses the template's home", () => {
    expect(ws(kode({ workspace: "proj" }), codeServerTpl({ defaultHome: "/data" }))).toEqual({ ws: "/data/proj", mount: "/data" });
  });
  test("empty workspace means home alone", () => {
    expect(ws(kode({ workspace: "" }), codeServerTpl())).toEqual({ ws: "/config", mount: "/config" });
    expect(ws(kode(), codeServerTpl({ defaultWorkspace: "" }))).toEqual({ ws: "/config", mount: "/config" });
  });
  test("slashes are normalised", () => {
    expect(ws(kode({ home: "/home/alice/", workspace: "a//b/" }), codeServerTpl())).toEqual({ ws: "/home/alice/a/b", mount: "/home/alice" });
    expect(ws(kode({ workspace: "./src" }), codeServerTpl())).toEqual({ ws: "/config/src", mount: "/config" });
  });
});

describe("IDE env contracts", () => {
  test("code-server: contract and order", () => {
    const r = renderKode(input(kode(), codeServerTpl()));
    expect(envOf(r)).toEqual([
      { name: "PUID", value: "1000" },
      { name: "PGID", value: "1000" },
      { name: "TZ", value: "UTC" },
      { name: "DEFAULT_WORKSPACE", value: "/config/workspace" },
      { name: "PASSWORD", valueFrom: { secretKeyRef: { name: "alice-auth", key: "password" } } },
    ]);
    expect(ide(r).ports[0].containerPort).toBe(8443);
  });

  test("code-server: PORT only when the port differs from 8443", () => {
    expect(envMap(renderKode(input(kode(), codeServerTpl({ port: 8443 })))).PORT).toBeUndefined();
    const r = renderKode(input(kode(), codeServerTpl({ port: 3000 })));
    expect(envMap(r).PORT).toEqual({ name: "PORT", value: "3000" });
    expect(ide(r).ports[0].containerPort).toBe(3000);
  });

  test("code-server probes: /healthz on the http port", () => {
    const c = ide(renderKode(input(kode(), codeServerTpl())));
    for (const p of [c.readinessProbe, c.livenessProbe, c.startupProbe]) expect(p!.httpGet).toEqual({ path: "/healthz", port: "http", scheme: "HTTP" });
    expect(c.startupProbe.failureThreshold * c.startupProbe.periodSeconds).toBeGreaterThanOrEqual(300);
  });

  test("webtop: contract, default port 3000, TCP probes, /dev/shm", () => {
    const r = renderKode(input(kode({ user: "ignored-when-generated" }), webtopTpl()));
    expect(envOf(r)).toEqual([
      { name: "PUID", value: "1000" },
      { name: "PGID", value: "1000" },
      { name: "TZ", value: "UTC" },
      { name: "CUSTOM_USER", valueFrom: { secretKeyRef: { name: "alice-auth", key: "username" } } },
      { name: "PASSWORD", valueFrom: { secretKeyRef: { name: "alice-auth", key: "password" } } },
    ]);
    const c = ide(r);
    expect(c.ports[0].containerPort).toBe(3000);
    expect(c.readinessProbe.tcpSocket).toEqual({ port: "http" });
    expect(c.livenessProbe!.tcpSocket).toEqual({ port: "http" });
    expect(c.readinessProbe.httpGet).toBeUndefined();
    expect(c.volumeMounts).toContainEqual({ name: "dshm", mountPath: "/dev/shm" });
    expect(pod(r).volumes).toContainEqual({ name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "1Gi" } });
  });

  test("webtop: CUSTOM_PORT only when the port differs from 3000", () => {
    expect(envMap(renderKode(input(kode(), webtopTpl({ port: 3000 })))).CUSTOM_PORT).toBeUndefined();
    expect(envMap(renderKode(input(kode(), webtopTpl({ port: 8080 })))).CUSTOM_PORT).toEqual({ name: "CUSTOM_PORT", value: "8080" });
  });

  test("empty image falls back to the type's default image", () => {
    expect(ide(renderKode(input(kode(), codeServerTpl({ image: "" })))).image).toBe("lscr.io/linuxserver/code-server:latest");
    expect(ide(renderKode(input(kode(), webtopTpl({ image: "" })))).image).toBe("lscr.io/linuxserver/webtop:latest");
  });
});

describe("env override order: IDE contract < template env", () => {
  test("template env comes after the contract", () => {
    const r = renderKode(input(kode(), codeServerTpl({ env: [{ name: "B", value: "b" }, { name: "A", value: "a" }] })));
    expect(envOf(r).map((e) => e.name)).toEqual(["PUID", "PGID", "TZ", "DEFAULT_WORKSPACE", "PASSWORD", "B", "A"]);
  });

  test("a template variable replaces the contract one, with a warning, and no name is duplicated", () => {
    const r = renderKode(input(kode(), codeServerTpl({ env: [{ name: "TZ", value: "Asia/Tokyo" }, { name: "DEFAULT_WORKSPACE", value: "/srv" }] })));
    const names = envOf(r).map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
    expect(envMap(r).TZ.value).toBe("Asia/Tokyo");
    expect(envMap(r).DEFAULT_WORKSPACE.value).toBe("/srv");
    expect(names).toEqual(["PUID", "PGID", "PASSWORD", "TZ", "DEFAULT_WORKSPACE"]);
    expect(r.warnings).toContain("template env TZ replaces the code-server contract value");
    expect(r.warnings).toContain("template env DEFAULT_WORKSPACE replaces the code-server contract value");
  });

  test("a name repeated inside the template keeps its last value at its first position", () => {
    const r = renderKode(input(kode(), codeServerTpl({ env: [{ name: "X", value: "1" }, { name: "Y", value: "y" }, { name: "X", value: "2" }] })));
    const tail = envOf(r).slice(-2);
    expect(tail).toEqual([{ name: "X", value: "2" }, { name: "Y", value: "y" }]);
  });

  test("valueFrom in template env is kept", () => {
    const e: EnvVar = { name: "TOKEN", valueFrom: { secretKeyRef: { name: "tok", key: "t" } } };
    expect(envMap(renderKode(input(kode(), codeServerTpl({ env: [e] })))).TOKEN).toEqual(e);
  });
});

describe("credentials", () => {
  test("generated: Secret <kode>-auth with base64 username/password, pod reads it by reference", () => {
    const r = renderKode(input(kode(), codeServerTpl()));
    expect(r.secret).toBeDefined();
    expect(r.secret!.type).toBe("Opaque");
    expect(r.secret!.data).toEqual({
      username: Buffer.from("alice").toString("base64"),
      password: Buffer.from(PASSWORD).toString("base64"),
    });
    expect("stringData" in r.secret!).toBe(false);
    expect(envMap(r).PASSWORD.valueFrom).toEqual({ secretKeyRef: { name: "alice-auth", key: "password" } });
  });

  test("generated with a different secretName: still <kode>-auth, with a warning", () => {
    const r = renderKode(
      input(kode(), codeServerTpl(), { credentials: { secretName: "other", passwordKey: "pw", generated: { username: "u", password: PASSWORD } } }),
    );
    expect(envMap(r).PASSWORD.valueFrom).toEqual({ secretKeyRef: { name: "alice-auth", key: "password" } });
    expect(r.warnings.some((w) => w.includes("alice-auth") && w.includes("other"))).toBe(true);
  });

  test("password given in spec (the caller passes it as generated): Secret holds it, pod does not", () => {
    const k = kode({ user: "dev", password: PASSWORD });
    const r = renderKode(input(k, webtopTpl(), { credentials: { secretName: "alice-auth", passwordKey: "password", generated: { username: "dev", password: PASSWORD } } }));
    expect(Buffer.from(r.secret!.data.password, "base64").toString()).toBe(PASSWORD);
    expect(Buffer.from(r.secret!.data.username, "base64").toString()).toBe("dev");
  });

  test("existingSecret: no Secret rendered, env refers to the user's Secret and keys", () => {
    const r = renderKode(
      input(kode({ existingSecret: "my-creds" }), webtopTpl(), { credentials: { secretName: "my-creds", usernameKey: "user", passwordKey: "pass" } }),
    );
    expect(r.secret).toBeUndefined();
    const env = envMap(r);
    expect(env.PASSWORD.valueFrom).toEqual({ secretKeyRef: { name: "my-creds", key: "pass" } });
    expect(env.CUSTOM_USER.valueFrom).toEqual({ secretKeyRef: { name: "my-creds", key: "user" } });
  });

  test("existingSecret without a username key: CUSTOM_USER is spec.user, else abc", () => {
    const withUser = renderKode(input(kode({ user: "bob" }), webtopTpl(), { credentials: { secretName: "s", passwordKey: "password" } }));
    expect(envMap(withUser).CUSTOM_USER).toEqual({ name: "CUSTOM_USER", value: "bob" });
    const noUser = renderKode(input(kode(), webtopTpl(), { credentials: { secretName: "s", passwordKey: "password" } }));
    expect(envMap(noUser).CUSTOM_USER).toEqual({ name: "CUSTOM_USER", value: "abc" });
  });

  for (const [label, tpl] of [["code-server", codeServerTpl], ["webtop", webtopTpl]] as const)
    test(`${label}: the password appears nowhere in the StatefulSet or Service`, () => {
      const k = kode({ password: PASSWORD, user: "alice" });
      const r = renderKode(input(k, tpl({ storage: { resources: { requests: { storage: "1Gi" } } } })));
      const b64 = Buffer.from(PASSWORD).toString("base64");
      for (const obj of [r.statefulSet, r.service, r.pvc]) {
        const json = JSON.stringify(obj);
        expect(json).not.toContain(PASSWORD);
        expect(json).not.toContain(b64);
      }
      expect(r.warnings.join("\n")).not.toContain(PASSWORD);
    });
});

describe("storage", () => {
  const vol = (r: ReturnType<typeof renderKode>) => pod(r).volumes.find((v) => v.name === "home");

  test("none: emptyDir home and a warning", () => {
    const r = renderKode(input(kode(), codeServerTpl()));
    expect(r.pvc).toBeUndefined();
    expect(vol(r)).toEqual({ name: "home", emptyDir: {} });
    expect(r.warnings).toContain("no storage: home /config is an emptyDir and is lost when the pod restarts");
  });

  test("ours: PVC <kode>-home mounted at home, default access mode RWO, no storageClassName when unset", () => {
    const r = renderKode(input(kode({ storage: { resources: { requests: { storage: "20Gi" } } } }), codeServerTpl()));
    expect(r.pvc!.spec).toEqual({ accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "20Gi" } } });
    expect(vol(r)).toEqual({ name: "home", persistentVolumeClaim: { claimName: "alice-home" } });
    expect(r.pvc!.metadata.annotations?.[ANNOTATION_KEEP_VOLUME]).toBeUndefined();
    expect(r.warnings).toEqual([]);
  });

  test("Kode storage overrides the template's field by field", () => {
    const tpl = codeServerTpl({
      storage: { accessModes: ["ReadWriteMany"], storageClassName: "slow", resources: { requests: { storage: "1Gi" } } },
    });
    const r = renderKode(input(kode({ storage: { storageClassName: "fast" } }), tpl));
    expect(r.pvc!.spec).toEqual({ accessModes: ["ReadWriteMany"], storageClassName: "fast", resources: { requests: { storage: "1Gi" } } });
    const r2 = renderKode(input(kode({ storage: { resources: { requests: { storage: "50Gi" } }, accessModes: ["ReadWriteOnce"] } }), tpl));
    expect(r2.pvc!.spec).toEqual({ accessModes: ["ReadWriteOnce"], storageClassName: "slow", resources: { requests: { storage: "50Gi" } } });
  });

  test("existing claim: no PVC rendered, the claim is the home volume", () => {
    const r = renderKode(input(kode({ storage: { existingVolumeClaim: "my-data" } }), codeServerTpl()));
    expect(r.pvc).toBeUndefined();
    expect(vol(r)).toEqual({ name: "home", persistentVolumeClaim: { claimName: "my-data" } });
    expect(r.warnings).toEqual([]);
  });

  test("existing claim wins over template size/class, with a warning", () => {
    const tpl = codeServerTpl({ storage: { storageClassName: "x", resources: { requests: { storage: "1Gi" } } } });
    const r = renderKode(input(kode({ storage: { existingVolumeClaim: "my-data" } }), tpl));
    expect(r.pvc).toBeUndefined();
    expect(vol(r)!.persistentVolumeClaim).toEqual({ claimName: "my-data" });
    expect(r.warnings.some((w) => w.includes("my-data") && w.includes("storageClassName"))).toBe(true);
  });

  test("keepVolume: PVC without ownerReference, annotated; other children keep theirs", () => {
    const r = renderKode(input(kode({ storage: { keepVolume: true, resources: { requests: { storage: "1Gi" } } } }), codeServerTpl()));
    expect(r.pvc!.metadata.ownerReferences).toBeUndefined();
    expect(r.pvc!.metadata.annotations?.[ANNOTATION_KEEP_VOLUME]).toBe("true");
    expect(r.statefulSet.metadata.ownerReferences).toHaveLength(1);
    expect(r.service.metadata.ownerReferences).toHaveLength(1);
  });

  test("keepVolume from the template applies too, and the Kode can switch it off", () => {
    const tpl = codeServerTpl({ storage: { keepVolume: true, resources: { requests: { storage: "1Gi" } } } });
    expect(renderKode(input(kode(), tpl)).pvc!.metadata.ownerReferences).toBeUndefined();
    expect(renderKode(input(kode({ storage: { keepVolume: false } }), tpl)).pvc!.metadata.ownerReferences).toHaveLength(1);
  });

  test("storage declared without size: emptyDir and a warning (validate reports MissingStorageSize)", () => {
    const r = renderKode(input(kode({ storage: { storageClassName: "fast" } }), codeServerTpl()));
    expect(r.pvc).toBeUndefined();
    expect(vol(r)).toEqual({ name: "home", emptyDir: {} });
    expect(r.warnings[0]).toContain("declares no size");
  });
});

describe("Service", () => {
  test("ClusterIP on port 80 to targetPort http, no clusterIP field", () => {
    const r = renderKode(input(kode(), webtopTpl({ port: 3333 })));
    expect(r.service.spec).toEqual({
      type: "ClusterIP",
      selector: { "app.kubernetes.io/instance": "alice", "kode.jacero.io/name": "alice" },
      ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
    });
    expect(ide(r).ports[0]).toEqual({ name: "http", containerPort: 3333, protocol: "TCP" });
  });
  test("serviceUrl", () => {
    expect(serviceUrl("alice", "dev")).toBe("http://alice.dev.svc.cluster.local");
    expect(serviceUrl("alice", "dev", "corp.local")).toBe("http://alice.dev.svc.corp.local");
  });
});

describe("types render without validation too", () => {
  test("jupyter renders its contract and no unsupported warning", () => {
    const r = renderKode(input(kode(), { type: "jupyter", image: "" }));
    expect(r.warnings.filter((w) => w.includes("not yet supported"))).toEqual([]);
    expect(ide(r).ports[0].containerPort).toBe(8888);
    expect(envMap(r).JUPYTER_TOKEN.valueFrom).toEqual({ secretKeyRef: { name: "alice-auth", key: "password" } });
  });
  test("an unknown type name renders with TCP probes and no contract", () => {
    const r = renderKode(input(kode(), { type: "nope" as never, image: "x", port: 1234 }));
    expect(r.warnings[0]).toContain("unknown");
    expect(envOf(r)).toEqual([]);
    expect(ide(r).readinessProbe.tcpSocket).toEqual({ port: "http" });
  });
});
