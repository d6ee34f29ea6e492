// End-to-end: every IDE type through the operator process and real kubectl (the embedded server's simulated
// kubelet makes the pods), init containers in order in the Pod, bad input of the new fields with a reason, a
// Warning Event and recovery, and the devcontainer.json read from a real git server (git http-backend) at a
// branch, a tag and a commit, with an unreachable repository and a bad ref.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseKode, parseKodeTemplate } from "../src/api/schemas.ts";
import { validateKodeInput } from "../src/kode/validate.ts";
import { CONFIGMAPS, NETWORK_POLICIES, PODS, SERVICES, STATEFULSETS } from "../src/kube/resources.ts";
import { validateBootstrap } from "../src/envoy/validate-proto.ts";
import { ENVOY_PROXY_CONFIGS, KODES } from "../src/api/resources.ts";
import { gitAvailable, startGitHttp, type GitHttpServer, type TestRepo } from "./support/git-http.ts";
import {
  condition,
  createKode,
  createNamespace,
  createSecret,
  createTemplate,
  eventually,
  getKode,
  kodeEvents,
  REPO_ROOT,
  startE2E,
  waitEvent,
  waitFailed,
  waitKode,
  waitRunning,
  type E2E,
  type Obj,
} from "./operator-harness.ts";

let env: E2E;
let gitServer: GitHttpServer | undefined;
const it = (name: string, fn: () => Promise<void>) => test(name, fn, 120_000);
const NS = "envs";

beforeAll(async () => {
  env = await startE2E({ gc: true, kubeletDelayMs: 50 });
  await createNamespace(env.client, NS);
  if (gitAvailable()) gitServer = startGitHttp();
}, 60_000);

afterAll(async () => {
  gitServer?.stop();
  await env?.stop();
}, 30_000);

const IMAGES: Record<string, string> = {
  "code-server": "lscr.io/linuxserver/code-server:4.100.0",
  webtop: "lscr.io/linuxserver/webtop:ubuntu-xfce",
  jupyter: "quay.io/jupyter/base-notebook:2025-01-01",
  alnoda: "alnoda/alnoda-workspace:5.0",
  devcontainers: "mcr.microsoft.com/devcontainers/base:ubuntu",
};

/** `kubectl wait --for=condition=Ready` when kubectl is there, else the same through the API. */
async function waitReady(name: string) {
  if (env.kubectl) {
    const res = await env.kubectl.run(["wait", "-n", NS, "--for=condition=Ready", `kode/${name}`, "--timeout=60s"], { noRequestTimeout: true });
    expect(res.code).toBe(0);
  }
  await waitRunning(env.client, NS, name, 60_000);
}

async function initContainerNames(pod: string): Promise<string[]> {
  if (env.kubectl) {
    const res = await eventually(`pod ${pod}`, async () => {
      const r = await env.kubectl!.run(["get", "pod", "-n", NS, pod, "-o", "jsonpath={.spec.initContainers[*].name}"]);
      return r.code === 0 ? r : undefined;
    });
    return res.stdout.trim() ? res.stdout.trim().split(/\s+/) : [];
  }
  const p = await eventually(`pod ${pod}`, () => env.client.get<Obj>(PODS, pod, NS));
  return (p.spec.initContainers ?? []).map((c: { name: string }) => c.name);
}

const patchKode = (name: string, patch: Record<string, unknown>) => env.client.mergePatch(KODES, name, patch, { namespace: NS });

describe("every type becomes Ready", () => {
  for (const type of Object.keys(IMAGES))
    it(`${type}`, async () => {
      const spec: Record<string, unknown> = { type, image: IMAGES[type] };
      if (type === "jupyter") Object.assign(spec, { defaultHome: "/home/jovyan", pgid: 100 });
      if (type === "devcontainers") spec.devcontainer = { config: { postCreateCommand: "echo created", containerEnv: { A: "1" } } };
      await createTemplate(env.client, `t-${type}`, NS, spec);
      await createKode(env.client, `k-${type}`, NS, { templateRef: { name: `t-${type}` } });
      await waitReady(`k-${type}`);
      const expected: Record<string, string[]> = { devcontainers: ["kode-ide-server", "kode-devcontainer-create"] };
      expect(await initContainerNames(`k-${type}-0`)).toEqual(expected[type] ?? []);
    });
});

