// RBAC with real kubectl: the server runs with --authorization-mode RBAC and a static token file; a user bound
// to a namespaced Role can do exactly what the Role grants, `kubectl auth can-i` (as the user, and as the admin
// with --as) answers the same as the requests themselves, and a ServiceAccount token from `kubectl create token`
// is held to its own binding. Runs with the full-list binaries.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { useApiServer } from "../src/apiserver/testing.ts";
import { findKubectlBinaries, Kubectl, scratchDir } from "./kubectl-harness.ts";
import { skipWithoutKubectl } from "./kubectl-scenarios.ts";

const binaries = findKubectlBinaries().filter((b) => b.full);
skipWithoutKubectl(binaries, "real kubectl with RBAC");

const ADMIN_TOKEN = "kode-rbac-admin-3b9f";
const ALICE_TOKEN = "kode-rbac-alice-51c0";
const RBAC = "/apis/rbac.authorization.k8s.io/v1/namespaces/team";

// [can-i verb, resource, namespace, the kubectl command doing it, allowed]
const MATRIX: [string, string, string, string[], boolean][] = [
  ["get", "configmaps", "team", ["get", "configmap", "c1", "-n", "team", "-o", "name"], true],
  ["list", "configmaps", "team", ["get", "configmaps", "-n", "team", "-o", "name"], true],
  ["create", "configmaps", "team", ["create", "configmap", "c2", "-n", "team", "--from-literal=a=b"], true],
  ["delete", "configmaps", "team", ["delete", "configmap", "c1", "-n", "team"], false],
  ["list", "secrets", "team", ["get", "secrets", "-n", "team"], false],
  ["list", "configmaps", "default", ["get", "configmaps", "-n", "default"], false],
  ["create", "pods", "team", ["run", "p1", "-n", "team", "--image=busybox", "--restart=Never"], false],
];

for (const binary of binaries) {
  describe(`${binary.label} v1.${binary.minor} with --authorization-mode RBAC`, () => {
    const scratch = scratchDir("kode-kubectl-rbac-");
    const tokenFile = join(scratch.path, "tokens.csv");
    writeFileSync(tokenFile, `${ALICE_TOKEN},alice,2001,"developers"\n`);
    const ctx = useApiServer({ tls: true, token: ADMIN_TOKEN, tokenFile, authorizationMode: "RBAC", kubeconfigPath: join(scratch.path, "kubeconfig") });
    let admin: Kubectl;
    let alice: Kubectl;
    afterAll(() => {
      admin?.stopAll();
      alice?.stopAll();
      scratch.cleanup();
    });

    beforeAll(async () => {
      admin = new Kubectl(binary, ctx.server.kubeconfigPath, scratch.path);
      const aliceConfig = join(scratch.path, "alice.kubeconfig");
      writeFileSync(aliceConfig, ctx.server.kubeconfig.replace(`token: ${ADMIN_TOKEN}`, `token: ${ALICE_TOKEN}`));
      alice = new Kubectl(binary, aliceConfig, scratch.path);
      expect((await ctx.client.post("/api/v1/namespaces", { metadata: { name: "team" } })).status).toBe(201);
      expect((await ctx.client.post("/api/v1/namespaces/team/configmaps", { metadata: { name: "c1" }, data: { a: "1" } })).status).toBe(201);
      const role = { metadata: { name: "cm-editor" }, rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "create"] }] };
      expect((await ctx.client.post(`${RBAC}/roles`, role)).status).toBe(201);
      const binding = {
        metadata: { name: "cm-editors" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "cm-editor" },
        subjects: [
          { apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "alice" },
          { kind: "ServiceAccount", name: "bot", namespace: "team" },
        ],
      };
      expect((await ctx.client.post(`${RBAC}/rolebindings`, binding)).status).toBe(201);
      expect((await ctx.client.post("/api/v1/namespaces/team/serviceaccounts", { metadata: { name: "bot" } })).status).toBe(201);
    });

    test("auth whoami as alice", async () => {
      const res = await alice.run(["auth", "whoami", "-o", "json"]);
      expect(res.code).toBe(0);
      expect(JSON.parse(res.stdout).status.userInfo).toEqual({ username: "alice", uid: "2001", groups: ["developers", "system:authenticated"] });
    });

    for (const [verb, resource, ns, command, allowed] of MATRIX) {
      test(`${verb} ${resource} in ${ns}: ${allowed ? "allowed" : "forbidden"}, and auth can-i agrees`, async () => {
        const canI = await alice.run(["auth", "can-i", verb, resource, "-n", ns]);
        expect(canI.stdout.trim()).toBe(allowed ? "yes" : "no");
        expect(canI.code).toBe(allowed ? 0 : 1);
        const asAlice = await admin.run(["auth", "can-i", verb, resource, "-n", ns, "--as", "alice"]);
        expect(asAlice.stdout.trim()).toBe(allowed ? "yes" : "no");

        const res = await alice.run(command);
        if (allowed) {
          expect(res.code).toBe(0);
        } else {
          expect(res.code).toBe(1);
          const where = `in the namespace "${ns}"`;
          expect(res.stderr).toContain(`Error from server (Forbidden)`);
          expect(res.stderr).toContain(`User "alice" cannot ${verb} resource "${resource}" in API group "" ${where}`);
        }
      });
    }

    test("the objects are as the allowed requests left them", async () => {
      expect((await ctx.client.get("/api/v1/namespaces/team/configmaps/c1")).status).toBe(200);
      expect((await ctx.client.get("/api/v1/namespaces/team/configmaps/c2")).body.data).toEqual({ a: "b" });
      expect((await ctx.client.get("/api/v1/namespaces/team/pods/p1")).status).toBe(404);
    });

    test("auth can-i --list as alice shows the Role's rules", async () => {
      const res = await alice.run(["auth", "can-i", "--list", "-n", "team"]);
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(/^configmaps\s+\[\]\s+\[\]\s+\[get list create\]$/m);
      expect(res.stdout).not.toMatch(/^secrets\s/m);
    });

    test("a ServiceAccount token from kubectl create token is held to the ServiceAccount's binding", async () => {
      const created = await admin.run(["create", "token", "bot", "-n", "team"]);
      expect(created.code).toBe(0);
      const botConfig = join(scratch.path, "bot.kubeconfig");
      writeFileSync(botConfig, ctx.server.kubeconfig.replace(`token: ${ADMIN_TOKEN}`, `token: ${created.stdout.trim()}`));
      const bot = new Kubectl(binary, botConfig, scratch.path);
      const who = await bot.run(["auth", "whoami", "-o", "json"]);
      expect(JSON.parse(who.stdout).status.userInfo.username).toBe("system:serviceaccount:team:bot");
      const list = await bot.run(["get", "configmaps", "-n", "team", "-o", "name"]);
      expect(list.code).toBe(0);
      expect(list.stdout.split("\n")).toContain("configmap/c1");
      const secrets = await bot.run(["get", "secrets", "-n", "team"]);
      expect(secrets.code).toBe(1);
      expect(secrets.stderr).toContain('User "system:serviceaccount:team:bot" cannot list resource "secrets" in API group "" in the namespace "team"');
      expect((await bot.run(["auth", "can-i", "list", "secrets", "-n", "team"])).stdout.trim()).toBe("no");
    });
  });
}
