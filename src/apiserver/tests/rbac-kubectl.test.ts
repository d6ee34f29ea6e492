// RBAC with real kubectl: `auth can-i [--as] [--list]`, `auth whoami`, `create token`, and Forbidden errors.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderKubeconfig } from "../kubeconfig.ts";
import { startApiServer, type ApiServer } from "../server.ts";

const kubectl = Bun.which("kubectl");
if (!kubectl) console.log("rbac-kubectl: skipped, no kubectl on PATH");

let server: ApiServer;
let dir: string;
let runs = 0;

function kubeconfigFor(token: string): string {
  const path = join(dir, `kubeconfig-${token.slice(0, 12).replace(/\W/g, "")}-${++runs}`);
  writeFileSync(path, renderKubeconfig({ url: server.url, tls: server.tls, token }));
  return path;
}

async function run(token: string, args: string[], stdin?: string) {
  const home = join(dir, `home-${++runs}`);
  mkdirSync(home);
  const proc = Bun.spawn({
    cmd: [kubectl!, ...args, "--request-timeout=20s"],
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, KUBECONFIG: kubeconfigFor(token) },
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
    timeout: 40_000,
  });
  const [code, stdout, stderr] = [await proc.exited, await new Response(proc.stdout).text(), await new Response(proc.stderr).text()];
  return { code, stdout, stderr };
}

const objects = `
apiVersion: v1
kind: Namespace
metadata: {name: team}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: team}
rules:
- {apiGroups: [""], resources: [pods, pods/log], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [configmaps], verbs: [create, delete]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-reads-pods, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: robot, namespace: team}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: impersonate-alice}
rules:
- {apiGroups: [""], resources: [users], resourceNames: [alice], verbs: [impersonate]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: carol-impersonates-alice}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: impersonate-alice}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: carol}
`;

describe.skipIf(!kubectl)("RBAC with kubectl", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "kode-rbac-kubectl-"));
    writeFileSync(join(dir, "tokens.csv"), 'admin-token,root,0,system:masters\nalice-token,alice,1001,"dev"\ncarol-token,carol,1003\n');
    // TLS: kubectl sends bearer tokens only over HTTPS.
    server = await startApiServer({ tls: true, authorizationMode: "RBAC", tokenFile: join(dir, "tokens.csv"), kubeconfigPath: join(dir, "kubeconfig") });
    const applied = await run("admin-token", ["apply", "-f", "-"], objects);
    if (applied.code !== 0) throw new Error(`kubectl apply: ${applied.stdout}${applied.stderr}`);
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a denied request prints the apiserver's Forbidden message", async () => {
    const res = await run("alice-token", ["get", "pods", "-n", "default"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"');
    expect((await run("alice-token", ["get", "pods", "-n", "team"])).code).toBe(0);
  });

  test("auth can-i agrees with what the requests get", async () => {
    const cases: { args: string[]; request: string[]; allowed: boolean }[] = [
      { args: ["list", "pods", "-n", "team"], request: ["get", "pods", "-n", "team"], allowed: true },
      { args: ["list", "pods", "-n", "default"], request: ["get", "pods", "-n", "default"], allowed: false },
      { args: ["list", "secrets", "-n", "team"], request: ["get", "secrets", "-n", "team"], allowed: false },
      { args: ["create", "configmaps", "-n", "team"], request: ["create", "configmap", "c1", "-n", "team"], allowed: true },
      { args: ["create", "configmaps", "-n", "default"], request: ["create", "configmap", "c1", "-n", "default"], allowed: false },
      { args: ["list", "pods", "-A"], request: ["get", "pods", "-A"], allowed: false },
    ];
    for (const c of cases) {
      const canI = await run("alice-token", ["auth", "can-i", ...c.args]);
      const request = await run("alice-token", c.request);
      expect([c.args.join(" "), canI.stdout.trim(), canI.code]).toEqual([c.args.join(" "), c.allowed ? "yes" : "no", c.allowed ? 0 : 1]);
      expect([c.request.join(" "), request.code]).toEqual([c.request.join(" "), c.allowed ? 0 : 1]);
    }
  });

  test("auth can-i --as: an admin asks for alice; carol may impersonate alice only", async () => {
    expect((await run("admin-token", ["auth", "can-i", "list", "pods", "-n", "team", "--as", "alice"])).stdout.trim()).toBe("yes");
    expect((await run("admin-token", ["auth", "can-i", "list", "pods", "-n", "default", "--as", "alice"])).stdout.trim()).toBe("no");
    expect((await run("carol-token", ["get", "pods", "-n", "team", "--as", "alice"])).code).toBe(0);
    // (get --raw: kubectl 1.32's aggregated discovery prints a refused impersonation as "unknown")
    const refused = await run("carol-token", ["get", "--raw", "/api/v1/namespaces/team/pods", "--as", "bob"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('users "bob" is forbidden: User "carol" cannot impersonate resource "users" in API group "" at the cluster scope');
  });

  test("auth can-i --list shows the Role's rules", async () => {
    const res = await run("alice-token", ["auth", "can-i", "--list", "-n", "team"]);
    expect(res.code).toBe(0);
    const lines = res.stdout.split("\n").map((l) => l.trim().split(/\s+/));
    expect(lines).toContainEqual(["pods/log", "[]", "[]", "[get", "list", "watch]"]);
    expect(lines).toContainEqual(["selfsubjectaccessreviews.authorization.k8s.io", "[]", "[]", "[create]"]);
  });

  test("auth whoami, create token, and the token as the ServiceAccount", async () => {
    const me = await run("alice-token", ["auth", "whoami", "-o", "json"]);
    expect(me.code).toBe(0);
    expect(JSON.parse(me.stdout).status.userInfo).toEqual({ username: "alice", uid: "1001", groups: ["dev", "system:authenticated"] });
    const created = await run("admin-token", ["create", "token", "robot", "-n", "team"]);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    const robot = await run(token, ["auth", "whoami", "-o", "json"]);
    expect(JSON.parse(robot.stdout).status.userInfo.username).toBe("system:serviceaccount:team:robot");
    const denied = await run(token, ["get", "configmaps", "-n", "team"]);
    expect(denied.stderr).toContain('configmaps is forbidden: User "system:serviceaccount:team:robot" cannot list resource "configmaps" in API group "" in the namespace "team"');
    expect((await run("alice-token", ["create", "token", "robot", "-n", "team"])).stderr).toContain(
      'serviceaccounts "robot" is forbidden: User "alice" cannot create resource "serviceaccounts/token" in API group "" in the namespace "team"',
    );
  });
});

