// devcontainer.json: parse (JSON with comments and trailing commas), classify every top-level property, and
// check the types of the ones the operator honours. Pure: text in, a result with errors and warnings out.
import { type ParseError, parse, printParseErrorCode } from "jsonc-parser";
import { SPEC_COMMIT, specProblems } from "./spec-schema.ts";

/** A lifecycle command in any of the three forms of the Dev Containers spec. */
export type LifecycleCommand = string | string[] | Record<string, string | string[]>;

export const LIFECYCLE_PROPERTIES = ["onCreateCommand", "updateContentCommand", "postCreateCommand", "postStartCommand"] as const;
export type LifecycleProperty = (typeof LIFECYCLE_PROPERTIES)[number];

export interface PortAttributes {
  label?: string;
  protocol?: "http" | "https";
  onAutoForward?: string;
}

/** The properties the operator honours, type-checked. */
export interface DevcontainerConfig {
  name?: string;
  image?: string;
  containerEnv?: Record<string, string>;
  /** null removes a variable (spec). */
  remoteEnv?: Record<string, string | null>;
  containerUser?: string;
  remoteUser?: string;
  workspaceFolder?: string;
  onCreateCommand?: LifecycleCommand;
  updateContentCommand?: LifecycleCommand;
  postCreateCommand?: LifecycleCommand;
  postStartCommand?: LifecycleCommand;
  forwardPorts?: (number | string)[];
  portsAttributes?: Record<string, PortAttributes>;
  vscode?: { extensions?: string[]; settings?: Record<string, unknown> };
}

export interface DevcontainerResult {
  /** Present when there is no syntax or type error (unsupported properties do not remove it). */
  config?: DevcontainerConfig;
  /** Syntax errors ("line L, column C: …") and type errors ("forwardPorts[1]: …"). */
  errors: string[];
  /** Properties the operator cannot honour: Ready=False, reason UnsupportedDevcontainer, each one named. */
  unsupported: { property: string; why: string }[];
  /** Warnings: unknown properties, and spec properties that have no meaning in a pod (ignored, said so). */
  warnings: string[];
}

/** Top-level properties the operator honours (name and $schema are metadata). */
export const SUPPORTED_PROPERTIES = [
  "$schema",
  "name",
  "image",
  "containerEnv",
  "remoteEnv",
  "containerUser",
  "remoteUser",
  "workspaceFolder",
  ...LIFECYCLE_PROPERTIES,
  "forwardPorts",
  "portsAttributes",
  "customizations",
] as const;

/** Spec properties the operator cannot honour in a Kubernetes pod, with the reason shown to the user. */
export const UNSUPPORTED_PROPERTIES: Record<string, string> = {
  build: "images are not built in the cluster: build and push the image, then set image",
  dockerFile: "images are not built in the cluster: build and push the image, then set image",
  dockerfile: "images are not built in the cluster: build and push the image, then set image",
  context: "images are not built in the cluster",
  dockerComposeFile: "Docker Compose is not available: one pod runs one dev container",
  service: "Docker Compose is not available",
  runServices: "Docker Compose is not available",
  features: "Dev Container Features install at image build time: bake them into the image",
  overrideFeatureInstallOrder: "Dev Container Features are not installed",
  initializeCommand: "runs on the host machine, which a cluster does not have",
  postAttachCommand: "there is no attach step: use postStartCommand",
  appPort: "publishes host ports: use forwardPorts",
  mounts: "Docker mounts: use the template's volumes",
  workspaceMount: "Docker mounts: the workspace is on the home volume",
  runArgs: "docker run arguments have no equivalent in a pod",
  privileged: "privileged containers are a template (platform) decision, not the devcontainer's",
  capAdd: "capabilities are a template (platform) decision, not the devcontainer's",
  securityOpt: "security options are a template (platform) decision, not the devcontainer's",
  init: "a pod has no docker --init: the IDE server is the container's process",
  hostRequirements: "resources come from the template",
};

/** Spec properties that have no meaning in a pod: accepted, ignored, and named in a warning. */
export const IGNORED_PROPERTIES: Record<string, string> = {
  shutdownAction: "the pod's lifetime is the Kode's",
  overrideCommand: "the operator always runs the IDE server as the container's process",
  waitFor: "create commands always finish before the IDE starts",
  userEnvProbe: "remoteEnv is applied by the IDE's start script",
  updateRemoteUserUID: "the pod runs as the template's uid",
  otherPortsAttributes: "only listed ports are described",
  secrets: "recommended secrets are not prompted for: use the template's env and secrets",
};

