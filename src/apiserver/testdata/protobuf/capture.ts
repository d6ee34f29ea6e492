// Regenerates the protobuf fixtures in this folder by running the real kubectl against a throwaway
// server that records each POST body. Not a test. Run from the repo root:
//   npx bun src/apiserver/testdata/protobuf/capture.ts            (uses /usr/bin/kubectl)
//   KUBECTL=/usr/lib/google-cloud-sdk/bin/kubectl.1.33 npx bun src/apiserver/testdata/protobuf/capture.ts
// tls.crt/tls.key, binary.dat and script.sh are reused when present, so the expected values in protobuf.test.ts
// stay valid. Each <name>.bin also gets <name>.json: the same command with `--dry-run=client -o json`, i.e. the
// JSON that kubectl itself would print for the object, used by the tests as an independent oracle.
// CAPTURE_DIR=/some/dir writes the captures there instead (to compare kubectl versions). The fixtures from job.bin
// on were captured with kubectl 1.35 (KUBECTL=<the v35 layer's kubectl>), the ones before with 1.32.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const here = import.meta.dir;
const kubectl = process.env.KUBECTL ?? "/usr/bin/kubectl";
const outDir = process.env.CAPTURE_DIR ?? here;

interface Capture {
  fixture: string;
  args: string[];
}

const captures: Capture[] = [
  {
    fixture: "secret-generic.bin",
    args: [
      "create", "secret", "generic", "s1", "-n", "team-a", "--save-config",
      "--from-literal=username=admin", "--from-literal=empty=",
      `--from-file=blob=${join(here, "binary.dat")}`,
    ],
  },
  {
    fixture: "secret-tls.bin",
    args: ["create", "secret", "tls", "tls1", `--cert=${join(here, "tls.crt")}`, `--key=${join(here, "tls.key")}`],
  },
  {
    fixture: "secret-docker-registry.bin",
    args: [
      "create", "secret", "docker-registry", "regcred", "--docker-server=registry.example.com",
      "--docker-username=bob", "--docker-password=s3cr3t", "--docker-email=bob@example.com",
    ],
  },
  {
    fixture: "configmap.bin",
    args: [
      "create", "configmap", "cm1", "--from-literal=greeting=hello world", "--from-literal=unicode=héllo ✓",
      `--from-file=blob=${join(here, "binary.dat")}`, `--from-file=script.sh=${join(here, "script.sh")}`,
    ],
  },
  { fixture: "namespace.bin", args: ["create", "namespace", "team-b"] },
  { fixture: "serviceaccount.bin", args: ["create", "serviceaccount", "robot", "-n", "team-a"] },
  {
    fixture: "deployment.bin",
    args: [
      "create", "deployment", "web", "--image=nginx:1.27", "--replicas=3", "--port=8080",
      "--", "nginx", "-g", "daemon off;",
    ],
  },
  { fixture: "job.bin", args: ["create", "job", "pi", "--image=busybox:1.36", "--", "sh", "-c", "echo hi"] },
  {
    fixture: "cronjob.bin",
    args: ["create", "cronjob", "nightly", "--image=busybox:1.36", "--schedule=*/5 * * * *", "--restart=OnFailure", "--", "date"],
  },
  {
    fixture: "role.bin",
    args: ["create", "role", "pod-reader", "-n", "team-a", "--verb=get,list,watch", "--resource=pods,pods/log,deployments.apps",
      "--resource-name=web"],
  },
  { fixture: "clusterrole.bin", args: ["create", "clusterrole", "node-reader", "--verb=get,list,watch", "--resource=nodes"] },
  {
    fixture: "clusterrole-aggregate.bin",
    args: ["create", "clusterrole", "monitoring", "--aggregation-rule=rbac.example.com/aggregate-to-monitoring=true"],
  },
  { fixture: "clusterrole-nonresource.bin", args: ["create", "clusterrole", "healthz", "--verb=get", "--non-resource-url=/healthz,/livez"] },
  {
    fixture: "rolebinding.bin",
    args: ["create", "rolebinding", "read-pods", "-n", "team-a", "--role=pod-reader", "--user=jane", "--group=devs",
      "--serviceaccount=team-a:robot"],
  },
  { fixture: "clusterrolebinding.bin", args: ["create", "clusterrolebinding", "read-nodes", "--clusterrole=node-reader", "--user=jane"] },
  { fixture: "service-clusterip.bin", args: ["create", "service", "clusterip", "web", "--tcp=80:8080", "--tcp=443:8443"] },
  { fixture: "service-headless.bin", args: ["create", "service", "clusterip", "headless", "--clusterip=None"] },
  { fixture: "service-nodeport.bin", args: ["create", "service", "nodeport", "np", "--tcp=80:8080", "--node-port=30080"] },
  { fixture: "service-loadbalancer.bin", args: ["create", "service", "loadbalancer", "lb", "--tcp=5678:8080"] },
  { fixture: "service-externalname.bin", args: ["create", "service", "externalname", "ext", "--external-name=example.com"] },
  { fixture: "quota.bin", args: ["create", "quota", "q", "--hard=cpu=1,memory=1Gi,pods=10", "--scopes=NotTerminating"] },
  {
    fixture: "priorityclass.bin",
    args: ["create", "priorityclass", "high", "--value=1000", "--description=for the important pods", "--preemption-policy=Never"],
  },
  { fixture: "pdb.bin", args: ["create", "poddisruptionbudget", "web-pdb", "--selector=app=web", "--min-available=50%"] },
  {
    fixture: "ingress.bin",
    args: ["create", "ingress", "web", "--class=nginx", "--rule=example.com/app*=web:80,tls=web-tls", "--annotation=team=a"],
  },
];

