import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { authenticate, bearerToken, isAuthEnabled, parseTokenFile, unauthorizedStatus, type AuthConfig, type UserInfo } from "./auth.ts";
import { serve, type PeerIdentity, type RunningServer } from "./listener.ts";
import { generateTlsMaterial, type TlsMaterial } from "./tls.ts";

const get = (headers: Record<string, string> = {}) => new Request("https://127.0.0.1/version", { headers });
const bearer = (token: string) => get({ authorization: `Bearer ${token}` });
const alice: PeerIdentity = { commonName: "alice", organizations: ["dev", "ops"] };
const adminGroups = ["system:masters", "system:authenticated"];

describe("authenticate", () => {
  test("auth off: everyone is the admin", () => {
    const off: AuthConfig = { clientCertAuth: false };
    expect(isAuthEnabled(off)).toBe(false);
    expect(authenticate(get(), undefined, off)).toEqual({ user: "admin", groups: adminGroups });
    expect(authenticate(bearer("anything"), alice, off)?.user).toBe("admin");
  });

  test("token: the right token is the admin, a wrong or missing one nobody", () => {
    const cfg: AuthConfig = { token: "s3cret", clientCertAuth: false };
    expect(authenticate(bearer("s3cret"), undefined, cfg)).toEqual({ user: "admin", groups: adminGroups });
    expect(authenticate(bearer("s3cret2"), undefined, cfg)).toBeUndefined();
    expect(authenticate(bearer("s3cre"), undefined, cfg)).toBeUndefined();
    expect(authenticate(get(), undefined, cfg)).toBeUndefined();
    expect(authenticate(get({ authorization: "Basic czNjcmV0" }), undefined, cfg)).toBeUndefined();
  });

  test("token only: a verified certificate is not enough", () => {
    expect(authenticate(get(), alice, { token: "t", clientCertAuth: false })).toBeUndefined();
  });

  test("client certificates: CN is the user, O the groups, plus system:authenticated", () => {
    const cfg: AuthConfig = { clientCertAuth: true };
    expect(authenticate(get(), alice, cfg)).toEqual({ user: "alice", groups: ["dev", "ops", "system:authenticated"] });
    expect(authenticate(get(), undefined, cfg)).toBeUndefined();
    expect(authenticate(bearer("t"), undefined, cfg)).toBeUndefined();
  });

  test("both on: either credential suffices, the certificate first", () => {
    const cfg: AuthConfig = { token: "t", clientCertAuth: true };
    expect(authenticate(get(), alice, cfg)?.user).toBe("alice");
    expect(authenticate(bearer("wrong"), alice, cfg)?.user).toBe("alice");
    expect(authenticate(bearer("t"), undefined, cfg)?.user).toBe("admin");
    expect(authenticate(bearer("wrong"), undefined, cfg)).toBeUndefined();
  });

  test("an empty configured token still means token auth is on", () => {
    const cfg: AuthConfig = { token: "", clientCertAuth: false };
    expect(isAuthEnabled(cfg)).toBe(true);
    expect(authenticate(get({ authorization: "Bearer " }), undefined, cfg)).toBeUndefined();
  });
});

describe("token file (kube-apiserver --token-file)", () => {
  const file = parseTokenFile('# comment\n\nt1,alice,1001,"dev,qa"\nt2,bob,1002\n t3 , carol , , ops \n');

  test("parses token,user,uid,groups with a quoted group list", () => {
    expect(file.get("t1")).toEqual({ user: "alice", uid: "1001", groups: ["dev", "qa"] });
    expect(file.get("t2")).toEqual({ user: "bob", uid: "1002", groups: [] });
    expect(file.get("t3")).toEqual({ user: "carol", groups: ["ops"] });
    expect(file.size).toBe(3);
  });

  test("a malformed line is refused with its number", () => {
    expect(() => parseTokenFile("t1,alice,1\nbroken\n")).toThrow("token file line 2");
  });

  test("each token authenticates as its user, plus system:authenticated; others get nobody", () => {
    const cfg: AuthConfig = { clientCertAuth: false, tokens: file };
    expect(isAuthEnabled(cfg)).toBe(true);
    expect(authenticate(bearer("t1"), undefined, cfg)).toEqual({ user: "alice", uid: "1001", groups: ["dev", "qa", "system:authenticated"] });
    expect(authenticate(bearer("t9"), undefined, cfg)).toBeUndefined();
    expect(authenticate(get(), undefined, cfg)).toBeUndefined();
  });

  test("rejectUnknownTokens: without auth, no credentials is admin but a wrong token is nobody", () => {
    const cfg: AuthConfig = { clientCertAuth: false, rejectUnknownTokens: true };
    expect(authenticate(get(), undefined, cfg)?.user).toBe("admin");
    expect(authenticate(bearer("wrong"), undefined, cfg)).toBeUndefined();
  });
});