/** Parse devcontainer.json text. `source` names it in messages (e.g. "configMap dev/key"). */
export function parseDevcontainer(text: string, source = "devcontainer.json"): DevcontainerResult {
  const parseErrors: ParseError[] = [];
  const value = parse(text, parseErrors, { allowTrailingComma: true, disallowComments: false });
  if (parseErrors.length) {
    return {
      errors: parseErrors.map((e) => {
        const { line, column } = lineColumn(text, e.offset);
        return `${source}: line ${line}, column ${column}: ${describeParseError(printParseErrorCode(e.error))}`;
      }),
      unsupported: [],
      warnings: [],
    };
  }
  return checkDevcontainer(value, source);
}

/** Check an already parsed value (an inline `config` object from the Kode or template). */
export function checkDevcontainer(value: unknown, source = "devcontainer.json"): DevcontainerResult {
  const errors: string[] = [];
  const unsupported: DevcontainerResult["unsupported"] = [];
  const warnings: string[] = [];
  if (!isObject(value)) return { errors: [`${source}: the top level must be an object`], unsupported, warnings };

  const unknown: string[] = [];
  const ignored: string[] = [];
  for (const key of Object.keys(value)) {
    if ((SUPPORTED_PROPERTIES as readonly string[]).includes(key)) continue;
    if (Object.hasOwn(UNSUPPORTED_PROPERTIES, key)) unsupported.push({ property: key, why: UNSUPPORTED_PROPERTIES[key] });
    else if (Object.hasOwn(IGNORED_PROPERTIES, key)) ignored.push(`${key} (${IGNORED_PROPERTIES[key]})`);
    else unknown.push(key);
  }
  if (unknown.length) warnings.push(`${source}: unknown ${unknown.length === 1 ? "property" : "properties"} ignored: ${unknown.join(", ")}`);
  if (ignored.length) warnings.push(`${source}: ignored in a pod: ${ignored.join("; ")}`);

  const config: DevcontainerConfig = {};
  const err = (path: string, msg: string) => errors.push(`${source}: ${path}: ${msg}`);
  const str = (k: "name" | "image" | "containerUser" | "remoteUser" | "workspaceFolder") => {
    if (value[k] === undefined) return;
    if (typeof value[k] !== "string" || value[k] === "") err(k, "must be a non-empty string");
    else config[k] = value[k] as string;
  };
  str("name");
  str("image");
  str("containerUser");
  str("remoteUser");
  str("workspaceFolder");
  if (config.workspaceFolder !== undefined && !config.workspaceFolder.startsWith("/")) err("workspaceFolder", "must be an absolute path");

  for (const k of ["containerEnv", "remoteEnv"] as const) {
    const env = value[k];
    if (env === undefined) continue;
    if (!isObject(env)) {
      err(k, "must be an object of variable names to string values");
      continue;
    }
    const out: Record<string, string | null> = {};
    for (const [name, val] of Object.entries(env)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) err(`${k}.${name}`, "is not a valid environment variable name");
      else if (typeof val === "string" || (k === "remoteEnv" && val === null)) out[name] = val as string | null;
      else err(`${k}.${name}`, k === "remoteEnv" ? "must be a string or null" : "must be a string");
    }
    if (k === "containerEnv") config.containerEnv = out as Record<string, string>;
    else config.remoteEnv = out;
  }

  for (const k of LIFECYCLE_PROPERTIES) {
    const c = value[k];
    if (c === undefined) continue;
    const problem = lifecycleProblem(c);
    if (problem) err(k, problem);
    else config[k] = c as LifecycleCommand;
  }

  if (value.forwardPorts !== undefined) {
    if (!Array.isArray(value.forwardPorts)) err("forwardPorts", "must be an array");
    else {
      value.forwardPorts.forEach((p, i) => {
        if (!isPort(p)) err(`forwardPorts[${i}]`, 'must be a port number (1-65535) or "host:port"');
      });
      config.forwardPorts = value.forwardPorts as (number | string)[];
    }
  }
  if (value.portsAttributes !== undefined) {
    if (!isObject(value.portsAttributes)) err("portsAttributes", "must be an object of port (or range, or pattern) to attributes");
    else {
      const out: Record<string, PortAttributes> = {};
      for (const [port, attrs] of Object.entries(value.portsAttributes)) {
        if (!isObject(attrs)) {
          err(`portsAttributes.${port}`, "must be an object");
          continue;
        }
        if (attrs.label !== undefined && typeof attrs.label !== "string") err(`portsAttributes.${port}.label`, "must be a string");
        if (attrs.protocol !== undefined && attrs.protocol !== "http" && attrs.protocol !== "https") err(`portsAttributes.${port}.protocol`, 'must be "http" or "https"');
        out[port] = attrs as PortAttributes;
      }
      config.portsAttributes = out;
    }
  }
  if (value.customizations !== undefined) {
    if (!isObject(value.customizations)) err("customizations", "must be an object");
    else {
      const vs = value.customizations.vscode;
      if (vs !== undefined) {
        if (!isObject(vs)) err("customizations.vscode", "must be an object");
        else {
          config.vscode = {};
          if (vs.extensions !== undefined) {
            if (!Array.isArray(vs.extensions) || vs.extensions.some((e) => typeof e !== "string")) err("customizations.vscode.extensions", "must be an array of extension ids");
            else config.vscode.extensions = vs.extensions as string[];
          }
          if (vs.settings !== undefined) {
            if (!isObject(vs.settings)) err("customizations.vscode.settings", "must be an object");
            else config.vscode.settings = vs.settings;
          }
          const other = Object.keys(vs).filter((k) => k !== "extensions" && k !== "settings");
          if (other.length) warnings.push(`${source}: customizations.vscode: ignored: ${other.join(", ")}`);
        }
      }
      const tools = Object.keys(value.customizations).filter((k) => k !== "vscode");
      if (tools.length) warnings.push(`${source}: customizations for other tools ignored: ${tools.join(", ")}`);
    }
  }
  const schemaWarning = specSchemaWarning(value, errors, source);
  if (schemaWarning) warnings.push(schemaWarning);
  return errors.length ? { errors, unsupported, warnings } : { config, errors, unsupported, warnings };
}