describe("manifests/samples/environments", () => {
  it("every sample is valid, renders, and becomes Ready (kubectl apply -k)", async () => {
    const dir = join(REPO_ROOT, "manifests/samples/environments");
    const docs = readdirSync(dir)
      .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
      .flatMap((f) => (Bun.YAML.parse(readFileSync(join(dir, f), "utf8")) as unknown as Obj[] | Obj))
      .flat() as Obj[];
    const templates = new Map(docs.filter((d) => d.kind === "KodeTemplate").map((d) => [d.metadata.name, parseKodeTemplate(d)]));
    const kodes = docs.filter((d) => d.kind === "Kode").map((d) => parseKode({ ...d, metadata: { ...d.metadata, namespace: "s" } }));
    expect(kodes.map((k) => k.metadata.name).sort()).toEqual(["my-alnoda", "my-code-server", "my-devcontainer", "my-extensions", "my-jupyter", "my-project", "my-webtop", "my-webtop-packages"]);
    expect(new Set([...templates.values()].map((t) => t.spec.type))).toEqual(new Set(["code-server", "webtop", "jupyter", "alnoda", "devcontainers"]));
    for (const k of kodes) expect(validateKodeInput(k, templates.get(k.spec.templateRef.name)!.spec), k.metadata.name).toEqual([]);
    if (!env.kubectl) return console.warn("no kubectl: apply skipped");
    await createNamespace(env.client, "samples");
    const res = await env.kubectl.run(["apply", "-n", "samples", "-k", dir]);
    expect(res.code).toBe(0);
    for (const k of kodes) {
      const wait = await env.kubectl.run(["wait", "-n", "samples", "--for=condition=Ready", `kode/${k.metadata.name}`, "--timeout=60s"], { noRequestTimeout: true });
      expect(wait.code, `${k.metadata.name}: ${wait.out}`).toBe(0);
    }
  });
});

describe("every type behind an authenticating Envoy sidecar becomes Ready", () => {
  for (const type of Object.keys(IMAGES))
    it(`${type} + Envoy basic`, async () => {
      if (type === "code-server")
        await env.client.create(ENVOY_PROXY_CONFIGS, { apiVersion: "kode.jacero.io/v1alpha1", kind: "EnvoyProxyConfig", metadata: { name: "basic", namespace: NS }, spec: { authType: "basic" } });
      await createTemplate(env.client, `te-${type}`, NS, { type, image: IMAGES[type], envoyProxyRef: { name: "basic" } });
      await createKode(env.client, `ke-${type}`, NS, { templateRef: { name: `te-${type}` } });
      await waitReady(`ke-${type}`);
      const pod = await eventually("pod", () => env.client.get<Obj>(PODS, `ke-${type}-0`, NS));
      expect(pod.spec.containers.map((c: { name: string }) => c.name)).toEqual(["ide", "envoy"]);
    });

  it("alnoda + Envoy basic: each tool port of the Service reaches an authenticating Envoy listener that proxies the tool", async () => {
    // What kubectl shows of the live objects the operator applied (ke-alnoda, made above).
    const jsonpath = async (kind: string, name: string, path: string) => {
      if (!env.kubectl) return undefined;
      const r = await env.kubectl.run(["get", kind, "-n", NS, name, "-o", `jsonpath=${path}`]);
      expect(r.code).toBe(0);
      return r.stdout.trim();
    };
    type J = Record<string, any>;
    const svc = (await env.client.get<Obj>(SERVICES, "ke-alnoda", NS))!;
    const svcPorts = svc.spec.ports.map((p: J) => `${p.port}>${p.targetPort}`);
    expect(svcPorts).toEqual(["80>http", ...Array.from({ length: 19 }, (_, i) => `${8021 + i}>tool-${8021 + i}`)]);
    const viaKubectl = await jsonpath("service", "ke-alnoda", "{range .spec.ports[*]}{.port}>{.targetPort} {end}");
    if (viaKubectl !== undefined) expect(viaKubectl.split(" ")).toEqual(svcPorts);
    const pod = (await env.client.get<Obj>(PODS, "ke-alnoda-0", NS))!;
    const named = (name: string) => pod.spec.containers.flatMap((c: J) => (c.ports ?? []).filter((p: J) => p.name === name).map((p: J) => `${c.name}:${p.containerPort}`));
    expect(named("tool-8021")).toEqual(["envoy:18021"]);
    expect(named("tool-8039")).toEqual(["envoy:18039"]);
    expect(named("http")).toEqual(["envoy:10080"]);
    const cm = (await env.client.get<Obj>(CONFIGMAPS, "ke-alnoda-envoy", NS))!;
    const bootstrap = JSON.parse(cm.data!["envoy.json"]);
    expect(validateBootstrap(bootstrap)).toEqual([]);
    const listeners = bootstrap.static_resources.listeners as J[];
    const chain = (port: number) => listeners.find((l) => l.address.socket_address.port_value === port)?.filter_chains[0].filters[0].typed_config;
    for (const tool of [8021, 8039]) {
      const hcm = chain(10000 + tool)!;
      expect(hcm.http_filters.map((f: J) => f.name)).toEqual(["kode.health_check", "kode.strip_identity_headers", "kode.basic_auth", "envoy.filters.http.router"]);
      expect(hcm.http_filters).toEqual(chain(10080)!.http_filters);
      const cluster = hcm.route_config.virtual_hosts[0].routes[0].route.cluster;
      const c = bootstrap.static_resources.clusters.find((x: J) => x.name === cluster);
      expect(c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: "127.0.0.1", port_value: tool });
    }
    const policy = (await env.client.get<Obj>(NETWORK_POLICIES, "ke-alnoda", NS))!;
    expect(policy.spec.ingress[0].ports.map((p: J) => p.port)).toEqual([10080, 19003, ...Array.from({ length: 19 }, (_, i) => 18021 + i)]);
  });
});

