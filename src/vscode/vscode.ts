// VS Code settings and extensions for code-server and devcontainers: one operator-owned init container
// (`kode-vscode`) in the IDE's image, running a Node.js script with the IDE's own bundled Node (every
// code-server and openvscode-server build ships one). It
// - merges `settings` into the IDE's user settings.json: keys named here win, every other key stays; the existing
//   file may have comments and trailing commas (read tolerantly); it is rewritten only when a value changes
//   (then its comments are lost), and a file that cannot be read as JSON is left alone and reported;
// - installs `extensions` (Open VSX ids `publisher.name` or `publisher.name@version`, or https URLs of .vsix
//   files) with the IDE's CLI into the extensions folder on the home volume, skipping those already there
//   (an id: a folder `publisher.name-*`, or `-version` when pinned; a URL: the manifest
//   `.kode-extensions.json` in that folder), so a restart installs nothing.
// It always exits 0 (the IDE must start anyway) and writes `key=value` lines to the termination message
// (parseVscodeReport reads them).
import * as v from "valibot";
import { freeForm } from "../api/common.ts";

export const VSCODE_CONTAINER_NAME = "kode-vscode";
export const EXTENSION_ID = /^[A-Za-z0-9][A-Za-z0-9-]*\.[A-Za-z0-9][A-Za-z0-9-]*(@[0-9A-Za-z.+-]+)?$/;
export const VSIX_URL = /^https?:\/\/\S+$/;

export const VscodeSchema = v.pipe(
  v.object({
    settings: v.optional(freeForm("User settings merged into the IDE's settings.json (these keys win; other keys stay).")),
    extensions: v.optional(
      v.pipe(
        v.array(v.pipe(v.string(), v.regex(/^(([A-Za-z0-9][A-Za-z0-9-]*\.[A-Za-z0-9][A-Za-z0-9-]*(@[0-9A-Za-z.+-]+)?)|(https?:\/\/\S+))$/))),
        v.description("Extensions installed before the IDE starts: Open VSX ids (publisher.name, publisher.name@1.2.3) or URLs of .vsix files."),
      ),
    ),
  }),
  v.description("VS Code settings and extensions (code-server and devcontainers)."),
);
export type Vscode = v.InferOutput<typeof VscodeSchema>;

/** Template values are defaults; the Kode's add to them (settings: its keys win; extensions: appended, deduplicated). */
export function mergeVscode(...layers: (Vscode | undefined)[]): Vscode | undefined {
  const present = layers.filter((l): l is Vscode => !!l);
  if (!present.length) return undefined;
  const settings = Object.assign({}, ...present.map((l) => l.settings ?? {})) as Record<string, unknown>;
  const seen = new Set<string>();
  const extensions: string[] = [];
  for (const l of present)
    for (const e of l.extensions ?? []) {
      const key = VSIX_URL.test(e) ? e : e.toLowerCase().replace(/@.*$/, "");
      if (seen.has(key)) {
        // A later layer's pin replaces an earlier one.
        const i = extensions.findIndex((x) => (VSIX_URL.test(x) ? x : x.toLowerCase().replace(/@.*$/, "")) === key);
        extensions[i] = e;
        continue;
      }
      seen.add(key);
      extensions.push(e);
    }
  return { settings, extensions };
}

/** Where an IDE server keeps things, and how to run its bundled Node and CLI. */
export interface IdeLayout {
  node: string;
  cli: string;
  userDataDir: string;
  extensionsDir: string;
}

/** linuxserver/code-server (its s6 service passes --user-data-dir /config/data --extensions-dir /config/extensions). */
export const LINUXSERVER_CODE_SERVER_LAYOUT: IdeLayout = {
  node: "/app/code-server/lib/node",
  cli: "/app/code-server/bin/code-server",
  userDataDir: "/config/data",
  extensionsDir: "/config/extensions",
};

export const settingsFile = (layout: IdeLayout) => `${layout.userDataDir}/User/settings.json`;

