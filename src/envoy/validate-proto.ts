// Offline validation of an Envoy bootstrap against Envoy's own API (no envoy binary needed).
//
// Envoy's v3 API protos come from the npm package @grpc/grpc-js-xds (deps/envoy-api, plus xds, googleapis and
// protoc-gen-validate), a mid-2024 snapshot ≈ the Envoy 1.31 API; protobufjs loads them (it ignores the
// contents of the PGV options it cannot check, which `protoc` cannot do with this bundle). A walker then checks
// a JSON/YAML-shaped object the way Envoy's loader does (see /work/shared/reference/envoy-ides-backup.md §2):
//   1. every key is a field of the message (proto name or lowerCamel JSON name), else "unknown field";
//   2. google.protobuf.Any resolves "@type" to a loaded type and recurses; an unknown type is an error;
//   3. well-known types: Duration ("1.5s"), wrappers, Struct/Value/ListValue, Empty, Timestamp, FieldMask;
//   4. enums by name, case-insensitively like Envoy (it parses JSON with case_insensitive_enum_parsing), or number;
//   5. scalar types (string, bool, integers incl. signedness and 64-bit strings, floats, bytes);
//   6. repeated fields are lists, maps are objects; a oneof is set at most once; a `(validate.required)` oneof is set;
//   7. PGV on fields outside oneofs: message/duration/any `required`, `string.min_len`, `repeated.min_items`,
//      and numeric `gt/gte/lt/lte/const` rules.
// Plus `checkLoadTime`: what Envoy checks when it loads the config and the proto walk cannot see (router last,
// unique listener ports, defined clusters, htpasswd format, every file path mounted).
//
// Not covered (Envoy would catch them, we cannot): regex/URI/header-name PGV rules, cross-field rules inside filter
// factories (e.g. oauth2 forward_bearer_token with preserve_authorization_header), fields newer than the bundle
// (reported as unknown: the renderer keeps to the 1.31 subset), and anything that needs the network (DNS, JWKS).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import protobuf from "protobufjs";

export interface ProtoIssue {
  /** JSON path, e.g. static_resources.listeners[0].address.socket_address.port_valu */
  path: string;
  message: string;
}

let cachedRoot: protobuf.Root | undefined;

/** Load Envoy's v3 API once (≈0.2 s). Files whose imports are not in the bundle (v2, OpenCensus, OTel) are skipped. */
export function envoyApiRoot(): protobuf.Root {
  if (cachedRoot) return cachedRoot;
  const require = createRequire(import.meta.url);
  const xds = dirname(require.resolve("@grpc/grpc-js-xds/package.json"));
  const pbjs = dirname(require.resolve("protobufjs/package.json"));
  const deps = join(xds, "deps");
  const roots = ["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map((d) => join(deps, d)).concat(pbjs);
  const find = (target: string) => {
    for (const r of roots) {
      const p = join(r, target);
      if (existsSync(p)) return p;
    }
    return undefined;
  };
  const files: string[] = [];
  const envoyDir = join(deps, "envoy-api");
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".proto")) files.push(p.slice(envoyDir.length + 1));
    }
  };
  walk(join(envoyDir, "envoy"));
  const ok = new Map<string, boolean>();
  const loadable = (f: string, stack: Set<string>): boolean => {
    if (f.startsWith("google/protobuf/")) return true; // protobufjs' built-in common types (+ descriptor.proto)
    const known = ok.get(f);
    if (known !== undefined) return known;
    if (stack.has(f)) return true;
    stack.add(f);
    const p = find(f);
    const r = !!p && [...readFileSync(p, "utf8").matchAll(/^import\s+(?:public\s+)?"([^"]+)"/gm)].every((m) => loadable(m[1]!, stack));
    ok.set(f, r);
    return r;
  };
  // v3 only: the v2 API is gone from Envoy and would add a second set of look-alike types.
  const wanted = files.filter((f) => !/\/v2(alpha\d*)?\//.test(f) && loadable(f, new Set()));
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => find(target) ?? target;
  root.loadSync(wanted, { keepCase: true });
  root.resolveAll();
  cachedRoot = root;
  return root;
}