describe("bad values of the new fields are refused by the API server with the field named", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["dotfiles url", { dotfiles: { url: "git@github.com:me/dots.git" } }, "spec.dotfiles.url"],
    ["vscode extension", { vscode: { extensions: ["not an id"] } }, "spec.vscode.extensions[0]"],
    ["plugin name", { initPlugins: [{ name: "Not_A_Label", image: "x" }] }, "spec.initPlugins[0].name"],
    ["devcontainer git url", { devcontainer: { git: { url: "ftp://x/y.git" } } }, "spec.devcontainer.git.url"],
  ];
  for (const [what, spec, field] of cases)
    it(what, async () => {
      const err = (await createKode(env.client, "k-bad-field", NS, { templateRef: { name: "t-webtop" }, ...spec }).catch((e) => e)) as { code?: number; message?: string };
      expect(err.code).toBe(422);
      expect(String(err.message)).toContain(field);
    });
  it("template: ideServer kind and runtimeClassName", async () => {
    const err = (await createTemplate(env.client, "t-bad", NS, { type: "devcontainers", image: "x", ideServer: { kind: "vim" }, runtimeClassName: "Not Valid" }).catch((e) => e)) as { code?: number; message?: string };
    expect(err.code).toBe(422);
    expect(String(err.message)).toContain("spec.ideServer.kind");
    expect(String(err.message)).toContain("spec.runtimeClassName");
    expect(env.operator.alive).toBe(true);
  });
});