describe.skipIf(!kubectl)("RBAC with kubectl: client certificates", () => {
  let certServer: ApiServer;
  let certDir: string;
  beforeAll(async () => {
    certDir = mkdtempSync(join(tmpdir(), "kode-rbac-cert-"));
    certServer = await startApiServer({
      clientCertAuth: true,
      clientCertSubject: { commonName: "dora", organization: "designers" },
      authorizationMode: "RBAC",
      kubeconfigPath: join(certDir, "kubeconfig"),
    });
  });
  afterAll(async () => {
    await certServer?.stop();
    rmSync(certDir, { recursive: true, force: true });
  });

  const runCert = async (args: string[]) => {
    const home = join(certDir, `home-${++runs}`);
    mkdirSync(home);
    const proc = Bun.spawn({
      cmd: [kubectl!, ...args, "--request-timeout=20s"],
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, KUBECONFIG: certServer.kubeconfigPath },
      stdout: "pipe",
      stderr: "pipe",
      timeout: 40_000,
    });
    return { code: await proc.exited, stdout: await new Response(proc.stdout).text(), stderr: await new Response(proc.stderr).text() };
  };

  test("the certificate's CN is the user and O its group", async () => {
    const me = await runCert(["auth", "whoami", "-o", "json"]);
    expect(JSON.parse(me.stdout).status.userInfo).toEqual({ username: "dora", groups: ["designers", "system:authenticated"] });
    const denied = await runCert(["get", "configmaps"]);
    expect(denied.stderr).toContain('configmaps is forbidden: User "dora" cannot list resource "configmaps" in API group "" in the namespace "default"');
    // a binding to the group lets her in
    certServer.state.store.put(
      "rbac.authorization.k8s.io/clusterrolebindings",
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: "designers-view", uid: "u1" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
        subjects: [{ kind: "Group", name: "designers" }],
      },
      undefined,
    );
    expect((await runCert(["get", "configmaps"])).code).toBe(0);
    expect((await runCert(["auth", "can-i", "delete", "configmaps"])).stdout.trim()).toBe("no");
  });
});
