import { describe, expect, test } from "bun:test";
import type { EnvVar, IdeType, Kode, KodeTemplateSpec } from "../api/types.ts";
import { renderEnvoy } from "../envoy/render.ts";
import { validateRender } from "../envoy/testing.ts";
import { type RenderInput, renderKode } from "./render.ts";
import { validateKodeInput } from "./validate.ts";

const PASSWORD = "s3cr3t-Pa55word-zq9";

const kode = (spec: Partial<Kode["spec"]> = {}): Kode => ({
  apiVersion: "kode.jacero.io/v1alpha1",
  kind: "Kode",
  metadata: { name: "alice", namespace: "dev", uid: "uid-1", generation: 1 },
  spec: { templateRef: { kind: "KodeTemplate", name: "tpl" }, ...spec },
});

const IMAGES: Record<IdeType, string> = {
  "code-server": "lscr.io/linuxserver/code-server:4.100.0",
  webtop: "lscr.io/linuxserver/webtop:ubuntu-xfce",
  jupyter: "quay.io/jupyter/base-notebook:2025-01-01",
  alnoda: "alnoda/alnoda-workspace:5.0",
  devcontainers: "mcr.microsoft.com/devcontainers/base:ubuntu",
};
const tpl = (type: IdeType, spec: Partial<KodeTemplateSpec> = {}): KodeTemplateSpec => ({ type, image: IMAGES[type], ...spec });

type Auth = "none" | "basic" | undefined;
const input = (k: Kode, spec: KodeTemplateSpec, auth: Auth = undefined, over: Partial<RenderInput> = {}): RenderInput => ({
  kode: k,
  template: { kind: "KodeTemplate", name: "tpl", namespace: "dev", spec },
  credentials: { secretName: "alice-auth", passwordKey: "password", generated: { username: "alice", password: PASSWORD } },
  rollout: { key: "rollout-key-1", material: "material-1" },
  ...(auth && { envoy: { config: { kind: "EnvoyProxyConfig", name: "proxy", namespace: "dev", spec: { authType: auth } }, credentials: { username: "alice", password: PASSWORD } } }),
  ...over,
});
const pod = (r: ReturnType<typeof renderKode>) => r.statefulSet.spec.template.spec;
const ide = (r: ReturnType<typeof renderKode>) => pod(r).containers[0];
const env = (r: ReturnType<typeof renderKode>) => Object.fromEntries(ide(r).env.map((e: EnvVar) => [e.name, e]));
const initNames = (r: ReturnType<typeof renderKode>) => (pod(r).initContainers ?? []).map((c) => c.name);
type Listener = { name: string; address: { socket_address: { address: string; port_value: number } }; filter_chains: { filters: { typed_config: Record<string, any> }[] }[] };
/** What kube-proxy does with a named targetPort: the container that declares the name, and its port (for 80, 8021, 8039). */
const serviceTargets = (r: ReturnType<typeof renderKode>) => {
  const out: Record<number, [string, number]> = {};
  for (const sp of r.service.spec.ports.filter((p) => [80, 8021, 8039].includes(p.port))) {
    const hits = pod(r).containers.flatMap((c) => c.ports.filter((p) => p.name === sp.targetPort).map((p) => [c.name, p.containerPort] as [string, number]));
    expect(hits.length).toBe(1);
    out[sp.port] = hits[0];
  }
  return out;
};