describe("init plugins", () => {
  it("run in order: operator's, the template's, the Kode's; a duplicate is refused and recovers", async () => {
    await createTemplate(env.client, "t-plugins", NS, {
      type: "code-server",
      image: IMAGES["code-server"],
      vscode: { extensions: ["redhat.vscode-yaml"] },
      initPlugins: [
        { name: "install-tools", image: "debian:bookworm-slim", command: ["sh", "-c", "true"] },
        { name: "prepare", image: "busybox:1.36", command: ["true"] },
      ],
    });
    await createKode(env.client, "k-plugins", NS, {
      templateRef: { name: "t-plugins" },
      dotfiles: { url: "https://git.example/dotfiles.git" },
      initPlugins: [{ name: "clone-repo", image: "alpine/git:latest", args: ["clone", "https://git.example/r.git", "/config/workspace/r"] }],
    });
    await waitReady("k-plugins");
    expect(await initContainerNames("k-plugins-0")).toEqual(["kode-dotfiles-fetch", "kode-dotfiles", "kode-vscode", "install-tools", "prepare", "clone-repo"]);

    // A Kode plugin with a template plugin's name: Ready=False, a Warning Event, the running pod untouched.
    await patchKode("k-plugins", { spec: { initPlugins: [{ name: "prepare", image: "busybox:1.36" }] } });
    const failed = await waitFailed(env.client, NS, "k-plugins", "DuplicateInitPlugin");
    expect(condition(failed, "Ready")!.message).toBe('spec.initPlugins: plugin name "prepare" is already used in the template\'s initPlugins; plugin names must be unique across the template\'s and the Kode\'s initPlugins.');
    await waitEvent(env.client, NS, "k-plugins", "Warning", "DuplicateInitPlugin");
    expect(await initContainerNames("k-plugins-0")).toContain("clone-repo");
    await patchKode("k-plugins", { spec: { initPlugins: [{ name: "prepare-mine", image: "busybox:1.36" }] } });
    await waitRunning(env.client, NS, "k-plugins", 60_000);
    await eventually("the new plugin in the pod", async () => (await initContainerNames("k-plugins-0")).at(-1) === "prepare-mine" || undefined);
  });

  it("the reserved prefix is refused by the API server (422), the operator stays up", async () => {
    const err = await createKode(env.client, "k-reserved", NS, { templateRef: { name: "t-plugins" }, initPlugins: [{ name: "kode-mine", image: "x" }] }).catch((e) => e);
    expect((err as { code?: number }).code).toBe(422);
    expect(String((err as Error).message)).toContain('must not start with "kode-"');
    expect(env.operator.alive).toBe(true);
  });

  it("a privileged plugin needs allowPrivilegedPlugins", async () => {
    await createTemplate(env.client, "t-priv", NS, { type: "webtop", image: IMAGES.webtop });
    await createKode(env.client, "k-priv", NS, { templateRef: { name: "t-priv" }, initPlugins: [{ name: "apt", image: "debian:bookworm-slim", securityContext: { runAsUser: 0 } }] });
    await waitFailed(env.client, NS, "k-priv", "PrivilegedPluginNotAllowed");
    await waitEvent(env.client, NS, "k-priv", "Warning", "PrivilegedPluginNotAllowed");
    await env.client.mergePatch((await import("../src/api/resources.ts")).KODE_TEMPLATES, "t-priv", { spec: { allowPrivilegedPlugins: true } }, { namespace: NS });
    await waitRunning(env.client, NS, "k-priv", 60_000);
  });
});

describe("init container reports", () => {
  it("a dotfiles conflict in the pod's termination message: EnvironmentReady=False and a Warning Event, the Kode stays Ready", async () => {
    await createTemplate(env.client, "t-report", NS, { type: "code-server", image: IMAGES["code-server"] });
    await createKode(env.client, "k-report", NS, { templateRef: { name: "t-report" }, dotfiles: { url: "https://git.example/d.git" } });
    await waitReady("k-report");
    // What kubelet writes once the init containers ran (the simulated kubelet runs no containers).
    const statuses = (message: string) => ({
      status: {
        initContainerStatuses: ["kode-dotfiles-fetch", "kode-dotfiles"].map((name) => ({ name, ready: true, restartCount: 0, image: "x", imageID: "", state: { terminated: { exitCode: 0, reason: "Completed", message: name === "kode-dotfiles" ? message : "" } } })),
      },
    });
    await env.client.mergePatch(PODS, "k-report-0", statuses("result=linked\ncommit=abc\nconflicts=2\nconflict=.bashrc\nconflict=.profile\n"), { namespace: NS, subresource: "status" });
    const k = await waitKode(env.client, NS, "k-report", "EnvironmentReady=False", (k) => condition(k, "EnvironmentReady")?.status === "False");
    expect(condition(k, "EnvironmentReady")!.message).toBe("kode-dotfiles: 2 dotfiles not linked because home already has them: .bashrc, .profile (see `kubectl logs <pod> -c kode-dotfiles`; the IDE runs anyway)");
    expect(condition(k, "Ready")!.status).toBe("True");
    await waitEvent(env.client, NS, "k-report", "Warning", "InitContainerProblems");
    await env.client.mergePatch(PODS, "k-report-0", statuses("result=unchanged\ncommit=abc\n"), { namespace: NS, subresource: "status" });
    await waitKode(env.client, NS, "k-report", "EnvironmentReady=True", (k) => condition(k, "EnvironmentReady")?.status === "True");
  });
});

