// RBAC derived from what the operator does: every request an operator run makes (leader election, templates,
// Envoy configs of both kinds, a user's existingSecret and OAuth2 client Secret, a name collision, a sidecar
// removed, deletes with and without keepVolume, Events) is recorded by the embedded API server with its
// (group, resource/subresource, verb). Each must be in the operator's permission table
// (src/operator/permissions.ts), and the shipped ClusterRole and leader-election Role must grant exactly that
// table: nothing missing, nothing more.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { YAML } from "bun";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ENVOY_PROXY_CLUSTER_CONFIGS, ENVOY_PROXY_CONFIGS, KODE_TEMPLATES, KODES } from "../src/api/resources.ts";
import { createClient } from "../src/kube/client.ts";
import { loadClientConfig } from "../src/kube/kubeconfig.ts";
import { CONFIGMAPS, NETWORK_POLICIES, PVCS, SECRETS, SERVICES, STATEFULSETS } from "../src/kube/resources.ts";
import { OPERATOR_PERMISSIONS } from "../src/operator/permissions.ts";
import { startOperator } from "../src/operator/operator.ts";
import { HTTPROUTES, INGRESSES } from "../src/access/routes.ts";
import { CRONJOBS, JOBS } from "../src/backup/config.ts";
import { backupNames } from "../src/backup/backup-render.ts";
import { VOLUME_SNAPSHOTS } from "../src/backup/volume-snapshot.ts";
import { BACKUP_OF_UID_LABEL, passwordSecretName } from "../src/backup/config.ts";
import type { KubeObject } from "../src/kube/types.ts";
import { installVolumeSnapshotCrds } from "./support/volume-snapshots.ts";
import { createNamespace, createKode, createSecret, createTemplate, eventually, isRunning, REPO_ROOT, startE2E, waitGone, waitKode, type E2E } from "./operator-harness.ts";

setDefaultTimeout(120_000);

const UA = "kode-operator-rbac/1";
const NS = "rbac";
const API = "kode.jacero.io/v1alpha1";
const CODE_SERVER = { type: "code-server", image: "linuxserver/code-server:latest" };
const COLLIDING = ["d1", "d2", "d3", "d4", "d5"];
/** Kodes with a route child (Ingress, HTTPRoute). */
const ROUTED = ["r1", "r2"];
const triple = (group: string, resource: string, verb: string) => `${group}|${resource}|${verb}`;

type Rule = { apiGroups?: string[]; resources?: string[]; verbs: string[]; resourceNames?: string[] };
function rbacObjects(): { kind: string; metadata: { name: string }; rules?: Rule[] }[] {
  const dir = join(REPO_ROOT, "manifests", "rbac");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
    .map((f) => YAML.parse(readFileSync(join(dir, f), "utf8")) as never);
}
const grants = (rules: Rule[]) => new Set(rules.flatMap((r) => (r.apiGroups ?? []).flatMap((g) => (r.resources ?? []).flatMap((res) => r.verbs.map((v) => triple(g, res, v))))));
const table = (scope: "cluster" | "own-namespace") =>
  new Set(OPERATOR_PERMISSIONS.filter((p) => p.scope === scope).flatMap((p) => p.verbs.map((v) => triple(p.group, p.resource, v))));

describe("RBAC: the shipped roles grant exactly the operator's permission table", () => {
  test("ClusterRole = the cluster-wide table", () => {
    const role = rbacObjects().find((o) => o.kind === "ClusterRole")!;
    expect([...grants(role.rules!)].sort()).toEqual([...table("cluster")].sort());
  });
  test("leader-election Role = the own-namespace table, plus Events in that namespace", () => {
    const role = rbacObjects().find((o) => o.kind === "Role")!;
    expect([...grants(role.rules!)].sort()).toEqual([...table("own-namespace"), triple("", "events", "create"), triple("", "events", "patch")].sort());
  });
});