describe("every type renders with and without Envoy", () => {
  for (const type of ["code-server", "webtop", "jupyter", "alnoda", "devcontainers"] as const)
    for (const auth of [undefined, "none", "basic"] as const)
      test(`${type}, ${auth ? `Envoy authType ${auth}` : "no Envoy"}`, () => {
        expect(validateKodeInput(kode(), tpl(type))).toEqual([]);
        const r = renderKode(input(kode(), tpl(type), auth));
        const containers = pod(r).containers.map((c) => c.name);
        expect(containers).toEqual(auth ? ["ide", "envoy"] : ["ide"]);
        // The Service always targets the port named http: the IDE's without Envoy, Envoy's with it.
        const http = pod(r).containers.flatMap((c) => c.ports.filter((p) => p.name === "http").map(() => c.name));
        expect(http).toEqual([auth ? "envoy" : "ide"]);
        // Secrets never as literals.
        for (const c of pod(r).containers) for (const e of c.env ?? []) if (/PASSWORD|TOKEN|SECRET/.test(e.name)) expect(e.value).toBeUndefined();
        if (auth) {
          const envoy = renderEnvoy({ kode: { name: "alice", namespace: "dev" }, idePort: ide(r).ports[0].containerPort, ideType: type, config: { kind: "EnvoyProxyConfig", name: "proxy", namespace: "dev", spec: { authType: auth } }, credentials: { username: "alice", password: PASSWORD } });
          expect(validateRender(envoy)).toEqual([]);
        }
      });

  test("jupyter without Envoy: token from the Secret, all interfaces, restricted", () => {
    const r = renderKode(input(kode(), tpl("jupyter", { defaultHome: "/home/jovyan", pgid: 100 })));
    expect(env(r).JUPYTER_TOKEN).toEqual({ name: "JUPYTER_TOKEN", valueFrom: { secretKeyRef: { name: "alice-auth", key: "password" } } });
    expect(ide(r).args).toContain("--ServerApp.ip=0.0.0.0");
    expect(ide(r).args).toContain("--ServerApp.root_dir=/home/jovyan/workspace");
    expect(ide(r).command).toBeUndefined();
    expect(ide(r).securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 100, runAsNonRoot: true, allowPrivilegeEscalation: false });
    expect(ide(r).readinessProbe.httpGet?.path).toBe("/api");
  });
  test("jupyter behind basic auth: loopback, own auth off, probes through Envoy's health listener", () => {
    const r = renderKode(input(kode(), tpl("jupyter"), "basic"));
    expect(env(r).JUPYTER_TOKEN).toBeUndefined();
    expect(ide(r).args).toContain("--ServerApp.ip=127.0.0.1");
    expect(ide(r).args).toContain("--ServerApp.token=");
    expect(ide(r).readinessProbe.httpGet).toEqual({ path: "/ide/ready", port: "envoy-health", scheme: "HTTP" });
  });
  test("jupyter behind Envoy without auth keeps its token", () => {
    const r = renderKode(input(kode(), tpl("jupyter"), "none"));
    expect(env(r).JUPYTER_TOKEN?.valueFrom).toBeDefined();
    expect(ide(r).args).toContain("--ServerApp.ip=0.0.0.0");
  });
  test("jupyter root start only when the template allows it", () => {
    const r = renderKode(input(kode(), tpl("jupyter", { allowRootStart: true })));
    expect(ide(r).securityContext).toMatchObject({ runAsUser: 0 });
    expect(env(r).NB_UID).toEqual({ name: "NB_UID", value: "1000" });
  });

  test("alnoda without Envoy: the tool ports on the Service, targeting the IDE container's ports; a no-auth warning", () => {
    const r = renderKode(input(kode(), tpl("alnoda")));
    expect(r.service.spec.ports.map((p) => p.port)).toEqual([80, ...Array.from({ length: 19 }, (_, i) => 8021 + i)]);
    expect(r.service.spec.ports[1]).toEqual({ name: "tool-8021", port: 8021, targetPort: "tool-8021", protocol: "TCP" });
    expect(ide(r).ports.slice(0, 3)).toEqual([
      { name: "http", containerPort: 8020, protocol: "TCP" },
      { name: "tool-8021", containerPort: 8021, protocol: "TCP" },
      { name: "tool-8022", containerPort: 8022, protocol: "TCP" },
    ]);
    expect(serviceTargets(r)).toEqual({ 80: ["ide", 8020], 8021: ["ide", 8021], 8039: ["ide", 8039] });
    expect(r.warnings.some((w) => w.startsWith("alnoda has no authentication"))).toBe(true);
  });

  for (const auth of ["basic", "none"] as const)
    test(`alnoda behind Envoy (${auth}): every tool port on the Service reaches an Envoy listener with the UI's filters, proxied to 127.0.0.1:<tool>`, () => {
      const r = renderKode(input(kode(), tpl("alnoda"), auth));
      // The same Service as without Envoy: port names, not container ports, are the contract.
      expect(r.service.spec.ports.map((p) => [p.port, p.targetPort])).toEqual([[80, "http"], ...Array.from({ length: 19 }, (_, i) => [8021 + i, `tool-${8021 + i}`])]);
      // Behind Envoy the names belong to Envoy's container; the IDE declares only its UI port.
      expect(ide(r).ports).toEqual([{ name: "ide", containerPort: 8020, protocol: "TCP" }]);
      expect(serviceTargets(r)).toEqual({ 80: ["envoy", 10080], 8021: ["envoy", 18021], 8039: ["envoy", 18039] });
      const bootstrap = JSON.parse(r.envoyConfigMap!.data["envoy.json"]);
      const listeners = bootstrap.static_resources.listeners as Listener[];
      const ui = listeners.find((l) => l.address.socket_address.port_value === 10080)!;
      for (const [tool, listen] of [[8021, 18021], [8030, 18030], [8039, 18039]]) {
        const l = listeners.find((x) => x.address.socket_address.port_value === listen)!;
        expect(l.name).toBe(`kode_tool_${tool}`);
        expect(l.address.socket_address.address).toBe("0.0.0.0");
        const hcm = l.filter_chains[0].filters[0].typed_config;
        // Authentication applied the same as the UI's: the very same filter chain.
        expect(hcm.http_filters).toEqual(ui.filter_chains[0].filters[0].typed_config.http_filters);
        expect(hcm.http_filters.map((f: { name: string }) => f.name)).toEqual(auth === "basic" ? ["kode.health_check", "kode.strip_identity_headers", "kode.basic_auth", "envoy.filters.http.router"] : ["kode.health_check", "kode.strip_identity_headers", "envoy.filters.http.router"]);
        expect(hcm.upgrade_configs).toEqual([{ upgrade_type: "websocket" }]);
        expect(hcm.stat_prefix).toBe("ide");
        const routes = hcm.route_config.virtual_hosts[0].routes;
        expect(routes).toEqual([{ match: { prefix: "/" }, route: { cluster: `kode_tool_${tool}`, timeout: "0s", idle_timeout: "3600s" } }]);
        if (auth === "basic") expect(hcm.route_config.request_headers_to_remove).toEqual(["authorization"]);
        const cluster = bootstrap.static_resources.clusters.find((c: { name: string }) => c.name === `kode_tool_${tool}`);
        expect(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: "127.0.0.1", port_value: tool });
      }
      expect(listeners.length).toBe(1 + 19 + 1);
      // Only Envoy's ports are admitted: the public one, the health one and the 19 tool listeners.
      expect(r.networkPolicy!.spec.ingress[0].ports!.map((p) => p.port)).toEqual([10080, 19003, ...Array.from({ length: 19 }, (_, i) => 18021 + i)]);
      const envoy = renderEnvoy({ kode: { name: "alice", namespace: "dev" }, idePort: 8020, ideType: "alnoda", config: { kind: "EnvoyProxyConfig", name: "proxy", namespace: "dev", spec: { authType: auth } }, credentials: { username: "alice", password: PASSWORD } });
      expect(validateRender(envoy)).toEqual([]);
      expect(r.warnings.some((w) => w.startsWith("alnoda has no authentication"))).toBe(auth === "none");
    });

  test("alnoda behind Envoy with isolation: the template's peers reach the UI and every tool listener, nothing else", () => {
    const peers = [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress" } } }];
    const r = renderKode(input(kode(), tpl("alnoda", { networkPolicy: { ingressFrom: peers } }), "basic"));
    expect(r.networkPolicy!.spec.ingress[0].ports!.map((p) => p.port)).toEqual([10080, ...Array.from({ length: 19 }, (_, i) => 18021 + i)]);
    const direct = renderKode(input(kode(), tpl("alnoda", { networkPolicy: { ingressFrom: peers } })));
    expect(direct.networkPolicy!.spec.ingress[0].ports!.map((p) => p.port)).toEqual([8020, ...Array.from({ length: 19 }, (_, i) => 8021 + i)]);
  });

  test("alnoda behind Envoy: a UI port on a tool listener, or a raw cluster with a tool name, is refused", () => {
    const cfg = (spec: Record<string, unknown>) => ({ kind: "EnvoyProxyConfig" as const, name: "proxy", namespace: "dev", spec: { authType: "none" as const, ...spec } });
    expect(() => renderEnvoy({ kode: { name: "alice" }, idePort: 18021, ideType: "alnoda", config: cfg({}) })).toThrow("PortConflict: the IDE listens on port 18021, which the Envoy sidecar uses to proxy the tool on port 8021");
    expect(() => renderEnvoy({ kode: { name: "alice" }, idePort: 8020, ideType: "alnoda", config: cfg({ clusters: [{ name: "kode_tool_8021" }] }) })).toThrow('ReservedName: spec.clusters[0] is named "kode_tool_8021"');
  });

  test("devcontainers forwardPorts: on the Service, and behind Envoy a listener each with the IDE's auth; what a pod cannot forward is a warning", () => {
    const k = kode({ devcontainer: { config: { image: "node:22", forwardPorts: [8000, "localhost:5000", "db:5432", 80, 3000], portsAttributes: { "8000": { label: "web" } } } } });
    expect(validateKodeInput(k, tpl("devcontainers"))).toEqual([]);
    const r = renderKode(input(k, tpl("devcontainers")));
    expect(r.service.spec.ports.map((p) => [p.port, p.targetPort])).toEqual([[80, "http"], [8000, "tool-8000"], [5000, "tool-5000"]]);
    expect(ide(r).ports).toEqual([
      { name: "http", containerPort: 3000, protocol: "TCP" },
      { name: "tool-8000", containerPort: 8000, protocol: "TCP" },
      { name: "tool-5000", containerPort: 5000, protocol: "TCP" },
    ]);
    expect(r.warnings).toContain('devcontainer.json forwardPorts "db:5432": only the container\'s own ports can be forwarded in a pod; not forwarded');
    expect(r.warnings).toContain("devcontainer.json forwardPorts 80: not forwarded (the Service's port 80 is the IDE's)");

    const e = renderKode(input(k, tpl("devcontainers"), "basic"));
    expect(e.service.spec.ports).toEqual(r.service.spec.ports);
    const envoyPorts = pod(e).containers[1].ports.map((p) => `${p.name}:${p.containerPort}`);
    expect(envoyPorts).toEqual(["http:10080", "envoy-health:19003", "tool-8000:18000", "tool-5000:15000"]);
    const bootstrap = JSON.parse(e.envoyConfigMap!.data["envoy.json"]);
    const l = (bootstrap.static_resources.listeners as Listener[]).find((x) => x.address.socket_address.port_value === 18000)!;
    expect(l.filter_chains[0].filters[0].typed_config.http_filters.map((f: { name: string }) => f.name)).toContain("kode.basic_auth");
    const envoy = renderEnvoy({ kode: { name: "alice", namespace: "dev" }, idePort: 3000, ideType: "devcontainers", toolPorts: [8000, 5000], config: { kind: "EnvoyProxyConfig", name: "proxy", namespace: "dev", spec: { authType: "basic" } }, credentials: { username: "alice", password: PASSWORD } });
    expect(validateRender(envoy)).toEqual([]);
    expect(e.networkPolicy!.spec.ingress[0].ports!.map((p) => p.port)).toEqual([10080, 19003, 18000, 15000]);
    // Behind Envoy a port whose listener would not be free is not forwarded.
    const clash = renderKode(input(kode({ devcontainer: { config: { forwardPorts: [9003, 19000] } } }), tpl("devcontainers"), "basic"));
    expect(clash.warnings).toContain("devcontainer.json forwardPorts 9003: not forwarded (Envoy would proxy it on port 19003, which is not free)");
    expect(clash.warnings).toContain("devcontainer.json forwardPorts 19000: not forwarded (the Envoy sidecar listens there)");
    expect(clash.service.spec.ports.map((p) => p.port)).toEqual([80]);
  });

  test("alnoda with its UI moved onto a tool port: that port is the UI only", () => {
    const r = renderKode(input(kode(), tpl("alnoda", { port: 8025 }), "basic"));
    expect(r.service.spec.ports.map((p) => p.port)).not.toContain(8025);
    expect(serviceTargets(r)[80]).toEqual(["envoy", 10080]);
    const bootstrap = JSON.parse(r.envoyConfigMap!.data["envoy.json"]);
    expect(bootstrap.static_resources.listeners.map((l: Listener) => l.name)).not.toContain("kode_tool_8025");
  });

  test("devcontainers: IDE server copied first, the user's image started with the server, inline config applied", () => {
    const k = kode({
      devcontainer: {
        config: { image: "mcr.microsoft.com/devcontainers/python:3.12", containerEnv: { FOO: "bar" }, postCreateCommand: "pip install -r requirements.txt", customizations: { vscode: { extensions: ["ms-python.python"] } } },
      },
    });
    expect(validateKodeInput(k, tpl("devcontainers"))).toEqual([]);
    const r = renderKode(input(k, tpl("devcontainers")));
    expect(initNames(r)).toEqual(["kode-ide-server", "kode-devcontainer-create", "kode-vscode"]);
    expect(ide(r).image).toBe("mcr.microsoft.com/devcontainers/python:3.12");
    expect(pod(r).initContainers![1].image).toBe("mcr.microsoft.com/devcontainers/python:3.12");
    expect(pod(r).initContainers![0].image).toBe("gitpod/openvscode-server:latest");
    expect(env(r).FOO).toEqual({ name: "FOO", value: "bar" });
    expect(env(r).KODE_IDE_SECRET.valueFrom).toEqual({ secretKeyRef: { name: "alice-auth", key: "password" } });
    expect(ide(r).command![2]).toContain("--connection-token-file /kode-ide/.connection-token");
    expect(ide(r).command![2]).toContain("--host 0.0.0.0 --port 3000");
    expect(JSON.parse(pod(r).initContainers![2].env!.find((e) => e.name === "KODE_EXTENSIONS")!.value!)).toEqual(["ms-python.python"]);
    expect(pod(r).volumes.map((v) => v.name)).toEqual(["home", "kode-ide"]);
  });
  test("devcontainers behind basic auth: loopback, no secret, http readiness through Envoy", () => {
    const r = renderKode(input(kode(), tpl("devcontainers", { ideServer: { kind: "code-server" } }), "basic"));
    expect(env(r).KODE_IDE_SECRET).toBeUndefined();
    expect(ide(r).command![2]).toContain("--bind-addr 127.0.0.1:3000 --auth none");
    expect(pod(r).initContainers![0].image).toBe("codercom/code-server:latest");
    expect(ide(r).readinessProbe.httpGet).toEqual({ path: "/ide/ready", port: "envoy-health", scheme: "HTTP" });
  });
  test("devcontainers git source: clone before create; image defaults to the template's", () => {
    const k = kode({ devcontainer: { git: { url: "https://git.example/repo.git", ref: "v1" } } });
    const r = renderKode(input(k, tpl("devcontainers", { gitImage: "alpine/git:2.45" }), undefined, { devcontainer: { config: { onCreateCommand: "make" }, commit: "abc" } }));
    expect(initNames(r)).toEqual(["kode-ide-server", "kode-devcontainer-clone", "kode-devcontainer-create"]);
    expect(pod(r).initContainers![1].image).toBe("alpine/git:2.45");
    expect(pod(r).initContainers![1].env).toContainEqual({ name: "KODE_CLONE_DIR", value: "/config/workspace" });
    expect(ide(r).image).toBe(IMAGES.devcontainers);
    // Without the reconciler's read (kode render), it says so.
    const bare = renderKode(input(k, tpl("devcontainers")));
    expect(bare.warnings.some((w) => w.includes("not resolved here"))).toBe(true);
  });
});

