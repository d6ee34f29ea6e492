// Authentication of API requests: a static bearer token and/or client certificates signed by our CA.
import { timingSafeEqual } from "node:crypto";
import type { PeerIdentity } from "./listener.ts";

export interface AuthConfig {
  /** Bearer token that authenticates as the admin user. */
  token?: string;
  /** Accept client certificates that verified against the server's CA (the listener must request them). */
  clientCertAuth: boolean;
}

export interface UserInfo {
  user: string;
  groups: string[];
}

export const ADMIN_USER = "admin";
export const MASTERS_GROUP = "system:masters";
/** Every authenticated request gets this group, as the real apiserver's group adder does. */
export const AUTHENTICATED_GROUP = "system:authenticated";

const adminUser = (): UserInfo => ({ user: ADMIN_USER, groups: [MASTERS_GROUP, AUTHENTICATED_GROUP] });

export function isAuthEnabled(cfg: AuthConfig): boolean {
  return cfg.token !== undefined || cfg.clientCertAuth;
}

/**
 * Who made the request, or undefined when it must be answered with 401.
 * Like the real apiserver's union authenticator, a verified client certificate is tried before the token.
 */
export function authenticate(req: Request, peer: PeerIdentity | undefined, cfg: AuthConfig): UserInfo | undefined {
  if (!isAuthEnabled(cfg)) return adminUser();
  if (cfg.clientCertAuth && peer) {
    return { user: peer.commonName, groups: withAuthenticatedGroup(peer.organizations) };
  }
  if (cfg.token !== undefined) {
    const presented = bearerToken(req.headers.get("authorization"));
    if (presented !== undefined && sameSecret(presented, cfg.token)) return adminUser();
  }
  return undefined;
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