const TYPE_PREFIX = "type.googleapis.com/";
const DURATION = /^-?\d+(\.\d{1,9})?s$/;
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const INT = /^-?\d+$/;

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const join2 = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** Validate `value` as the message `typeName` (e.g. envoy.config.bootstrap.v3.Bootstrap). Empty list: valid. */
export function validateEnvoyMessage(value: unknown, typeName: string): ProtoIssue[] {
  const root = envoyApiRoot();
  const issues: ProtoIssue[] = [];
  let type: protobuf.Type;
  try {
    type = root.lookupType(typeName);
  } catch {
    return [{ path: "", message: `unknown message type ${typeName}` }];
  }
  walkMessage(root, type, value, "", issues);
  return issues;
}

export const validateBootstrap = (bootstrap: unknown) => validateEnvoyMessage(bootstrap, "envoy.config.bootstrap.v3.Bootstrap");

/** An SDS file (path_config_source) is a DiscoveryResponse whose resources are Secrets. */
export const validateSdsFile = (doc: unknown) => validateEnvoyMessage(doc, "envoy.service.discovery.v3.DiscoveryResponse");

function walkMessage(root: protobuf.Root, type: protobuf.Type, value: unknown, path: string, issues: ProtoIssue[]): void {
  const full = type.fullName.replace(/^\./, "");
  if (wellKnown(root, full, value, path, issues)) return;
  if (!isObject(value)) {
    issues.push({ path, message: `expected an object for ${full}, got ${describe(value)}` });
    return;
  }
  const byName = new Map<string, protobuf.Field>();
  for (const f of type.fieldsArray) {
    byName.set(f.name, f);
    byName.set(camel(f.name), f);
  }
  const setOneofs = new Map<string, string>();
  const present = new Set<string>();
  for (const [key, v] of Object.entries(value)) {
    const p = join2(path, key);
    const field = byName.get(key);
    if (!field) {
      issues.push({ path: p, message: `unknown field "${key}" in ${full}` });
      continue;
    }
    if (v === null || v === undefined) continue; // JSON null = unset
    present.add(field.name);
    const oneof = field.partOf;
    if (oneof) {
      const other = setOneofs.get(oneof.name);
      if (other && other !== field.name)
        issues.push({ path: p, message: `oneof "${oneof.name}" of ${full} is already set by "${other}"` });
      setOneofs.set(oneof.name, field.name);
    }
    walkField(root, field, v, p, issues);
    ruleChecks(field, v, p, issues);
  }
  for (const oneof of type.oneofsArray) {
    if (oneof.name.startsWith("_")) continue; // proto3 `optional`
    if (oneof.options?.["(validate.required)"] === true && !setOneofs.has(oneof.name))
      issues.push({ path, message: `one of ${oneof.fieldsArray.map((f) => f.name).join(" | ")} is required in ${full} (oneof ${oneof.name})` });
  }
  for (const f of type.fieldsArray) {
    if (f.partOf || present.has(f.name)) continue;
    const o = f.options ?? {};
    if (o["(validate.rules).message.required"] === true || o["(validate.rules).duration.required"] === true || o["(validate.rules).any.required"] === true)
      issues.push({ path: join2(path, f.name), message: `required field "${f.name}" of ${full} is missing` });
    else if (typeof o["(validate.rules).string.min_len"] === "number" && o["(validate.rules).string.min_len"] > 0)
      issues.push({ path: join2(path, f.name), message: `required string "${f.name}" of ${full} is missing (min_len ${o["(validate.rules).string.min_len"]})` });
    else if (typeof o["(validate.rules).repeated.min_items"] === "number" && o["(validate.rules).repeated.min_items"] > 0)
      issues.push({ path: join2(path, f.name), message: `"${f.name}" of ${full} needs at least ${o["(validate.rules).repeated.min_items"]} item(s)` });
  }
}

