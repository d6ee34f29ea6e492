// The kinds charts and operators create every day, served as kube-apiserver serves them: scope, short
// names, categories, subresources in both discovery formats, defaults, validation and Table cells.
import { describe, expect, test } from "bun:test";
import { useApiServer } from "../testing.ts";

const AGG = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
const TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io";

interface Expected {
  gv: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  subresources?: string[];
}

const EXPECTED: Expected[] = [
  { gv: "apps/v1", plural: "replicasets", kind: "ReplicaSet", namespaced: true, shortNames: ["rs"], categories: ["all"], subresources: ["scale", "status"] },
  { gv: "apps/v1", plural: "daemonsets", kind: "DaemonSet", namespaced: true, shortNames: ["ds"], categories: ["all"], subresources: ["status"] },
  { gv: "v1", plural: "replicationcontrollers", kind: "ReplicationController", namespaced: true, shortNames: ["rc"], categories: ["all"], subresources: ["scale", "status"] },
  { gv: "policy/v1", plural: "poddisruptionbudgets", kind: "PodDisruptionBudget", namespaced: true, shortNames: ["pdb"], subresources: ["status"] },
  { gv: "networking.k8s.io/v1", plural: "ingresses", kind: "Ingress", namespaced: true, shortNames: ["ing"], subresources: ["status"] },
  { gv: "networking.k8s.io/v1", plural: "ingressclasses", kind: "IngressClass", namespaced: false },
  { gv: "autoscaling/v2", plural: "horizontalpodautoscalers", kind: "HorizontalPodAutoscaler", namespaced: true, shortNames: ["hpa"], categories: ["all"], subresources: ["status"] },
  { gv: "v1", plural: "endpoints", kind: "Endpoints", namespaced: true, shortNames: ["ep"] },
  { gv: "discovery.k8s.io/v1", plural: "endpointslices", kind: "EndpointSlice", namespaced: true },
  { gv: "v1", plural: "resourcequotas", kind: "ResourceQuota", namespaced: true, shortNames: ["quota"], subresources: ["status"] },
  { gv: "v1", plural: "limitranges", kind: "LimitRange", namespaced: true, shortNames: ["limits"] },
  { gv: "v1", plural: "nodes", kind: "Node", namespaced: false, shortNames: ["no"], subresources: ["status"] },
  { gv: "v1", plural: "persistentvolumes", kind: "PersistentVolume", namespaced: false, shortNames: ["pv"], subresources: ["status"] },
  { gv: "storage.k8s.io/v1", plural: "storageclasses", kind: "StorageClass", namespaced: false, shortNames: ["sc"] },
  { gv: "scheduling.k8s.io/v1", plural: "priorityclasses", kind: "PriorityClass", namespaced: false, shortNames: ["pc"] },
  { gv: "admissionregistration.k8s.io/v1", plural: "validatingwebhookconfigurations", kind: "ValidatingWebhookConfiguration", namespaced: false, categories: ["api-extensions"] },
  { gv: "admissionregistration.k8s.io/v1", plural: "mutatingwebhookconfigurations", kind: "MutatingWebhookConfiguration", namespaced: false, categories: ["api-extensions"] },
  { gv: "admissionregistration.k8s.io/v1", plural: "validatingadmissionpolicies", kind: "ValidatingAdmissionPolicy", namespaced: false, categories: ["api-extensions"], subresources: ["status"] },
  { gv: "admissionregistration.k8s.io/v1", plural: "validatingadmissionpolicybindings", kind: "ValidatingAdmissionPolicyBinding", namespaced: false, categories: ["api-extensions"] },
  { gv: "gateway.networking.k8s.io/v1", plural: "gatewayclasses", kind: "GatewayClass", namespaced: false, shortNames: ["gc"], categories: ["gateway-api"], subresources: ["status"] },
  { gv: "gateway.networking.k8s.io/v1", plural: "gateways", kind: "Gateway", namespaced: true, shortNames: ["gtw"], categories: ["gateway-api"], subresources: ["status"] },
  { gv: "gateway.networking.k8s.io/v1", plural: "httproutes", kind: "HTTPRoute", namespaced: true, categories: ["gateway-api"], subresources: ["status"] },
];

const base = (gv: string) => (gv.includes("/") ? `/apis/${gv}` : `/api/${gv}`);
const path = (gv: string, plural: string, namespaced: boolean, name = "") =>
  `${base(gv)}${namespaced ? "/namespaces/default" : ""}/${plural}${name ? `/${name}` : ""}`;

