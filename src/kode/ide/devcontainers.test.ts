// The devcontainers start script run with sh. Neither openvscode-server nor code-server can be installed here,
// so the server is a stand-in executable at the rendered path that records its arguments and environment.
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EnvVar } from "../../api/types.ts";
import { devcontainers, devcontainerUserWarning, IDE_SECRET_ENV, renderDevcontainers } from "./devcontainers.ts";
import type { IdeEnvContext } from "./spec.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const STAND_IN = `#!/bin/sh
{ for a in "$@"; do printf '%s\\n' "$a"; done; } > "$HOME/server.args"
env > "$HOME/server.env"
[ -n "\${EXPECT_POSTSTART:-}" ] || exit 0
i=0; while [ ! -f "$HOME/.kode/devcontainer/postStart.status" ] || [ ! -s "$HOME/.kode/devcontainer/postStart.status" ]; do i=$((i+1)); [ $i -gt 100 ] && break; sleep 0.1; done
`;

function setup(server: "openvscode-server" | "code-server") {
  const root = mkdtempSync(join(tmpdir(), "kode-devc-"));
  dirs.push(root);
  const mount = join(root, "kode-ide");
  const home = join(root, "home");
  mkdirSync(join(mount, "bin"), { recursive: true });
  mkdirSync(home);
  writeFileSync(join(mount, "bin", server), STAND_IN);
  chmodSync(join(mount, "bin", server), 0o755);
  const ctx: IdeEnvContext = { port: 3000, home, workspacePath: `${home}/workspace`, puid: 1000, pgid: 1000, tz: "UTC", user: "dev", credentials: { secretName: "k-auth", passwordKey: "password" } };
  return { root, mount, home, ctx };
}

async function run(command: string[], env: EnvVar[], home: string, extra: Record<string, string> = {}) {
  const resolved = Object.fromEntries(env.map((e) => [e.name, e.value ?? "the-secret-value"]));
  const p = Bun.spawn(command, { env: { PATH: process.env.PATH!, ...resolved, HOME: home, ...extra }, stdout: "pipe", stderr: "pipe" });
  const out = (await new Response(p.stdout).text()) + (await new Response(p.stderr).text());
  return { code: await p.exited, out };
}

describe("devcontainers start script (sh, stand-in server)", () => {
  test("openvscode-server without Envoy: all interfaces, token file from the Secret, remoteEnv, postStartCommand", async () => {
    const t = setup("openvscode-server");
    const r = renderDevcontainers({ ctx: t.ctx, behindEnvoy: false, server: "openvscode-server", serverMount: t.mount, config: { remoteEnv: { EXTRA: "${containerEnv:TZ}-x" }, containerEnv: { FOO: "bar" }, postStartCommand: "echo post-start-ran" } });
    expect(r.env).toEqual([
      { name: "TZ", value: "UTC" },
      { name: "HOME", value: t.home },
      { name: "FOO", value: "bar" },
      { name: IDE_SECRET_ENV, valueFrom: { secretKeyRef: { name: "k-auth", key: "password" } } },
    ]);
    const res = await run(r.command, r.env, t.home, { EXPECT_POSTSTART: "1" });
    expect(res.code).toBe(0);
    expect(readFileSync(join(t.home, "server.args"), "utf8").trim().split("\n")).toEqual([
      "--host", "0.0.0.0", "--port", "3000",
      "--connection-token-file", `${t.mount}/.connection-token`,
      "--server-data-dir", `${t.home}/.openvscode-server`,
      "--extensions-dir", `${t.home}/.openvscode-server/extensions`,
      "--default-folder", `${t.home}/workspace`,
    ]);
    expect(readFileSync(join(t.mount, ".connection-token"), "utf8")).toBe("the-secret-value");
    expect(statSync(join(t.mount, ".connection-token")).mode & 0o777).toBe(0o600);
    const env = readFileSync(join(t.home, "server.env"), "utf8");
    expect(env).toContain("EXTRA=UTC-x\n");
    expect(env).toContain("FOO=bar\n");
    expect(env).not.toContain(IDE_SECRET_ENV);
    expect(res.out).toContain("[postStartCommand] post-start-ran");
    expect(existsSync(join(t.home, "workspace"))).toBe(true);
  });

  test("openvscode-server behind Envoy: loopback, no token, no secret in the env", async () => {
    const t = setup("openvscode-server");
    const r = renderDevcontainers({ ctx: t.ctx, behindEnvoy: true, server: "openvscode-server", serverMount: t.mount });
    expect(r.env.some((e) => e.name === IDE_SECRET_ENV)).toBe(false);
    expect(r.bindsLoopback).toBe(true);
    await run(r.command, r.env, t.home);
    expect(readFileSync(join(t.home, "server.args"), "utf8").split("\n").slice(0, 5)).toEqual(["--host", "127.0.0.1", "--port", "3000", "--without-connection-token"]);
  });

  test("code-server: --bind-addr, password from the Secret as $PASSWORD, the devcontainer's workspaceFolder", async () => {
    const t = setup("code-server");
    const r = renderDevcontainers({ ctx: { ...t.ctx, port: 8080 }, behindEnvoy: false, server: "code-server", serverMount: t.mount, config: { workspaceFolder: `${t.home}/src/app` } });
    await run(r.command, r.env, t.home);
    expect(readFileSync(join(t.home, "server.args"), "utf8").trim().split("\n")).toEqual([
      "--bind-addr", "0.0.0.0:8080", "--auth", "password", "--disable-telemetry",
      "--user-data-dir", `${t.home}/.local/share/code-server`,
      "--extensions-dir", `${t.home}/.local/share/code-server/extensions`,
      `${t.home}/src/app`,
    ]);
    expect(readFileSync(join(t.home, "server.env"), "utf8")).toContain("PASSWORD=the-secret-value\n");
    expect(r.workspaceFolder).toBe(`${t.home}/src/app`);
    expect(existsSync(join(t.home, "src/app"))).toBe(true);
  });
});

describe("render", () => {
  const ctx: IdeEnvContext = { port: 3000, home: "/home/dev", workspacePath: "/home/dev/workspace", puid: 1000, pgid: 1000, tz: "UTC", user: "dev", credentials: { secretName: "k-auth", passwordKey: "password" } };
  test("the copy init container: the server image (default gitpod/openvscode-server), non-root, into the shared emptyDir", () => {
    const r = renderDevcontainers({ ctx, behindEnvoy: false, server: "openvscode-server" });
    expect(r.initContainer).toEqual({
      name: "kode-ide-server",
      image: "gitpod/openvscode-server:latest",
      command: ["sh", "-c", "cp -a '/home/.openvscode-server'/. '/kode-ide'/"],
      volumeMounts: [{ name: "kode-ide", mountPath: "/kode-ide" }],
      securityContext: { runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } },
    });
    expect(r.volume).toEqual({ name: "kode-ide", emptyDir: {} });
    expect(r.layout).toEqual({ node: "/kode-ide/node", cli: "/kode-ide/bin/openvscode-server", userDataDir: "/home/dev/.openvscode-server/data", extensionsDir: "/home/dev/.openvscode-server/extensions" });
    expect(renderDevcontainers({ ctx, behindEnvoy: false, server: "code-server", serverImage: "my/code-server:4" }).initContainer.image).toBe("my/code-server:4");
  });
  test("named users become a warning (pods take numeric ids)", () => {
    expect(devcontainerUserWarning({ remoteUser: "vscode", containerUser: "vscode" }, 1000)).toBe("devcontainer.json names user vscode: the pod runs as uid 1000 from the template (a pod spec takes numeric ids only)");
    expect(devcontainerUserWarning({}, 1000)).toBeUndefined();
  });
  test("type facts", () => {
    expect(devcontainers.defaultPort).toBe(3000);
    expect(devcontainers.readiness).toEqual({ kind: "tcp" });
  });
});
