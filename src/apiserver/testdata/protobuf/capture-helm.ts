// Records the protobuf request bodies helm sends (its release Secret, and the DeleteOptions of `helm uninstall`)
// by running the real helm against the embedded server behind a recording proxy. Not a test. From the repo root:
//   HELM=/path/to/helm npx bun src/apiserver/testdata/protobuf/capture-helm.ts
// writes helm<major>-<verb>-<resource>.bin for each protobuf body (the last one of each verb and resource) (CAPTURE_DIR=/some/dir to write elsewhere).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApiServer } from "../../server.ts";

const helm = process.env.HELM;
if (!helm) throw new Error("set HELM to a helm binary");
const outDir = process.env.CAPTURE_DIR ?? import.meta.dir;

const version = Bun.spawnSync([helm, "version", "--short"]).stdout.toString().trim();
const major = /^v(\d+)/.exec(version)?.[1];
if (!major) throw new Error(`cannot read helm's version from "${version}"`);

const server = await startApiServer({});
const recorded: string[] = [];
const proxy = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const url = new URL(req.url);
    const body = req.method === "GET" || req.method === "HEAD" ? undefined : new Uint8Array(await req.arrayBuffer());
    const type = req.headers.get("content-type") ?? "";
    if (body && body.length > 0 && type.startsWith("application/vnd.kubernetes.protobuf")) {
      const segments = url.pathname.split("/");
      const resource = req.method === "POST" ? segments.at(-1) : segments.at(-2); // a PUT or DELETE names the object
      const name = `helm${major}-${req.method.toLowerCase()}-${resource}.bin`;
      writeFileSync(join(outDir, name), body);
      recorded.push(name);
      console.log(`${req.method} ${url.pathname} ${type} ${body.length} bytes -> ${name}`);
    }
    const headers = new Headers(req.headers);
    headers.delete("host");
    return fetch(`${server.url}${url.pathname}${url.search}`, { method: req.method, headers, body, tls: { rejectUnauthorized: false } });
  },
});

const home = mkdtempSync(join(tmpdir(), "helm-capture-"));
try {
  const kubeconfig = join(home, "kubeconfig");
  writeFileSync(kubeconfig, [
    "apiVersion: v1", "kind: Config", "current-context: capture",
    "clusters:", "- name: capture", `  cluster: {server: "http://127.0.0.1:${proxy.port}"}`,
    "contexts:", "- name: capture", "  context: {cluster: capture, user: capture, namespace: default}",
    "users:", "- name: capture", "  user: {}", "",
  ].join("\n"));
  const chart = join(home, "chart");
  mkdirSync(join(chart, "templates"), { recursive: true });
  writeFileSync(join(chart, "Chart.yaml"), "apiVersion: v2\nname: capture\nversion: 0.1.0\n");
  writeFileSync(join(chart, "templates", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  k: v\n");
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, KUBECONFIG: kubeconfig, HELM_CACHE_HOME: join(home, "cache"),
    HELM_CONFIG_HOME: join(home, "config"), HELM_DATA_HOME: join(home, "data") };
  for (const args of [["install", "rel", chart], ["uninstall", "rel"]]) {
    // Asynchronously: the proxy answers helm from this same event loop.
    const run = Bun.spawn([helm, ...args], { env, stdout: "pipe", stderr: "pipe" });
    const [exitCode, stdout, stderr] = await Promise.all([run.exited, new Response(run.stdout).text(), new Response(run.stderr).text()]);
    console.log(`helm ${args[0]}: exit ${exitCode}: ${stdout.trim()} ${stderr.trim()}`);
  }
} finally {
  proxy.stop(true);
  await server.stop();
  rmSync(home, { recursive: true, force: true });
}
if (!recorded.some((name) => name.includes("delete"))) throw new Error("helm sent no protobuf DELETE body");