const template = (app: string) => ({ metadata: { labels: { app } }, spec: { containers: [{ name: "main", image: "nginx:1.27" }] } });

describe("discovery lists every added kind with its real names", () => {
  const ctx = useApiServer();

  for (const e of EXPECTED) {
    test(`${e.gv} ${e.plural}`, async () => {
      const legacy = await ctx.client.get(base(e.gv));
      expect(legacy.status).toBe(200);
      const main = legacy.body.resources.find((r: any) => r.name === e.plural);
      expect(main).toMatchObject({ kind: e.kind, namespaced: e.namespaced, singularName: e.kind.toLowerCase() });
      expect(main.shortNames).toEqual(e.shortNames);
      expect(main.categories).toEqual(e.categories);
      const subs = legacy.body.resources.filter((r: any) => r.name.startsWith(`${e.plural}/`)).map((r: any) => r.name.split("/")[1]);
      expect(subs.sort()).toEqual(e.subresources ?? []);

      const [group, version] = e.gv.includes("/") ? e.gv.split("/") : ["", e.gv];
      const agg = await ctx.client.get(group ? "/apis" : "/api", { accept: AGG });
      const item = agg.body.items.find((i: any) => i.metadata.name === group);
      const r = item.versions.find((v: any) => v.version === version).resources.find((x: any) => x.resource === e.plural);
      expect(r).toMatchObject({ scope: e.namespaced ? "Cluster".replace("Cluster", "Namespaced") : "Cluster", responseKind: { group, version, kind: e.kind } });
      expect(r.shortNames).toEqual(e.shortNames);
    });
  }

  test("kubectl's default prune allow-list kinds all exist", async () => {
    const allow = [
      ["v1", "configmaps"], ["v1", "endpoints"], ["v1", "namespaces"], ["v1", "persistentvolumeclaims"], ["v1", "persistentvolumes"],
      ["v1", "pods"], ["v1", "replicationcontrollers"], ["v1", "secrets"], ["v1", "services"], ["batch/v1", "jobs"], ["batch/v1", "cronjobs"],
      ["networking.k8s.io/v1", "ingresses"], ["apps/v1", "daemonsets"], ["apps/v1", "deployments"], ["apps/v1", "replicasets"], ["apps/v1", "statefulsets"],
    ];
    for (const [gv, plural] of allow) {
      const list = await ctx.client.get(`${base(gv)}/${plural}`);
      expect(`${gv}/${plural} ${list.status}`).toBe(`${gv}/${plural} 200`);
    }
  });
});

