// `kode sandbox` enforces RBAC and runs its operator as the shipped ServiceAccount with the shipped RBAC:
// a Kode converges and is deleted without a single 403, the operator is that ServiceAccount, and the
// user's kubeconfig is admin.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KODES } from "../api/resources.ts";
import { startSandbox, type Sandbox } from "./sandbox.ts";

let sandbox: Sandbox;
let dir: string;

async function until<T>(what: string, check: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kode-sandbox-test-"));
  sandbox = await startSandbox({ kubeconfigPath: join(dir, "kubeconfig"), kubeletDelayMs: 20 });
});
afterAll(async () => {
  await sandbox?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const whoami = async (client: Sandbox["client"]) =>
  ((await (await client.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" })).json()) as any).status.userInfo;

describe("kode sandbox", () => {
  test("the operator is the shipped ServiceAccount; the user's kubeconfig is admin", async () => {
    expect(await whoami(sandbox.operatorClient)).toMatchObject({
      username: "system:serviceaccount:kode-system:kode-controller-manager",
      groups: ["system:serviceaccounts", "system:serviceaccounts:kode-system", "system:authenticated"],
    });
    expect((await whoami(sandbox.client)).groups).toContain("system:masters");
    // RBAC is enforced: the ServiceAccount may not read Deployments (the shipped ClusterRole does not grant them)
    const deployments = await sandbox.operatorClient.request("GET", "/apis/apps/v1/namespaces/default/deployments");
    expect(deployments.status).toBe(403);
  });

  test("a Kode converges and is deleted with no request of the operator refused", async () => {
    sandbox.server.hooks.resetCounters(); // forget the refused request of the test above
    await sandbox.client.create(KODES, {
      apiVersion: "kode.jacero.io/v1alpha1",
      kind: "Kode",
      metadata: { name: "rbac-proof", namespace: "default" },
      spec: { templateRef: { kind: "KodeTemplate", name: "code-server-template" }, user: "dev", workspace: "w" },
    });
    await until("the Kode to run", async () => ((await sandbox.client.get<any>(KODES, "rbac-proof", "default"))?.status?.phase === "Running" ? true : undefined));
    await sandbox.client.delete(KODES, "rbac-proof", { namespace: "default" });
    await until("the Kode to be gone", async () => ((await sandbox.client.get(KODES, "rbac-proof", "default")) === undefined ? true : undefined));
    expect(sandbox.server.hooks.requests({ userAgent: "kode-operator/", code: 403 })).toEqual([]);
    expect(sandbox.server.hooks.count({ userAgent: "kode-operator/", code: 200 })).toBeGreaterThan(0);
  });
});