describe("bearerToken", () => {
  test("parses like k8s.io/apiserver: trimmed, case-insensitive scheme, single-space separated", () => {
    expect(bearerToken("Bearer abc")).toBe("abc");
    expect(bearerToken("  bearer abc  ")).toBe("abc");
    expect(bearerToken("BEARER abc extra")).toBe("abc");
    expect(bearerToken("Bearer  abc")).toBeUndefined();
    expect(bearerToken("Bearer")).toBeUndefined();
    expect(bearerToken("Basic abc")).toBeUndefined();
    expect(bearerToken("")).toBeUndefined();
    expect(bearerToken(null)).toBeUndefined();
  });
});

describe("unauthorizedStatus", () => {
  test("is the apiserver's 401 Status, serialized in its field order", () => {
    expect(JSON.stringify(unauthorizedStatus())).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}',
    );
  });
});

// ---- end to end: listener + authenticate, with Bun fetch and with real kubectl ----

const VERSION = { major: "1", minor: "32", gitVersion: "v1.32.0-kode", platform: "linux/amd64" };

/** A tiny API server: 401 Status when unauthenticated, else /version (and /whoami for the tests). */
function versionServer(material: TlsMaterial, requestClientCert: boolean, cfg: AuthConfig, seen: UserInfo[] = []) {
  return serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { material, requestClientCert },
    handler(req, peer) {
      const user = authenticate(req, peer, cfg);
      if (!user) return Response.json(unauthorizedStatus(), { status: 401 });
      seen.push(user);
      const path = new URL(req.url).pathname;
      if (path === "/whoami") return Response.json(user);
      if (path === "/version") return Response.json(VERSION);
      return Response.json({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 }, { status: 404 });
    },
  });
}

