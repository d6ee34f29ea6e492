// `kode render -f …` on the seed's scenarios: the objects a Kode would get, with the Envoy sidecar, its ConfigMap,
// Secret (values redacted) and NetworkPolicy when the template names an Envoy config; no real secret in the output.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { checkLoadTime, validateBootstrap } from "../envoy/validate-proto.ts";
import { loadDocs, PLACEHOLDER_FROM_SECRET, PLACEHOLDER_HMAC, REDACTED, renderCommand, renderDocuments } from "./render-command.ts";

type J = Record<string, any>;
const SAMPLES = join(import.meta.dir, "..", "..", "manifests", "samples");
const scenario1 = () => loadDocs(["scenario1_kodetemplate.yaml", "scenario1_kode.yaml"].map((f) => join(SAMPLES, f)));
const scenario2 = () => loadDocs(["scenario2_envoyproxyclusterconfig.yaml", "scenario2_kodetemplate.yaml", "scenario2_kode.yaml"].map((f) => join(SAMPLES, f)));

/** The printed YAML back as objects (also proves the output is valid multi-document YAML). */
const parse = (yaml: string): J[] => yaml.split(/^---$/m).map((p) => Bun.YAML.parse(p) as J).filter(Boolean);
const byKind = (objs: J[], kind: string) => objs.filter((o) => o.kind === kind);
const hardProblems = (problems: string[]) => problems.filter((p) => !p.includes(": warning: "));

const KEYCLOAK = {
  issuer: "https://keycloak.example.com/realms/dev",
  authorizationEndpoint: "https://keycloak.example.com/realms/dev/protocol/openid-connect/auth",
  tokenEndpoint: "https://keycloak.example.com/realms/dev/protocol/openid-connect/token",
  clientId: "kode",
  clientSecretRef: { name: "keycloak-client" },
};

