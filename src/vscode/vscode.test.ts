import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { LINUXSERVER_CODE_SERVER_LAYOUT, mergeVscode, parseVscodeReport, renderVscodeInitContainer, VSCODE_SETUP_SCRIPT, VscodeSchema, vscodeProblem } from "./vscode.ts";

const hasNode = Bun.spawnSync(["node", "--version"]).exitCode === 0;
if (!hasNode) console.log("skipping the settings/extensions script: no node binary (the IDE images run it with their bundled node)");

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

// code-server cannot be installed here (its npm package downloads from GitHub), so the IDE CLI is a stand-in
// with code-server's --install-extension contract: it records its arguments and creates the extension folder
// <publisher.name>-<version> as code-server does.
const STAND_IN_CLI = `#!/bin/sh
echo "$@" >> "$CLI_LOG"
while [ $# -gt 0 ]; do
  case "$1" in
    --extensions-dir) dir="$2"; shift 2 ;;
    --user-data-dir) shift 2 ;;
    --install-extension) ext="$2"; shift 2 ;;
    *) shift ;;
  esac
done
case "$ext" in
  bad.*) echo "Extension '$ext' not found" >&2; exit 1 ;;
  /*) mkdir -p "$dir/from-vsix-$(wc -c < "$ext" | tr -d ' ')" && cp "$ext" "$dir/last.vsix" ;;
  *@*) mkdir -p "$dir/$(echo "$ext" | tr 'A-Z' 'a-z' | sed 's/@/-/')" ;;
  *) mkdir -p "$dir/$(echo "$ext" | tr 'A-Z' 'a-z')-1.0.0" ;;
esac
`;

function setup() {
  const root = mkdtempSync(join(tmpdir(), "kode-vscode-"));
  dirs.push(root);
  const cli = join(root, "code-server");
  writeFileSync(cli, STAND_IN_CLI);
  chmodSync(cli, 0o755);
  return { root, cli, settings: join(root, "data/User/settings.json"), extDir: join(root, "extensions"), log: join(root, "cli.log"), report: join(root, "termination-log") };
}

async function runScript(t: ReturnType<typeof setup>, settings: Record<string, unknown>, extensions: string[] = []) {
  // The rendered container's env, pointed at the temporary folders.
  const c = renderVscodeInitContainer({
    vscode: { settings, extensions },
    layout: { node: "node", cli: t.cli, userDataDir: join(t.root, "data"), extensionsDir: t.extDir },
    image: "x",
    home: t.root,
    volumeMounts: [],
    securityContext: {},
  })!;
  const env = Object.fromEntries(c.env.map((e) => [e.name, e.value!]));
  const p = Bun.spawn(c.command, { env: { PATH: process.env.PATH!, ...env, KODE_REPORT_FILE: t.report, CLI_LOG: t.log }, stdout: "pipe", stderr: "pipe" });
  const out = (await new Response(p.stdout).text()) + (await new Response(p.stderr).text());
  expect(await p.exited).toBe(0);
  const message = readFileSync(t.report, "utf8");
  return { out, message, report: parseVscodeReport(message) };
}

describe.skipIf(!hasNode)("settings merge (node -e, the exact script)", () => {
  test("a missing settings.json is created", async () => {
    const t = setup();
    const r = await runScript(t, { "editor.tabSize": 2, "[python]": { "editor.formatOnSave": true } });
    expect(r.report.settings).toBe("merged");
    expect(JSON.parse(readFileSync(t.settings, "utf8"))).toEqual({ "editor.tabSize": 2, "[python]": { "editor.formatOnSave": true } });
  });
  test("JSONC: comments and trailing commas are read; named keys win; the user's other keys stay", async () => {
    const t = setup();
    mkdirSync(join(t.root, "data/User"), { recursive: true });
    writeFileSync(
      t.settings,
      `// my settings
{
  "editor.tabSize": 8, /* too wide */
  "workbench.colorTheme": "Solarized // not a comment",
  "url": "http://x/*y*/",
  "files.exclude": { "**/.git": true, },
}
`,
    );
    const r = await runScript(t, { "editor.tabSize": 2, "editor.rulers": [100] });
    expect(r.report.settings).toBe("merged");
    expect(JSON.parse(readFileSync(t.settings, "utf8"))).toEqual({
      "editor.tabSize": 2,
      "workbench.colorTheme": "Solarized // not a comment",
      url: "http://x/*y*/",
      "files.exclude": { "**/.git": true },
      "editor.rulers": [100],
    });
  });
  test("unchanged values leave the file as it is (comments kept)", async () => {
    const t = setup();
    mkdirSync(join(t.root, "data/User"), { recursive: true });
    const text = '{\n  // keep me\n  "editor.tabSize": 2,\n}\n';
    writeFileSync(t.settings, text);
    expect((await runScript(t, { "editor.tabSize": 2 })).report.settings).toBe("unchanged");
    expect(readFileSync(t.settings, "utf8")).toBe(text);
  });
  test("a settings.json that is not JSON is left alone and reported", async () => {
    const t = setup();
    mkdirSync(join(t.root, "data/User"), { recursive: true });
    writeFileSync(t.settings, "{ this is broken");
    const r = await runScript(t, { "editor.tabSize": 2 });
    expect(r.report.settings).toStartWith(`failed: ${t.settings} is not valid JSON, left alone`);
    expect(readFileSync(t.settings, "utf8")).toBe("{ this is broken");
    expect(vscodeProblem(r.report)).toStartWith("settings: failed:");
  });
});

