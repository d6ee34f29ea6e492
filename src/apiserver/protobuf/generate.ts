// Regenerates messages.json (the field-number table the protobuf decoder and the OpenAPI documents read),
// ../openapi/descriptions.json and ../openapi/extensions.json (merge keys, list types) from checkouts of k8s.io/api and k8s.io/apimachinery. Not run by the server.
//   npx bun src/apiserver/protobuf/generate.ts <k8s.io/api dir> <k8s.io/apimachinery dir>
//
// From each generated.proto it takes the messages, field numbers, wire types and doc comments; from the Go
// structs beside it (their json and protobuf struct tags) the JSON name of each field, whether JSON inlines it
// (embedded structs such as Volume.VolumeSource), and whether its zero value is kept in JSON (a pointer, or a
// tag without omitempty): the Go marshaller writes every non-pointer field, so a zero on the wire only means
// "set" for those. Only stable API versions (no alpha/beta) are kept, and PRE_RELEASE_SERVED.
import { readdirSync, readFileSync, writeFileSync, existsSync, statSync } from "node:fs";
import { join } from "node:path";

const [apiDir, machineryDir] = process.argv.slice(2);
if (!apiDir || !machineryDir) throw new Error("usage: generate.ts <k8s.io/api dir> <k8s.io/apimachinery dir>");

/** Directory name in k8s.io/api → API group name. */
const GROUPS: Record<string, string> = {
  core: "",
  apps: "apps",
  batch: "batch",
  autoscaling: "autoscaling",
  policy: "policy",
  admission: "admission.k8s.io",
  admissionregistration: "admissionregistration.k8s.io",
  apiserverinternal: "internal.apiserver.k8s.io",
  authentication: "authentication.k8s.io",
  authorization: "authorization.k8s.io",
  certificates: "certificates.k8s.io",
  coordination: "coordination.k8s.io",
  discovery: "discovery.k8s.io",
  events: "events.k8s.io",
  flowcontrol: "flowcontrol.apiserver.k8s.io",
  networking: "networking.k8s.io",
  node: "node.k8s.io",
  rbac: "rbac.authorization.k8s.io",
  resource: "resource.k8s.io",
  scheduling: "scheduling.k8s.io",
  storage: "storage.k8s.io",
  storagemigration: "storagemigration.k8s.io",
};

/** Pre-release versions a served kind is still sent in: kubectl 1.26/1.27 `auth whoami` posts SelfSubjectReview there. */
const PRE_RELEASE_SERVED = new Set(["authentication/v1alpha1", "authentication/v1beta1"]);

interface ProtoField {
  number: number;
  name: string;
  type: string;
  repeated: boolean;
  map?: string;
  comment: string;
  optional: boolean;
  markers: string[];
}
interface ProtoMessage {
  name: string;
  comment: string;
  fields: ProtoField[];
}
interface GoField {
  json: string;
  omitempty: boolean;
  pointer: boolean;
}
interface GoStruct {
  fields: Map<number, GoField>;
  kind: boolean;
}

const SCALARS = new Set(["string", "bytes", "bool", "int32", "int64", "uint32", "uint64", "double", "float"]);