describe("kode render", () => {
  test("Scenario 1 (no proxy): Secret, Service, StatefulSet with only the IDE; no Envoy objects", () => {
    const { yaml, problems } = renderDocuments(scenario1());
    expect(hardProblems(problems)).toEqual([]);
    const objs = parse(yaml);
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(["Secret/my-code-server-auth", "Service/my-code-server", "StatefulSet/my-code-server"]);
    const pod = byKind(objs, "StatefulSet")[0]!.spec.template.spec;
    expect(pod.containers.map((c: J) => c.name)).toEqual(["ide"]);
    expect(pod.containers[0].ports).toEqual([{ name: "http", containerPort: 8443, protocol: "TCP" }]);
    expect(byKind(objs, "ConfigMap")).toEqual([]);
    expect(byKind(objs, "NetworkPolicy")).toEqual([]);
  });

  test("Scenario 2 (basic auth): the sidecar, ConfigMap <kode>-envoy, Secret <kode>-envoy-auth (redacted), NetworkPolicy <kode>", () => {
    const { yaml, problems } = renderDocuments(scenario2());
    expect(hardProblems(problems)).toEqual([]);
    const objs = parse(yaml);
    const names = objs.map((o) => `${o.kind}/${o.metadata.name}`);
    for (const n of [
      "Secret/secure-code-server-auth",
      "ConfigMap/secure-code-server-envoy",
      "Secret/secure-code-server-envoy-auth",
      "NetworkPolicy/secure-code-server",
      "Service/secure-code-server",
      "StatefulSet/secure-code-server",
    ])
      expect(names).toContain(n);
    expect(objs.every((o) => o.metadata.namespace === "default")).toBe(true);

    const pod = byKind(objs, "StatefulSet")[0]!.spec.template.spec;
    expect(pod.containers.map((c: J) => c.name)).toEqual(["ide", "envoy"]);
    expect(pod.initContainers).toBeUndefined();
    const [ide, envoy] = pod.containers;
    expect(ide.ports.map((p: J) => p.name)).toEqual(["ide"]);
    expect(ide.env).toContainEqual({ name: "CODE_SERVER_HOST", value: "127.0.0.1" });
    expect(ide.env.map((e: J) => e.name)).not.toContain("PASSWORD");
    expect(envoy.ports.find((p: J) => p.name === "http").containerPort).toBe(10080);
    expect(envoy.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(pod.volumes.map((v: J) => v.configMap?.name ?? v.secret?.secretName).filter(Boolean)).toEqual(["secure-code-server-envoy", "secure-code-server-envoy-auth"]);
    expect(byKind(objs, "Service")[0]!.spec.ports[0].targetPort).toBe("http");
    expect(byKind(objs, "NetworkPolicy")[0]!.spec.ingress[0].ports.map((p: J) => p.port)).toEqual([10080, 19003]);

    // The sidecar Secret: keys listed, values replaced; the bootstrap is Envoy-valid and names only mounted files.
    const envoySecret = objs.find((o) => o.metadata.name === "secure-code-server-envoy-auth")!;
    expect(envoySecret.data).toEqual({ htpasswd: REDACTED });
    const bootstrap = JSON.parse(byKind(objs, "ConfigMap")[0]!.data["envoy.json"]);
    expect(validateBootstrap(bootstrap)).toEqual([]);
    const filters = bootstrap.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters.map((f: J) => f.name);
    expect(filters).toContain("kode.basic_auth");
    expect(filters[filters.length - 1]).toBe("envoy.filters.http.router");
    expect(checkLoadTime(bootstrap)).toEqual([]);
    // The htpasswd line (a {SHA} of devpassword) never appears; the Kode's own password (from its file) only in
    // its -auth Secret, never in the sidecar's objects.
    expect(yaml).not.toContain("{SHA}");
    const b64 = Buffer.from("devpassword").toString("base64");
    expect(objs.filter((o) => JSON.stringify(o).includes(b64) || JSON.stringify(o).includes("devpassword")).map((o) => o.metadata.name)).toEqual([]);
  });

  test("oauth2: placeholders for the client secret and the HMAC key, never real values; Secret keys listed", () => {
    const docs = [
      ...scenario2().filter((d) => d.kind !== "EnvoyProxyClusterConfig"),
      { apiVersion: "kode.jacero.io/v1alpha1", kind: "EnvoyProxyClusterConfig", metadata: { name: "basic-auth-proxy" }, spec: { authType: "oauth2", oauth2: KEYCLOAK } },
      // Even a real client Secret in the files is not read.
      { apiVersion: "v1", kind: "Secret", metadata: { name: "keycloak-client", namespace: "default" }, data: { "client-secret": Buffer.from("s3cr3t-client").toString("base64") } },
    ];
    const { yaml, problems } = renderDocuments(docs);
    expect(hardProblems(problems)).toEqual([]);
    const objs = parse(yaml);
    const envoySecret = objs.find((o) => o.metadata.name === "secure-code-server-envoy-auth")!;
    expect(Object.keys(envoySecret.data).sort()).toEqual(["hmac-secret.json", "token-secret.json"]);
    expect(Object.values(envoySecret.data).every((v) => v === REDACTED)).toBe(true);
    expect(yaml).not.toContain("s3cr3t-client");
    expect(yaml).not.toContain(Buffer.from("s3cr3t-client").toString("base64"));
    // The placeholders live only in the (redacted) Secret files, so they do not show either.
    expect(yaml).not.toContain(PLACEHOLDER_FROM_SECRET);
    expect(yaml).not.toContain(PLACEHOLDER_HMAC);
    const bootstrap = JSON.parse(byKind(objs, "ConfigMap")[0]!.data["envoy.json"]);
    expect(validateBootstrap(bootstrap)).toEqual([]);
    const filters = bootstrap.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters.map((f: J) => f.name);
    expect(filters).toEqual(expect.arrayContaining(["kode.oauth2", "envoy.filters.http.jwt_authn", "kode.rbac"]));
  });

  test("a namespaced EnvoyProxyConfig in the files is found for a template of the same namespace", () => {
    const docs = [
      { apiVersion: "kode.jacero.io/v1alpha1", kind: "EnvoyProxyConfig", metadata: { name: "p" }, spec: { authType: "basic" } },
      { apiVersion: "kode.jacero.io/v1alpha1", kind: "KodeTemplate", metadata: { name: "t" }, spec: { type: "code-server", image: "linuxserver/code-server:latest", envoyProxyRef: { kind: "EnvoyProxyConfig", name: "p" } } },
      { apiVersion: "kode.jacero.io/v1alpha1", kind: "Kode", metadata: { name: "k" }, spec: { templateRef: { name: "t" }, user: "dev" } },
    ];
    const { yaml, problems } = renderDocuments(docs);
    expect(hardProblems(problems)).toEqual([]);
    const objs = parse(yaml);
    expect(byKind(objs, "StatefulSet")[0]!.spec.template.spec.containers.map((c: J) => c.name)).toEqual(["ide", "envoy"]);
    // Secret values are never printed, not even the Kode's own or a placeholder: only their keys.
    expect(objs.find((o) => o.metadata.name === "k-auth")!.data).toEqual({ username: "<redacted>", password: "<redacted>" });
  });

  test("a missing Envoy config is a problem (exit 1) and nothing is printed for that Kode", async () => {
    const docs = scenario2().filter((d) => d.kind !== "EnvoyProxyClusterConfig");
    const { yaml, problems } = renderDocuments(docs);
    expect(yaml).toBe("");
    expect(hardProblems(problems)).toEqual([expect.stringContaining("EnvoyConfigNotFound")]);
    expect(problems[0]).toContain('EnvoyProxyClusterConfig "basic-auth-proxy"');

    // The command itself: exit code 1 with the message on stderr.
    const errors: string[] = [];
    const origError = console.error;
    const origWrite = process.stdout.write;
    console.error = (m: string) => void errors.push(m);
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      const code = await renderCommand(["-f", join(SAMPLES, "scenario2_kodetemplate.yaml"), "-f", join(SAMPLES, "scenario2_kode.yaml")]);
      expect(code).toBe(1);
    } finally {
      console.error = origError;
      process.stdout.write = origWrite;
    }
    expect(errors.join("\n")).toContain("EnvoyConfigNotFound");
  });

  test("an invalid config in the files is reported with its reason, nothing half-rendered", () => {
    const docs = [
      ...scenario2().filter((d) => d.kind !== "EnvoyProxyClusterConfig"),
      { apiVersion: "kode.jacero.io/v1alpha1", kind: "EnvoyProxyClusterConfig", metadata: { name: "basic-auth-proxy" }, spec: { authType: "oauth2", oauth2: { ...KEYCLOAK, clientId: undefined } } },
    ];
    const { yaml, problems } = renderDocuments(docs);
    expect(yaml).toBe("");
    expect(hardProblems(problems).length).toBeGreaterThan(0);
    expect(hardProblems(problems)[0]).toMatch(/Kode secure-code-server: \w+: /);
  });
});

