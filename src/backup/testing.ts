// Test support: an S3 server (npm s3rver, run by Node) on 127.0.0.1 over HTTPS with a generated CA, and a runner
// for the backup scripts with Debian's restic. Over plain HTTP restic's S3 client sends aws-chunked bodies that
// s3rver stores verbatim, so the repository would be corrupt: HTTPS it is.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateTlsMaterial } from "../apiserver/tls.ts";
import { parseResult, type ScriptResult } from "./scripts.ts";

export const HAVE_TOOLS = ["restic", "jq", "node"].every((t) => Bun.which(t) !== null);
const SH = Bun.which("dash") ?? "/bin/sh";
const S3RVER = join(import.meta.dir, "../../node_modules/s3rver/bin/s3rver.js");

export interface S3Server {
  endpoint: string;
  caFile: string;
  dataDir: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
  const port = s.port!;
  s.stop(true);
  return port;
}

export async function startS3(buckets: string[] = ["backups"]): Promise<S3Server> {
  const dir = mkdtempSync(join(tmpdir(), "kode-s3-"));
  const tls = await generateTlsMaterial({ hosts: ["127.0.0.1"] });
  const caFile = join(dir, "ca.pem");
  writeFileSync(caFile, tls.caCert);
  writeFileSync(join(dir, "key.pem"), tls.serverKey);
  writeFileSync(join(dir, "cert.pem"), tls.serverCert);
  const dataDir = join(dir, "data");
  mkdirSync(dataDir);
  const port = await freePort();
  let proc: ReturnType<typeof Bun.spawn> | undefined;
  const server: S3Server = {
    endpoint: `https://127.0.0.1:${port}`,
    caFile,
    dataDir,
    port,
    async start() {
      const args = ["node", S3RVER, "-d", dataDir, "-a", "127.0.0.1", "-p", String(port), "-s", "--key", join(dir, "key.pem"), "--cert", join(dir, "cert.pem")];
      for (const b of buckets) args.push("--configure-bucket", b);
      proc = Bun.spawn(args, { stdout: "ignore", stderr: "ignore" });
      for (let i = 0; i < 200; i++) {
        try {
          await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {}, open(s) { s.end(); } } });
          return;
        } catch {
          await Bun.sleep(50);
        }
      }
      throw new Error("s3rver did not start");
    },
    async stop() {
      proc?.kill("SIGKILL");
      await proc?.exited;
      proc = undefined;
    },
  };
  await server.start();
  const stopAll = server.stop;
  server.stop = async () => {
    await stopAll();
  };
  process.on("exit", () => {
    proc?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });
  return server;
}

export interface RunOptions {
  s3: S3Server;
  repository: string;
  password: string;
  env?: Record<string, string>;
  accessKey?: string;
}

export interface RunResult {
  code: number;
  stderr: string;
  result: ScriptResult;
}

