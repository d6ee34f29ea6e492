// The official Kubernetes Python client (Debian python3-kubernetes) against the API server over HTTPS with a
// bearer token: watches of a built-in and of a custom resource, server-side apply with force_conflicts=True and
// the dynamic client. The clients are the Python scripts in e2e/python/, each printing one JSON document.
// They all depend on the server parsing Python's query booleans (watch=True, force=True) as Go does.
import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { useApiServer, widgetCrd } from "../src/apiserver/testing.ts";

const SCRIPTS = join(import.meta.dir, "python");
const TOKEN = "kode-python-e2e-7d2e";

/** The first python3 that can `import kubernetes` (Debian's, which a pyenv or venv on PATH may hide). */
function findPython(): { path?: string; reason: string } {
  const candidates = [...new Set(["/usr/bin/python3", Bun.which("python3")].filter((p): p is string => !!p))];
  for (const path of candidates) {
    const res = Bun.spawnSync({ cmd: [path, "-c", "import kubernetes; print(kubernetes.__version__)"], stdout: "pipe", stderr: "pipe", timeout: 20_000 });
    if (res.exitCode === 0) return { path, reason: `kubernetes ${res.stdout.toString().trim()} with ${path}` };
  }
  return { reason: `no python3 with the kubernetes package (tried ${candidates.join(", ") || "none"}; apt-get install python3-kubernetes)` };
}

const python = findPython();

if (!python.path) {
  console.warn(`Python client: skipping: ${python.reason}`);
  describe("the Python client", () => test.skip(`skipped: ${python.reason}`, () => {}));
} else {
  describe(`the Python client (${python.reason}) over HTTPS with a token`, () => {
    const ctx = useApiServer({ tls: true, token: TOKEN });

    beforeAll(async () => {
      expect((await ctx.client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgetCrd())).status).toBe(201);
      for (const name of ["py-watch", "py-ssa", "py-dyn"]) {
        expect((await ctx.client.post("/api/v1/namespaces", { metadata: { name } })).status).toBe(201);
      }
    });

    async function run(script: string, ns: string): Promise<any> {
      const proc = Bun.spawn({
        cmd: [python.path!, join(SCRIPTS, script), ctx.server.kubeconfigPath, ns],
        cwd: SCRIPTS,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/nonexistent" },
        stdout: "pipe",
        stderr: "pipe",
        timeout: 50_000,
        killSignal: "SIGKILL",
      });
      const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      if (code !== 0) throw new Error(`${script} exited ${code}:\n${stdout}${stderr}`);
      return JSON.parse(stdout);
    }

    test("a watch of ConfigMaps sees ADDED, MODIFIED and DELETED", async () => {
      const res = await run("watch_configmaps.py", "py-watch");
      expect(res).toEqual({
        stillWatching: false,
        events: [
          { type: "ADDED", name: "py-cm", data: { a: "1" } },
          { type: "MODIFIED", name: "py-cm", data: { a: "2" } },
          { type: "DELETED", name: "py-cm", data: { a: "2" } },
        ],
      });
      expect(ctx.server.hooks.count({ verb: "watch", resource: "configmaps" })).toBeGreaterThanOrEqual(1);
    });

    test("a watch of a custom resource sees ADDED, MODIFIED and DELETED", async () => {
      const res = await run("watch_widgets.py", "py-watch");
      expect(res).toEqual({
        stillWatching: false,
        events: [
          { type: "ADDED", name: "py-w", spec: { size: 1, color: "red" } },
          { type: "MODIFIED", name: "py-w", spec: { size: 2, color: "red" } },
          { type: "DELETED", name: "py-w", spec: { size: 2, color: "red" } },
        ],
      });
    });

    test("server-side apply: a second manager conflicts, then takes over with force_conflicts=True", async () => {
      const res = await run("server_side_apply.py", "py-ssa");
      expect(res.configmap).toEqual({
        first: { k: "from-a" },
        conflict: { status: 409, message: 'Apply failed with 1 conflict: conflict with "py-a": .data.k' },
        forced: { k: "from-b" },
        managers: ["py-b/Apply"],
      });
      expect(res.widget).toEqual({
        first: { size: 2 },
        conflict: { status: 409, message: 'Apply failed with 1 conflict: conflict with "py-a": .spec.size' },
        forced: { size: 5 },
        managers: ["py-b/Apply"],
      });
      const cm = (await ctx.client.get("/api/v1/namespaces/py-ssa/configmaps/py-ssa")).body;
      expect(cm.data).toEqual({ k: "from-b" });
    });

    test("the dynamic client discovers built-ins and a custom resource and drives a Widget through its life", async () => {
      const res = await run("dynamic_client.py", "py-dyn");
      expect(res.discovery).toEqual({
        ConfigMap: { name: "configmaps", namespaced: true, shortNames: ["cm"], verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"] },
        Namespace: { name: "namespaces", namespaced: false, shortNames: ["ns"], verbs: ["create", "delete", "get", "list", "patch", "update", "watch"] },
        Deployment: { name: "deployments", namespaced: true, shortNames: ["deploy"], verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"] },
        Widget: { name: "widgets", namespaced: true, shortNames: ["wd"], verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"] },
      });
      // as discovery says: no deletecollection of namespaces
      expect((await ctx.client.delete("/api/v1/namespaces")).status).toBe(405);
      expect(res.created).toEqual({ spec: { color: "blue", size: 3 }, generation: 1 });
      expect(res.listed).toEqual(["py-dyn"]);
      expect(res.patched).toEqual({ spec: { color: "blue", size: 9 }, generation: 2 });
      expect(res.replaced).toEqual({ color: "green", size: 9 });
      expect(res.deployment).toEqual({ replicas: 2, strategy: "RollingUpdate" });
      expect(res.afterDelete).toEqual([]);
    });
  });
}
