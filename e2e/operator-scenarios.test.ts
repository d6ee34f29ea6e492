// End-to-end: the `kode operator` command (a child process) against the embedded API server (GC and kubelet
// simulation on), driven with real kubectl where present. Covers the seed's Scenario 1 for code-server
// (KodeTemplate) and Webtop (KodeClusterTemplate), template edits rolling every Kode that uses the template,
// existingSecret rotation, and every kind of bad input with its recovery.
// Delete/keepVolume (with GC on and off) are in operator-delete.test.ts; kill/faults/steady state in
// operator-resilience.test.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { KODE_CLUSTER_TEMPLATES, KODE_TEMPLATES, KODES } from "../src/api/resources.ts";
import { SECRETS, STATEFULSETS } from "../src/kube/resources.ts";
import { parseTable } from "./kubectl-harness.ts";
import {
  b64decode,
  childInvariantProblems,
  children,
  condition,
  createKode,
  createNamespace,
  createSecret,
  createTemplate,
  eventually,
  FINALIZER,
  getKode,
  OPERATOR_FIXTURES,
  operatorMode,
  startE2E,
  trackPasswords,
  trackPhases,
  waitEvent,
  waitFailed,
  waitGone,
  waitKode,
  waitRunning,
  type E2E,
  type Obj,
} from "./operator-harness.ts";

let env: E2E;
/** Every test is bounded by its own polls (30 s each); this is only the outer limit. */
const it = (name: string, fn: () => Promise<void>) => test(name, fn, 90_000);

beforeAll(async () => {
  env = await startE2E({ gc: true, kubeletDelayMs: 50 });
}, 60_000);

afterAll(async () => {
  await env?.stop();
}, 30_000);

/** kubectl apply -f FILE (or, without kubectl, a create through the API of the same manifest). */
async function applyFixture(file: string, ns = "default") {
  const path = join(OPERATOR_FIXTURES, file);
  if (env.kubectl) {
    const res = await env.kubectl.run(["apply", "-n", ns, "-f", path]);
    if (res.code !== 0) throw new Error(`kubectl apply -f ${file}: ${res.out}`);
    return res.stdout;
  }
  const obj = Bun.YAML.parse(await Bun.file(path).text()) as Obj;
  const ref = obj.kind === "Kode" ? KODES : obj.kind === "KodeTemplate" ? KODE_TEMPLATES : KODE_CLUSTER_TEMPLATES;
  if (ref.namespaced) obj.metadata.namespace = ns;
  await env.client.create(ref, obj);
  return `${obj.kind} created (through the API: no kubectl on PATH)`;
}

