// `kode render -f FILE…`: the children a Kode would get, offline. Templates come from the same files.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { TEMPLATE_DEFAULTS } from "../api/defaults.ts";
import type { EnvoyProxyConfig, Kode, KodeTemplate } from "../api/types.ts";
import { EnvoyRenderError, envoyChildNames } from "../envoy/render.ts";
import type { KubeObject } from "../kube/types.ts";
import { fromInline } from "../devcontainer/source.ts";
import { devcontainerSourceOf } from "./render-environment.ts";
import { renderKode } from "./render.ts";
import { resolveEnvoy } from "./resolve-envoy.ts";
import { resolveKodeAccess } from "./access.ts";
import { DEFAULT_USER } from "./settings.ts";
import { validateKodeInput } from "./validate.ts";

export const RENDER_USAGE = `Usage: kode render -f FILE [-f FILE…]

Prints, as YAML, the objects the operator would create for each Kode in the files. The Kode's template
(KodeTemplate or KodeClusterTemplate) must be in the files too, and so must the EnvoyProxyConfig or
EnvoyProxyClusterConfig its envoyProxyRef names (then the Envoy sidecar, its ConfigMap, its Secret and the
NetworkPolicy are shown). Nothing is sent to a cluster and no secret is printed: Secrets show their keys with
<redacted> values.
`;

/** Placeholders standing in for values only the operator (or the cluster) knows. */
export const PLACEHOLDER_GENERATED = "<generated>";
export const PLACEHOLDER_FROM_SECRET = "<from-secret>";
export const PLACEHOLDER_HMAC = "<generated-hmac-key>";
export const REDACTED = "<redacted>";

type Doc = Record<string, any>;

export function loadDocs(files: string[]): Doc[] {
  const docs: Doc[] = [];
  for (const f of files) {
    const text = f === "-" ? readFileSync(0, "utf8") : readFileSync(f, "utf8");
    for (const part of text.split(/^---\s*$/m)) {
      const doc = Bun.YAML.parse(part) as Doc | null;
      if (doc && typeof doc === "object") docs.push(...(doc.kind === "List" ? doc.items : [doc]));
    }
  }
  return docs;
}

/** An informer-cache stand-in over the objects found in the files. */
function cacheOf<T extends { metadata: { name: string; namespace?: string } }>(items: T[], namespaced: boolean) {
  return { get: (ns: string | undefined, name: string) => items.find((i) => i.metadata.name === name && (!namespaced || (i.metadata.namespace ?? "default") === ns)) };
}

/**
 * The Envoy sidecar's inputs for `kode render`: the config looked up among the files with the operator's own rules
 * (resolveEnvoy), but with placeholders for every secret: basic auth gets the Kode's user and spec.password (or
 * <generated> / <from-secret>), oauth2 a <from-secret> client secret and a placeholder HMAC key.
 */
function envoyInput(docs: Doc[], kode: Kode, template: KodeTemplate) {
  const configs = docs.filter((d) => d.kind === "EnvoyProxyConfig") as EnvoyProxyConfig[];
  const clusterConfigs = docs.filter((d) => d.kind === "EnvoyProxyClusterConfig") as EnvoyProxyConfig[];
  const sidecarSecret = envoyChildNames(kode.metadata.name).secret;
  // Any Secret a config references "exists" and holds the placeholder; the sidecar's own Secret does not (no HMAC to keep).
  const secrets = {
    get: (_ns: string | undefined, name: string) =>
      name === sidecarSecret ? undefined : ({ metadata: { name }, data: new Proxy({}, { get: () => Buffer.from(PLACEHOLDER_FROM_SECRET).toString("base64") }) } as KubeObject & { data: Record<string, string> }),
  };
  const password = kode.spec.existingSecret ? PLACEHOLDER_FROM_SECRET : (kode.spec.password ?? PLACEHOLDER_GENERATED);
  const resolved = resolveEnvoy(
    { envoyConfigs: cacheOf(configs, true), envoyClusterConfigs: cacheOf(clusterConfigs, false), secrets },
    kode,
    { ...template, metadata: { ...template.metadata, ...(template.kind === "KodeTemplate" && { namespace: template.metadata.namespace ?? "default" }) } },
    { username: kode.spec.user ?? DEFAULT_USER, password },
  );
  if (resolved.input?.oauth2) resolved.input.oauth2 = { clientSecret: PLACEHOLDER_FROM_SECRET, hmacSecret: PLACEHOLDER_HMAC };
  return resolved;
}