/** The Node.js program (run as `node -e SCRIPT`). Plain ES2020 and Node built-ins only. */
export const VSCODE_SETUP_SCRIPT = String.raw`"use strict";
const fs = require("fs"), path = require("path"), cp = require("child_process");
const env = process.env;
const report = [];
const out = (k, val) => { report.push(k + "=" + String(val).replace(/\s+/g, " ").slice(0, 300)); };
const log = (m) => console.log("[kode] vscode: " + m);

// JSON with comments and trailing commas -> JSON (strings are copied verbatim).
function stripJsonc(text) {
  let o = "", i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      o += text.slice(i, j + 1); i = j + 1;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < n && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === ",") {
      let j = i + 1;
      for (;;) {
        while (j < n && /\s/.test(text[j])) j++;
        if (text[j] === "/" && text[j + 1] === "/") { while (j < n && text[j] !== "\n") j++; continue; }
        if (text[j] === "/" && text[j + 1] === "*") { const e = text.indexOf("*/", j + 2); j = e < 0 ? n : e + 2; continue; }
        break;
      }
      if (text[j] !== "}" && text[j] !== "]") o += c;
      i++;
    } else { o += c; i++; }
  }
  return o;
}

function mergeSettings() {
  const file = env.KODE_SETTINGS_FILE;
  const wanted = JSON.parse(env.KODE_SETTINGS || "{}");
  if (!file || Object.keys(wanted).length === 0) return;
  let current = {};
  let text;
  try { text = fs.readFileSync(file, "utf8"); } catch (e) { if (e.code !== "ENOENT") { out("settings", "failed: cannot read " + file + ": " + e.code); return; } }
  if (text !== undefined && text.trim() !== "") {
    try { current = JSON.parse(stripJsonc(text.replace(/^\uFEFF/, ""))); }
    catch (e) { out("settings", "failed: " + file + " is not valid JSON, left alone: " + e.message); log("settings.json is not valid JSON, left alone"); return; }
    if (current === null || typeof current !== "object" || Array.isArray(current)) { out("settings", "failed: " + file + " is not a JSON object, left alone"); return; }
  }
  let changed = false;
  for (const k of Object.keys(wanted)) {
    if (JSON.stringify(current[k]) !== JSON.stringify(wanted[k])) { current[k] = wanted[k]; changed = true; }
  }
  if (!changed) { out("settings", "unchanged"); return; }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = file + ".kode-tmp";
  fs.writeFileSync(tmp, JSON.stringify(current, null, 2) + "\n");
  fs.renameSync(tmp, file);
  out("settings", "merged");
  log("merged " + Object.keys(wanted).length + " settings into " + file);
}

async function installExtensions() {
  const list = JSON.parse(env.KODE_EXTENSIONS || "[]");
  if (!list.length) return;
  const dir = env.KODE_EXTENSIONS_DIR;
  fs.mkdirSync(dir, { recursive: true });
  const manifestFile = path.join(dir, ".kode-extensions.json");
  let manifest = {};
  try { manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")); } catch (e) {}
  const present = fs.readdirSync(dir).map((d) => d.toLowerCase());
  const args = ["--extensions-dir", dir];
  if (env.KODE_USER_DATA_DIR) args.push("--user-data-dir", env.KODE_USER_DATA_DIR);
  for (const ext of list) {
    const isUrl = /^https?:\/\//.test(ext);
    let cached;
    if (isUrl) cached = manifest[ext] === true;
    else {
      const at = ext.indexOf("@");
      const id = (at < 0 ? ext : ext.slice(0, at)).toLowerCase();
      const version = at < 0 ? "" : ext.slice(at + 1).toLowerCase();
      cached = present.some((d) => version ? d === id + "-" + version || d.startsWith(id + "-" + version + "-") : d.startsWith(id + "-"));
    }
    if (cached) { out("cached", ext); continue; }
    let target = ext, tmp;
    try {
      if (isUrl) {
        const res = await fetch(ext, { redirect: "follow" });
        if (!res.ok) throw new Error("download answered HTTP " + res.status);
        tmp = path.join(dir, ".kode-download-" + process.pid + ".vsix");
        fs.writeFileSync(tmp, Buffer.from(await res.arrayBuffer()));
        target = tmp;
      }
      log("installing " + ext);
      const r = cp.spawnSync(env.KODE_IDE_CLI, [...args, "--install-extension", target], { stdio: ["ignore", "inherit", "inherit"] });
      if (r.status !== 0) throw new Error("the IDE's CLI exited with " + (r.status === null ? r.signal || r.error : r.status));
      if (isUrl) { manifest[ext] = true; fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + "\n"); }
      out("installed", ext);
    } catch (e) {
      out("failed", ext + ": " + e.message);
      log("could not install " + ext + ": " + e.message);
    } finally {
      if (tmp) try { fs.unlinkSync(tmp); } catch (e) {}
    }
  }
}

(async () => {
  try { mergeSettings(); } catch (e) { out("settings", "failed: " + e.message); }
  try { await installExtensions(); } catch (e) { out("failed", "extensions: " + e.message); }
  try { fs.writeFileSync(env.KODE_REPORT_FILE || "/dev/termination-log", report.join("\n").slice(0, 4000) + "\n"); } catch (e) {}
  process.exit(0);
})();
`;

