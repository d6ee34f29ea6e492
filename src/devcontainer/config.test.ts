import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { IGNORED_PROPERTIES, parseDevcontainer, SUPPORTED_PROPERTIES, UNSUPPORTED_PROPERTIES, unsupportedMessage } from "./config.ts";

describe("parseDevcontainer: JSONC", () => {
  test("comments and trailing commas are accepted", () => {
    const r = parseDevcontainer(`// a comment
{
  /* block */ "image": "mcr.microsoft.com/devcontainers/base:ubuntu", // trailing
  "forwardPorts": [3000, "db:5432",],
}`);
    expect(r.errors).toEqual([]);
    expect(r.config).toEqual({ image: "mcr.microsoft.com/devcontainers/base:ubuntu", forwardPorts: [3000, "db:5432"] });
  });
  test("syntax errors carry line and column", () => {
    const r = parseDevcontainer('{\n  "image": "x"\n  "remoteUser": "vscode"\n}', "configMap dev/cfg");
    expect(r.config).toBeUndefined();
    expect(r.errors).toEqual(["configMap dev/cfg: line 3, column 3: ',' expected"]);
  });
  test("an unterminated string", () => {
    const r = parseDevcontainer('{ "image": "abc }');
    expect(r.errors[0]).toBe("devcontainer.json: line 1, column 12: unterminated string");
  });
  test("the top level must be an object", () => {
    expect(parseDevcontainer("[1]").errors).toEqual(["devcontainer.json: the top level must be an object"]);
  });
});

describe("classification", () => {
  test("unsupported properties are each named with why", () => {
    const r = parseDevcontainer(JSON.stringify({ image: "x", build: { dockerfile: "Dockerfile" }, features: { "ghcr.io/devcontainers/features/node:1": {} }, dockerComposeFile: "c.yml", mounts: [] }));
    expect(r.unsupported.map((u) => u.property)).toEqual(["build", "features", "dockerComposeFile", "mounts"]);
    expect(r.config).toBeDefined();
    const msg = unsupportedMessage(r)!;
    expect(msg).toStartWith("devcontainer.json uses properties the operator cannot honour: build (images are not built in the cluster");
    expect(msg).toContain("features (Dev Container Features install at image build time");
  });
  test("unknown properties are a warning naming them; ignored ones say why", () => {
    const r = parseDevcontainer(JSON.stringify({ image: "x", colour: "blue", imagee: "typo", shutdownAction: "none" }));
    expect(r.unsupported).toEqual([]);
    expect(r.warnings).toEqual(["devcontainer.json: unknown properties ignored: colour, imagee", "devcontainer.json: ignored in a pod: shutdownAction (the pod's lifetime is the Kode's)"]);
  });
  test("supported properties are type-checked, with paths", () => {
    const r = parseDevcontainer(
      JSON.stringify({
        image: 3,
        containerEnv: { GOOD: "1", BAD: 2, "no-dash": "x" },
        remoteEnv: { DROP: null },
        workspaceFolder: "relative",
        postCreateCommand: { a: "ok", b: [] },
        postStartCommand: 7,
        forwardPorts: [0, 70000, "x", "h:80"],
        portsAttributes: { "3000": { protocol: "ftp" } },
        customizations: { vscode: { extensions: ["a.b", 1] } },
      }),
    );
    expect(r.config).toBeUndefined();
    expect(r.errors).toEqual([
      "devcontainer.json: image: must be a non-empty string",
      "devcontainer.json: workspaceFolder: must be an absolute path",
      "devcontainer.json: containerEnv.BAD: must be a string",
      "devcontainer.json: containerEnv.no-dash: is not a valid environment variable name",
      "devcontainer.json: postCreateCommand: b: must be a string or a non-empty list of strings",
      "devcontainer.json: postStartCommand: must be a string, an array of strings, or an object of named commands",
      'devcontainer.json: forwardPorts[0]: must be a port number (1-65535) or "host:port"',
      'devcontainer.json: forwardPorts[1]: must be a port number (1-65535) or "host:port"',
      'devcontainer.json: forwardPorts[2]: must be a port number (1-65535) or "host:port"',
      'devcontainer.json: portsAttributes.3000.protocol: must be "http" or "https"',
      "devcontainer.json: customizations.vscode.extensions: must be an array of extension ids",
    ]);
  });
  test("a full supported config", () => {
    const r = parseDevcontainer(
      JSON.stringify({
        name: "app",
        image: "node:22",
        containerEnv: { A: "1" },
        remoteEnv: { PATH: "${containerEnv:PATH}:/x", GONE: null },
        containerUser: "node",
        remoteUser: "node",
        workspaceFolder: "/workspaces/app",
        onCreateCommand: "npm ci",
        postCreateCommand: ["npm", "run", "build"],
        postStartCommand: { db: "pg_ctl start", web: ["npm", "start"] },
        forwardPorts: [3000],
        portsAttributes: { "3000": { label: "web", protocol: "http" } },
        customizations: { vscode: { extensions: ["dbaeumer.vscode-eslint"], settings: { "editor.tabSize": 2 } }, jetbrains: {} },
      }),
    );
    expect(r.errors).toEqual([]);
    expect(r.unsupported).toEqual([]);
    expect(r.warnings).toEqual(["devcontainer.json: customizations for other tools ignored: jetbrains"]);
    expect(r.config!.vscode).toEqual({ extensions: ["dbaeumer.vscode-eslint"], settings: { "editor.tabSize": 2 } });
    expect(r.config!.postStartCommand).toEqual({ db: "pg_ctl start", web: ["npm", "start"] });
  });
});

