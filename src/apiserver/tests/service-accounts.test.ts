// The simulated serviceaccount controller: every namespace gets a "default" ServiceAccount (with --gc or
// --simulate-kubelet, as on a cluster), and `kubectl create token default` works; without them, as envtest.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApiServer, type ApiServer } from "../server.ts";
import { TestClient } from "../testing.ts";

const kubectl = Bun.which("kubectl");
if (!kubectl) console.log("service-accounts: kubectl step skipped, no kubectl on PATH");

async function eventually<T>(fn: () => Promise<T | undefined>, ms = 3000): Promise<T | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined || Date.now() > end) return v;
    await Bun.sleep(20);
  }
}

describe("default ServiceAccount per namespace, with simulated controllers", () => {
  let server: ApiServer;
  let client: TestClient;
  let dir: string;
  beforeAll(async () => {
    server = await startApiServer({ gc: true });
    client = new TestClient(server);
    dir = mkdtempSync(join(tmpdir(), "kode-sa-"));
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const defaultSa = (ns: string) => async () => {
    const r = await client.get(`/api/v1/namespaces/${ns}/serviceaccounts/default`);
    return r.status === 200 ? r.body : undefined;
  };

  test("seeded and new namespaces get one; a deleted one comes back", async () => {
    expect((await eventually(defaultSa("default")))?.metadata.name).toBe("default");
    expect((await eventually(defaultSa("kube-system")))?.metadata.namespace).toBe("kube-system");
    expect((await client.post("/api/v1/namespaces", { metadata: { name: "team" } })).status).toBe(201);
    const sa = await eventually(defaultSa("team"));
    expect(sa).toMatchObject({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: "team" } });
    expect((await client.delete("/api/v1/namespaces/team/serviceaccounts/default")).status).toBe(200);
    const back = await eventually(defaultSa("team"));
    expect(back?.metadata.uid).toBeString();
    expect(back?.metadata.uid).not.toBe(sa.metadata.uid);
  });

  test.skipIf(!kubectl)("kubectl create token default", async () => {
    await eventually(defaultSa("default"));
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(kubeconfig, server.kubeconfig);
    const proc = Bun.spawn({
      cmd: [kubectl!, "create", "token", "default", "--request-timeout=20s"],
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, KUBECONFIG: kubeconfig },
      stdout: "pipe",
      stderr: "pipe",
      timeout: 40_000,
    });
    const [code, stdout, stderr] = [await proc.exited, await new Response(proc.stdout).text(), await new Response(proc.stderr).text()];
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const review = await client.post("/apis/authentication.k8s.io/v1/tokenreviews", { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token: stdout.trim() } });
    expect(review.body.status.user.username).toBe("system:serviceaccount:default:default");
  });
});

describe("without simulated controllers (envtest parity)", () => {
  let server: ApiServer;
  beforeAll(async () => {
    server = await startApiServer();
  });
  afterAll(() => server.stop());

  test("namespaces have no default ServiceAccount", async () => {
    const client = new TestClient(server);
    await Bun.sleep(50);
    expect((await client.get("/api/v1/namespaces/default/serviceaccounts/default")).status).toBe(404);
  });
});