function ruleChecks(field: protobuf.Field, v: unknown, path: string, issues: ProtoIssue[]): void {
  const o = field.options;
  if (!o) return;
  if (typeof v === "string" && typeof o["(validate.rules).string.min_len"] === "number" && v.length < o["(validate.rules).string.min_len"])
    issues.push({ path, message: `"${field.name}" must have at least ${o["(validate.rules).string.min_len"]} character(s)` });
  if (Array.isArray(v) && typeof o["(validate.rules).repeated.min_items"] === "number" && v.length < o["(validate.rules).repeated.min_items"])
    issues.push({ path, message: `"${field.name}" needs at least ${o["(validate.rules).repeated.min_items"]} item(s)` });
  const n = typeof v === "number" ? v : typeof v === "string" && INT.test(v) ? Number(v) : undefined;
  if (n === undefined || field.repeated) return;
  for (const [key, rule] of Object.entries(o)) {
    const m = /^\(validate\.rules\)\.(u?int32|u?int64|double|float)\.(gt|gte|lt|lte|const)$/.exec(key);
    if (!m || typeof rule !== "number") continue;
    const bad = { gt: !(n > rule), gte: !(n >= rule), lt: !(n < rule), lte: !(n <= rule), const: n !== rule }[m[2] as "gt"];
    if (bad) issues.push({ path, message: `"${field.name}" = ${n} violates ${m[2]} ${rule}` });
  }
}

function walkField(root: protobuf.Root, field: protobuf.Field, v: unknown, path: string, issues: ProtoIssue[]): void {
  if (field.map) {
    if (!isObject(v)) {
      issues.push({ path, message: `map field "${field.name}" must be an object, got ${describe(v)}` });
      return;
    }
    const keyType = (field as unknown as protobuf.MapField).keyType;
    for (const [k, item] of Object.entries(v)) {
      if (keyType !== "string" && keyType !== "bool" && !INT.test(k))
        issues.push({ path: `${path}[${JSON.stringify(k)}]`, message: `map key must be a ${keyType}` });
      walkValue(root, field, item, `${path}[${JSON.stringify(k)}]`, issues);
    }
    return;
  }
  if (field.repeated) {
    if (!Array.isArray(v)) {
      issues.push({ path, message: `repeated field "${field.name}" must be a list, got ${describe(v)}` });
      return;
    }
    v.forEach((item, i) => walkValue(root, field, item, `${path}[${i}]`, issues));
    return;
  }
  walkValue(root, field, v, path, issues);
}

function walkValue(root: protobuf.Root, field: protobuf.Field, v: unknown, path: string, issues: ProtoIssue[]): void {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return walkMessage(root, rt, v, path, issues);
  if (rt instanceof protobuf.Enum) {
    const names = Object.keys(rt.values);
    const ok =
      (typeof v === "string" && names.some((n) => n.toUpperCase() === v.toUpperCase())) ||
      (typeof v === "number" && Object.values(rt.values).includes(v));
    if (!ok) issues.push({ path, message: `${describe(v)} is not a value of enum ${rt.name} (${names.join(", ")})` });
    return;
  }
  scalar(field.type, v, path, issues);
}

function scalar(t: string, v: unknown, path: string, issues: ProtoIssue[]): void {
  const bad = (what: string) => issues.push({ path, message: `expected ${what}, got ${describe(v)}` });
  switch (t) {
    case "string":
      if (typeof v !== "string") bad("a string");
      return;
    case "bytes":
      if (typeof v !== "string" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) bad("base64 bytes");
      return;
    case "bool":
      if (typeof v !== "boolean") bad("true or false");
      return;
    case "int32":
    case "sint32":
    case "sfixed32":
    case "int64":
    case "sint64":
    case "sfixed64":
    case "uint32":
    case "fixed32":
    case "uint64":
    case "fixed64": {
      const n = typeof v === "number" ? v : typeof v === "string" && INT.test(v) ? Number(v) : NaN;
      const unsigned = t.startsWith("u") || t.startsWith("fixed");
      if (!Number.isInteger(n)) bad(`an integer (${t})`);
      else if (unsigned && n < 0) bad(`a non-negative integer (${t})`);
      else if (t.endsWith("32") && (unsigned ? n > 0xffffffff : n > 2 ** 31 - 1 || n < -(2 ** 31))) bad(`an integer in range (${t})`);
      return;
    }
    case "double":
    case "float":
      if (typeof v !== "number" && !(typeof v === "string" && (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v) || ["NaN", "Infinity", "-Infinity"].includes(v))))
        bad(`a number (${t})`);
      return;
    default:
      issues.push({ path, message: `unsupported scalar type ${t}` });
  }
}