function parseProto(text: string): { pkg: string; messages: ProtoMessage[] } {
  const pkg = /^package ([\w.]+);/m.exec(text)?.[1];
  if (!pkg) throw new Error("proto without a package");
  const messages: ProtoMessage[] = [];
  let comment: string[] = [];
  let current: ProtoMessage | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("//")) {
      comment.push(line.replace(/^\/\/ ?/, ""));
      continue;
    }
    const open = /^message (\w+) \{$/.exec(line);
    if (open) {
      current = { name: `${pkg}.${open[1]}`, comment: docText(comment), fields: [] };
      messages.push(current);
    } else if (line === "}") {
      current = undefined;
    } else if (current) {
      const field = /^(optional|repeated) ([\w.]+) (\w+) = (\d+);$/.exec(line);
      const mapField = /^map<string, ([\w.]+)> (\w+) = (\d+);$/.exec(line);
      if (field) {
        current.fields.push({
          number: Number(field[4]),
          name: field[3],
          type: resolve(field[2], pkg),
          repeated: field[1] === "repeated",
          comment: docText(comment),
          optional: comment.some((l) => l.trim() === "+optional"),
          markers: comment.map((l) => l.trim()).filter((l) => l.startsWith("+")),
        });
      } else if (mapField) {
        current.fields.push({
          number: Number(mapField[3]),
          name: mapField[2],
          type: resolve(mapField[1], pkg),
          repeated: false,
          map: "string",
          comment: docText(comment),
          optional: comment.some((l) => l.trim() === "+optional"),
          markers: comment.map((l) => l.trim()).filter((l) => l.startsWith("+")),
        });
      } else if (line !== "" && !line.startsWith("option ")) {
        throw new Error(`unparsed line in ${current.name}: ${line}`);
      }
    }
    if (line !== "" || !current) comment = [];
  }
  return { pkg, messages };
}

/** The comment as OpenAPI shows it: no `+marker` lines, lines of a paragraph joined. */
function docText(lines: string[]): string {
  // Markers (+optional) go, and so do TODO notes to the API's maintainers, from the TODO to the paragraph's end.
  const kept: string[] = [];
  let todo = false;
  for (const line of lines) {
    const text = line.trim();
    if (text === "") todo = false;
    if (/^TODO\b/.test(text)) todo = true;
    if (!todo && !/^\+/.test(text) && text !== "---") kept.push(line);
  }
  return kept
    .join("\n")
    .replace(/\n{2,}/g, "\u0000")
    .replace(/\n/g, " ")
    .replace(/\u0000/g, "\n\n")
    .trim();
}

function resolve(type: string, pkg: string): string {
  if (SCALARS.has(type)) return type;
  if (type.startsWith(".")) return type.slice(1);
  return `${pkg}.${type}`;
}

function parseGoStructs(dir: string): Map<string, GoStruct> {
  const structs = new Map<string, GoStruct>();
  for (const file of readdirSync(dir)) {
    if (!file.endsWith(".go") || file.endsWith("_test.go") || file.startsWith("zz_") || file.startsWith("generated")) continue;
    let current: GoStruct | undefined;
    for (const line of readFileSync(join(dir, file), "utf8").split("\n")) {
      const open = /^type (\w+) struct \{/.exec(line);
      if (open) {
        current = { fields: new Map(), kind: false };
        structs.set(open[1], current);
        continue;
      }
      if (line.startsWith("}")) current = undefined;
      if (!current) continue;
      const named = /^\t(\w+)\s+(\S+)\s+`([^`]*)`/.exec(line);
      const embedded = /^\t(\*?[\w.]+)\s+`([^`]*)`/.exec(line);
      const goType = named ? named[2] : embedded?.[1];
      const tag = named ? named[3] : embedded?.[2];
      if (goType === undefined || tag === undefined) continue;
      if (/^(metav1\.|v1\.)?TypeMeta$/.test(goType)) current.kind = true;
      const protobuf = /protobuf:"\w+,(\d+),/.exec(tag);
      if (!protobuf) continue;
      const json = /json:"([^"]*)"/.exec(tag)?.[1] ?? "";
      const [jsonName, ...options] = json.split(",");
      current.fields.set(Number(protobuf[1]), {
        json: jsonName === "" && !named ? "" : jsonName || (named?.[1] ?? ""),
        omitempty: options.includes("omitempty") || options.includes("omitzero"),
        pointer: goType.startsWith("*"),
      });
    }
  }
  return structs;
}

type Row = [number, string, string, string];
const messages: Record<string, Row[]> = {};
const wrappers: string[] = [];
const descriptions: Record<string, [string, Record<string, string>]> = {};
const kinds: Record<string, Record<string, string>> = {};
const extensions: Record<string, Record<string, Record<string, unknown>>> = {};