describe.skipIf(!hasNode)("extensions (node -e, the exact script, stand-in IDE CLI)", () => {
  test("installed once, cached on the volume afterwards; a pinned version; a .vsix URL; a failure reported", async () => {
    const t = setup();
    const vsix = new Uint8Array([80, 75, 3, 4, 1, 2, 3]);
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => (new URL(req.url).pathname === "/ext.vsix" ? new Response(vsix) : new Response("no", { status: 404 })) });
    try {
      const url = `http://127.0.0.1:${server.port}/ext.vsix`;
      const list = ["ms-python.python", "esbenp.prettier-vscode@10.1.0", url, "bad.extension", `http://127.0.0.1:${server.port}/missing.vsix`];
      const r1 = await runScript(t, {}, list);
      expect(r1.report.installed).toEqual(["ms-python.python", "esbenp.prettier-vscode@10.1.0", url]);
      expect(r1.report.failed).toEqual(["bad.extension: the IDE's CLI exited with 1", `http://127.0.0.1:${server.port}/missing.vsix: download answered HTTP 404`]);
      expect(readFileSync(join(t.extDir, "last.vsix"))).toEqual(Buffer.from(vsix));
      expect(readFileSync(t.log, "utf8").split("\n")[0]).toBe(`--extensions-dir ${t.extDir} --user-data-dir ${join(t.root, "data")} --install-extension ms-python.python`);
      expect(readdirSync(t.extDir).filter((f) => f.startsWith(".kode-download"))).toEqual([]);

      const calls = readFileSync(t.log, "utf8").trim().split("\n").length;
      const r2 = await runScript(t, {}, list.slice(0, 3));
      expect(r2.report.cached).toEqual(list.slice(0, 3));
      expect(r2.report.installed).toEqual([]);
      expect(readFileSync(t.log, "utf8").trim().split("\n").length).toBe(calls);

      // Another pinned version is not the cached one.
      const r3 = await runScript(t, {}, ["esbenp.prettier-vscode@11.0.0"]);
      expect(r3.report.installed).toEqual(["esbenp.prettier-vscode@11.0.0"]);
    } finally {
      server.stop(true);
    }
  });
  test("an extension the user installed by hand counts as present", async () => {
    const t = setup();
    mkdirSync(join(t.extDir, "golang.go-0.41.0-linux-x64"), { recursive: true });
    const r = await runScript(t, {}, ["golang.Go"]);
    expect(r.report.cached).toEqual(["golang.Go"]);
    expect(existsSync(t.log)).toBe(false);
  });
});

describe("schema, merge and render", () => {
  test("extension ids and URLs", () => {
    expect(v.safeParse(VscodeSchema, { extensions: ["ms-python.python", "a.b@1.2.3", "https://x/y.vsix"] }).success).toBe(true);
    for (const bad of ["python", "a.b c", "ftp://x/y.vsix", "a.b@"]) expect(v.safeParse(VscodeSchema, { extensions: [bad] }).success).toBe(false);
  });
  test("template defaults, the Kode adds and overrides", () => {
    expect(mergeVscode({ settings: { a: 1, b: 1 }, extensions: ["x.one", "x.two@1.0.0"] }, { settings: { b: 2 }, extensions: ["X.Two@2.0.0", "x.three"] })).toEqual({
      settings: { a: 1, b: 2 },
      extensions: ["x.one", "X.Two@2.0.0", "x.three"],
    });
    expect(mergeVscode(undefined, undefined)).toBeUndefined();
  });
  test("linuxserver/code-server: its bundled node and CLI, settings under /config/data", () => {
    const c = renderVscodeInitContainer({ vscode: { settings: { a: 1 } }, layout: LINUXSERVER_CODE_SERVER_LAYOUT, image: "lscr.io/linuxserver/code-server:latest", home: "/config", volumeMounts: [{ name: "home", mountPath: "/config" }], securityContext: { runAsUser: 1000 } })!;
    expect(c.name).toBe("kode-vscode");
    expect(c.command).toEqual(["/app/code-server/lib/node", "-e", VSCODE_SETUP_SCRIPT]);
    expect(c.env.find((e) => e.name === "KODE_SETTINGS_FILE")!.value).toBe("/config/data/User/settings.json");
    expect(c.env.find((e) => e.name === "KODE_EXTENSIONS_DIR")!.value).toBe("/config/extensions");
    expect(renderVscodeInitContainer({ vscode: {}, layout: LINUXSERVER_CODE_SERVER_LAYOUT, image: "x", home: "/h", volumeMounts: [], securityContext: {} })).toBeUndefined();
  });
});
