// Self-signed TLS material for the embedded API server, generated in-process with WebCrypto
// (the compiled binary must not depend on an openssl executable).
import type * as X509 from "@peculiar/x509";

/** PEM-encoded certificates and PKCS#8 private keys. */
export interface TlsMaterial {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

export interface TlsMaterialOptions {
  /** Names the serving certificate is valid for; IP literals become IP SANs, the rest DNS SANs. */
  hosts?: string[];
  clientCommonName?: string;
  clientOrganization?: string;
}

export const DEFAULT_SERVING_HOSTS: readonly string[] = ["localhost", "127.0.0.1"];

// ECDSA P-256: accepted by Go's crypto/tls (kubectl) and BoringSSL (Bun), and key generation is
// milliseconds where RSA 2048 takes far longer.
const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING_ALGORITHM = { name: "ECDSA", hash: "SHA-256" };

const HOUR_MS = 60 * 60 * 1000;
const YEAR_MS = 365 * 24 * HOUR_MS;

export async function generateTlsMaterial(opts: TlsMaterialOptions = {}): Promise<TlsMaterial> {
  const x509 = await loadX509();
  const hosts = opts.hosts ?? [...DEFAULT_SERVING_HOSTS];
  const now = Date.now();
  const validity = { notBefore: new Date(now - HOUR_MS), notAfter: new Date(now + YEAR_MS) };

  const [caKeys, serverKeys, clientKeys] = await Promise.all([newKeyPair(), newKeyPair(), newKeyPair()]);
  const caName = [{ CN: ["kode-apiserver-ca"] }];

  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    ...validity,
    serialNumber: randomSerialNumber(),
    name: caName,
    keys: caKeys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const issue = async (subject: X509.JsonName, keys: CryptoKeyPair, leafExtensions: X509.Extension[]) =>
    x509.X509CertificateGenerator.create({
      ...validity,
      serialNumber: randomSerialNumber(),
      subject,
      issuer: caCert.subject,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
        ...leafExtensions,
      ],
    });

  const serverCert = await issue([{ CN: ["kode-apiserver"] }], serverKeys, [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension(hosts.map(subjectAlternativeName)),
  ]);

  const clientSubject: X509.JsonName = [{ CN: [opts.clientCommonName ?? "admin"] }];
  const organization = opts.clientOrganization ?? "system:masters";
  if (organization !== "") clientSubject.push({ O: [organization] });
  const clientCert = await issue(clientSubject, clientKeys, [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
  ]);

  return {
    caCert: caCert.toString("pem"),
    caKey: await privateKeyPem(x509, caKeys.privateKey),
    serverCert: serverCert.toString("pem"),
    serverKey: await privateKeyPem(x509, serverKeys.privateKey),
    clientCert: clientCert.toString("pem"),
    clientKey: await privateKeyPem(x509, clientKeys.privateKey),
  };
}

export function subjectAlternativeName(host: string): X509.JsonGeneralName {
  return { type: isIpLiteral(host) ? "ip" : "dns", value: host };
}

export function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}

async function newKeyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"]);
}

async function privateKeyPem(x509: typeof X509, key: CryptoKey): Promise<string> {
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(pkcs8, "PRIVATE KEY");
}

/** 16 random bytes with the top bit cleared: RFC 5280 wants a positive serial of at most 20 octets. */
function randomSerialNumber(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] & 0x7f) | 0x01;
  return Buffer.from(bytes).toString("hex");
}

let x509Module: Promise<typeof X509> | undefined;

/**
 * @peculiar/x509 pulls in tsyringe, which throws at import time unless a Reflect metadata API exists.
 * Rather than adding a polyfill package, install the three functions tsyringe calls, then import.
 */
function loadX509(): Promise<typeof X509> {
  x509Module ??= (async () => {
    installReflectMetadata();
    const x509 = await import("@peculiar/x509");
    x509.cryptoProvider.set(crypto);
    return x509;
  })();
  return x509Module;
}

type MetadataReflect = typeof Reflect & {
  getMetadata?: (key: unknown, target: object) => unknown;
  getOwnMetadata?: (key: unknown, target: object) => unknown;
  defineMetadata?: (key: unknown, value: unknown, target: object) => void;
};

function installReflectMetadata(): void {
  const reflect = Reflect as MetadataReflect;
  if (reflect.getMetadata) return;
  const store = new WeakMap<object, Map<unknown, unknown>>();
  reflect.getOwnMetadata = (key, target) => store.get(target)?.get(key);
  reflect.getMetadata = (key, target) => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t)) {
      const value = store.get(t)?.get(key);
      if (value !== undefined) return value;
    }
    return undefined;
  };
  reflect.defineMetadata = (key, value, target) => {
    let own = store.get(target);
    if (!own) store.set(target, (own = new Map()));
    own.set(key, value);
  };
}