function ensureInputs(): void {
  if (!existsSync(join(here, "tls.key")) || !existsSync(join(here, "tls.crt"))) {
    const result = Bun.spawnSync([
      "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-days", "3650", "-subj", "/CN=fixture.example.com",
      "-keyout", join(here, "tls.key"), "-out", join(here, "tls.crt"),
    ]);
    if (result.exitCode !== 0) throw new Error(`openssl failed: ${result.stderr.toString()}`);
  }
  if (!existsSync(join(here, "binary.dat"))) {
    // Every byte value once, so invalid UTF-8 forces kubectl to put it in binaryData.
    writeFileSync(join(here, "binary.dat"), Uint8Array.from({ length: 256 }, (_, i) => i));
  }
  if (!existsSync(join(here, "script.sh"))) {
    writeFileSync(join(here, "script.sh"), "#!/bin/sh\necho hi\n");
  }
}

const CLUSTER_SCOPED = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding", "PriorityClass", "Node"]);
const served: Record<string, [plural: string, kind: string][]> = {
  v1: [["secrets", "Secret"], ["configmaps", "ConfigMap"], ["namespaces", "Namespace"], ["serviceaccounts", "ServiceAccount"],
    ["services", "Service"], ["resourcequotas", "ResourceQuota"], ["pods", "Pod"], ["nodes", "Node"]],
  "apps/v1": [["deployments", "Deployment"]],
  "batch/v1": [["jobs", "Job"], ["cronjobs", "CronJob"]],
  "rbac.authorization.k8s.io/v1": [["roles", "Role"], ["clusterroles", "ClusterRole"], ["rolebindings", "RoleBinding"],
    ["clusterrolebindings", "ClusterRoleBinding"]],
  "scheduling.k8s.io/v1": [["priorityclasses", "PriorityClass"]],
  "policy/v1": [["poddisruptionbudgets", "PodDisruptionBudget"]],
  "networking.k8s.io/v1": [["ingresses", "Ingress"]],
};
const resourcesOf = (groupVersion: string) =>
  (served[groupVersion] ?? []).map(([name, kind]) => ({
    name, singularName: kind.toLowerCase(), namespaced: !CLUSTER_SCOPED.has(kind), kind,
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
  }));