const WRAPPERS: Record<string, string> = {
  "google.protobuf.BoolValue": "bool",
  "google.protobuf.StringValue": "string",
  "google.protobuf.BytesValue": "bytes",
  "google.protobuf.Int32Value": "int32",
  "google.protobuf.UInt32Value": "uint32",
  "google.protobuf.Int64Value": "int64",
  "google.protobuf.UInt64Value": "uint64",
  "google.protobuf.DoubleValue": "double",
  "google.protobuf.FloatValue": "float",
};

/** True when `full` is a well-known type (checked here). */
function wellKnown(root: protobuf.Root, full: string, v: unknown, path: string, issues: ProtoIssue[]): boolean {
  if (WRAPPERS[full]) {
    scalar(WRAPPERS[full]!, v, path, issues);
    return true;
  }
  switch (full) {
    case "google.protobuf.Duration":
      if (typeof v !== "string" || !DURATION.test(v)) issues.push({ path, message: `expected a duration such as "5s" or "0.25s", got ${describe(v)}` });
      return true;
    case "google.protobuf.Timestamp":
      if (typeof v !== "string" || !TIMESTAMP.test(v)) issues.push({ path, message: `expected an RFC 3339 timestamp, got ${describe(v)}` });
      return true;
    case "google.protobuf.FieldMask":
      if (typeof v !== "string") issues.push({ path, message: `expected a field mask string, got ${describe(v)}` });
      return true;
    case "google.protobuf.Struct":
      if (!isObject(v)) issues.push({ path, message: `expected an object (Struct), got ${describe(v)}` });
      return true;
    case "google.protobuf.ListValue":
      if (!Array.isArray(v)) issues.push({ path, message: `expected a list (ListValue), got ${describe(v)}` });
      return true;
    case "google.protobuf.Value":
      return true;
    case "google.protobuf.Empty":
      if (!isObject(v) || Object.keys(v).length) issues.push({ path, message: `expected {} (Empty), got ${describe(v)}` });
      return true;
    case "google.protobuf.Any": {
      if (!isObject(v)) {
        issues.push({ path, message: `expected an object with "@type" (Any), got ${describe(v)}` });
        return true;
      }
      const url = v["@type"];
      if (typeof url !== "string" || !url.includes("/")) {
        issues.push({ path: join2(path, "@type"), message: `Any needs "@type": "${TYPE_PREFIX}<message>"` });
        return true;
      }
      const name = url.slice(url.lastIndexOf("/") + 1);
      let inner: protobuf.Type;
      try {
        inner = root.lookupType(name);
      } catch {
        issues.push({ path: join2(path, "@type"), message: `unknown type "${url}" (not in Envoy's v3 API)` });
        return true;
      }
      const { ["@type"]: _t, ...rest } = v;
      const innerFull = inner.fullName.replace(/^\./, "");
      // A well-known type inside Any is written {"@type": ..., "value": <its JSON>}.
      if (innerFull.startsWith("google.protobuf.") && innerFull !== "google.protobuf.Any") wellKnown(root, innerFull, rest.value, join2(path, "value"), issues);
      else walkMessage(root, inner, rest, path, issues);
      return true;
    }
  }
  return false;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  return `${typeof v} ${JSON.stringify(v)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Load-time checks (what Envoy checks when the config loads and the proto walk cannot see)

export interface MountedFiles {
  /** The container's volume mounts. */
  volumeMounts: { name: string; mountPath: string; subPath?: string }[];
  /** Files each volume provides (key → content): ConfigMap/Secret data, already decoded. */
  volumes: Record<string, Record<string, string>>;
  /** Paths the image itself provides (e.g. the system CA bundle). */
  imageFiles?: string[];
}

const HCM_TYPE = "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
const ROUTER_TYPE = "envoy.extensions.filters.http.router.v3.Router";
const BASIC_AUTH_TYPE = "envoy.extensions.filters.http.basic_auth.v3.BasicAuth";
const typeName = (x: unknown): string | undefined => {
  const t = isObject(x) ? x["@type"] : undefined;
  return typeof t === "string" ? t.slice(t.lastIndexOf("/") + 1) : undefined;
};

/** One htpasswd line Envoy's basic_auth accepts: `user:{SHA}<28 base64 characters>`. */
export const HTPASSWD_SHA_LINE = /^[^:\s]+:\{SHA\}[A-Za-z0-9+/]{27}=$/;

/** Problems Envoy would report on load. `files` enables the file checks (mounts, htpasswd format). */
export function checkLoadTime(bootstrap: unknown, files?: MountedFiles): ProtoIssue[] {
  const issues: ProtoIssue[] = [];
  const b = isObject(bootstrap) ? bootstrap : {};
  const sr = isObject(b.static_resources) ? b.static_resources : {};
  const listeners = Array.isArray(sr.listeners) ? (sr.listeners as Record<string, unknown>[]) : [];
  const clusters = Array.isArray(sr.clusters) ? (sr.clusters as Record<string, unknown>[]) : [];

  // Unique names.
  const dup = (what: string, names: unknown[]) => {
    const seen = new Set<unknown>();
    for (const n of names) {
      if (seen.has(n)) issues.push({ path: `static_resources.${what}`, message: `duplicate ${what} name ${JSON.stringify(n)}` });
      seen.add(n);
    }
  };
  dup("listeners", listeners.map((l) => l.name));
  dup("clusters", clusters.map((c) => c.name));
  const clusterNames = new Set(clusters.map((c) => c.name).filter((n): n is string => typeof n === "string"));

  // Unique listener ports (admin included).
  const ports = new Map<string, string>();
  const portOf = (addr: unknown): string | undefined => {
    const sa = isObject(addr) && isObject(addr.socket_address) ? addr.socket_address : undefined;
    return sa ? String(sa.port_value) : undefined;
  };
  const adminPort = isObject(b.admin) ? portOf(b.admin.address) : undefined;
  if (adminPort) ports.set(adminPort, "admin");
  listeners.forEach((l, i) => {
    const port = portOf(l.address);
    if (!port) return;
    const other = ports.get(port);
    if (other) issues.push({ path: `static_resources.listeners[${i}].address`, message: `port ${port} is used by ${other} too` });
    ports.set(port, `listener ${String(l.name)}`);
  });

  // HTTP filter chains: router exactly once and last; every filter named; cluster references defined.
  listeners.forEach((l, li) => {
    const chains = Array.isArray(l.filter_chains) ? (l.filter_chains as Record<string, unknown>[]) : [];
    chains.forEach((fc, ci) => {
      const filters = Array.isArray(fc.filters) ? (fc.filters as Record<string, unknown>[]) : [];
      filters.forEach((f, fi) => {
        const tc = f.typed_config;
        if (typeName(tc) !== HCM_TYPE || !isObject(tc)) return;
        const base = `static_resources.listeners[${li}].filter_chains[${ci}].filters[${fi}].typed_config`;
        const hf = Array.isArray(tc.http_filters) ? (tc.http_filters as Record<string, unknown>[]) : [];
        const routerAt = hf.map((x, i) => (typeName(x.typed_config) === ROUTER_TYPE ? i : -1)).filter((i) => i >= 0);
        if (!hf.length || routerAt.length !== 1 || routerAt[0] !== hf.length - 1)
          issues.push({ path: `${base}.http_filters`, message: `the router filter must appear exactly once, as the last HTTP filter (found at ${JSON.stringify(routerAt)} of ${hf.length})` });
        hf.forEach((x, i) => {
          if (typeof x.name !== "string" || !x.name) issues.push({ path: `${base}.http_filters[${i}].name`, message: "HTTP filter without a name" });
          if (!isObject(x.typed_config) && !isObject(x.config_discovery))
            issues.push({ path: `${base}.http_filters[${i}]`, message: `HTTP filter ${String(x.name)} has no typed_config` });
        });
      });
    });
    for (const ref of clusterRefs(l, `static_resources.listeners[${li}]`))
      if (!clusterNames.has(ref.name)) issues.push({ path: ref.path, message: `cluster "${ref.name}" is not defined` });
  });

  if (files) {
    const fileAt = (p: string): string | undefined | null => {
      // undefined: not mounted; null: a directory mount point; string: the file's content.
      for (const m of files.volumeMounts) {
        const dir = m.mountPath.replace(/\/+$/, "");
        if (p === dir) return null;
        if (p.startsWith(`${dir}/`)) {
          const key = p.slice(dir.length + 1);
          const data = files.volumes[m.name];
          return data && Object.hasOwn(data, key) ? data[key]! : undefined;
        }
      }
      return undefined;
    };
    for (const ref of fileRefs(b, "")) {
      if (files.imageFiles?.includes(ref.file)) continue;
      const content = fileAt(ref.file);
      if (ref.kind === "dir" ? content !== null : typeof content !== "string")
        issues.push({ path: ref.path, message: `${ref.kind === "dir" ? "directory" : "file"} ${ref.file} is not provided by any volume mount of the container` });
    }
    // htpasswd files read by basic_auth.
    for (const ref of findTyped(b, BASIC_AUTH_TYPE, "")) {
      const users = ref.value.users;
      const file = isObject(users) && typeof users.filename === "string" ? users.filename : undefined;
      const text = file ? fileAt(file) : isObject(users) && typeof users.inline_string === "string" ? users.inline_string : undefined;
      if (typeof text !== "string") continue;
      issues.push(...checkHtpasswd(text).map((message) => ({ path: `${ref.path}.users`, message })));
    }
  }
  return issues;
}

/** Envoy's basic_auth readHtpasswd rules: `user:{SHA}<base64 SHA-1>` lines, no duplicates, `#` comments. */
export function checkHtpasswd(text: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  let users = 0;
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    if (!line.trim() || line.startsWith("#")) return;
    if (!HTPASSWD_SHA_LINE.test(line)) out.push(`htpasswd line ${i + 1} is not "user:{SHA}<28 base64 characters>"`);
    const user = line.split(":")[0]!;
    if (seen.has(user)) out.push(`htpasswd user ${JSON.stringify(user)} appears twice`);
    seen.add(user);
    users++;
  });
  if (!users) out.push("htpasswd has no users");
  return out;
}

