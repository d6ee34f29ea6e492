// Test support: npm oidc-provider (an OpenID Certified provider) on 127.0.0.1, over HTTPS (given TLS material) or
// HTTP, with one client per user (client_credentials, JWT access tokens carrying the user's claims).
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import Provider from "oidc-provider";
import type { TlsMaterial } from "../apiserver/tls.ts";

/** Claims per client: each client stands for one user (client_credentials, JWT access tokens). */
export const USERS: Record<string, Record<string, unknown>> = {
  "alice-app": { preferred_username: "alice", groups: ["/devs"], realm_access: { roles: ["developer"] }, resource_access: { kode: { roles: ["owner"] } } },
  "bob-app": { preferred_username: "bob", groups: ["/devs"], realm_access: { roles: ["developer"] }, resource_access: { kode: { roles: [] } } },
  "carol-app": { preferred_username: "carol", groups: ["/ops"], realm_access: { roles: ["operator"] }, resource_access: { other: { roles: ["owner"] } } },
};

export interface RunningProvider {
  issuer: string;
  server: Server;
  kid: string;
  stop(): Promise<void>;
}

async function signingKey(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" };
}

/** Start oidc-provider on 127.0.0.1 (HTTPS with `tls`, else HTTP), on `port` (0: any). */
export async function startProvider(opts: { tls?: TlsMaterial; port?: number; kid: string; issuerSuffix?: string }): Promise<RunningProvider> {
  const server = opts.tls ? createHttpsServer({ cert: opts.tls.serverCert, key: opts.tls.serverKey }) : createHttpServer();
  await new Promise<void>((r) => server.listen(opts.port ?? 0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const issuer = `${opts.tls ? "https" : "http"}://127.0.0.1:${port}${opts.issuerSuffix ?? ""}`;
  const provider = new Provider(issuer, {
    clients: Object.keys(USERS).map((client_id) => ({ client_id, client_secret: `${client_id}-secret`, grant_types: ["client_credentials"], redirect_uris: [], response_types: [] })),
    jwks: { keys: [await signingKey(opts.kid)] },
    cookies: { keys: ["test-cookie-key-0123456789"] },
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => "urn:kode",
        getResourceServerInfo: () => ({ scope: "openid", audience: "kode", accessTokenFormat: "jwt", jwt: { sign: { alg: "RS256" } } }),
      },
    },
    extraTokenClaims: (_ctx: unknown, token: { clientId?: string }) => USERS[token.clientId ?? ""] ?? {},
  } as never);
  // The provider sits behind no proxy: it sees the request's own protocol.
  server.on("request", provider.callback());
  return { issuer, server, kid: opts.kid, stop: () => new Promise<void>((r) => server.close(() => r())) };
}