async function kubectl(args: string[]) {
  const res = await env.kubectl!.run(args);
  if (res.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${res.code}:\n${res.out}`);
  return res.stdout;
}

const envOf = (sts: Obj | undefined) => (sts?.spec?.template?.spec?.containers?.[0]?.env ?? []) as { name: string; value?: string; valueFrom?: any }[];
const envValue = (sts: Obj | undefined, name: string) => envOf(sts).find((e) => e.name === name);
const image = (sts: Obj | undefined) => sts?.spec?.template?.spec?.containers?.[0]?.image as string | undefined;
const checksumOf = (sts: Obj | undefined) => sts?.spec?.template?.metadata?.annotations?.["kode.jacero.io/config-checksum"] as string | undefined;

function expectChildMeta(obj: Obj | undefined, kode: Obj, type: string, component: string) {
  expect(obj).toBeDefined();
  expect(obj!.metadata.labels).toMatchObject({
    "app.kubernetes.io/name": type,
    "app.kubernetes.io/instance": kode.metadata.name,
    "app.kubernetes.io/managed-by": "kode-operator",
    "app.kubernetes.io/component": component,
    "kode.jacero.io/name": kode.metadata.name,
  });
  expect(obj!.metadata.ownerReferences).toEqual([
    { apiVersion: "kode.jacero.io/v1alpha1", kind: "Kode", name: kode.metadata.name, uid: kode.metadata.uid!, controller: true, blockOwnerDeletion: true },
  ]);
}

/** No env var carries a literal password; PASSWORD comes from <secret>/password. */
function expectPasswordFromSecret(sts: Obj | undefined, secretName: string, literal: string) {
  expect(envValue(sts, "PASSWORD")).toEqual({ name: "PASSWORD", valueFrom: { secretKeyRef: { name: secretName, key: "password" } } });
  for (const e of envOf(sts)) expect(e.value ?? "").not.toContain(literal);
  expect(JSON.stringify(sts!.spec.template)).not.toContain(literal);
}

describe(`Scenario 1 (${operatorMode()}; ${Bun.which("kubectl") ? "real kubectl" : "no kubectl on PATH: applied through the API"})`, () => {
  it("code-server via a KodeTemplate: children, env contract, kubectl wait/get/describe", async () => {
    const tplOut = await applyFixture("code-server-template.yaml");
    if (env.kubectl) expect(tplOut).toContain("kodetemplate.kode.jacero.io/code-server-template created");
    const kodeOut = await applyFixture("my-code-server.yaml");
    if (env.kubectl) expect(kodeOut).toContain("kode.kode.jacero.io/my-code-server created");

    if (env.kubectl) {
      const wait = await env.kubectl.run(["wait", "--for=condition=Ready", "kode/my-code-server", "--timeout=45s"], { noRequestTimeout: true });
      expect(wait.code, wait.out).toBe(0);
      expect(wait.stdout).toContain("kode.kode.jacero.io/my-code-server condition met");
    }
    const kode = await waitRunning(env.client, "default", "my-code-server");
    expect(kode.metadata.finalizers).toContain(FINALIZER);
    expect(kode.status).toMatchObject({
      phase: "Running",
      type: "code-server",
      template: { kind: "KodeTemplate", name: "code-server-template" },
      url: "http://my-code-server.default.svc.cluster.local",
      credentialsSecret: "my-code-server-auth",
      observedGeneration: kode.metadata.generation,
    });
    for (const type of ["Ready", "TemplateResolved", "ResourcesReady"]) expect(condition(kode, type)?.status).toBe("True");

    const c = await children(env.client, "default", "my-code-server");
    expectChildMeta(c.statefulSet, kode, "code-server", "ide");
    expectChildMeta(c.service, kode, "code-server", "ide");
    expectChildMeta(c.secret, kode, "code-server", "credentials");
    expect(c.pvc).toBeUndefined(); // no storage in the seed's Kode: an emptyDir, with a Warning
    expect(image(c.statefulSet)).toBe("linuxserver/code-server:latest");
    expect(c.statefulSet!.spec.replicas).toBe(1);
    expect(c.statefulSet!.spec.serviceName).toBe("my-code-server");
    expect(envValue(c.statefulSet, "DEFAULT_WORKSPACE")).toEqual({ name: "DEFAULT_WORKSPACE", value: "/config/my-project" });
    expect(envValue(c.statefulSet, "PUID")?.value).toBe("1000");
    expect(envValue(c.statefulSet, "PGID")?.value).toBe("1000");
    expect(envValue(c.statefulSet, "TZ")?.value).toBe("UTC");
    expectPasswordFromSecret(c.statefulSet, "my-code-server-auth", "devpassword");
    expect(b64decode(c.secret!.data!.password)).toBe("devpassword");
    expect(b64decode(c.secret!.data!.username)).toBe("devuser");
    expect(c.service!.spec.selector).toEqual({ "app.kubernetes.io/instance": "my-code-server", "kode.jacero.io/name": "my-code-server" });
    await waitEvent(env.client, "default", "my-code-server", "Warning", "Configuration");

    if (!env.kubectl) return;
    const rows = parseTable(await kubectl(["get", "kodes"]));
    expect(rows.find((r) => r.NAME === "my-code-server")).toMatchObject({
      PHASE: "Running",
      TYPE: "code-server",
      TEMPLATE: "code-server-template",
      USER: "devuser",
      URL: "http://my-code-server.default.svc.cluster.local",
    });
    const short = parseTable(await kubectl(["get", "kd", "my-code-server"]));
    expect(short[0]?.PHASE).toBe("Running");
    const describe = await kubectl(["describe", "kode", "my-code-server"]);
    expect(describe).toContain("Events:");
    const eventsSection = describe.slice(describe.indexOf("Events:"));
    expect(eventsSection).toContain("kode-operator");
    expect(eventsSection).toMatch(/Normal\s+\S+/);
    expect(eventsSection).toMatch(/Warning\s+Configuration/);
    expect(eventsSection).toContain("emptyDir");
  });

  it("Webtop via a KodeClusterTemplate, no password: a generated strong password that survives reconciles and restarts", async () => {
    const passwords = trackPasswords(env.server, "default");
    try {
      await applyFixture("webtop-cluster-template.yaml");
      await applyFixture("my-webtop.yaml");
      if (env.kubectl) {
        const wait = await env.kubectl.run(["wait", "--for=condition=Ready", "kode/my-webtop", "--timeout=45s"], { noRequestTimeout: true });
        expect(wait.code, wait.out).toBe(0);
      }
      const kode = await waitRunning(env.client, "default", "my-webtop");
      expect(kode.status).toMatchObject({ type: "webtop", template: { kind: "KodeClusterTemplate", name: "webtop-cluster-template" }, url: "http://my-webtop.default.svc.cluster.local" });

      const c = await children(env.client, "default", "my-webtop");
      expectChildMeta(c.statefulSet, kode, "webtop", "ide");
      expectChildMeta(c.service, kode, "webtop", "ide");
      expectChildMeta(c.secret, kode, "webtop", "credentials");
      expectChildMeta(c.pvc, kode, "webtop", "storage");
      expect(c.pvc!.spec).toMatchObject({ accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } });
      expect(c.statefulSet!.spec.template.spec.volumes).toContainEqual({ name: "home", persistentVolumeClaim: { claimName: "my-webtop-home" } });
      expect(image(c.statefulSet)).toBe("linuxserver/webtop:ubuntu-mate");
      // CUSTOM_USER comes from the operator's Secret (which holds spec.user), like PASSWORD.
      expect(envValue(c.statefulSet, "CUSTOM_USER")).toEqual({ name: "CUSTOM_USER", valueFrom: { secretKeyRef: { name: "my-webtop-auth", key: "username" } } });

      const password = b64decode(c.secret!.data!.password)!;
      expect(password.length).toBeGreaterThanOrEqual(24);
      expect(new Set(password).size).toBeGreaterThan(10); // not a constant or trivial string
      expect(b64decode(c.secret!.data!.username)).toBe("webuser");
      expectPasswordFromSecret(c.statefulSet, "my-webtop-auth", password);

      if (env.kubectl) {
        const rows = parseTable(await kubectl(["get", "kodes"]));
        expect(rows.find((r) => r.NAME === "my-webtop")).toMatchObject({ PHASE: "Running", TYPE: "webtop", TEMPLATE: "webtop-cluster-template", USER: "webuser", URL: "http://my-webtop.default.svc.cluster.local" });
        const describe = await kubectl(["describe", "kode", "my-webtop"]);
        expect(describe.slice(describe.indexOf("Events:"))).toContain("kode-operator");
      }

      // Restart the operator: a fresh process reconciles everything from scratch and must keep the password.
      const rv = c.secret!.metadata.resourceVersion;
      const checksum = checksumOf(c.statefulSet);
      await env.operator.stop();
      await env.operator.startAndWait();
      // Every Kode is reconciled at start; wait for the new process to have done it.
      await eventually("the restarted operator to reconcile both Kodes", async () => (await env.operator.kodeReconciles()) >= 2);
      // A spec change forces another full pass through resolveCredentials/render/apply.
      await env.client.mergePatch(KODES, "my-webtop", { metadata: { labels: { touched: "yes" } } }, { namespace: "default" });
      await eventually("another reconcile", async () => (await env.operator.kodeReconciles()) >= 3);
      const after = await children(env.client, "default", "my-webtop");
      expect(after.secret!.metadata.resourceVersion).toBe(rv);
      expect(b64decode(after.secret!.data!.password)).toBe(password);
      expect(checksumOf(after.statefulSet)).toBe(checksum);
      expect(passwords.changed()).toEqual([]);
      expect(passwords.seen.get("my-webtop-auth")?.size).toBe(1);
    } finally {
      passwords.stop();
    }
  });
});

describe("template edits and referenced Secrets", () => {
  const ns = "tpl-edit";

  it("an image change on the KodeTemplate rolls the StatefulSet of every Kode using it (Updating, then Running)", async () => {
    await createNamespace(env.client, ns);
    await createTemplate(env.client, "shared", ns, { type: "code-server", image: "linuxserver/code-server:4.90.0" });
    await createTemplate(env.client, "other", ns, { type: "code-server", image: "linuxserver/code-server:other" });
    const users = ["a", "b", "c"];
    for (const k of users) await createKode(env.client, k, ns, { templateRef: { name: "shared" } });
    await createKode(env.client, "bystander", ns, { templateRef: { name: "other" } });
    for (const k of [...users, "bystander"]) await waitRunning(env.client, ns, k);
    for (const k of users) expect(image((await children(env.client, ns, k)).statefulSet)).toBe("linuxserver/code-server:4.90.0");
    const bystanderSts = (await children(env.client, ns, "bystander")).statefulSet!;
    await eventually("template status counts its Kodes", async () => (await env.client.get<Obj>(KODE_TEMPLATES, "shared", ns))?.status?.kodes === 3);

    const phases = trackPhases(env.server, ns);
    try {
      await env.client.mergePatch(KODE_TEMPLATES, "shared", { spec: { image: "linuxserver/code-server:4.91.0" } }, { namespace: ns });
      for (const k of users) {
        await eventually(`StatefulSet ${k} to use the new image`, async () => image((await children(env.client, ns, k)).statefulSet) === "linuxserver/code-server:4.91.0");
        await eventually(`Kode ${k} to be Running again after Updating`, async () => {
          const seen = phases.of(k);
          return seen.includes("Updating") && seen[seen.length - 1] === "Running" && isSettled(await getKode(env.client, ns, k));
        });
        expect(phases.of(k)).toEqual(["Updating", "Running"]);
      }
      // The Kode on another template is untouched.
      const after = (await children(env.client, ns, "bystander")).statefulSet!;
      expect(after.metadata.resourceVersion).toBe(bystanderSts.metadata.resourceVersion);
      expect(phases.of("bystander")).toEqual([]);
      // kubectl describe tells the user: a Normal event for Running -> Updating.
      for (const k of users) expect((await waitEvent(env.client, ns, k, "Normal", "Updating")).message).toContain("Running -> Updating");
    } finally {
      phases.stop();
    }
  });

  it("an edit of a KodeClusterTemplate reaches the Kodes using it in every namespace", async () => {
    await createNamespace(env.client, "tpl-edit-2");
    await createTemplate(env.client, "shared-cluster", undefined, { type: "webtop", image: "linuxserver/webtop:ubuntu-xfce" });
    const users = [
      [ns, "wa"],
      ["tpl-edit-2", "wb"],
    ];
    for (const [n, k] of users) await createKode(env.client, k, n, { templateRef: { kind: "KodeClusterTemplate", name: "shared-cluster" } });
    for (const [n, k] of users) await waitRunning(env.client, n, k);
    await env.client.mergePatch(KODE_CLUSTER_TEMPLATES, "shared-cluster", { spec: { image: "linuxserver/webtop:ubuntu-kde" } });
    for (const [n, k] of users) {
      await eventually(`StatefulSet ${n}/${k} to use the new image`, async () => image((await children(env.client, n, k)).statefulSet) === "linuxserver/webtop:ubuntu-kde");
      await waitRunning(env.client, n, k);
    }
  });

  it("rotating an existingSecret's password changes the config checksum (and so rolls the pod)", async () => {
    await createSecret(env.client, "team-creds", ns, { password: "first-password", username: "alice" });
    await createKode(env.client, "rotating", ns, { templateRef: { name: "shared" }, existingSecret: "team-creds" });
    const kode = await waitRunning(env.client, ns, "rotating");
    expect(kode.status.credentialsSecret).toBe("team-creds");
    const before = await children(env.client, ns, "rotating");
    expect(before.secret).toBeUndefined(); // no <kode>-auth with an existingSecret
    expectPasswordFromSecret(before.statefulSet, "team-creds", "first-password");
    expect(envValue(before.statefulSet, "PASSWORD")?.valueFrom.secretKeyRef.name).toBe("team-creds");
    const sum = checksumOf(before.statefulSet);
    expect(sum).toBeTruthy();

    await env.client.mergePatch(SECRETS, "team-creds", { data: { password: Buffer.from("second-password").toString("base64") } }, { namespace: ns });
    await eventually("the config checksum to change", async () => {
      const s = checksumOf((await children(env.client, ns, "rotating")).statefulSet);
      return s !== undefined && s !== sum;
    });
    await waitRunning(env.client, ns, "rotating");
    // The user's Secret is never modified by the operator.
    const secret = await env.client.get<Obj>(SECRETS, "team-creds", ns);
    expect(b64decode(secret!.data!.password)).toBe("second-password");
    expect(secret!.metadata.ownerReferences).toBeUndefined();
    expect(secret!.metadata.finalizers).toBeUndefined();
    expect(env.server.hooks.count({ userAgent: "kode-operator/", resource: "secrets", writesOnly: true, verb: "patch" })).toBe(0);
  });
});

const isSettled = (k: Obj | undefined) => !!k && k.status?.phase === "Running" && k.status?.observedGeneration === k.metadata.generation;

describe("bad input: Ready=False with a specific reason, phase Failed, a Warning Event; recovery once fixed", () => {
  const ns = "bad-input";
  const good = { templateRef: { name: "cs" } };

  beforeAll(async () => {
    await createNamespace(env.client, ns);
    await createNamespace(env.client, "elsewhere");
    await createTemplate(env.client, "cs", ns, { type: "code-server", image: "linuxserver/code-server:latest" });
    await createTemplate(env.client, "cs-cluster", undefined, { type: "code-server", image: "linuxserver/code-server:latest" });
  }, 30_000);

  /** The Kode fails with `reason`, a Warning Event says so, no workload is created, the operator lives on. */
  async function expectFailure(name: string, reason: string, messagePart?: string, namespace = ns) {
    const kode = await waitFailed(env.client, namespace, name, reason);
    const ready = condition(kode, "Ready")!;
    expect(ready.message.length).toBeGreaterThan(20);
    if (messagePart) expect(ready.message).toContain(messagePart);
    const event = await waitEvent(env.client, namespace, name, "Warning", reason);
    expect(event.message).toContain(ready.message.slice(0, 30));
    expect((await children(env.client, namespace, name)).statefulSet).toBeUndefined();
    expect(env.operator.alive).toBe(true);
    return kode;
  }

  it("a missing template; recovers when the template is created", async () => {
    await createKode(env.client, "no-template", ns, { templateRef: { name: "later" } });
    await expectFailure("no-template", "TemplateNotFound", "later");
    expect(condition(await getKode(env.client, ns, "no-template"), "TemplateResolved")?.status).toBe("False");
    await createTemplate(env.client, "later", ns, { type: "code-server", image: "linuxserver/code-server:latest" });
    await waitRunning(env.client, ns, "no-template");
  });

  it("a template deleted under a running Kode: Failed, the workload is left running; recovers when it is back", async () => {
    await createTemplate(env.client, "fleeting", ns, { type: "code-server", image: "linuxserver/code-server:latest" });
    await createKode(env.client, "orphaned-ref", ns, { templateRef: { name: "fleeting" } });
    await waitRunning(env.client, ns, "orphaned-ref");
    const sts = (await children(env.client, ns, "orphaned-ref")).statefulSet!;
    await env.client.delete(KODE_TEMPLATES, "fleeting", { namespace: ns });
    await waitFailed(env.client, ns, "orphaned-ref", "TemplateNotFound");
    await waitEvent(env.client, ns, "orphaned-ref", "Warning", "TemplateNotFound");
    // Bad input never tears down what runs.
    expect((await children(env.client, ns, "orphaned-ref")).statefulSet?.metadata.resourceVersion).toBe(sts.metadata.resourceVersion);
    await createTemplate(env.client, "fleeting", ns, { type: "code-server", image: "linuxserver/code-server:latest" });
    await waitRunning(env.client, ns, "orphaned-ref");
  });

  it("a wrong-kind template (KodeClusterTemplate naming a namespaced KodeTemplate); recovers when the kind is fixed", async () => {
    await createKode(env.client, "wrong-kind", ns, { templateRef: { kind: "KodeClusterTemplate", name: "cs" } });
    await expectFailure("wrong-kind", "TemplateKindMismatch", "KodeTemplate");
    await env.client.mergePatch(KODES, "wrong-kind", { spec: { templateRef: { kind: "KodeTemplate", name: "cs" } } }, { namespace: ns });
    await waitRunning(env.client, ns, "wrong-kind");
  });

  it("a KodeTemplate referenced from another namespace is refused; recovers with a KodeClusterTemplate", async () => {
    await createKode(env.client, "foreign", "elsewhere", { templateRef: { kind: "KodeTemplate", name: "cs", namespace: ns } });
    await expectFailure("foreign", "TemplateNamespaceForbidden", "KodeClusterTemplate", "elsewhere");
    await env.client.mergePatch(KODES, "foreign", { spec: { templateRef: { kind: "KodeClusterTemplate", name: "cs-cluster", namespace: null } } }, { namespace: "elsewhere" });
    await waitRunning(env.client, "elsewhere", "foreign");
  });

  it("a name too long for its children (53 characters); a shorter name works, and the bad Kode deletes cleanly", async () => {
    const long = `k${"x".repeat(51)}z`; // 53
    expect(long.length).toBe(53);
    await createKode(env.client, long, ns, good);
    await expectFailure(long, "NameTooLong", "52");
    expect(await children(env.client, ns, long)).toEqual({ statefulSet: undefined, service: undefined, secret: undefined, pvc: undefined });
    // The fix for a name is a new Kode: 52 characters is fine.
    const ok = long.slice(0, 52);
    await createKode(env.client, ok, ns, good);
    await waitRunning(env.client, ns, ok);
    await env.client.delete(KODES, long, { namespace: ns });
    await waitGone(env.client, KODES, ns, long);
  });

  it("a storage quantity the CRD schema accepts but the operator does not (-1Gi); recovers when fixed", async () => {
    await createKode(env.client, "bad-size", ns, { ...good, storage: { resources: { requests: { storage: "-1Gi" } } } });
    await expectFailure("bad-size", "InvalidStorageQuantity", "-1Gi");
    await env.client.mergePatch(KODES, "bad-size", { spec: { storage: { resources: { requests: { storage: "2Gi" } } } } }, { namespace: ns });
    await waitRunning(env.client, ns, "bad-size");
    expect((await children(env.client, ns, "bad-size")).pvc?.spec.resources.requests.storage).toBe("2Gi");
  });

  it("a template whose devcontainer does not fit its type (webtop); recovers when the template is fixed", async () => {
    await createTemplate(env.client, "notebook", ns, { type: "webtop", image: "linuxserver/webtop:latest", devcontainer: { config: { image: "x" } } });
    await createKode(env.client, "jupyter", ns, { templateRef: { name: "notebook" } });
    await expectFailure("jupyter", "InvalidDevcontainerSource", "type is webtop");
    await env.client.mergePatch(KODE_TEMPLATES, "notebook", { spec: { devcontainer: null } }, { namespace: ns });
    await waitRunning(env.client, ns, "jupyter");
  });

  it("an existingSecret that does not exist; recovers when it is created", async () => {
    await createKode(env.client, "no-secret", ns, { ...good, existingSecret: "creds-later" });
    await expectFailure("no-secret", "SecretNotFound", "creds-later");
    await createSecret(env.client, "creds-later", ns, { password: "s3cret-later" });
    const kode = await waitRunning(env.client, ns, "no-secret");
    expect(kode.status.credentialsSecret).toBe("creds-later");
  });

  it("an existingSecret without a password key; recovers when the key is added", async () => {
    await createSecret(env.client, "creds-nopw", ns, { username: "bob" });
    await createKode(env.client, "no-password-key", ns, { ...good, existingSecret: "creds-nopw" });
    await expectFailure("no-password-key", "SecretMissingPassword", "password");
    await env.client.mergePatch(SECRETS, "creds-nopw", { data: { password: Buffer.from("added").toString("base64") } }, { namespace: ns });
    await waitRunning(env.client, ns, "no-password-key");
  });

  it("after all of that the operator still runs, and every Kode in the namespace has exactly its children", async () => {
    expect(env.operator.alive).toBe(true);
    const kodes = (await env.client.list<Obj>(KODES, { namespace: ns })).items;
    for (const k of kodes) await waitRunning(env.client, ns, k.metadata.name);
    expect(await childInvariantProblems(env.client, ns, { secret: false })).toEqual([]);
    // Nothing was created under the too-long name.
    const sts = (await env.client.list<Obj>(STATEFULSETS, { namespace: ns })).items.map((s) => s.metadata.name);
    expect(sts.every((n) => n.length <= 52)).toBe(true);
  });
});

describe("steady state over every kind of Kode above", () => {
  it("a fresh operator with --resync 300ms makes zero writes: Running, Failed, existingSecret, keepVolume, both template kinds", async () => {
    // Add what the suite has not left behind yet: a keepVolume Kode and one that stays Failed.
    await createKode(env.client, "kept-home", "bad-input", { templateRef: { name: "cs" }, storage: { keepVolume: true, resources: { requests: { storage: "1Gi" } } } });
    await createKode(env.client, "stays-broken", "bad-input", { templateRef: { name: "never-created" } });
    await waitRunning(env.client, "bad-input", "kept-home");
    await waitFailed(env.client, "bad-input", "stays-broken", "TemplateNotFound");
    const all = (await env.client.list<Obj>(KODES)).items;
    for (const k of all)
      if (k.metadata.name !== "stays-broken")
        await waitKode(env.client, k.metadata.namespace!, k.metadata.name, "settled", (x) => isSettled(x));

    await env.operator.stop();
    env.operator.opts.resync = "300ms";
    const hooks = env.server.hooks;
    const writesBefore = hooks.writes("kode-operator/");
    await env.operator.startAndWait();
    const initial = await eventually("the initial pass", async () => {
      const n = await env.operator.kodeReconciles();
      return n >= all.length ? n : 0;
    });
    await eventually("two resync rounds", async () => (await env.operator.kodeReconciles()) >= initial + 2 * all.length);
    expect(hooks.writes("kode-operator/") - writesBefore, JSON.stringify(hooks.requests({ userAgent: "kode-operator/", writesOnly: true }))).toBe(0);
    env.operator.opts.resync = "10m";
  });
});
