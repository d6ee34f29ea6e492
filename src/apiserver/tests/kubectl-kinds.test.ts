// Real kubectl against the added kinds and the simulated controllers: api-resources, get of the new
// kinds with their columns, rollout status|history|undo|restart, logs of a Deployment's pod, exec's
// error, and apply --prune on kubectl's default allow-list.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { findKubectlBinaries, Kubectl, scratchDir, waitFor } from "../../../e2e/kubectl-harness.ts";
import { useApiServer } from "../testing.ts";

const binaries = findKubectlBinaries().filter((b) => b.full);
if (binaries.length === 0) {
  console.warn("kubectl not found on PATH: skipping the real-kubectl tests of the added kinds");
  describe("kubectl and the added kinds", () => test.skip("kubectl not found on PATH", () => {}));
}

const MANIFESTS = `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: "fluent-bit:3"}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  ingressClassName: nginx
  rules: [{host: web.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec: {maxUnavailable: 1, selector: {matchLabels: {app: web}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 4
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}]
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: standard, annotations: {storageclass.kubernetes.io/is-default-class: "true"}}
provisioner: rancher.io/local-path
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000000
`;

for (const binary of binaries) {
  describe(`${binary.label} v1.${binary.minor} and the added kinds`, () => {
    const scratch = scratchDir("kode-kubectl-kinds-");
    const ctx = useApiServer({ kubeconfigPath: join(scratch.path, "kubeconfig"), simulateKubelet: true, kubeletDelayMs: 50, gc: true });
    let kubectl: Kubectl;
    beforeAll(() => {
      kubectl = new Kubectl(binary, ctx.server.kubeconfigPath, scratch.path);
    });
    afterAll(() => {
      kubectl?.stopAll();
      scratch.cleanup();
    });
    const ok = async (args: string[], code = 0, timeoutMs = 30_000) => {
      const res = await kubectl.run(args, { timeoutMs });
      if (res.code !== code) throw new Error(`kubectl ${args.join(" ")} exited ${res.code}, wanted ${code}:\n${res.out}`);
      return res;
    };

    test("api-resources lists the added kinds with short names, group version, scope and kind", async () => {
      const out = (await ok(["api-resources"])).stdout;
      const row = (...cells: string[]) => new RegExp(`^${cells.join("\\s+")}\\s*$`, "m");
      expect(out).toMatch(row("replicasets", "rs", "apps/v1", "true", "ReplicaSet"));
      expect(out).toMatch(row("daemonsets", "ds", "apps/v1", "true", "DaemonSet"));
      expect(out).toMatch(row("poddisruptionbudgets", "pdb", "policy/v1", "true", "PodDisruptionBudget"));
      expect(out).toMatch(row("ingresses", "ing", "networking.k8s.io/v1", "true", "Ingress"));
      expect(out).toMatch(row("ingressclasses", "networking.k8s.io/v1", "false", "IngressClass"));
      expect(out).toMatch(row("horizontalpodautoscalers", "hpa", "autoscaling/v2", "true", "HorizontalPodAutoscaler"));
      expect(out).toMatch(row("endpoints", "ep", "v1", "true", "Endpoints"));
      expect(out).toMatch(row("nodes", "no", "v1", "false", "Node"));
      expect(out).toMatch(row("storageclasses", "sc", "storage.k8s.io/v1", "false", "StorageClass"));
      expect(out).toMatch(row("validatingadmissionpolicies", "admissionregistration.k8s.io/v1", "false", "ValidatingAdmissionPolicy"));
      expect(out).toMatch(row("httproutes", "gateway.networking.k8s.io/v1", "true", "HTTPRoute"));
      const all = (await ok(["api-resources", "--categories=all", "-o", "name"])).stdout.split("\n");
      for (const r of ["replicasets.apps", "daemonsets.apps", "replicationcontrollers", "horizontalpodautoscalers.autoscaling", "pods"]) expect(all).toContain(r);
    });

    test("create deployment, rollout status, get rs and pods with their columns", async () => {
      await ok(["create", "deployment", "web", "--image=nginx:1.27", "--replicas=2"]);
      const status = await ok(["rollout", "status", "deploy/web", "--timeout=20s"]);
      expect(status.stdout).toContain('deployment "web" successfully rolled out');
      const rs = (await ok(["get", "rs", "-l", "app=web"])).stdout;
      expect(rs).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE$/m);
      expect(rs).toMatch(/^web-[a-z0-9]+\s+2\s+2\s+2\s+\S+$/m);
      const pods = (await ok(["get", "pods", "-l", "app=web", "-o", "name"])).stdout.trim().split("\n");
      expect(pods).toHaveLength(2);
      for (const p of pods) expect(p).toMatch(/^pod\/web-[a-z0-9]+-[a-z0-9]{5}$/);
      const deploy = (await ok(["get", "deploy", "web"])).stdout;
      expect(deploy).toMatch(/^web\s+2\/2\s+2\s+2\s+\S+$/m);
    });

    test("logs deploy/web prints the log registered for its pod", async () => {
      const pods = (await ctx.client.get("/api/v1/namespaces/default/pods?labelSelector=app%3Dweb")).body.items;
      for (const p of pods) ctx.server.hooks.setPodLog("default", p.metadata.name, `hello from ${p.metadata.name.slice(0, 3)}\n`);
      const res = await ok(["logs", "deploy/web"], 0, 20_000);
      expect(res.stdout).toBe("hello from web\n");
    });

    test("exec into a pod fails at once with the no-kubelet message", async () => {
      const [pod] = (await ctx.client.get("/api/v1/namespaces/default/pods?labelSelector=app%3Dweb")).body.items;
      const started = Date.now();
      const res = await kubectl.run(["exec", pod.metadata.name, "--", "ls"], { timeoutMs: 20_000 });
      expect(res.code).not.toBe(0);
      expect(res.out).toContain("no kubelet");
      expect(Date.now() - started).toBeLessThan(15_000);
    });

    test("rollout history, set image, undo and restart", async () => {
      await ok(["set", "image", "deploy/web", "nginx=nginx:1.28"]);
      await ok(["rollout", "status", "deploy/web", "--timeout=20s"]);
      const history = (await ok(["rollout", "history", "deploy/web"])).stdout;
      expect(history).toMatch(/^REVISION\s+CHANGE-CAUSE$/m);
      expect(history).toMatch(/^1\s+<none>$/m);
      expect(history).toMatch(/^2\s+<none>$/m);
      const rev1 = (await ok(["rollout", "history", "deploy/web", "--revision=1"])).stdout;
      expect(rev1).toContain("Image:\tnginx:1.27");

      expect((await ok(["rollout", "undo", "deploy/web"])).stdout).toContain("deployment.apps/web rolled back");
      await ok(["rollout", "status", "deploy/web", "--timeout=20s"]);
      const image = await ok(["get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"]);
      expect(image.stdout).toBe("nginx:1.27");
      const after = (await ok(["rollout", "history", "deploy/web"])).stdout;
      expect(after).toMatch(/^2\s+<none>$/m);
      expect(after).toMatch(/^3\s+<none>$/m);
      expect(after).not.toMatch(/^1\s+/m);

      expect((await ok(["rollout", "restart", "deploy/web"])).stdout).toContain("deployment.apps/web restarted");
      await ok(["rollout", "status", "deploy/web", "--timeout=20s"]);
      const restarted = (await ok(["rollout", "history", "deploy/web"])).stdout;
      expect(restarted).toMatch(/^4\s+<none>$/m);
      const sets = (await ok(["get", "rs", "-l", "app=web", "-o", "jsonpath={range .items[*]}{.spec.replicas}{\" \"}{end}"])).stdout.trim().split(" ").map(Number);
      expect(sets.sort()).toEqual([0, 0, 2]);
    });

    test("get of the added kinds shows their columns", async () => {
      await ok(["apply", "-f", kubectl.file("kinds.yaml", MANIFESTS)]);
      await waitFor("the DaemonSet's pod", async () => (await ctx.client.get("/apis/apps/v1/namespaces/default/daemonsets/agent")).body.status?.numberReady === 1);
      const ds = (await ok(["get", "ds", "agent"])).stdout;
      expect(ds).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE$/m);
      expect(ds).toMatch(/^agent\s+1\s+1\s+1\s+1\s+1\s+<none>\s+\S+$/m);
      expect((await ok(["get", "ing", "web"])).stdout).toMatch(/^web\s+nginx\s+web\.example\.com\s+80\s+\S+$/m);
      expect((await ok(["get", "pdb", "web"])).stdout).toMatch(/^web\s+N\/A\s+1\s+0\s+\S+$/m);
      expect((await ok(["get", "hpa", "web"])).stdout).toMatch(/^web\s+Deployment\/web\s+cpu: <unknown>\/70%\s+1\s+4\s+0\s+\S+$/m);
      expect((await ok(["get", "sc"])).stdout).toMatch(/^standard \(default\)\s+rancher\.io\/local-path\s+Delete\s+WaitForFirstConsumer\s+false\s+\S+$/m);
      expect((await ok(["get", "pc", "high"])).stdout).toMatch(/^high\s+1000000\s+false\s+\S+\s+PreemptLowerPriority$/m);
      expect((await ok(["get", "nodes"])).stdout).toMatch(/^kode-simulated-node\s+Ready\s+control-plane\s+\S+\s+v1\.32\.0-kode$/m);
      const many = await ok(["get", "rs,ds,ing,pdb,hpa,ep,quota,limits,pv,rc", "-A"]);
      expect(many.stdout).toContain("daemonset.apps/agent");
      expect(many.stdout).toContain("ingress.networking.k8s.io/web");
    });

    test("apply --prune -l with the default allow-list removes what left the manifests", async () => {
      const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, labels: {set: pruned}}\ndata: {k: v}\n`;
      await ok(["apply", "-f", kubectl.file("both.yaml", `${cm("keep")}---\n${cm("drop")}`)]);
      const res = await ok(["apply", "--prune", "-l", "set=pruned", "-f", kubectl.file("one.yaml", cm("keep"))]);
      expect(res.stdout).toContain("configmap/keep unchanged");
      expect(res.stdout).toContain("configmap/drop pruned");
      expect((await ctx.client.get("/api/v1/namespaces/default/configmaps/drop")).status).toBe(404);
      expect((await ctx.client.get("/api/v1/namespaces/default/configmaps/keep")).status).toBe(200);
    });
  });
}