/** The sidecar Secret as printed: its keys, never its values. */
function redacted<T extends { data?: Record<string, string> }>(secret: T): T {
  return { ...secret, data: Object.fromEntries(Object.keys(secret.data ?? {}).map((k) => [k, REDACTED])) };
}

export function renderDocuments(docs: Doc[]): { yaml: string; problems: string[] } {
  const templates = docs.filter((d) => d.kind === "KodeTemplate" || d.kind === "KodeClusterTemplate") as KodeTemplate[];
  const out: unknown[] = [];
  const problems: string[] = [];
  for (const kode of docs.filter((d) => d.kind === "Kode") as Kode[]) {
    kode.metadata.namespace ??= "default";
    const ref = kode.spec.templateRef;
    const kind = ref.kind ?? "KodeTemplate";
    const template = templates.find((t) => t.kind === kind && t.metadata.name === ref.name && (kind === "KodeClusterTemplate" || (t.metadata.namespace ?? "default") === (ref.namespace ?? kode.metadata.namespace)));
    if (!template) {
      problems.push(`Kode ${kode.metadata.name}: ${kind} "${ref.name}" is not in the given files`);
      continue;
    }
    const spec = { ...TEMPLATE_DEFAULTS, ...template.spec };
    for (const p of validateKodeInput(kode, spec)) problems.push(`Kode ${kode.metadata.name}: ${p.reason}: ${p.message}`);
    const envoy = envoyInput(docs, kode, { ...template, spec });
    if (envoy.problem) {
      problems.push(`Kode ${kode.metadata.name}: ${envoy.problem.reason}: ${envoy.problem.message}`);
      continue;
    }
    // Discovery is I/O the operator does; without its result nothing is rendered (never a route without auth).
    if (envoy.pending) {
      problems.push(`Kode ${kode.metadata.name}: IssuerNotDiscovered: the oauth2 endpoints come from the ${envoy.pending}, which only the operator reads; set authorizationEndpoint and tokenEndpoint to render offline`);
      continue;
    }
    const access = resolveKodeAccess(kode, spec, { envoy: !!envoy.input });
    if (access.problem) {
      problems.push(`Kode ${kode.metadata.name}: ${access.problem.reason}: ${access.problem.message}`);
      continue;
    }
    const generated = kode.spec.existingSecret ? undefined : { username: kode.spec.user ?? DEFAULT_USER, password: kode.spec.password ?? PLACEHOLDER_GENERATED };
    let result: ReturnType<typeof renderKode>;
    try {
      result = renderKode({
        kode,
        template: { kind, name: template.metadata.name, namespace: template.metadata.namespace, spec },
        credentials: { secretName: kode.spec.existingSecret ?? `${kode.metadata.name}-auth`, passwordKey: "password", generated },
        envoy: envoy.input,
        access: access.access,
      });
    } catch (e) {
      if (!(e instanceof EnvoyRenderError)) throw e;
      for (const p of e.problems) problems.push(`Kode ${kode.metadata.name}: ${p.reason}: ${p.message}`);
      continue;
    }
    // An inline devcontainer.json's warnings (unknown properties, the official schema): the operator shows them as Events.
    const inline = spec.type === "devcontainers" ? devcontainerSourceOf(kode, spec)?.config : undefined;
    if (inline) for (const w of fromInline(inline).warnings) problems.push(`Kode ${kode.metadata.name}: warning: ${w}`);
    for (const w of result.warnings) problems.push(`Kode ${kode.metadata.name}: warning: ${w}`);
    out.push(...result.children.map((c) => (c.object.kind === "Secret" ? redacted(c.object as never) : c.object)));
  }
  // Bun.YAML.stringify ends without a newline: add one, or the separator would glue onto the last value.
  return { yaml: out.map((o) => Bun.YAML.stringify(o, null, 2).replace(/\n?$/, "\n")).join("---\n"), problems };
}

export async function renderCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { filename: { type: "string", short: "f", multiple: true }, help: { type: "boolean", short: "h" } }, strict: true });
  if (values.help || !values.filename?.length) {
    console.log(RENDER_USAGE);
    return values.help ? 0 : 2;
  }
  const { yaml, problems } = renderDocuments(loadDocs(values.filename));
  for (const p of problems) console.error(p);
  process.stdout.write(yaml);
  return problems.some((p) => !p.includes(": warning: ")) ? 1 : 0;
}