describe("init containers in order", () => {
  test("operator's containers, then the template's plugins, then the Kode's", () => {
    const t = tpl("devcontainers", {
      dotfiles: { url: "https://git.example/dotfiles.git" },
      vscode: { settings: { "editor.fontSize": 14 } },
      initPlugins: [{ name: "tpl-one", image: "busybox:1.36" }, { name: "tpl-two", image: "busybox:1.36" }],
    });
    const k = kode({ devcontainer: { git: { url: "https://git.example/repo.git" } }, initPlugins: [{ name: "mine", image: "alpine:3", command: ["sh", "-c", "true"] }] });
    const r = renderKode(input(k, t, undefined, { devcontainer: { config: { postCreateCommand: "true" } } }));
    expect(initNames(r)).toEqual(["kode-ide-server", "kode-devcontainer-clone", "kode-devcontainer-create", "kode-dotfiles-fetch", "kode-dotfiles", "kode-vscode", "tpl-one", "tpl-two", "mine"]);
    const mine = pod(r).initContainers!.at(-1)!;
    expect(mine.volumeMounts).toEqual([{ name: "home", mountPath: "/config" }, { name: "kode-scratch", mountPath: "/kode-scratch" }]);
    expect(mine.securityContext).toEqual({ runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } });
    expect(mine.env).toContainEqual({ name: "HOME", value: "/config" });
    expect(ide(r).volumeMounts).toContainEqual({ name: "kode-scratch", mountPath: "/kode-scratch" });
  });
  test("code-server: dotfiles and vscode (template defaults, the Kode's keys win, extensions appended)", () => {
    const t = tpl("code-server", { vscode: { settings: { a: 1, b: 1 }, extensions: ["redhat.vscode-yaml"] } });
    const r = renderKode(input(kode({ vscode: { settings: { b: 2 }, extensions: ["golang.go"] }, dotfiles: { url: "https://git.example/d.git", ref: "main" } }), t));
    expect(initNames(r)).toEqual(["kode-dotfiles-fetch", "kode-dotfiles", "kode-vscode"]);
    const vs = pod(r).initContainers![2];
    expect(vs.image).toBe(IMAGES["code-server"]);
    expect(JSON.parse(vs.env!.find((e) => e.name === "KODE_SETTINGS")!.value!)).toEqual({ a: 1, b: 2 });
    expect(JSON.parse(vs.env!.find((e) => e.name === "KODE_EXTENSIONS")!.value!)).toEqual(["redhat.vscode-yaml", "golang.go"]);
  });
  test("vscode on webtop is ignored with a warning", () => {
    const r = renderKode(input(kode({ vscode: { extensions: ["golang.go"] } }), tpl("webtop")));
    expect(initNames(r)).toEqual([]);
    expect(r.warnings).toContain("vscode settings and extensions apply to code-server and devcontainers only; ignored for webtop");
  });
});

