// The exact shell scripts the backup, restore and verify containers run (`sh -c SCRIPT` in the restic/restic
// image: busybox sh, restic, jq). The tests run these same strings with Debian's restic against an S3 server.
//
// Contract (environment, set by the Job or init container the operator renders):
//   RESTIC_REPOSITORY, RESTIC_PASSWORD, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY  (from Secrets)
//   KODE_CACERT     optional path of a CA bundle for the S3 endpoint
//   KODE_SOURCE     where the home volume is mounted (/data in the cluster); snapshots hold this path
//   KODE_HOST       restic --host of this Kode's snapshots (<namespace>/<kode>)
//   KODE_RESULT     where the one-line JSON result goes (/dev/termination-log: the operator reads the
//                   container's termination message, so the Jobs need no API access)
// Each script's own variables are described at its top. Results are JSON objects with "ok"; failures carry
// "error", a message a user can act on. Nothing secret is printed: restic does not echo credentials and the
// repository URL carries none.
import backupBody from "./sh/backup.sh" with { type: "text" };
import prelude from "./sh/prelude.sh" with { type: "text" };
import restoreBody from "./sh/restore.sh" with { type: "text" };
import verifyBody from "./sh/verify.sh" with { type: "text" };

export const BACKUP_SCRIPT = prelude + backupBody;
export const RESTORE_SCRIPT = prelude + restoreBody;
export const VERIFY_SCRIPT = prelude + verifyBody;

/** The result a script leaves in its termination message. */
export type ScriptResult = { ok: false; error: string } | ({ ok: true } & Record<string, unknown>);

/** Parse a termination message; anything else (a crash, an OOM kill) is reported as such, never thrown. */
export function parseResult(message: string | undefined): ScriptResult {
  if (!message) return { ok: false, error: "the container left no result (killed before it finished?)" };
  try {
    const r = JSON.parse(message);
    if (r && typeof r === "object" && typeof r.ok === "boolean") return r;
  } catch {}
  return { ok: false, error: `unreadable result: ${message.slice(0, 200)}` };
}
