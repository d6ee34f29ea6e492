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
