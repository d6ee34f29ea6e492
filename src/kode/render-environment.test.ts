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

  test("alnoda: tool ports on the Service without Envoy, a no-auth warning; behind Envoy the UI only", () => {
    const r = renderKode(input(kode(), tpl("alnoda")));
    expect(r.service.spec.ports.map((p) => p.port)).toEqual([80, ...Array.from({ length: 19 }, (_, i) => 8021 + i)]);
    expect(ide(r).ports.map((p) => p.name).slice(0, 3)).toEqual(["http", "tool-8021", "tool-8022"]);
    expect(r.warnings.some((w) => w.startsWith("alnoda has no authentication"))).toBe(true);
    const e = renderKode(input(kode(), tpl("alnoda"), "basic"));
    expect(e.service.spec.ports.map((p) => p.port)).toEqual([80]);
    expect(e.warnings.some((w) => w.startsWith("alnoda has no authentication"))).toBe(false);
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