/**
 * Every property the official schema describes is checked against it. A mismatch is a warning: what the operator
 * honours has its own checks above (an error there already says it), and the rest is refused or ignored anyway.
 */
function specSchemaWarning(value: Record<string, unknown>, errors: string[], source: string): string | undefined {
  const found: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (errors.some((e) => e.startsWith(`${source}: ${key}:`) || e.startsWith(`${source}: ${key}.`) || e.startsWith(`${source}: ${key}[`))) continue;
    for (const p of specProblems(key, v)) found.push(`${p.path}: ${p.message}`);
  }
  if (!found.length) return undefined;
  return `${source}: does not match the official devcontainer.json schema (devcontainers/spec ${SPEC_COMMIT.slice(0, 7)}): ${found.slice(0, 10).join("; ")}${found.length > 10 ? `; and ${found.length - 10} more` : ""}`;
}

/** The Ready=False message for unsupported properties (reason UnsupportedDevcontainer), or undefined. */
export function unsupportedMessage(result: DevcontainerResult): string | undefined {
  if (!result.unsupported.length) return undefined;
  return `devcontainer.json uses ${result.unsupported.length === 1 ? "a property" : "properties"} the operator cannot honour: ${result.unsupported.map((u) => `${u.property} (${u.why})`).join("; ")}`;
}

function lifecycleProblem(c: unknown): string | undefined {
  const argv = (a: unknown) => Array.isArray(a) && a.length > 0 && a.every((x) => typeof x === "string");
  if (typeof c === "string") return undefined;
  if (Array.isArray(c)) return argv(c) ? undefined : "an array command must be a non-empty list of strings";
  if (isObject(c)) {
    for (const [name, cmd] of Object.entries(c)) if (!(typeof cmd === "string" || argv(cmd))) return `${name}: must be a string or a non-empty list of strings`;
    return undefined;
  }
  return "must be a string, an array of strings, or an object of named commands";
}

function isPort(p: unknown): boolean {
  if (typeof p === "number") return Number.isInteger(p) && p >= 1 && p <= 65535;
  if (typeof p !== "string") return false;
  const m = /^[A-Za-z0-9.-]+:(\d+)$/.exec(p);
  return !!m && Number(m[1]) >= 1 && Number(m[1]) <= 65535;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++)
    if (text[i] === "\n") {
      line++;
      lineStart = i + 1;
    }
  return { line, column: offset - lineStart + 1 };
}

function describeParseError(code: string): string {
  const words: Record<string, string> = {
    InvalidSymbol: "invalid symbol",
    InvalidNumberFormat: "invalid number",
    PropertyNameExpected: "property name expected",
    ValueExpected: "value expected",
    ColonExpected: "':' expected",
    CommaExpected: "',' expected",
    CloseBraceExpected: "'}' expected",
    CloseBracketExpected: "']' expected",
    EndOfFileExpected: "end of file expected",
    InvalidCommentToken: "invalid comment",
    UnexpectedEndOfComment: "unterminated comment",
    UnexpectedEndOfString: "unterminated string",
    UnexpectedEndOfNumber: "unterminated number",
    InvalidUnicode: "invalid unicode escape",
    InvalidEscapeCharacter: "invalid escape character",
    InvalidCharacter: "invalid character",
  };
  return words[code] ?? code;
}