describe("pod options", () => {
  test("every option reaches the pod; template securityContext merges over the type default", () => {
    const r = renderKode(
      input(
        kode(),
        tpl("jupyter", {
          runtimeClassName: "gvisor",
          priorityClassName: "dev-low",
          serviceAccountName: "notebooks",
          affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "gpu", operator: "Exists" }] }] } } },
          podSecurityContext: { runAsNonRoot: true },
          securityContext: { readOnlyRootFilesystem: false },
          resources: { limits: { memory: "2Gi" } },
        }),
      ),
    );
    const p = pod(r);
    expect(p.runtimeClassName).toBe("gvisor");
    expect(p.priorityClassName).toBe("dev-low");
    expect(p.serviceAccountName).toBe("notebooks");
    expect(p.automountServiceAccountToken).toBe(false);
    expect(p.affinity).toEqual({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "gpu", operator: "Exists" }] }] } } });
    expect(p.securityContext).toEqual({ fsGroup: 1000, fsGroupChangePolicy: "OnRootMismatch", seccompProfile: { type: "RuntimeDefault" }, runAsNonRoot: true });
    expect(ide(r).securityContext).toMatchObject({ readOnlyRootFilesystem: false, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    expect(ide(r).resources).toEqual({ limits: { memory: "2Gi" } });
  });
  test("automountServiceAccountToken only when the template asks", () => {
    expect(pod(renderKode(input(kode(), tpl("code-server", { serviceAccountName: "sa", automountServiceAccountToken: true })))).automountServiceAccountToken).toBe(true);
  });
});