describe("defaults and validation of the added kinds", () => {
  const ctx = useApiServer();

  test("a ReplicaSet gets replicas 1; a selector that misses the template labels is 422", async () => {
    const rs = await ctx.client.post(path("apps/v1", "replicasets", true), { metadata: { name: "rs1" }, spec: { selector: { matchLabels: { app: "a" } }, template: template("a") } });
    expect(rs.status).toBe(201);
    expect(rs.body.spec.replicas).toBe(1);
    expect(rs.body.metadata.generation).toBe(1);
    const bad = await ctx.client.post(path("apps/v1", "replicasets", true), { metadata: { name: "rs2" }, spec: { selector: { matchLabels: { app: "b" } }, template: template("a") } });
    expect(bad.status).toBe(422);
    expect(bad.body.details.causes[0].field).toBe("spec.template.metadata.labels");
    const changed = await ctx.client.patch(path("apps/v1", "replicasets", true, "rs1"), { spec: { selector: { matchLabels: { app: "a", x: "y" } } } });
    expect(changed.status).toBe(422);
  });

  test("a ReplicationController's selector and labels default to its template's; its scale shows the selector", async () => {
    const rc = await ctx.client.post(path("v1", "replicationcontrollers", true), { metadata: { name: "rc1" }, spec: { replicas: 2, template: template("r") } });
    expect(rc.status).toBe(201);
    expect(rc.body.spec.selector).toEqual({ app: "r" });
    expect(rc.body.metadata.labels).toEqual({ app: "r" });
    const scale = await ctx.client.get(path("v1", "replicationcontrollers", true, "rc1/scale"));
    expect(scale.body).toMatchObject({ kind: "Scale", spec: { replicas: 2 }, status: { selector: "app=r" } });
  });

  test("a DaemonSet gets the RollingUpdate strategy and an empty status", async () => {
    const ds = await ctx.client.post(path("apps/v1", "daemonsets", true), { metadata: { name: "ds1" }, spec: { selector: { matchLabels: { app: "d" } }, template: template("d") } });
    expect(ds.status).toBe(201);
    expect(ds.body.spec.updateStrategy).toEqual({ rollingUpdate: { maxSurge: 0, maxUnavailable: 1 }, type: "RollingUpdate" });
    expect(ds.body.status).toEqual({ currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 });
  });

  test("PersistentVolume, StorageClass and PriorityClass defaults; StorageClass provisioner is immutable", async () => {
    const pv = await ctx.client.post(path("v1", "persistentvolumes", false), { metadata: { name: "pv1" }, spec: { capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"], hostPath: { path: "/tmp" } } });
    expect(pv.status).toBe(201);
    expect(pv.body.spec).toMatchObject({ persistentVolumeReclaimPolicy: "Retain", volumeMode: "Filesystem" });
    expect(pv.body.status).toEqual({ phase: "Pending" });
    const sc = await ctx.client.post(path("storage.k8s.io/v1", "storageclasses", false), { metadata: { name: "fast" }, provisioner: "example.com/csi" });
    expect(sc.body).toMatchObject({ reclaimPolicy: "Delete", volumeBindingMode: "Immediate" });
    const moved = await ctx.client.patch(path("storage.k8s.io/v1", "storageclasses", false, "fast"), { provisioner: "other.example.com" });
    expect(moved.status).toBe(422);
    const pc = await ctx.client.post(path("scheduling.k8s.io/v1", "priorityclasses", false), { metadata: { name: "high" }, value: 1000 });
    expect(pc.body.preemptionPolicy).toBe("PreemptLowerPriority");
    expect((await ctx.client.post(path("scheduling.k8s.io/v1", "priorityclasses", false), { metadata: { name: "none" } })).status).toBe(422);
  });

  test("webhook configurations get their per-webhook defaults and need sideEffects", async () => {
    const hook = { name: "v.example.com", clientConfig: { url: "https://127.0.0.1:9443/validate" }, admissionReviewVersions: ["v1"], sideEffects: "None", rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }] };
    const ok = await ctx.client.post(path("admissionregistration.k8s.io/v1", "validatingwebhookconfigurations", false), { metadata: { name: "v" }, webhooks: [hook] });
    expect(ok.status).toBe(201);
    expect(ok.body.webhooks[0]).toMatchObject({ failurePolicy: "Fail", matchPolicy: "Equivalent", timeoutSeconds: 10, namespaceSelector: {}, objectSelector: {} });
    expect(ok.body.webhooks[0].rules[0].scope).toBe("*");
    const m = await ctx.client.post(path("admissionregistration.k8s.io/v1", "mutatingwebhookconfigurations", false), { metadata: { name: "m" }, webhooks: [hook] });
    expect(m.body.webhooks[0].reinvocationPolicy).toBe("Never");
    const { sideEffects: _s, ...noSideEffects } = hook;
    const bad = await ctx.client.post(path("admissionregistration.k8s.io/v1", "validatingwebhookconfigurations", false), { metadata: { name: "bad" }, webhooks: [noSideEffects] });
    expect(bad.status).toBe(422);
    expect(bad.body.details.causes.map((c: any) => c.field)).toEqual(["webhooks[0].sideEffects"]);
  });

  test("a ValidatingAdmissionPolicy needs a validation; a binding needs validationActions", async () => {
    const vap = path("admissionregistration.k8s.io/v1", "validatingadmissionpolicies", false);
    const rules = { resourceRules: [{ apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE"], resources: ["deployments"] }] };
    const ok = await ctx.client.post(vap, { metadata: { name: "p" }, spec: { matchConstraints: rules, validations: [{ expression: "object.spec.replicas <= 5" }] } });
    expect(ok.status).toBe(201);
    expect(ok.body.spec).toMatchObject({ failurePolicy: "Fail", matchConstraints: { matchPolicy: "Equivalent" } });
    expect((await ctx.client.post(vap, { metadata: { name: "empty" }, spec: { matchConstraints: rules } })).status).toBe(422);
    const binding = path("admissionregistration.k8s.io/v1", "validatingadmissionpolicybindings", false);
    expect((await ctx.client.post(binding, { metadata: { name: "b" }, spec: { policyName: "p", validationActions: ["Deny"] } })).status).toBe(201);
    expect((await ctx.client.post(binding, { metadata: { name: "b2" }, spec: { policyName: "p" } })).status).toBe(422);
  });

  test("Gateway API kinds behave like custom resources: no strategic merge patch, updates need a resourceVersion", async () => {
    const route = path("gateway.networking.k8s.io/v1", "httproutes", true);
    const created = await ctx.client.post(route, { metadata: { name: "r" }, spec: { hostnames: ["a.example.com"], parentRefs: [{ name: "gw" }] } });
    expect(created.status).toBe(201);
    expect(created.body.metadata.generation).toBe(1);
    const smp = await ctx.client.patch(`${route}/r`, { spec: { hostnames: ["b.example.com"] } }, "application/strategic-merge-patch+json");
    expect(smp.status).toBe(415);
    const { resourceVersion: _rv, ...meta } = created.body.metadata;
    expect((await ctx.client.put(`${route}/r`, { ...created.body, metadata: meta })).status).toBe(422);
  });

  test("an EndpointSlice needs a known addressType; an HPA a maxReplicas", async () => {
    const slices = path("discovery.k8s.io/v1", "endpointslices", true);
    expect((await ctx.client.post(slices, { metadata: { name: "s" }, addressType: "IPv4", endpoints: [] })).status).toBe(201);
    expect((await ctx.client.post(slices, { metadata: { name: "s2" }, addressType: "IPX" })).status).toBe(422);
    const hpa = path("autoscaling/v2", "horizontalpodautoscalers", true);
    const ok = await ctx.client.post(hpa, { metadata: { name: "h" }, spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" }, maxReplicas: 3 } });
    expect(ok.body.spec.minReplicas).toBe(1);
    expect((await ctx.client.post(hpa, { metadata: { name: "h2" }, spec: { scaleTargetRef: { kind: "Deployment", name: "web" }, maxReplicas: 0 } })).status).toBe(422);
  });
});

describe("Table cells of the added kinds", () => {
  const ctx = useApiServer({ now: () => Date.parse("2026-01-01T00:10:00Z") });

  /** Create the object (its status, when given, through the status subresource) and read its Table row. */
  async function row(gv: string, plural: string, namespaced: boolean, body: Record<string, unknown>, status?: unknown) {
    const created = await ctx.client.post(path(gv, plural, namespaced), body);
    expect(`${created.status} ${created.status === 201 ? "" : JSON.stringify(created.body)}`).toBe("201 ");
    if (status) expect((await ctx.client.patch(path(gv, plural, namespaced, `${created.body.metadata.name}/status`), { status })).status).toBe(200);
    const table = await ctx.client.get(path(gv, plural, namespaced, created.body.metadata.name), { accept: TABLE });
    expect(table.status).toBe(200);
    const names = table.body.columnDefinitions.map((c: any) => c.name);
    return Object.fromEntries(names.map((n: string, i: number) => [n, table.body.rows[0].cells[i]]));
  }

  test("ReplicaSet, DaemonSet, PDB, HPA", async () => {
    const rs = await row("apps/v1", "replicasets", true, { metadata: { name: "web-abc" }, spec: { replicas: 3, selector: { matchLabels: { app: "web" } }, template: template("web") } });
    expect(rs).toMatchObject({ Name: "web-abc", Desired: 3, Current: 0, Ready: 0, Containers: "main", Images: "nginx:1.27", Selector: "app=web" });
    const ds = await row("apps/v1", "daemonsets", true, { metadata: { name: "agent" }, spec: { selector: { matchLabels: { app: "agent" } }, template: { ...template("agent"), spec: { ...template("agent").spec, nodeSelector: { "kubernetes.io/os": "linux" } } } } });
    expect(ds).toMatchObject({ Desired: 0, Current: 0, Ready: 0, "Up-to-date": 0, Available: 0, "Node Selector": "kubernetes.io/os=linux", Selector: "app=agent" });
    const pdb = await row("policy/v1", "poddisruptionbudgets", true, { metadata: { name: "web" }, spec: { minAvailable: 1, selector: { matchLabels: { app: "web" } } } });
    expect(pdb).toMatchObject({ "Min Available": "1", "Max Unavailable": "N/A", "Allowed Disruptions": 0 });
    const hpa = await row("autoscaling/v2", "horizontalpodautoscalers", true, {
      metadata: { name: "web" },
      spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" }, minReplicas: 2, maxReplicas: 5, metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } } }] },
    });
    expect(hpa).toMatchObject({ Reference: "Deployment/web", Targets: "cpu: <unknown>/80%", MinPods: "2", MaxPods: 5, Replicas: 0 });
  });

  test("Ingress, IngressClass, Endpoints, EndpointSlice", async () => {
    const ing = await row("networking.k8s.io/v1", "ingresses", true, {
      metadata: { name: "web" },
      spec: { ingressClassName: "nginx", tls: [{ hosts: ["a.example.com"] }], rules: [{ host: "a.example.com" }, { host: "b.example.com" }] },
    });
    expect(ing).toMatchObject({ Class: "nginx", Hosts: "a.example.com,b.example.com", Address: "", Ports: "80, 443" });
    const cls = await row("networking.k8s.io/v1", "ingressclasses", false, { metadata: { name: "nginx" }, spec: { controller: "k8s.io/ingress-nginx", parameters: { apiGroup: "k8s.example.com", kind: "IngressParameters", name: "p" } } });
    expect(cls).toMatchObject({ Controller: "k8s.io/ingress-nginx", Parameters: "IngressParameters.k8s.example.com/p" });
    const ep = await row("v1", "endpoints", true, { metadata: { name: "web" }, subsets: [{ addresses: [{ ip: "10.0.0.1" }, { ip: "10.0.0.2" }], ports: [{ port: 80 }, { port: 443 }] }] });
    expect(ep.Endpoints).toBe("10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...");
    const slice = await row("discovery.k8s.io/v1", "endpointslices", true, { metadata: { name: "web-x" }, addressType: "IPv4", ports: [{ port: 80 }], endpoints: [{ addresses: ["10.0.0.1"] }] });
    expect(slice).toMatchObject({ AddressType: "IPv4", Ports: "80", Endpoints: "10.0.0.1" });
  });

  test("Node, PersistentVolume, StorageClass, PriorityClass, ResourceQuota", async () => {
    const node = await row("v1", "nodes", false, {
      metadata: { name: "n1", labels: { "node-role.kubernetes.io/worker": "" } },
      spec: { unschedulable: true },
    }, { conditions: [{ type: "Ready", status: "True" }], nodeInfo: { kubeletVersion: "v1.32.1" }, addresses: [{ type: "InternalIP", address: "10.1.0.5" }] });
    expect(node).toMatchObject({ Status: "Ready,SchedulingDisabled", Roles: "worker", Version: "v1.32.1", "Internal-IP": "10.1.0.5", "External-IP": "<none>", "OS-Image": "<unknown>" });
    const pv = await row("v1", "persistentvolumes", false, { metadata: { name: "pv1" }, spec: { capacity: { storage: "5Gi" }, accessModes: ["ReadWriteOnce", "ReadOnlyMany"], claimRef: { namespace: "default", name: "data" }, storageClassName: "fast", hostPath: { path: "/tmp" } } });
    expect(pv).toMatchObject({ Capacity: "5Gi", "Access Modes": "RWO,ROX", "Reclaim Policy": "Retain", Status: "Pending", Claim: "default/data", StorageClass: "fast", VolumeAttributesClass: "<unset>", VolumeMode: "Filesystem" });
    const sc = await row("storage.k8s.io/v1", "storageclasses", false, { metadata: { name: "std", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } }, provisioner: "example.com/csi", allowVolumeExpansion: true });
    expect(sc).toMatchObject({ Name: "std (default)", Provisioner: "example.com/csi", ReclaimPolicy: "Delete", VolumeBindingMode: "Immediate", AllowVolumeExpansion: true });
    const pc = await row("scheduling.k8s.io/v1", "priorityclasses", false, { metadata: { name: "high" }, value: 100000, globalDefault: true });
    expect(pc).toMatchObject({ Value: 100000, "Global-Default": true, PreemptionPolicy: "PreemptLowerPriority" });
    const quota = await row("v1", "resourcequotas", true, { metadata: { name: "q" }, spec: { hard: { "requests.cpu": "1", pods: "10", "limits.memory": "2Gi" } } }, { hard: { "requests.cpu": "1", pods: "10", "limits.memory": "2Gi" }, used: { pods: "3" } });
    expect(quota).toMatchObject({ Request: "pods: 3/10, requests.cpu: 0/1", Limit: "limits.memory: 0/2Gi" });
  });

  test("admission configuration and Gateway API columns", async () => {
    const vap = await row("admissionregistration.k8s.io/v1", "validatingadmissionpolicies", false, {
      metadata: { name: "p" },
      spec: { paramKind: { apiVersion: "v1", kind: "ConfigMap" }, matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }] }, validations: [{ expression: "true" }, { expression: "true" }] },
    });
    expect(vap).toMatchObject({ Validations: 2, ParamKind: "v1/ConfigMap" });
    const binding = await row("admissionregistration.k8s.io/v1", "validatingadmissionpolicybindings", false, { metadata: { name: "b" }, spec: { policyName: "p", paramRef: { name: "cfg", namespace: "default" }, validationActions: ["Deny"] } });
    expect(binding).toMatchObject({ PolicyName: "p", ParamRef: "default/cfg" });
    const gw = await row("gateway.networking.k8s.io/v1", "gateways", true, { metadata: { name: "gw" }, spec: { gatewayClassName: "envoy", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] } });
    expect(gw).toMatchObject({ Class: "envoy", Address: null, Programmed: null });
    const route = await row("gateway.networking.k8s.io/v1", "httproutes", true, { metadata: { name: "r" }, spec: { hostnames: ["a.example.com"] } });
    expect(route.Hostnames).toBe('["a.example.com"]');
  });
});

describe("HorizontalPodAutoscaler autoscaling/v1 is a view of v2", () => {
  const ctx = useApiServer();
  const V1 = "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers";
  const V2 = "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers";
  const ref = { apiVersion: "apps/v1", kind: "Deployment", name: "web" };

  test("autoscaling prefers v2 and serves v1", async () => {
    const group = await ctx.client.get("/apis/autoscaling");
    expect(group.body.preferredVersion).toEqual({ groupVersion: "autoscaling/v2", version: "v2" });
    expect(group.body.versions.map((v: any) => v.version)).toEqual(["v2", "v1"]);
  });

  test("a v2 object read as v1 has the CPU target, the other metrics in the alpha annotation, and reads back unchanged", async () => {
    const memory = { type: "Resource", resource: { name: "memory", target: { type: "AverageValue", averageValue: "500Mi" } } };
    const cpu = { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } } };
    await ctx.client.post(V2, { metadata: { name: "h" }, spec: { scaleTargetRef: ref, maxReplicas: 4, metrics: [cpu, memory] } });
    const v1 = await ctx.client.get(`${V1}/h`);
    expect(v1.body).toMatchObject({ apiVersion: "autoscaling/v1", kind: "HorizontalPodAutoscaler", spec: { scaleTargetRef: ref, minReplicas: 1, maxReplicas: 4, targetCPUUtilizationPercentage: 80 } });
    expect(JSON.parse(v1.body.metadata.annotations["autoscaling.alpha.kubernetes.io/metrics"])).toEqual([memory]);
    // A v1 client updates maxReplicas; the memory metric survives in v2.
    expect((await ctx.client.put(`${V1}/h`, { ...v1.body, spec: { ...v1.body.spec, maxReplicas: 6 } })).status).toBe(200);
    const v2 = await ctx.client.get(`${V2}/h`);
    expect(v2.body.spec).toEqual({ maxReplicas: 6, metrics: [cpu, memory], minReplicas: 1, scaleTargetRef: ref });
    expect(v2.body.metadata.annotations).toBeUndefined();
  });

  test("a v1 create is stored as v2; the v1 Table shows the same Targets", async () => {
    expect((await ctx.client.post(V1, { metadata: { name: "old" }, spec: { scaleTargetRef: ref, maxReplicas: 3, targetCPUUtilizationPercentage: 50 } })).status).toBe(201);
    const v2 = await ctx.client.get(`${V2}/old`);
    expect(v2.body.spec.metrics).toEqual([{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } }]);
    const table = await ctx.client.get(`${V1}/old`, { accept: TABLE });
    const targets = table.body.columnDefinitions.findIndex((c: any) => c.name === "Targets");
    expect(table.body.rows[0].cells[targets]).toBe("cpu: <unknown>/50%");
  });
});
