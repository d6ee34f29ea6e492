// Test helpers for the Envoy sidecar: validate a whole render (bootstrap + SDS files + load-time checks) and
// evaluate the rendered RBAC policy the way Envoy would for a given JWT payload.
import { IMAGE_FILES, JWT_FILTER_NAME, type EnvoyRender } from "./render.ts";
import { checkLoadTime, findTyped, validateBootstrap, validateSdsFile, type ProtoIssue } from "./validate-proto.ts";

/** Every problem Envoy's API (protos) or its loader would report for this render. Empty: valid. */
export function validateRender(r: EnvoyRender): ProtoIssue[] {
  const volumes: Record<string, Record<string, string>> = {};
  for (const v of r.volumes) {
    if ("configMap" in v) volumes[v.name] = v.configMap.name === r.configMap.metadata.name ? r.configMap.data : {};
    else volumes[v.name] = r.secret && v.secret.secretName === r.secret.metadata.name ? r.secretFiles : {};
  }
  const issues = [
    ...validateBootstrap(r.bootstrap),
    ...checkLoadTime(r.bootstrap, { volumeMounts: r.container.volumeMounts, volumes, imageFiles: IMAGE_FILES }),
  ];
  // The bootstrap Envoy reads is the ConfigMap's text, which must be the same object.
  const text = r.configMap.data["envoy.json"];
  if (text === undefined || JSON.stringify(JSON.parse(text)) !== JSON.stringify(r.bootstrap))
    issues.push({ path: "configMap", message: "the ConfigMap's envoy.json is not the rendered bootstrap" });
  // SDS files: DiscoveryResponse documents whose secret names match what the bootstrap asks for.
  for (const [key, content] of Object.entries(r.secretFiles)) {
    if (!key.endsWith(".json")) continue;
    const doc = JSON.parse(content) as { resources?: { name?: string }[] };
    issues.push(...validateSdsFile(doc).map((i) => ({ path: `secret:${key}.${i.path}`, message: i.message })));
  }
  for (const ref of sdsRefs(r.bootstrap)) {
    const key = ref.path.slice(ref.path.lastIndexOf("/") + 1);
    const content = r.secretFiles[key];
    const names = content ? ((JSON.parse(content) as { resources?: { name?: string }[] }).resources ?? []).map((x) => x.name) : [];
    if (!names.includes(ref.name)) issues.push({ path: `secret:${key}`, message: `SDS file ${ref.path} does not hold a secret named ${ref.name}` });
  }
  return issues;
}

function sdsRefs(x: unknown): { name: string; path: string }[] {
  const out: { name: string; path: string }[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (typeof v !== "object" || v === null) return;
    const o = v as Record<string, unknown>;
    const sds = o.sds_config as { path_config_source?: { path?: string } } | undefined;
    if (typeof o.name === "string" && sds?.path_config_source?.path) out.push({ name: o.name, path: sds.path_config_source.path });
    Object.values(o).forEach(walk);
  };
  walk(x);
  return out;
}

type J = Record<string, unknown>;

/**
 * Would the rendered oauth2 chain let a request with this (already signature-verified) JWT payload through?
 * Reads everything from the bootstrap: the jwt_authn provider's payload_in_metadata key and the RBAC policies, so a
 * mismatch between the two (wrong namespace, wrong key, wrong claim) shows up as a denial.
 */
export function rbacAllows(bootstrap: unknown, payload: J): boolean {
  const jwt = findTyped(bootstrap, "envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication", "");
  if (jwt.length !== 1) throw new Error(`expected one jwt_authn filter, found ${jwt.length}`);
  const providers = Object.values(jwt[0]!.value.providers as Record<string, J>);
  const metadata: Record<string, J> = { [JWT_FILTER_NAME]: {} };
  for (const p of providers) if (typeof p.payload_in_metadata === "string") metadata[JWT_FILTER_NAME]![p.payload_in_metadata] = payload;
  const rbac = findTyped(bootstrap, "envoy.extensions.filters.http.rbac.v3.RBAC", "");
  if (rbac.length !== 1) throw new Error(`expected one RBAC filter, found ${rbac.length}`);
  const rules = rbac[0]!.value.rules as { action?: string; policies?: Record<string, { permissions: J[]; principals: J[] }> };
  const matched = Object.values(rules.policies ?? {}).some(
    (p) => p.permissions.some((perm) => perm.any === true) && p.principals.some((pr) => principalMatches(pr, metadata)),
  );
  return (rules.action ?? "ALLOW") === "ALLOW" ? matched : !matched;
}

function principalMatches(p: J, metadata: Record<string, J>): boolean {
  if (p.any === true) return true;
  if (p.not_id) return !principalMatches(p.not_id as J, metadata);
  if (p.or_ids) return ((p.or_ids as { ids: J[] }).ids ?? []).some((x) => principalMatches(x, metadata));
  if (p.and_ids) return ((p.and_ids as { ids: J[] }).ids ?? []).every((x) => principalMatches(x, metadata));
  if (p.metadata) {
    const m = p.metadata as { filter: string; path: { key: string }[]; value: J; invert?: boolean };
    let v: unknown = metadata[m.filter];
    for (const seg of m.path) v = typeof v === "object" && v !== null ? (v as J)[seg.key] : undefined;
    const r = valueMatches(m.value, v);
    return m.invert ? !r : r;
  }
  throw new Error(`principal not understood by the test evaluator: ${JSON.stringify(p)}`);
}

function valueMatches(matcher: J, v: unknown): boolean {
  if (matcher.present_match === true) return v !== undefined;
  if (matcher.string_match) {
    const sm = matcher.string_match as { exact?: string; prefix?: string; ignore_case?: boolean };
    if (typeof v !== "string") return false;
    const a = sm.ignore_case ? v.toLowerCase() : v;
    if (sm.exact !== undefined) return a === (sm.ignore_case ? sm.exact.toLowerCase() : sm.exact);
    if (sm.prefix !== undefined) return a.startsWith(sm.ignore_case ? sm.prefix.toLowerCase() : sm.prefix);
    throw new Error(`string matcher not understood: ${JSON.stringify(sm)}`);
  }
  if (matcher.list_match) {
    const lm = matcher.list_match as { one_of: J };
    return Array.isArray(v) && v.some((item) => valueMatches(lm.one_of, item));
  }
  throw new Error(`value matcher not understood by the test evaluator: ${JSON.stringify(matcher)}`);
}
