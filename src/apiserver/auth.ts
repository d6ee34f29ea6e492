// Authentication of API requests: client certificates signed by our CA, the admin bearer token, static
// tokens of a token file (kube-apiserver's --token-file CSV), and ServiceAccount tokens from TokenRequest.
import { timingSafeEqual } from "node:crypto";
import type { PeerIdentity } from "./listener.ts";

export interface AuthConfig {
  /** Bearer token that authenticates as the admin user. */
  token?: string;
  /** Accept client certificates that verified against the server's CA (the listener must request them). */
  clientCertAuth: boolean;
  /** Further bearer tokens, each with its own identity (from a token file). */
  tokens?: Map<string, UserInfo>;
  /** Verifies ServiceAccount tokens the server issued. */
  serviceAccountTokens?: { verify(token: string): UserInfo | undefined };
  /**
   * Even without token or certificate auth, a bearer token that matches nothing gets 401 (RBAC mode: a
   * request that carries credentials is never silently promoted to admin).
   */
  rejectUnknownTokens?: boolean;
}

export interface UserInfo {
  user: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export const ADMIN_USER = "admin";
export const MASTERS_GROUP = "system:masters";
/** Every authenticated request gets this group, as the real apiserver's group adder does. */
export const AUTHENTICATED_GROUP = "system:authenticated";
export const UNAUTHENTICATED_GROUP = "system:unauthenticated";
export const ANONYMOUS_USER = "system:anonymous";

const ADMIN: UserInfo = Object.freeze({ user: ADMIN_USER, groups: Object.freeze([MASTERS_GROUP, AUTHENTICATED_GROUP]) as string[] });
const adminUser = (): UserInfo => ADMIN;

/** The identity of each token-file entry, made once: callers share it (and the authorizer caches by it). */
const fileUsers = new WeakMap<UserInfo, UserInfo>();

function fileUser(entry: UserInfo): UserInfo {
  let user = fileUsers.get(entry);
  if (!user) fileUsers.set(entry, (user = Object.freeze({ ...entry, groups: Object.freeze(withAuthenticatedGroup(entry.groups)) as string[] })));
  return user;
}

export function isAuthEnabled(cfg: AuthConfig): boolean {
  return cfg.token !== undefined || cfg.clientCertAuth || (cfg.tokens?.size ?? 0) > 0;
}

/**
 * Who made the request, or undefined when it must be answered with 401.
 * Like the real apiserver's union authenticator, a verified client certificate is tried before the token.
 */
export function authenticate(req: Request, peer: PeerIdentity | undefined, cfg: AuthConfig): UserInfo | undefined {
  const enabled = isAuthEnabled(cfg);
  if (cfg.clientCertAuth && peer) {
    return { user: peer.commonName, groups: withAuthenticatedGroup(peer.organizations) };
  }
  const presented = bearerToken(req.headers.get("authorization"));
  if (presented !== undefined) {
    if (cfg.token !== undefined && sameSecret(presented, cfg.token)) return adminUser();
    const fromFile = cfg.tokens?.get(presented);
    if (fromFile) return fileUser(fromFile);
    const sa = cfg.serviceAccountTokens?.verify(presented);
    if (sa) return sa;
    if (cfg.rejectUnknownTokens) return undefined;
  }
  return enabled ? undefined : adminUser();
}

/**
 * kube-apiserver's --token-file: CSV lines `token,user,uid[,"group1,group2"]`; blank lines and lines starting
 * with # are skipped. Throws with the line number on a malformed line.
 */
export function parseTokenFile(text: string): Map<string, UserInfo> {
  const out = new Map<string, UserInfo>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim() || line.trimStart().startsWith("#")) return;
    const fields = csvFields(line);
    if (fields.length < 3 || !fields[0] || !fields[1])
      throw new Error(`token file line ${i + 1}: want token,user,uid[,"group1,group2"], got ${fields.length} field(s)`);
    const [token, user, uid, groups] = fields;
    const info: UserInfo = { user, groups: groups ? groups.split(",").map((g) => g.trim()).filter(Boolean) : [] };
    if (uid) info.uid = uid;
    out.set(token, info);
  });
  return out;
}

/** One CSV record (RFC 4180 quoting: "a,b" is one field, "" inside quotes is a quote). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") fields.push(cur), (cur = "");
    else cur += c;
  }
  fields.push(cur);
  return fields.map((f) => f.trim());
}

/** The token of an `Authorization: Bearer <token>` header, parsed the way k8s.io/apiserver's bearertoken does. */
export function bearerToken(header: string | null): string | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  const parts = value.split(" ");
  if (parts.length < 2 || parts[0].toLowerCase() !== "bearer") return undefined;
  return parts[1] === "" ? undefined : parts[1];
}

/** The Status body (and code) the real apiserver sends with HTTP 401. */
export function unauthorizedStatus(): object {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: "Unauthorized",
    reason: "Unauthorized",
    code: 401,
  };
}

function withAuthenticatedGroup(groups: string[]): string[] {
  return groups.includes(AUTHENTICATED_GROUP) ? [...groups] : [...groups, AUTHENTICATED_GROUP];
}

function sameSecret(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