/** The OpenAPI vendor extensions kube-openapi derives from a field's markers (merge keys, list and map types). */
function markerExtensions(markers: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const mapKeys: string[] = [];
  for (const marker of markers) {
    const [name, value] = marker.slice(1).split("=", 2);
    if (value === undefined) continue;
    if (name === "patchMergeKey") out["x-kubernetes-patch-merge-key"] = value;
    else if (name === "patchStrategy") out["x-kubernetes-patch-strategy"] = value;
    else if (name === "listType") out["x-kubernetes-list-type"] = value;
    else if (name === "listMapKey") mapKeys.push(value);
    else if (name === "mapType") out["x-kubernetes-map-type"] = value;
  }
  if (mapKeys.length > 0) out["x-kubernetes-list-map-keys"] = mapKeys;
  return out;
}

function addPackage(protoFile: string, goDir: string, groupVersion: string | undefined): void {
  const { messages: parsed } = parseProto(readFileSync(protoFile, "utf8"));
  const structs = parseGoStructs(goDir);
  const protoText = readFileSync(protoFile, "utf8");
  for (const message of parsed) {
    const shortName = message.name.split(".").pop() ?? "";
    const struct = structs.get(shortName);
    if (new RegExp(`\\+protobuf\\.nullable=true\\n(//.*\\n)*message ${shortName} \\{`).test(protoText)) {
      wrappers.push(message.name);
    }
    const fieldDocs: Record<string, string> = {};
    messages[message.name] = message.fields.map((field) => {
      const go = struct?.fields.get(field.number);
      const json = go ? go.json : field.name;
      let flags = "";
      if (field.repeated) flags += "r";
      if (go && (go.pointer || !go.omitempty)) flags += "z";
      if (go && json === "") flags += "i";
      if (go && !go.omitempty && !field.optional) flags += "q";
      if (field.comment) fieldDocs[json || field.name] = field.comment;
      const fieldExtensions = markerExtensions(field.markers);
      if (json && Object.keys(fieldExtensions).length > 0) (extensions[message.name] ??= {})[json] = fieldExtensions;
      return [field.number, json, field.map ? `map:${field.type}` : field.type, flags];
    });
    descriptions[message.name] = [message.comment, fieldDocs];
    if (groupVersion && struct?.kind) (kinds[groupVersion] ??= {})[shortName] = message.name;
  }
}

for (const group of Object.keys(GROUPS).sort()) {
  const groupDir = join(apiDir, group);
  if (!existsSync(groupDir)) continue;
  for (const version of readdirSync(groupDir).sort()) {
    const stable = /^v\d+$/.test(version);
    if ((!stable && !PRE_RELEASE_SERVED.has(`${group}/${version}`)) || !statSync(join(groupDir, version)).isDirectory()) continue;
    const proto = join(groupDir, version, "generated.proto");
    if (!existsSync(proto)) continue;
    const name = GROUPS[group];
    addPackage(proto, join(groupDir, version), name ? `${name}/${version}` : version);
  }
}
for (const pkg of ["pkg/apis/meta/v1", "pkg/api/resource", "pkg/runtime", "pkg/util/intstr"]) {
  addPackage(join(machineryDir, pkg, "generated.proto"), join(machineryDir, pkg), pkg === "pkg/apis/meta/v1" ? "meta.k8s.io/v1" : undefined);
}

const here = import.meta.dir;
writeFileSync(join(here, "messages.json"), `${JSON.stringify({ kinds, wrappers, messages })}\n`);
writeFileSync(join(here, "..", "openapi", "descriptions.json"), `${JSON.stringify(descriptions)}\n`);
writeFileSync(join(here, "..", "openapi", "extensions.json"), `${JSON.stringify(extensions)}\n`);
console.log(`${Object.keys(messages).length} messages, ${Object.values(kinds).reduce((n, k) => n + Object.keys(k).length, 0)} kinds`);