describe("over HTTPS with Bun fetch", () => {
  let material: TlsMaterial;
  let foreign: TlsMaterial;
  const servers: RunningServer[] = [];
  beforeAll(async () => {
    [material, foreign] = await Promise.all([generateTlsMaterial(), generateTlsMaterial()]);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });
  const start = async (requestClientCert: boolean, cfg: AuthConfig) => {
    const server = await versionServer(material, requestClientCert, cfg);
    servers.push(server);
    return server;
  };

  test("client certificate auth: our certificate passes with its identity", async () => {
    const server = await start(true, { clientCertAuth: true });
    const res = await fetch(`${server.url}/whoami`, {
      tls: { ca: material.caCert, cert: material.clientCert, key: material.clientKey },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ user: "admin", groups: ["system:masters", "system:authenticated"] });
  });

  test("client certificate auth: no certificate gives a 401 Status", async () => {
    const server = await start(true, { clientCertAuth: true });
    const res = await fetch(`${server.url}/whoami`, { tls: { ca: material.caCert } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual(unauthorizedStatus());
  });

  test("client certificate auth: a certificate from another CA gives 401", async () => {
    const server = await start(true, { clientCertAuth: true });
    const res = await fetch(`${server.url}/whoami`, {
      tls: { ca: material.caCert, cert: foreign.clientCert, key: foreign.clientKey },
    });
    expect(res.status).toBe(401);
  });

  for (const requestClientCert of [false, true]) {
    test(`token auth (client certificates ${requestClientCert ? "requested" : "not requested"}): right 200, wrong or missing 401`, async () => {
      const server = await start(requestClientCert, { token: "tok-123", clientCertAuth: false });
      const call = (headers: Record<string, string>) => fetch(`${server.url}/version`, { headers, tls: { ca: material.caCert } });
      const right = await call({ authorization: "Bearer tok-123" });
      expect(right.status).toBe(200);
      expect(await right.json()).toEqual(VERSION);
      expect((await call({ authorization: "Bearer tok-124" })).status).toBe(401);
      expect((await call({})).status).toBe(401);
    });
  }

  test("both on: token without certificate, and certificate without token, both pass", async () => {
    const server = await start(true, { token: "tok", clientCertAuth: true });
    const byToken = await fetch(`${server.url}/whoami`, { headers: { authorization: "Bearer tok" }, tls: { ca: material.caCert } });
    expect(byToken.status).toBe(200);
    const byCert = await fetch(`${server.url}/whoami`, {
      tls: { ca: material.caCert, cert: material.clientCert, key: material.clientKey },
    });
    expect(byCert.status).toBe(200);
    const neither = await fetch(`${server.url}/whoami`, { tls: { ca: material.caCert } });
    expect(neither.status).toBe(401);
  });
});

// ---- real kubectl (Go's crypto/tls) ----

const KUBECTL = "/usr/bin/kubectl";
const OTHER_KUBECTLS = "/usr/lib/google-cloud-sdk/bin";
const haveKubectl = existsSync(KUBECTL);
if (!haveKubectl) console.log(`skipping kubectl tests: ${KUBECTL} not found`);

/** kubectl binaries to try with client certificates: /usr/bin/kubectl plus the versioned ones if present. */
function kubectlBinaries(): string[] {
  const versioned = existsSync(OTHER_KUBECTLS)
    ? readdirSync(OTHER_KUBECTLS)
        .filter((name) => /^kubectl\.1\.\d+$/.test(name))
        .map((name) => join(OTHER_KUBECTLS, name))
    : [];
  return [KUBECTL, ...versioned];
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

function kubeconfig(server: string, caCert: string, user: Record<string, string>): string {
  const userLines = Object.entries(user).map(([k, v]) => `    ${k}: ${v}`).join("\n");
  return `apiVersion: v1
kind: Config
clusters:
- name: kode
  cluster:
    server: ${server}
    certificate-authority-data: ${b64(caCert)}
users:
- name: kode
  user:
${userLines}
contexts:
- name: kode
  context: {cluster: kode, user: kode}
current-context: kode
`;
}

describe.skipIf(!haveKubectl)("real kubectl", () => {
  let material: TlsMaterial;
  let home: string;
  beforeAll(async () => {
    material = await generateTlsMaterial();
    home = mkdtempSync(join(tmpdir(), "kode-kubectl-"));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  /** Runs kubectl asynchronously (a sync spawn would block the server living in this process). */
  async function kubectl(binary: string, config: string, args: string[]) {
    const path = join(home, `kubeconfig-${crypto.randomUUID()}`);
    writeFileSync(path, config);
    const proc = Bun.spawn([binary, "--kubeconfig", path, "--request-timeout=10s", ...args], {
      env: { HOME: home, PATH: process.env.PATH ?? "/usr/bin:/bin" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    return { stdout, stderr, code };
  }

  const certUser = () => ({
    "client-certificate-data": b64(material.clientCert),
    "client-key-data": b64(material.clientKey),
  });

  test("client certificate: every kubectl version gets /version, and the server sees CN=admin", async () => {
    const seen: UserInfo[] = [];
    const server = await versionServer(material, true, { clientCertAuth: true }, seen);
    try {
      for (const binary of kubectlBinaries()) {
        const run = await kubectl(binary, kubeconfig(server.url, material.caCert, certUser()), ["get", "--raw", "/version"]);
        expect({ binary, code: run.code, stderr: run.stderr }).toEqual({ binary, code: 0, stderr: "" });
        expect(JSON.parse(run.stdout)).toEqual(VERSION);
      }
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((u) => u.user === "admin" && u.groups.includes("system:masters"))).toBe(true);
    } finally {
      await server.stop();
    }
  }, 60_000);

  test("client certificate from another CA: kubectl reports Unauthorized", async () => {
    const foreign = await generateTlsMaterial();
    const server = await versionServer(material, true, { clientCertAuth: true });
    try {
      const user = { "client-certificate-data": b64(foreign.clientCert), "client-key-data": b64(foreign.clientKey) };
      const run = await kubectl(KUBECTL, kubeconfig(server.url, material.caCert, user), ["get", "--raw", "/version"]);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain("Unauthorized");
    } finally {
      await server.stop();
    }
  }, 30_000);

  for (const requestClientCert of [false, true]) {
    test(`token (client certificates ${requestClientCert ? "requested" : "not requested"}): right token works, wrong is Unauthorized`, async () => {
      const server = await versionServer(material, requestClientCert, { token: "tok-xyz", clientCertAuth: false });
      try {
        const ok = await kubectl(KUBECTL, kubeconfig(server.url, material.caCert, { token: "tok-xyz" }), ["get", "--raw", "/version"]);
        expect(ok.stderr).toBe("");
        expect(JSON.parse(ok.stdout)).toEqual(VERSION);
        const bad = await kubectl(KUBECTL, kubeconfig(server.url, material.caCert, { token: "nope" }), ["get", "--raw", "/version"]);
        expect(bad.code).not.toBe(0);
        expect(bad.stderr).toContain("Unauthorized");
      } finally {
        await server.stop();
      }
    }, 30_000);
  }

  test("kubectl refuses the server when the CA does not match", async () => {
    const foreign = await generateTlsMaterial();
    const server = await versionServer(material, false, { token: "t", clientCertAuth: false });
    try {
      const run = await kubectl(KUBECTL, kubeconfig(server.url, foreign.caCert, { token: "t" }), ["get", "--raw", "/version"]);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain("certificate");
    } finally {
      await server.stop();
    }
  }, 30_000);
});
