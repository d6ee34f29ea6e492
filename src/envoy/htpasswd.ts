// htpasswd lines in the only format Envoy's basic_auth filter accepts: `user:{SHA}<base64 of unsalted SHA-1>`
// (envoyproxy/envoy source/extensions/filters/http/basic_auth/config.cc readHtpasswd). SHA-1 is weak, which is
// why the line lives in a Secret mounted only into the Envoy container and never in the pod spec or bootstrap.
import { createHash } from "node:crypto";

/** `{SHA}` + base64(SHA-1(password)): always 33 characters. */
export function shaHash(password: string): string {
  return `{SHA}${createHash("sha1").update(password, "utf8").digest("base64")}`;
}

/** A user name Envoy's htpasswd reader takes: no ':' (the separator), no whitespace or line breaks, not empty. */
export const HTPASSWD_USER = /^[^:\s]+$/;

/** One htpasswd line (no newline). Throws on a user name Envoy could not read back. */
export function htpasswdLine(username: string, password: string): string {
  if (!HTPASSWD_USER.test(username)) throw new Error(`user name ${JSON.stringify(username)} cannot be used in htpasswd (no ':' or whitespace allowed)`);
  return `${username}:${shaHash(password)}`;
}

/** A whole htpasswd file for the given users, one line each, newline-terminated. */
export function htpasswdFile(users: { username: string; password: string }[]): string {
  return users.map((u) => `${htpasswdLine(u.username, u.password)}\n`).join("");
}