describe("postStartCommand's result", () => {
  it("read from the IDE container's log: EnvironmentReady=False with the exit code and the last lines, status.devcontainer.postStartExitCode; the Kode stays Ready", async () => {
    await createTemplate(env.client, "t-poststart", NS, { type: "devcontainers", image: IMAGES.devcontainers });
    await createKode(env.client, "k-poststart", NS, { templateRef: { name: "t-poststart" }, devcontainer: { config: { postStartCommand: "make services" } } });
    await waitReady("k-poststart");
    // What the IDE container prints (src/kode/post-start.test.ts runs the real script): server lines interleaved.
    const log = [
      "server: listening on 0.0.0.0:3000",
      "[postStartCommand] starting db",
      "[postStartCommand] export DB_PASSWORD=hunter2",
      "[postStartCommand] make: *** [services] Error 3",
      "[postStartCommand] [kode] postStartCommand: exit code 3",
      "[postStartCommand] [kode] postStartCommand finished: 3",
      "server: extension host started",
      "",
    ].join("\n");
    env.server.hooks.setPodLog(NS, "k-poststart-0", log, "ide");
    const k = await waitKode(env.client, NS, "k-poststart", "EnvironmentReady=False", (k) => condition(k, "EnvironmentReady")?.status === "False", 60_000);
    expect(condition(k, "EnvironmentReady")!.message).toBe('ide: postStartCommand exited with 3; last output: "starting db", "<line hidden: it may hold a secret>", "make: *** [services] Error 3" (see `kubectl logs <pod> -c ide`; the IDE runs anyway)');
    expect(k.status.devcontainer).toEqual({ source: "inline", postStartExitCode: 3 });
    expect(condition(k, "Ready")!.status).toBe("True");
    expect(JSON.stringify(k.status)).not.toContain("hunter2");
    await waitEvent(env.client, NS, "k-poststart", "Warning", "InitContainerProblems");
    if (env.kubectl) {
      const r = await env.kubectl.run(["get", "kode", "-n", NS, "k-poststart", "-o", "jsonpath={.status.devcontainer.postStartExitCode}"]);
      expect(r.stdout.trim()).toBe("3");
    }
  });
});