describe("bad input gets a reason", () => {
  const reasons = (k: Kode, t: KodeTemplateSpec) => validateKodeInput(k, t).map((p) => `${p.reason}: ${p.message}`);
  test("duplicate plugin names across the lists", () => {
    const r = reasons(kode({ initPlugins: [{ name: "setup", image: "x" }] }), tpl("webtop", { initPlugins: [{ name: "setup", image: "y" }] }));
    expect(r).toEqual(['DuplicateInitPlugin: spec.initPlugins: plugin name "setup" is already used in the template\'s initPlugins; plugin names must be unique across the template\'s and the Kode\'s initPlugins.']);
  });
  test("reserved prefix, bad name, unknown volume", () => {
    const r = reasons(kode({ initPlugins: [{ name: "kode-x", image: "x" }, { name: "Bad_Name", image: "x", volumeMounts: [{ name: "data", mountPath: "/d" }] }] }), tpl("webtop"));
    expect(r.map((x) => x.split(":")[0])).toEqual(["InvalidInitPlugin", "InvalidInitPlugin", "InvalidInitPlugin"]);
    expect(r[0]).toContain('starts with "kode-"');
    expect(r[2]).toContain('mounts volume "data"');
  });
  test("privileged plugins need allowPrivilegedPlugins", () => {
    const k = kode({ initPlugins: [{ name: "root", image: "x", securityContext: { runAsUser: 0, privileged: true } }] });
    expect(reasons(k, tpl("webtop"))).toEqual([
      'PrivilegedPluginNotAllowed: spec.initPlugins: plugin "root" asks for privileged: true, runAsUser: 0; remove it from its securityContext or set allowPrivilegedPlugins: true in the template.',
    ]);
    expect(reasons(k, tpl("webtop", { allowPrivilegedPlugins: true }))).toEqual([]);
    expect(pod(renderKode(input(k, tpl("webtop", { allowPrivilegedPlugins: true })))).initContainers![0].securityContext).toMatchObject({ runAsUser: 0, privileged: true });
  });
  test("devcontainer: two sources, wrong type, unsupported and invalid inline configs", () => {
    expect(reasons(kode({ devcontainer: { config: {}, git: { url: "https://x/y.git" } } }), tpl("devcontainers"))).toEqual([
      "InvalidDevcontainerSource: spec.devcontainer: devcontainer must set exactly one of config, configMapRef, git (has config and git).",
    ]);
    expect(reasons(kode({ devcontainer: { config: {} } }), tpl("webtop"))[0]).toStartWith("InvalidDevcontainerSource: spec.devcontainer is set but the template's type is webtop");
    const u = reasons(kode({ devcontainer: { config: { image: "x", build: { dockerfile: "Dockerfile" }, features: {} } } }), tpl("devcontainers"));
    expect(u.length).toBe(1);
    expect(u[0]).toStartWith("UnsupportedDevcontainer: devcontainer.json uses properties the operator cannot honour: build (");
    expect(u[0]).toContain("; features (");
    const bad = reasons(kode({ devcontainer: { config: { forwardPorts: "3000" } } }), tpl("devcontainers"));
    expect(bad[0]).toStartWith("InvalidDevcontainer: devcontainer.json is invalid: ");
    expect(bad[0]).toContain("forwardPorts");
  });
});

describe("jupyter: the pod gets exactly what the real-server test runs (jupyterContainer)", () => {
  for (const auth of [undefined, "basic"] as const)
    test(`${auth ?? "no Envoy"}`, async () => {
      const { jupyterContainer } = await import("./ide/jupyter.ts");
      const r = renderKode(input(kode(), tpl("jupyter", { defaultHome: "/home/jovyan", pgid: 100 }), auth));
      const expected = jupyterContainer({
        ctx: { port: 8888, home: "/home/jovyan", workspacePath: "/home/jovyan/workspace", puid: 1000, pgid: 100, tz: "UTC", user: "alice", credentials: { secretName: "alice-auth", usernameKey: "username", passwordKey: "password" } },
        behindEnvoy: auth === "basic",
      });
      expect(ide(r).args).toEqual(expected.args);
      expect(ide(r).env).toEqual(expected.env);
      expect(ide(r).securityContext).toEqual(expected.securityContext);
    });
});