function clusterRefs(x: unknown, path: string): { name: string; path: string }[] {
  const out: { name: string; path: string }[] = [];
  const walk = (v: unknown, p: string) => {
    if (Array.isArray(v)) return v.forEach((item, i) => walk(item, `${p}[${i}]`));
    if (!isObject(v)) return;
    for (const [k, item] of Object.entries(v)) {
      const q = join2(p, k);
      if ((k === "cluster" || k === "cluster_name") && typeof item === "string") out.push({ name: item, path: q });
      else if (k === "weighted_clusters" && isObject(item) && Array.isArray(item.clusters))
        (item.clusters as unknown[]).forEach((c, i) => isObject(c) && typeof c.name === "string" && out.push({ name: c.name, path: `${q}.clusters[${i}].name` }));
      else walk(item, q);
    }
  };
  walk(x, path);
  return out;
}

function fileRefs(x: unknown, path: string): { file: string; kind: "file" | "dir"; path: string }[] {
  const out: { file: string; kind: "file" | "dir"; path: string }[] = [];
  const walk = (v: unknown, p: string, parentKey: string) => {
    if (Array.isArray(v)) return v.forEach((item, i) => walk(item, `${p}[${i}]`, parentKey));
    if (!isObject(v)) return;
    for (const [k, item] of Object.entries(v)) {
      const q = join2(p, k);
      if (typeof item === "string") {
        if (k === "filename") out.push({ file: item, kind: "file", path: q });
        else if (k === "path" && parentKey === "path_config_source") out.push({ file: item, kind: "file", path: q });
        else if (k === "path" && parentKey === "watched_directory") out.push({ file: item, kind: "dir", path: q });
        else if (k === "path" && parentKey === "sds_config") out.push({ file: item, kind: "file", path: q });
      } else walk(item, q, k);
    }
  };
  walk(x, path, "");
  return out;
}

/** Every typed_config of the given type inside `x` (e.g. all BasicAuth filter configs). */
export function findTyped(x: unknown, type: string, path: string): { value: Record<string, unknown>; path: string }[] {
  const out: { value: Record<string, unknown>; path: string }[] = [];
  const walk = (v: unknown, p: string) => {
    if (Array.isArray(v)) return v.forEach((item, i) => walk(item, `${p}[${i}]`));
    if (!isObject(v)) return;
    if (typeName(v) === type) out.push({ value: v, path: p });
    for (const [k, item] of Object.entries(v)) walk(item, join2(p, k));
  };
  walk(x, path);
  return out;
}