describe("kode render: environments", () => {
  test("init containers in order: the operator's, the template's plugins, the Kode's", () => {
    const docs = [
      { apiVersion: "kode.jacero.io/v1alpha1", kind: "KodeTemplate", metadata: { name: "t", namespace: "dev" }, spec: { type: "devcontainers", image: "mcr.microsoft.com/devcontainers/base:ubuntu", vscode: { settings: { a: 1 } }, initPlugins: [{ name: "from-template", image: "busybox:1.36" }] } },
      { apiVersion: "kode.jacero.io/v1alpha1", kind: "Kode", metadata: { name: "k", namespace: "dev" }, spec: { templateRef: { name: "t" }, dotfiles: { url: "https://git.example/d.git" }, devcontainer: { config: { onCreateCommand: "make" } }, initPlugins: [{ name: "from-kode", image: "busybox:1.36" }] } },
    ];
    const { yaml, problems } = renderDocuments(docs as never);
    expect(hardProblems(problems)).toEqual([]);
    const pod = byKind(parse(yaml), "StatefulSet")[0]!.spec.template.spec;
    expect(pod.initContainers.map((c: J) => c.name)).toEqual(["kode-ide-server", "kode-devcontainer-create", "kode-dotfiles-fetch", "kode-dotfiles", "kode-vscode", "from-template", "from-kode"]);
  });
  test("the samples of every type render without problems", () => {
    const dir = join(SAMPLES, "environments");
    for (const f of ["code-server.yaml", "webtop.yaml", "jupyter.yaml", "alnoda.yaml", "devcontainers.yaml", "plugin-vscode-extensions.yaml", "plugin-webtop-debian-packages.yaml", "plugin-clone-repository.yaml"]) {
      const { yaml, problems } = renderDocuments(loadDocs([join(dir, f)]));
      expect(hardProblems(problems), f).toEqual([]);
      expect(problems.filter((p) => p.includes("official devcontainer.json schema")), f).toEqual([]);
      expect(byKind(parse(yaml), "StatefulSet").length, f).toBe(1);
    }
  });
  test("an inline devcontainer.json's warnings are printed: unknown properties and the official schema's mismatches", () => {
    const docs = [
      { apiVersion: "kode.jacero.io/v1alpha1", kind: "KodeTemplate", metadata: { name: "t", namespace: "dev" }, spec: { type: "devcontainers", image: "mcr.microsoft.com/devcontainers/base:ubuntu" } },
      { apiVersion: "kode.jacero.io/v1alpha1", kind: "Kode", metadata: { name: "k", namespace: "dev" }, spec: { templateRef: { name: "t" }, devcontainer: { config: { image: "node:22", colour: "blue", forwardPorts: ["127.0.0.1:3000"] } } } },
    ];
    const { yaml, problems } = renderDocuments(docs as never);
    expect(hardProblems(problems)).toEqual([]);
    expect(problems).toContain("Kode k: warning: devcontainer.config: unknown property ignored: colour");
    expect(problems).toContain("Kode k: warning: devcontainer.config: does not match the official devcontainer.json schema (devcontainers/spec c95ffee): forwardPorts[0]: must match ^([a-z0-9-]+):(\\d{1,5})$");
    expect(byKind(parse(yaml), "StatefulSet")).toHaveLength(1);
  });
});