describe("RBAC: every request of a recorded operator run is in the table", () => {
  let env: E2E;
  let recorded: Set<string>;

  beforeAll(async () => {
    env = await startE2E({ startOperator: false });
    // The operator runs as its ServiceAccount, with exactly the shipped RBAC, on a server that enforces it.
    const client = createClient(await loadClientConfig({ kubeconfig: env.operatorKubeconfig }), { userAgent: UA, qps: 0 });
    await createNamespace(env.client, NS);
    // The snapshot controller's CRDs are installed: the operator watches VolumeSnapshots.
    await installVolumeSnapshotCrds(env.client);
    const op = startOperator({ client, routes: { ingress: true, gateway: true }, leaderElection: { namespace: env.operatorNamespace, leaseDurationSeconds: 3, renewDeadlineMs: 1500, retryPeriodMs: 300 } });
    await op.ready;
    try {
      await createSecret(env.client, "oidc-client", NS, { "client-secret": "s3cr3t-client-value" });
      await createSecret(env.client, "mine", NS, { username: "me", password: "a-long-password" });
      await env.client.create(ENVOY_PROXY_CONFIGS, { apiVersion: API, kind: "EnvoyProxyConfig", metadata: { name: "basic", namespace: NS }, spec: { authType: "basic" } });
      await env.client.create(ENVOY_PROXY_CLUSTER_CONFIGS, {
        apiVersion: API,
        kind: "EnvoyProxyClusterConfig",
        metadata: { name: "sso" },
        spec: {
          authType: "oauth2",
          oauth2: {
            issuer: "https://sso.example.com/realms/dev",
            authorizationEndpoint: "https://sso.example.com/realms/dev/auth",
            tokenEndpoint: "https://sso.example.com/realms/dev/token",
            clientId: "kode",
            clientSecretRef: { name: "oidc-client" },
          },
        },
      });
      await createTemplate(env.client, "with-basic", NS, { ...CODE_SERVER, envoyProxyRef: { kind: "EnvoyProxyConfig", name: "basic" } });
      await createTemplate(env.client, "plain", NS, CODE_SERVER);
      await createTemplate(env.client, "with-sso", undefined, { ...CODE_SERVER, envoyProxyRef: { kind: "EnvoyProxyClusterConfig", name: "sso" } });
      await createTemplate(env.client, "routed", NS, { ...CODE_SERVER, access: { host: "{kode}.dev.example.com" } });
      await createTemplate(env.client, "routed-gw", NS, { ...CODE_SERVER, access: { host: "{kode}.gw.example.com", gateway: { parentRefs: [{ name: "web" }] } } });

      await createKode(env.client, "a", NS, { templateRef: { name: "with-basic" }, user: "alice", password: "alice-password" });
      await createKode(env.client, "b", NS, { templateRef: { kind: "KodeClusterTemplate", name: "with-sso" }, existingSecret: "mine", user: "bob", storage: { resources: { requests: { storage: "1Gi" } } } });
      await createKode(env.client, "c", NS, { templateRef: { name: "plain" }, storage: { resources: { requests: { storage: "1Gi" } }, keepVolume: true } });
      await createKode(env.client, "r1", NS, { templateRef: { name: "routed" }, user: "rita" });
      await createKode(env.client, "r2", NS, { templateRef: { name: "routed-gw" }, user: "rita" });
      for (const k of ["a", "b", "c", ...ROUTED]) await waitKode(env.client, NS, k, "Running", isRunning);
      // devcontainers with a postStartCommand: its result is read from the IDE container's log (pods/log get).
      await createTemplate(env.client, "dc", NS, { type: "devcontainers", image: "mcr.microsoft.com/devcontainers/base:ubuntu" });
      await createKode(env.client, "e", NS, { templateRef: { name: "dc" }, devcontainer: { config: { postStartCommand: "true" } } });
      env.server.hooks.setPodLog(NS, "e-0", "[postStartCommand] [kode] postStartCommand finished: 0\n", "ide");
      await waitKode(env.client, NS, "e", "postStartCommand read", (k) => k.status?.devcontainer?.postStartExitCode === 0);

      // VolumeSnapshots on demand, at most one kept: the second request removes the first snapshot.
      await createTemplate(env.client, "snap", NS, { ...CODE_SERVER, volumeSnapshots: { keep: 1 } });
      await createKode(env.client, "s1", NS, { templateRef: { name: "snap" }, storage: { resources: { requests: { storage: "1Gi" } } } });
      await waitKode(env.client, NS, "s1", "Running", isRunning);
      await env.client.mergePatch(KODES, "s1", { metadata: { annotations: { "kode.jacero.io/snapshot-now": "1" } } }, { namespace: NS });
      await eventually("the first VolumeSnapshot", async () => (await env.client.list(VOLUME_SNAPSHOTS, { namespace: NS })).items.length === 1);
      await env.client.mergePatch(KODES, "s1", { metadata: { annotations: { "kode.jacero.io/snapshot-now": "2" } } }, { namespace: NS });
      await eventually("the older VolumeSnapshot removed", () => env.server.hooks.count({ userAgent: UA, verb: "delete", resource: "volumesnapshots.snapshot.storage.k8s.io" }) > 0);

      // A paused Kode's spec.restore runs as a Job, pruned once its result (here: none, the simulated kubelet
      // leaves no termination message) is in status.
      const s1 = await env.client.get<KubeObject>(KODES, "s1", NS);
      const uid = s1!.metadata.uid!;
      await env.client.create(SECRETS, { apiVersion: "v1", kind: "Secret", metadata: { name: "s3-snap", namespace: NS }, data: { AWS_ACCESS_KEY_ID: "aWQ=", AWS_SECRET_ACCESS_KEY: "a2V5" } });
      await env.client.mergePatch(KODE_TEMPLATES, "snap", { spec: { backup: { s3: { endpoint: "https://s3.example:9000", bucket: "backups", credentialsSecretRef: { name: "s3-snap" } } } } }, { namespace: NS });
      // The operator makes the repository's password Secret; a backup recorded in status makes the repository a source.
      const password = await eventually("the repository password Secret", () => env.client.get<KubeObject>(SECRETS, passwordSecretName("s1", uid), NS));
      expect(password.metadata.labels?.[BACKUP_OF_UID_LABEL]).toBe(uid);
      await env.client.mergePatch(KODES, "s1", { status: { backup: { lastTime: "2026-12-01T03:00:00Z", lastSuccessfulTime: "2026-12-01T03:00:00Z", lastSnapshot: "0a1b2c3d" } } }, { namespace: NS, subresource: "status" });
      await env.client.mergePatch(KODES, "s1", { spec: { paused: true, restore: { snapshot: "latest" } } }, { namespace: NS });
      await eventually("the restore Job pruned", () => env.server.hooks.count({ userAgent: UA, verb: "delete", resource: "jobs" }) > 0);

      // Drift: children changed by hand are repaired; a new password is written to both auth Secrets.
      await env.client.mergePatch(CONFIGMAPS, "a-envoy", { data: { "envoy.json": "{}" } }, { namespace: NS });
      await env.client.mergePatch(NETWORK_POLICIES, "a", { spec: { ingress: [] } }, { namespace: NS });
      await env.client.mergePatch(SERVICES, "a", { spec: { ports: [{ name: "other", port: 1234, targetPort: 1234 }] } }, { namespace: NS });
      await env.client.mergePatch(KODES, "a", { spec: { password: "alice-new-password" } }, { namespace: NS });
      await env.client.mergePatch(INGRESSES, "r1", { spec: { rules: [] } }, { namespace: NS });
      await env.client.mergePatch(HTTPROUTES, "r2", { spec: { hostnames: ["other.example.com"] } }, { namespace: NS });
      for (const resource of ["configmaps", "networkpolicies", "services", "secrets", "ingresses", "httproutes"])
        await eventually(`a ${resource} repair`, () => env.server.hooks.count({ userAgent: UA, verb: "patch", resource }) > 0);

      // A user's object in the way of each child kind, one Kode each: the operator meets it (create refused, then read).
      const mine = (name: string) => ({ name, namespace: NS, labels: { owner: "user" } });
      const selector = { matchLabels: { app: "user" } };
      await env.client.create(SERVICES, { apiVersion: "v1", kind: "Service", metadata: mine("d1"), spec: { ports: [{ port: 80 }] } });
      await env.client.create(STATEFULSETS, { apiVersion: "apps/v1", kind: "StatefulSet", metadata: mine("d2"), spec: { selector, serviceName: "d2", template: { metadata: { labels: selector.matchLabels }, spec: { containers: [{ name: "c", image: "busybox" }] } } } });
      await env.client.create(PVCS, { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: mine("d3-home"), spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } });
      await env.client.create(CONFIGMAPS, { apiVersion: "v1", kind: "ConfigMap", metadata: mine("d4-envoy"), data: { mine: "yes" } });
      await env.client.create(NETWORK_POLICIES, { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: mine("d5"), spec: { podSelector: selector } });
      await env.client.create(INGRESSES, { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: mine("d6"), spec: { rules: [{ host: "mine.example.com" }] } });
      await env.client.create(HTTPROUTES, { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: mine("d7"), spec: { hostnames: ["mine.example.com"] } });
      for (const d of COLLIDING) await createKode(env.client, d, NS, { templateRef: { name: "with-basic" }, storage: { resources: { requests: { storage: "1Gi" } } } });
      await createKode(env.client, "d6", NS, { templateRef: { name: "routed" }, user: "rita" });
      await createKode(env.client, "d7", NS, { templateRef: { name: "routed-gw" }, user: "rita" });
      for (const resource of ["services", "statefulsets", "persistentvolumeclaims", "configmaps", "networkpolicies", "ingresses", "httproutes"])
        await eventually(`the operator to meet the user's ${resource}`, () => env.server.hooks.count({ userAgent: UA, verb: "get", resource }) > 0);

      // The sidecar goes: its ConfigMap, NetworkPolicy and Secret are removed.
      await env.client.mergePatch(KODE_TEMPLATES, "with-basic", { spec: { envoyProxyRef: null } }, { namespace: NS });
      await eventually("the sidecar's children to be removed", () => env.server.hooks.count({ userAgent: UA, verb: "delete", resource: "networkpolicies" }) > 0);

      // Backups: the CronJob (repaired when changed by hand), a backup-now Job (removed once its result is in
      // status), and a user's CronJob and Job in the way of a Kode's.
      await createSecret(env.client, "s3", NS, { AWS_ACCESS_KEY_ID: "id", AWS_SECRET_ACCESS_KEY: "key" });
      const backup = { s3: { endpoint: "https://s3.example.com", bucket: "backups", credentialsSecretRef: { name: "s3" } }, schedule: "0 3 * * *" };
      await createTemplate(env.client, "backed-up", NS, { ...CODE_SERVER, storage: { resources: { requests: { storage: "1Gi" } } }, backup });
      await createKode(env.client, "k1", NS, { templateRef: { name: "backed-up" } });
      await eventually("k1's CronJob", () => env.client.get(CRONJOBS, "k1-backup", NS));
      await env.client.mergePatch(CRONJOBS, "k1-backup", { spec: { schedule: "1 1 * * *" } }, { namespace: NS });
      await eventually("a cronjobs repair", () => env.server.hooks.count({ userAgent: UA, verb: "patch", resource: "cronjobs" }) > 0);
      await env.client.mergePatch(KODES, "k1", { metadata: { annotations: { "kode.jacero.io/backup-now": "1" } } }, { namespace: NS });
      await eventually("k1's Job removed after its result", () => env.server.hooks.count({ userAgent: UA, verb: "delete", resource: "jobs" }) > 0);
      await env.client.create(CRONJOBS, { apiVersion: "batch/v1", kind: "CronJob", metadata: mine("k2-backup"), spec: { schedule: "0 0 * * *", jobTemplate: { spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } } } } } });
      await env.client.create(JOBS, { apiVersion: "batch/v1", kind: "Job", metadata: mine(backupNames("k3").job("backup", "now:1")), spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } } } });
      await createKode(env.client, "k2", NS, { templateRef: { name: "backed-up" } });
      await createKode(env.client, "k3", NS, { templateRef: { name: "backed-up" }, backup: { schedule: "0 4 * * *" } });
      await env.client.mergePatch(KODES, "k3", { metadata: { annotations: { "kode.jacero.io/backup-now": "1" } } }, { namespace: NS });
      for (const resource of ["cronjobs", "jobs"]) await eventually(`the operator to meet the user's ${resource}`, () => env.server.hooks.count({ userAgent: UA, verb: "get", resource }) > 0);

      for (const k of ["a", "b", "c", ...COLLIDING, ...ROUTED, "d6", "d7", "k1", "k2", "k3"]) await env.client.delete(KODES, k, { namespace: NS });
      for (const k of ["a", "b", "c", ...COLLIDING, ...ROUTED, "d6", "d7", "k1", "k2", "k3"]) await waitGone(env.client, KODES, NS, k);
      for (const k of ["a", "b", "c", "e", "s1", ...COLLIDING, ...ROUTED, "d6", "d7"]) await env.client.delete(KODES, k, { namespace: NS });
      for (const k of ["a", "b", "c", "e", "s1", ...COLLIDING, ...ROUTED, "d6", "d7"]) await waitGone(env.client, KODES, NS, k);
    } finally {
      await op.stop(); // releases the lease
    }
    recorded = new Set(env.server.hooks.requests({ userAgent: UA }).map((r) => {
      const [main, sub] = r.resource.split("/");
      const [plural, ...group] = main!.split(".");
      return triple(group.join("."), sub ? `${plural}/${sub}` : plural!, r.verb);
    }));
  });
  afterAll(async () => {
    await env?.stop();
  });

  test("nothing the operator sent is missing from the table, and the shipped RBAC refused none of it", () => {
    const all = new Set([...table("cluster"), ...table("own-namespace")]);
    expect([...recorded].filter((t) => !all.has(t)).sort()).toEqual([]);
    expect(env.server.hooks.requests({ userAgent: UA, code: 403 })).toEqual([]);
  });

  test("the table holds nothing this run did not need, except the calls listed here with their reason", () => {
    const all = [...table("cluster"), ...table("own-namespace")];
    const unused = all.filter((t) => !recorded.has(t)).sort();
    // Not a request: a real API server checks it when a child with blockOwnerDeletion is created.
    const notARequest = triple("kode.jacero.io", "kodes/finalizers", "update");
    // The count of an Event recorded again with the same reason and message (src/kube/events.ts): the
    // reconcilers emit Events on transitions, so whether this run repeats one depends on timing.
    const mayNotHappen = [
      triple("", "events", "patch"),
      // The activity poller's first reading of a Kode falls anywhere in its first --activity-interval (60s here) and
      // an automatic pause needs an idle timeout to pass: e2e/lifecycle-idle.test.ts makes both.
      triple("", "pods/proxy", "get"),
      triple("kode.jacero.io", "kodes", "get"),
      // The child step's generic paths for Jobs: a Job met under its name (get), a Job's labels repaired (patch).
      triple("batch", "jobs", "get"),
      triple("batch", "jobs", "patch"),
    ];
    expect(unused).toContain(notARequest);
    expect(unused.filter((t) => t !== notARequest && !mayNotHappen.includes(t))).toEqual([]);
  });
});
