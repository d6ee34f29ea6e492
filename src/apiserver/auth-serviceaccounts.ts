// ServiceAccount tokens as TokenRequest issues them: a JWT (HS256 with a key that lives only in this
// server process) naming the ServiceAccount, valid until it expires or the ServiceAccount is deleted
// (its uid no longer matches). The audience must include the API server's for the token to log in.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { AUTHENTICATED_GROUP, type UserInfo } from "./auth.ts";
import type { Store } from "./store.ts";

export const API_AUDIENCE = "https://kubernetes.default.svc.cluster.local";
export const SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:";

export interface IssuedToken {
  token: string;
  /** Seconds since the epoch. */
  expires: number;
}

interface Claims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  "kubernetes.io": { namespace: string; serviceaccount: { name: string; uid: string } };
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

export function serviceAccountUser(namespace: string, name: string, uid?: string): UserInfo {
  const user: UserInfo = {
    user: `${SERVICE_ACCOUNT_PREFIX}${namespace}:${name}`,
    groups: ["system:serviceaccounts", `system:serviceaccounts:${namespace}`, AUTHENTICATED_GROUP],
  };
  if (uid) user.uid = uid;
  return user;
}

/** "system:serviceaccount:<ns>:<name>" split, or undefined for other user names. */
export function parseServiceAccountUser(user: string): { namespace: string; name: string } | undefined {
  if (!user.startsWith(SERVICE_ACCOUNT_PREFIX)) return undefined;
  const [namespace, name, ...rest] = user.slice(SERVICE_ACCOUNT_PREFIX.length).split(":");
  return namespace && name && rest.length === 0 ? { namespace, name } : undefined;
}

export class ServiceAccountTokens {
  private readonly key = randomBytes(32);

  constructor(
    private store: Store,
    private now: () => number,
  ) {}

  issue(namespace: string, name: string, uid: string, audiences: string[], expirationSeconds: number): IssuedToken {
    const iat = Math.floor(this.now() / 1000);
    const claims: Claims = {
      iss: API_AUDIENCE,
      sub: `${SERVICE_ACCOUNT_PREFIX}${namespace}:${name}`,
      aud: audiences,
      exp: iat + expirationSeconds,
      iat,
      nbf: iat,
      jti: crypto.randomUUID(),
      "kubernetes.io": { namespace, serviceaccount: { name, uid } },
    };
    const signingInput = `${b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${b64url(JSON.stringify(claims))}`;
    return { token: `${signingInput}.${this.sign(signingInput)}`, expires: claims.exp };
  }

  verify(token: string): UserInfo | undefined {
    const parts = token.split(".");
    if (parts.length !== 3) return undefined;
    const expected = Buffer.from(this.sign(`${parts[0]}.${parts[1]}`));
    const given = Buffer.from(parts[2]);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    let claims: Claims;
    try {
      claims = JSON.parse(Buffer.from(parts[1], "base64url").toString());
    } catch {
      return undefined;
    }
    const now = Math.floor(this.now() / 1000);
    if (claims.exp <= now || claims.nbf > now + 60 || !claims.aud?.includes(API_AUDIENCE)) return undefined;
    const { namespace, serviceaccount } = claims["kubernetes.io"] ?? {};
    if (!namespace || !serviceaccount?.name) return undefined;
    const sa = this.store.get("/serviceaccounts", namespace, serviceaccount.name);
    if (!sa || sa.metadata.uid !== serviceaccount.uid) return undefined;
    return serviceAccountUser(namespace, serviceaccount.name, serviceaccount.uid);
  }

  private sign(input: string): string {
    return createHmac("sha256", this.key).update(input).digest("base64url");
  }
}