export interface VscodeReport {
  settings?: string;
  installed: string[];
  cached: string[];
  failed: string[];
}

export function parseVscodeReport(message: string | undefined): VscodeReport {
  const r: VscodeReport = { installed: [], cached: [], failed: [] };
  for (const line of (message ?? "").split("\n")) {
    const i = line.indexOf("=");
    if (i < 0) continue;
    const [k, val] = [line.slice(0, i), line.slice(i + 1)];
    if (k === "settings") r.settings = val;
    else if (k === "installed" || k === "cached" || k === "failed") r[k].push(val);
  }
  return r;
}

/** A Warning message, or undefined when everything worked. */
export function vscodeProblem(r: VscodeReport): string | undefined {
  const parts: string[] = [];
  if (r.settings?.startsWith("failed")) parts.push(`settings: ${r.settings}`);
  if (r.failed.length) parts.push(`extensions not installed: ${r.failed.join("; ")}`);
  return parts.length ? `${parts.join("; ")} (see \`kubectl logs <pod> -c ${VSCODE_CONTAINER_NAME}\`; the IDE runs anyway)` : undefined;
}

export interface VscodeRenderInput {
  vscode: Vscode;
  layout: IdeLayout;
  /** The IDE's image (or, for devcontainers, the user's image with the IDE server volume mounted). */
  image: string;
  home: string;
  volumeMounts: { name: string; mountPath: string }[];
  securityContext: Record<string, unknown>;
}

/** The init container, or undefined when there is nothing to do. */
export function renderVscodeInitContainer(input: VscodeRenderInput) {
  const settings = input.vscode.settings ?? {};
  const extensions = input.vscode.extensions ?? [];
  if (!Object.keys(settings).length && !extensions.length) return undefined;
  return {
    name: VSCODE_CONTAINER_NAME,
    image: input.image,
    command: [input.layout.node, "-e", VSCODE_SETUP_SCRIPT],
    env: [
      { name: "HOME", value: input.home },
      { name: "KODE_SETTINGS_FILE", value: settingsFile(input.layout) },
      { name: "KODE_SETTINGS", value: JSON.stringify(settings) },
      { name: "KODE_EXTENSIONS", value: JSON.stringify(extensions) },
      { name: "KODE_EXTENSIONS_DIR", value: input.layout.extensionsDir },
      { name: "KODE_USER_DATA_DIR", value: input.layout.userDataDir },
      { name: "KODE_IDE_CLI", value: input.layout.cli },
    ],
    volumeMounts: input.volumeMounts,
    securityContext: input.securityContext,
    terminationMessagePolicy: "File" as const,
  };
}