/** Run one of the scripts exactly as the container would (`sh -c SCRIPT`), returning its JSON result. */
export async function runScript(script: string, opts: RunOptions): Promise<RunResult> {
  const work = mkdtempSync(join(tmpdir(), "kode-run-"));
  const resultFile = join(work, "termination-log");
  const proc = Bun.spawn([SH, "-c", script], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: work,
      TZ: "UTC",
      RESTIC_CACHE_DIR: join(work, "cache"),
      RESTIC_REPOSITORY: opts.repository,
      RESTIC_PASSWORD: opts.password,
      AWS_ACCESS_KEY_ID: opts.accessKey ?? "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
      KODE_CACERT: opts.s3.caFile,
      KODE_RESULT: resultFile,
      KODE_SCRATCH: join(work, "scratch"),
      ...opts.env,
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  let message: string | undefined;
  try {
    message = readFileSync(resultFile, "utf8");
  } catch {}
  rmSync(work, { recursive: true, force: true });
  return { code, stderr, result: parseResult(message) };
}

/**
 * A stand-in kubelet for the data Jobs (TestHooks.jobRunner): runs the pod's one container command with Debian's
 * restic on this machine, env resolved as a kubelet does (values and secretKeyRefs), each volume a local folder
 * (a claim from `claims`, an emptyDir a fresh one, a Secret its items written out), paths under a mount mapped to
 * its folder, and the termination message read from where /dev/termination-log points, cut at 4096 bytes as a
 * kubelet does. `claims`: claim name → folder holding that volume.
 */
export function localPodRunner(opts: { readSecret(namespace: string, name: string): Promise<Record<string, string> | undefined>; claims: Record<string, string>; onRun?(job: any): void; onDone?(r: unknown): void }) {
  return async (job: any, pod: any): Promise<{ exitCode: number; message?: string }> => {
    opts.onRun?.(job);
    const ns: string = pod.metadata.namespace;
    const c = pod.spec.containers[0];
    const work = mkdtempSync(join(tmpdir(), "kode-pod-"));
    try {
      const mounts: [string, string][] = [];
      for (const vol of pod.spec.volumes ?? []) {
        const mount = (c.volumeMounts ?? []).find((m: any) => m.name === vol.name);
        if (!mount) continue;
        let dir: string;
        if (vol.persistentVolumeClaim) {
          dir = opts.claims[vol.persistentVolumeClaim.claimName];
          if (!dir) return { exitCode: 1, message: `test kubelet: no folder for claim ${vol.persistentVolumeClaim.claimName}` };
        } else if (vol.secret) {
          dir = join(work, `secret-${vol.name}`);
          mkdirSync(dir);
          const data = (await opts.readSecret(ns, vol.secret.secretName)) ?? {};
          for (const item of vol.secret.items ?? Object.keys(data).map((k) => ({ key: k, path: k }))) writeFileSync(join(dir, item.path), Buffer.from(data[item.key] ?? "", "base64"));
        } else {
          dir = join(work, `empty-${vol.name}`);
          mkdirSync(dir);
        }
        mounts.push([mount.mountPath, dir]);
      }
      mounts.sort((a, b) => b[0].length - a[0].length);
      const local = (p: string) => {
        if (p === "/dev/termination-log") return join(work, "termination-log");
        const m = mounts.find(([at]) => p === at || p.startsWith(`${at}/`));
        return m ? m[1] + p.slice(m[0].length) : p;
      };
      const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", TZ: "UTC" };
      for (const e of c.env ?? []) {
        if (e.valueFrom?.secretKeyRef) {
          const data = await opts.readSecret(ns, e.valueFrom.secretKeyRef.name);
          const v = data?.[e.valueFrom.secretKeyRef.key];
          if (v === undefined) return { exitCode: 1, message: `test kubelet: CreateContainerConfigError: secret ${e.valueFrom.secretKeyRef.name} key ${e.valueFrom.secretKeyRef.key}` };
          env[e.name] = Buffer.from(v, "base64").toString();
        } else env[e.name] = local(String(e.value ?? ""));
      }
      // kubelet's termination-log file (the restore container leaves KODE_RESULT at its default, that path).
      env.KODE_RESULT ??= join(work, "termination-log");
      // sh -c SCRIPT [ARG0 ...]: the restore container's wrapper passes the script as $0.
      const [shell, flag, script, ...args] = c.command;
      if (shell !== "sh" || flag !== "-c") return { exitCode: 1, message: "test kubelet: runs only sh -c SCRIPT" };
      const proc = Bun.spawn([SH, "-c", script, ...args], { env, stdout: "ignore", stderr: "pipe" });
      const exitCode = await proc.exited;
      let message: string | undefined;
      try {
        message = readFileSync(join(work, "termination-log")).subarray(0, 4096).toString();
      } catch {}
      const outcome = { exitCode, ...(message !== undefined && { message }) };
      opts.onDone?.(outcome);
      return outcome;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  };
}