describe("devcontainer.json sources", () => {
  it("a ConfigMap: a syntax error names line and column; fixed, the Kode recovers", async () => {
    await env.client.create(CONFIGMAPS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "dc", namespace: NS }, data: { "devcontainer.json": '{\n  // comment\n  "image": "mcr.microsoft.com/devcontainers/go:1",\n  "postCreateCommand": \n}' } });
    await createTemplate(env.client, "t-dc-cm", NS, { type: "devcontainers", image: IMAGES.devcontainers });
    await createKode(env.client, "k-dc-cm", NS, { templateRef: { name: "t-dc-cm" }, devcontainer: { configMapRef: { name: "dc" } } });
    const failed = await waitFailed(env.client, NS, "k-dc-cm", "InvalidDevcontainer");
    expect(condition(failed, "Ready")!.message).toMatch(/line 5, column 1/);
    await waitEvent(env.client, NS, "k-dc-cm", "Warning", "InvalidDevcontainer");
    await env.client.mergePatch(CONFIGMAPS, "dc", { data: { "devcontainer.json": '{\n  // comment\n  "image": "mcr.microsoft.com/devcontainers/go:1",\n  "postCreateCommand": "go version",\n  "features": {}\n}' } }, { namespace: NS });
    const unsupported = await waitFailed(env.client, NS, "k-dc-cm", "UnsupportedDevcontainer");
    expect(condition(unsupported, "Ready")!.message).toContain("features (");
    await env.client.mergePatch(CONFIGMAPS, "dc", { data: { "devcontainer.json": '{ "image": "mcr.microsoft.com/devcontainers/go:1", "postCreateCommand": "go version" }' } }, { namespace: NS });
    await waitReady("k-dc-cm");
    const pod = await eventually("pod", () => env.client.get<Obj>(PODS, "k-dc-cm-0", NS));
    expect(pod.spec.containers[0].image).toBe("mcr.microsoft.com/devcontainers/go:1");
    expect((await getKode(env.client, NS, "k-dc-cm"))!.status.devcontainer.source).toBe(`ConfigMap ${NS}/dc key devcontainer.json`);
    // An edit of the same ConfigMap that the official schema refuses in part: the Kode stays Ready, a Warning says where.
    await env.client.mergePatch(CONFIGMAPS, "dc", { data: { "devcontainer.json": '{ "image": "mcr.microsoft.com/devcontainers/go:1", "postCreateCommand": "go version", "waitFor": "never" }' } }, { namespace: NS });
    const schemaEvent = await eventually("the schema Warning", async () => {
      const hit = (await kodeEvents(env.client, NS, "k-dc-cm")).find((e) => e.reason === "Devcontainer" && e.message.includes("official devcontainer.json schema"));
      if (hit) return hit;
      throw new Error("no Devcontainer Warning about the schema yet");
    });
    expect(schemaEvent.type).toBe("Warning");
    expect(schemaEvent.message).toContain('waitFor: must be one of "initializeCommand"');
    expect(condition((await getKode(env.client, NS, "k-dc-cm"))!, "Ready")!.status).toBe("True");
  });

  describe("git", () => {
    let repo: TestRepo;
    let privateRepo: TestRepo;
    const shas: Record<string, string> = {};
    beforeAll(() => {
      if (!gitServer) return;
      repo = gitServer.createRepo("project");
      shas.first = repo.commit({ ".devcontainer/devcontainer.json": '{ "image": "img:first" }' });
      repo.tag("v1");
      shas.second = repo.commit({ ".devcontainer/devcontainer.json": '{ "image": "img:second", /* jsonc */ "postStartCommand": "echo hi" }' });
      privateRepo = gitServer.createRepo("private/project");
      shas.private = privateRepo.commit({ "dev/dc.json": '{ "image": "img:private" }' });
    });
    const podImage = async (name: string, image: string) =>
      eventually(`pod ${name}-0 runs ${image}`, async () => ((await env.client.get<Obj>(PODS, `${name}-0`, NS))?.spec.containers[0].image === image ? true : undefined), 60_000);

    it("read at a branch, a tag and a commit, cloned into the workspace first", async () => {
      if (!gitServer) return console.warn("git not installed: skipped");
      await createTemplate(env.client, "t-dc-git", NS, { type: "devcontainers", image: IMAGES.devcontainers });
      await createKode(env.client, "k-git", NS, { templateRef: { name: "t-dc-git" }, devcontainer: { git: { url: repo.url, ref: "main" } } });
      await waitReady("k-git");
      expect((await getKode(env.client, NS, "k-git"))!.status.devcontainer.commit).toBe(shas.second);
      await podImage("k-git", "img:second");
      expect(await initContainerNames("k-git-0")).toEqual(["kode-ide-server", "kode-devcontainer-clone"]);

      await patchKode("k-git", { spec: { devcontainer: { git: { url: repo.url, ref: "v1" } } } });
      await waitKode(env.client, NS, "k-git", "at the tag", (k) => k.status?.devcontainer?.commit === shas.first && condition(k, "Ready")?.status === "True", 60_000);
      await podImage("k-git", "img:first");

      await patchKode("k-git", { spec: { devcontainer: { git: { url: repo.url, ref: shas.second.slice(0, 10) } } } });
      await waitKode(env.client, NS, "k-git", "at the commit", (k) => k.status?.devcontainer?.commit === shas.second && condition(k, "Ready")?.status === "True", 60_000);
      await podImage("k-git", "img:second");
    });

    it("a private repository with a token Secret; without the Secret a reason, with it Ready", async () => {
      if (!gitServer) return;
      await createKode(env.client, "k-git-private", NS, { templateRef: { name: "t-dc-git" }, devcontainer: { git: { url: privateRepo.url, path: "dev/dc.json", secretRef: { name: "git-token" } } } });
      await waitFailed(env.client, NS, "k-git-private", "DevcontainerGitSecret");
      await createSecret(env.client, "git-token", NS, { token: gitServer.token });
      await waitReady("k-git-private");
      await podImage("k-git-private", "img:private");
      const pod = await env.client.get<Obj>(PODS, "k-git-private-0", NS);
      expect(JSON.stringify(pod)).not.toContain(gitServer.token);
    });

    it("an unreachable repository and a bad ref: Ready=False with the git error; recovery when fixed", async () => {
      if (!gitServer) return;
      await createKode(env.client, "k-git-bad", NS, { templateRef: { name: "t-dc-git" }, devcontainer: { git: { url: "http://127.0.0.1:9/nothing.git" } } });
      const down = await waitFailed(env.client, NS, "k-git-bad", "DevcontainerGitError");
      expect(condition(down, "Ready")!.message).toContain("(unreachable;");
      await waitEvent(env.client, NS, "k-git-bad", "Warning", "DevcontainerGitError");
      expect(env.operator.alive).toBe(true);

      await patchKode("k-git-bad", { spec: { devcontainer: { git: { url: repo.url, ref: "feature" } } } });
      const badRef = await waitKode(env.client, NS, "k-git-bad", "bad ref", (k) => condition(k, "Ready")?.reason === "DevcontainerGitError" && /bad-ref/.test(condition(k, "Ready")!.message), 60_000);
      expect(condition(badRef, "Ready")!.message).toContain("feature");
      // The repository is fixed (the branch is pushed); the refresh annotation reads again now.
      repo.branch("feature");
      await patchKode("k-git-bad", { metadata: { annotations: { "kode.jacero.io/refresh": "1" } } });
      await waitReady("k-git-bad");
      expect((await getKode(env.client, NS, "k-git-bad"))!.status.devcontainer.commit).toBe(shas.second);
    });

    it("an operator restart during a git outage keeps the Kode Ready and its pod unchanged (the read kept in <kode>-devcontainer)", async () => {
      if (!gitServer) return;
      const outage = startGitHttp();
      const r = outage.createRepo("restart");
      const sha = r.commit({ ".devcontainer/devcontainer.json": '{ "image": "img:restart", "containerEnv": { "X": "1" } }' });
      await createKode(env.client, "k-git-restart", NS, { templateRef: { name: "t-dc-git" }, devcontainer: { git: { url: r.url } } });
      await waitReady("k-git-restart");
      await podImage("k-git-restart", "img:restart");
      const cm = (await env.client.get<Obj>(CONFIGMAPS, "k-git-restart-devcontainer", NS))!;
      expect(cm.data).toEqual({ "devcontainer.json": '{ "image": "img:restart", "containerEnv": { "X": "1" } }' });
      expect(cm.metadata.annotations?.["kode.jacero.io/devcontainer-commit"]).toBe(sha);
      const before = (await env.client.get<Obj>(STATEFULSETS, "k-git-restart", NS))!;

      outage.stop();
      await env.operator.stop();
      await env.operator.startAndWait();
      const warning = await waitEvent(env.client, NS, "k-git-restart", "Warning", "DevcontainerGitUnavailable");
      expect(warning.message).toContain(`keeping devcontainer.json from commit ${sha.slice(0, 12)}`);
      const k = await getKode(env.client, NS, "k-git-restart");
      expect(condition(k, "Ready")).toMatchObject({ status: "True", reason: "Running" });
      expect(k!.status.devcontainer.commit).toBe(sha);
      const after = (await env.client.get<Obj>(STATEFULSETS, "k-git-restart", NS))!;
      expect(after.metadata.generation).toBe(before.metadata.generation!);
      expect(after.spec.template).toEqual(before.spec.template);
      const events = await kodeEvents(env.client, NS, "k-git-restart");
      expect(events.filter((e) => e.reason === "DevcontainerGitError")).toEqual([]);
    });
  });
});