function discovery(path: string): unknown {
  switch (path) {
    case "/version":
      return { major: "1", minor: "32", gitVersion: "v1.32.0", platform: "linux/amd64" };
    case "/api":
      return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] };
    case "/apis":
      return {
        kind: "APIGroupList", apiVersion: "v1",
        groups: Object.keys(served).filter((gv) => gv.includes("/")).map((groupVersion) => {
          const [name, version] = groupVersion.split("/");
          return { name, versions: [{ groupVersion, version }], preferredVersion: { groupVersion, version } };
        }),
      };
    case "/api/v1":
      return { kind: "APIResourceList", apiVersion: "v1", groupVersion: "v1", resources: resourcesOf("v1") };
    default: {
      const groupVersion = /^\/apis\/([^/]+\/[^/]+)$/.exec(path)?.[1];
      if (!groupVersion || !served[groupVersion]) return undefined;
      return { kind: "APIResourceList", apiVersion: "v1", groupVersion, resources: resourcesOf(groupVersion) };
    }
  }
}

function kindOfPath(path: string): { apiVersion: string; kind: string } {
  const plural = path.split("/").pop() ?? "";
  for (const [apiVersion, resources] of Object.entries(served)) {
    const found = resources.find(([name]) => name === plural);
    if (found) return { apiVersion, kind: found[1] };
  }
  return { apiVersion: "v1", kind: "Unknown" };
}

async function run(
  command: string[],
  home: string,
  kubeconfig: string,
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const child = Bun.spawn(command, {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, KUBECONFIG: kubeconfig },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [exitCode, stdout, stderr] = await Promise.all([
    child.exited,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  return { exitCode, stdout, stderr };
}

// ONLY=job.bin,role.bin captures just those (to add fixtures without rewriting the others).
const only = process.env.ONLY?.split(",");
const selected = only ? captures.filter((c) => only.includes(c.fixture)) : captures;

async function main(): Promise<void> {
  ensureInputs();
  let current = "";
  const saved: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method === "POST") {
        const body = new Uint8Array(await req.arrayBuffer());
        console.log(`POST ${url.pathname}${url.search} ${req.headers.get("content-type")} ${body.length} bytes`);
        writeFileSync(join(outDir, current), body);
        saved.push(current);
        return Response.json({ ...kindOfPath(url.pathname), metadata: { name: "captured" } }, { status: 201 });
      }
      const answer = discovery(url.pathname);
      if (answer !== undefined) return Response.json(answer);
      console.log(`404 ${req.method} ${url.pathname}`);
      return Response.json({ kind: "Status", apiVersion: "v1", status: "Failure", code: 404, reason: "NotFound" },
        { status: 404 });
    },
  });

  const home = mkdtempSync(join(tmpdir(), "kubectl-capture-"));
  const kubeconfig = join(home, "kubeconfig");
  writeFileSync(kubeconfig, [
    "apiVersion: v1", "kind: Config", "current-context: capture",
    "clusters:", `- name: capture`, `  cluster: {server: "http://127.0.0.1:${server.port}"}`,
    "contexts:", "- name: capture", "  context: {cluster: capture, user: capture}",
    "users:", "- name: capture", "  user: {}", "",
  ].join("\n"));

  try {
    for (const capture of selected) {
      current = capture.fixture;
      const created = await run([kubectl, ...capture.args], home, kubeconfig);
      console.log(`${capture.fixture}: exit ${created.exitCode}: ${created.stdout.trim()} ${created.stderr.trim()}`);
      // The flags go right after "create": anything after a "--" in args is the container command.
      const [verb, ...rest] = capture.args;
      const printed = await run([kubectl, verb, "--dry-run=client", "-o", "json", ...rest], home, kubeconfig);
      if (printed.exitCode !== 0) throw new Error(`dry-run of ${capture.fixture} failed: ${printed.stderr}`);
      writeFileSync(join(outDir, capture.fixture.replace(/\.bin$/, ".json")), printed.stdout);
    }
  } finally {
    server.stop(true);
    rmSync(home, { recursive: true, force: true });
  }
  const missing = selected.filter((c) => !saved.includes(c.fixture)).map((c) => c.fixture);
  if (missing.length > 0) throw new Error(`no POST captured for ${missing.join(", ")}`);
}

await main();
