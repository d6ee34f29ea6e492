// The init plugins of manifests/samples/environments executed for real: each sample is rendered as the operator
// renders it (renderKode), and its init plugin's exact command, args and env run with /bin/sh (Debian images) or
// busybox sh + git (Alpine images), as the IDE's uid, in a temporary HOME and scratch folder (the paths of the
// volumes remapped, nothing else changed except the values a user is told to set). Also the operator's own
// kode-ide-server copy. The other operator scripts (clone, create commands, dotfiles, VS Code, the devcontainers
// start script) are run for real in their own folders' tests.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseKode } from "../src/api/schemas.ts";
import { parseKodeTemplate } from "../src/api/template.ts";
import type { EnvVar } from "../src/api/types.ts";
import type { InitContainerSpec } from "../src/kode/render-environment.ts";
import { renderKode } from "../src/kode/render.ts";
import { busyboxPath } from "./support/busybox.ts";
import { gitAvailable, startGitHttp, type GitHttpServer } from "./support/git-http.ts";
import { REPO_ROOT } from "./operator-harness.ts";

const SAMPLES = join(REPO_ROOT, "manifests/samples/environments");
/** util-linux setpriv, found before a test PATH (busybox has its own, without --reuid) replaces the PATH. */
const SETPRIV = spawnSync("sh", ["-c", "command -v setpriv"], { encoding: "utf8" }).stdout.trim() || "setpriv";
const roots: string[] = [];
let gitServer: GitHttpServer | undefined;
beforeAll(() => {
  if (gitAvailable()) gitServer = startGitHttp();
  // The busybox PATH is made in a root-only temporary folder; the plugins run as the IDE's uid.
  const bb = busyboxPath();
  if (bb) chmodSync(dirname(bb), 0o755);
});
afterAll(() => {
  gitServer?.stop();
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

type Doc = { kind: string; metadata: { name: string }; spec: Record<string, unknown> };

/** The sample's Kode rendered as the operator does; its pod's init containers and the resolved home. */
function renderSample(file: string) {
  const docs = Bun.YAML.parse(readFileSync(join(SAMPLES, file), "utf8")) as unknown as Doc[];
  const t = parseKodeTemplate({ ...docs.find((d) => d.kind === "KodeTemplate")!, metadata: { ...docs[0].metadata, namespace: "s" } });
  const k = parseKode({ ...docs.find((d) => d.kind === "Kode")!, metadata: { ...docs.find((d) => d.kind === "Kode")!.metadata, namespace: "s", uid: "u" } });
  const r = renderKode({ kode: k, template: { kind: "KodeTemplate", name: t.metadata.name, namespace: "s", spec: t.spec }, credentials: { secretName: "x-auth", passwordKey: "password", generated: { username: "abc", password: "pw-not-used-here" } } });
  const pod = r.statefulSet.spec.template.spec;
  return { pod, init: pod.initContainers ?? [], ide: pod.containers[0], template: t.spec };
}

/** A temporary HOME and scratch folder owned by the IDE's uid, and the map from the pod's paths to them. */
function volumes(uid: number, gid: number, home = "/config") {
  const root = mkdtempSync(join(tmpdir(), "kode-plugin-"));
  roots.push(root);
  chmodSync(root, 0o755);
  const dirs = { home: join(root, "home"), scratch: join(root, "scratch") };
  for (const d of Object.values(dirs)) {
    mkdirSync(d);
    chownSync(d, uid, gid);
  }
  const remap = (v: string) => v.split(home).join(dirs.home).split("/kode-scratch").join(dirs.scratch);
  return { root, ...dirs, remap };
}

/** Runs an init container's command + args as kubelet does (env in order, $(VAR) not used by the samples), as uid:gid. */
async function run(c: InitContainerSpec, v: ReturnType<typeof volumes>, opts: { path?: string; override?: Record<string, string> } = {}) {
  const sc = c.securityContext as { runAsUser: number; runAsGroup: number };
  const env: Record<string, string> = { PATH: opts.path ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" };
  for (const e of c.env ?? ([] as EnvVar[])) if (e.value !== undefined) env[e.name] = v.remap(e.value);
  Object.assign(env, opts.override ?? {});
  const argv = [...(c.command ?? []), ...(c.args ?? [])].map(v.remap);
  if (opts.path && argv[0] === "sh") argv[0] = join(opts.path, "sh");
  // The pod runs it as the IDE's uid (restricted): so does the test (it runs as root).
  // Asynchronous: the git server of these tests runs in this process.
  const p = Bun.spawn([SETPRIV, `--reuid=${sc.runAsUser}`, `--regid=${sc.runAsGroup}`, "--clear-groups", "--", ...argv], { env, stdout: "pipe", stderr: "pipe" });
  const [out, err] = [await new Response(p.stdout).text(), await new Response(p.stderr).text()];
  return { code: await p.exited, out: `${out}${err}` };
}

describe("plugin-clone-repository.yaml (alpine/git: busybox sh and git)", () => {
  test.skipIf(!busyboxPath() || !gitAvailable())("clones into an empty workspace, never over the user's work, fails on a bad repository", async () => {
    const { init } = renderSample("plugin-clone-repository.yaml");
    expect(init.map((c) => c.name)).toEqual(["clone-project"]);
    const c = init[0];
    expect(c.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true, allowPrivilegeEscalation: false });
    const repo = gitServer!.createRepo("sample-project");
    repo.commit({ "README.md": "# the project\n", "src/main.go": "package main\n" });
    const v = volumes(1000, 1000);
    const path = busyboxPath()!;
    // REPO is the value the sample tells a user to set.
    const first = await run(c, v, { path, override: { REPO: repo.url } });
    expect(first.code, first.out).toBe(0);
    expect(readFileSync(join(v.home, "workspace/README.md"), "utf8")).toBe("# the project\n");
    expect(readFileSync(join(v.home, "workspace/src/main.go"), "utf8")).toBe("package main\n");

    // The user works; the next pod start must not touch it.
    writeFileSync(join(v.home, "workspace/README.md"), "# my changes\n");
    repo.commit({ "README.md": "# upstream moved on\n" });
    const second = await run(c, v, { path, override: { REPO: repo.url } });
    expect(second.code).toBe(0);
    expect(second.out).toContain("workspace not empty: not cloning");
    expect(readFileSync(join(v.home, "workspace/README.md"), "utf8")).toBe("# my changes\n");

    const v2 = volumes(1000, 1000);
    const bad = await run(c, v2, { path, override: { REPO: `${gitServer!.url}/missing.git` } });
    expect(bad.code).not.toBe(0);
    expect(existsSync(join(v2.home, "workspace/README.md"))).toBe(false);
  });
});

/** A local apt repository (file:) with one package, as a mirror would serve it. */
function aptRepo(dir: string) {
  const pkg = join(dir, "pkg");
  mkdirSync(join(pkg, "DEBIAN"), { recursive: true });
  mkdirSync(join(pkg, "usr/bin"), { recursive: true });
  writeFileSync(join(pkg, "DEBIAN/control"), "Package: kode-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.invalid>\nDescription: test package\n");
  writeFileSync(join(pkg, "usr/bin/kode-hello"), "#!/bin/sh\necho hello from a Debian package\n", { mode: 0o755 });
  const repo = join(dir, "repo");
  mkdirSync(repo);
  const build = spawnSync("dpkg-deb", ["--build", "--root-owner-group", pkg, join(repo, "kode-hello_1.0_all.deb")], { encoding: "utf8" });
  if (build.status !== 0) throw new Error(build.stderr);
  const scan = spawnSync("dpkg-scanpackages", [".", "/dev/null"], { cwd: repo, encoding: "utf8" });
  if (scan.status !== 0) throw new Error(scan.stderr);
  writeFileSync(join(repo, "Packages"), scan.stdout);
  writeFileSync(join(dir, "sources.list"), `deb [trusted=yes] file:${repo} ./\n`);
  mkdirSync(join(dir, "no-parts"));
  return `-o Dir::Etc::SourceList=${join(dir, "sources.list")} -o Dir::Etc::SourceParts=${join(dir, "no-parts")}`;
}
const hasDebTools = ["apt-get", "dpkg-deb", "dpkg-scanpackages", "setpriv"].every((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status === 0);

describe("plugin-webtop-debian-packages.yaml (debian: /bin/sh, apt without root)", () => {
  test.skipIf(!hasDebTools)("downloads and unpacks the packages into ~/.local/debs as the IDE's uid; the desktop's PATH finds them", async () => {
    const { init, ide } = renderSample("plugin-webtop-debian-packages.yaml");
    expect(init.map((c) => c.name)).toEqual(["debian-packages"]);
    const c = init[0];
    const v = volumes(1000, 1000);
    const mirror = join(v.root, "mirror");
    mkdirSync(mirror);
    const aptOptions = aptRepo(mirror);
    for (const f of readdirSync(mirror, { recursive: true }) as string[]) chmodSync(join(mirror, f), 0o755);
    // PACKAGES and APT_OPTIONS are the values the sample tells a user to set.
    const r = await run(c, v, { override: { PACKAGES: "kode-hello", APT_OPTIONS: aptOptions } });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain("unpacked: kode-hello");
    expect(existsSync(join(v.home, ".local/debs/usr/bin/kode-hello"))).toBe(true);
    // apt's own state went to the scratch volume, not to the home volume.
    expect(readdirSync(join(v.scratch, "apt/archives"))).toContain("kode-hello_1.0_all.deb");
    expect(existsSync(join(v.home, ".local/debs/DEBIAN"))).toBe(false);
    // The IDE container's PATH (template env) finds the unpacked program.
    const pathEnv = v.remap(ide.env.find((e) => e.name === "PATH")!.value!);
    const hello = spawnSync("kode-hello", [], { env: { PATH: pathEnv }, encoding: "utf8" });
    expect(hello.stdout).toBe("hello from a Debian package\n");

    const missing = await run(c, volumes(1000, 1000), { override: { PACKAGES: "no-such-package", APT_OPTIONS: aptOptions } });
    expect(missing.code).not.toBe(0);
    expect(missing.out).toContain("no-such-package");
  });
});

describe("plugin-vscode-extensions.yaml", () => {
  test("not executable here: it runs code-server's own CLI, which cannot be installed on this machine; its extensions dir is on the home volume", () => {
    const { init, pod } = renderSample("plugin-vscode-extensions.yaml");
    expect(init.map((c) => c.name)).toEqual(["install-extensions"]);
    expect(init[0].command).toEqual(["/app/code-server/bin/code-server"]);
    expect(init[0].args).toEqual(["--extensions-dir=/config/extensions", "--install-extension=ms-python.python", "--install-extension=esbenp.prettier-vscode"]);
    expect(init[0].volumeMounts[0]).toEqual({ name: "home", mountPath: "/config" });
    expect(pod.volumes[0].name).toBe("home");
  });
});

describe("the operator's kode-ide-server copy (busybox sh, as the IDE's uid)", () => {
  test.skipIf(!busyboxPath())("copies the server tree, modes and links kept, into the shared volume", async () => {
    const { init } = renderSample("devcontainers.yaml");
    const c = init.find((x) => x.name === "kode-ide-server")!;
    expect(c.command!.slice(0, 2)).toEqual(["sh", "-c"]);
    const v = volumes(1000, 1000);
    // The image's server folder and the emptyDir, remapped into the temporary root.
    const src = join(v.root, "image/home/.openvscode-server");
    const dst = join(v.root, "kode-ide");
    mkdirSync(join(src, "bin"), { recursive: true });
    writeFileSync(join(src, "bin/openvscode-server"), "#!/bin/sh\necho server\n", { mode: 0o755 });
    writeFileSync(join(src, "product.json"), "{}\n");
    spawnSync("ln", ["-s", "bin/openvscode-server", join(src, "server-link")]);
    mkdirSync(dst);
    chownSync(dst, 1000, 1000);
    const script = c.command![2].split("/home/.openvscode-server").join(src).split("/kode-ide").join(dst);
    const r = await run({ ...c, command: ["sh", "-c", script] }, v, { path: busyboxPath() });
    expect(r.code, r.out).toBe(0);
    expect(spawnSync(join(dst, "bin/openvscode-server"), [], { encoding: "utf8" }).stdout).toBe("server\n");
    expect(readFileSync(join(dst, "product.json"), "utf8")).toBe("{}\n");
    expect(spawnSync("readlink", [join(dst, "server-link")], { encoding: "utf8" }).stdout.trim()).toBe("bin/openvscode-server");
  });
});
