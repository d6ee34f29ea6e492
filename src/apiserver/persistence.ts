// Durability for --data-dir: an atomic snapshot plus a write-ahead log. Every write is appended to
// the log with a synchronous write(2) before the client gets its answer, so a killed process loses no
// acknowledged write (the data is in the kernel's page cache). Power loss needs fsync, which this
// trades for speed unless `fsync` is set.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Store, StoreEvent, StoreLog } from "./store.ts";

const SNAPSHOT = "snapshot.jsonl";
const WAL = "wal.jsonl";
const COMPACT_AFTER_BYTES = 64 * 1024 * 1024;

interface LogLine {
  t: StoreEvent["type"];
  r: string;
  rv: number;
  o: StoreEvent["object"];
}

function* lines(path: string): Generator<string> {
  if (!existsSync(path)) return;
  const text = readFileSync(path, "utf8");
  let start = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", start)) {
    yield text.slice(start, i);
    start = i + 1;
  }
  // A trailing fragment without newline is a write the crash interrupted: it was never acknowledged.
}

export class DataDir implements StoreLog {
  private fd: number;
  private bytes = 0;

  constructor(
    private dir: string,
    private store: Store,
    private fsync = false,
  ) {
    mkdirSync(dir, { recursive: true });
    this.recover();
    this.writeSnapshot();
    this.fd = openSync(join(dir, WAL), "w");
    store.log = this;
  }

  private recover() {
    for (const line of lines(join(this.dir, SNAPSHOT))) {
      const entry = JSON.parse(line) as LogLine | { revision: number };
      if ("revision" in entry) this.store.restoreRevision(entry.revision);
      else this.store.restore({ type: entry.t, resource: entry.r, object: entry.o, rv: entry.rv });
    }
    for (const line of lines(join(this.dir, WAL))) {
      let entry: LogLine;
      try {
        entry = JSON.parse(line);
      } catch {
        break; // a torn line can only be the last one
      }
      this.store.restore({ type: entry.t, resource: entry.r, object: entry.o, rv: entry.rv });
    }
  }

  /** Write every object to a new snapshot file and swap it in atomically. */
  private writeSnapshot() {
    const tmp = join(this.dir, `${SNAPSHOT}.tmp`);
    const fd = openSync(tmp, "w");
    const rv = this.store.resourceVersion;
    let chunk = `${JSON.stringify({ revision: rv })}\n`;
    for (const [resource, object] of this.store.entries()) {
      chunk += `${JSON.stringify({ t: "ADDED", r: resource, rv, o: object } satisfies LogLine)}\n`;
      if (chunk.length > 1 << 20) {
        writeSync(fd, chunk);
        chunk = "";
      }
    }
    writeSync(fd, chunk);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, join(this.dir, SNAPSHOT));
    const dirFd = openSync(this.dir, "r");
    fsyncSync(dirFd);
    closeSync(dirFd);
  }

  append(event: StoreEvent) {
    const line = `${JSON.stringify({ t: event.type, r: event.resource, rv: event.rv, o: event.object } satisfies LogLine)}\n`;
    this.bytes += writeSync(this.fd, line);
    if (this.fsync) fsyncSync(this.fd);
    if (this.bytes > COMPACT_AFTER_BYTES) queueMicrotask(() => this.compact());
  }

  /** Fold the log into a fresh snapshot (after the current write has been applied). */
  compact() {
    if (this.bytes <= COMPACT_AFTER_BYTES) return;
    this.writeSnapshot();
    closeSync(this.fd);
    this.fd = openSync(join(this.dir, WAL), "w");
    this.bytes = 0;
  }

  close() {
    closeSync(this.fd);
  }
}