describe("against the reference implementation (@devcontainers/cli)", () => {
  // The CLI bundle lists the devcontainer.json properties it merges from image metadata; every one of them must
  // be classified here (supported, unsupported or ignored), never "unknown".
  test("every property the CLI merges is classified", () => {
    const bundle = readFileSync(join(import.meta.dir, "../../node_modules/@devcontainers/cli/dist/spec-node/devContainersSpecCLI.js"), "utf8");
    const m = /\[("onCreateCommand","updateContentCommand"[^\]]*"hostRequirements")\]/.exec(bundle);
    expect(m).not.toBeNull();
    const cliProps = JSON.parse(`[${m![1]}]`) as string[];
    expect(cliProps.length).toBeGreaterThan(15);
    const known = new Set<string>([...SUPPORTED_PROPERTIES, ...Object.keys(UNSUPPORTED_PROPERTIES), ...Object.keys(IGNORED_PROPERTIES)]);
    expect(cliProps.filter((p) => !known.has(p))).toEqual([]);
  });
});

describe("parse parity with the reference CLI (devcontainer read-configuration)", () => {
  // `devcontainer read-configuration` first asks Docker for an existing container (`docker ps`); no Docker here, so
  // a shim on PATH answers "none" and exits 0. Everything after that is the CLI's own parsing.
  const hasNode = Bun.spawnSync(["node", "--version"]).exitCode === 0;
  test.skipIf(!hasNode)("the same object for a JSONC file with comments, trailing commas and every command form", async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, chmodSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const root = mkdtempSync(join(tmpdir(), "kode-dc-cli-"));
    try {
      const ws = join(root, "ws");
      mkdirSync(join(ws, ".devcontainer"), { recursive: true });
      const text = `// header comment
{
  "name": "parity", /* inline */
  "image": "mcr.microsoft.com/devcontainers/base:ubuntu",
  "containerEnv": { "A": "1", },
  "onCreateCommand": "echo 'a // not a comment'",
  "postCreateCommand": ["npm", "ci",],
  "postStartCommand": { "web": "npm start", "db": ["pg_ctl", "start"] },
  "forwardPorts": [3000, "db:5432",],
  "customizations": { "vscode": { "extensions": ["dbaeumer.vscode-eslint",], "settings": { "editor.tabSize": 2 } } },
}
`;
      writeFileSync(join(ws, ".devcontainer/devcontainer.json"), text);
      mkdirSync(join(root, "bin"));
      writeFileSync(join(root, "bin/docker"), "#!/bin/sh\nexit 0\n");
      chmodSync(join(root, "bin/docker"), 0o755);
      const cli = join(import.meta.dir, "../../node_modules/@devcontainers/cli/devcontainer.js");
      const p = Bun.spawn(["node", cli, "read-configuration", "--workspace-folder", ws], { env: { ...process.env, PATH: `${join(root, "bin")}:${process.env.PATH}` }, stdout: "pipe", stderr: "pipe" });
      const out = await new Response(p.stdout).text();
      expect(await p.exited).toBe(0);
      const { configuration } = JSON.parse(out) as { configuration: Record<string, unknown> };
      delete configuration.configFilePath;
      const ours = parseDevcontainer(text);
      expect(ours.errors).toEqual([]);
      const { vscode, ...rest } = ours.config!;
      expect({ ...rest, customizations: { vscode } } as Record<string, unknown>).toEqual(configuration);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
