import { describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { generateTlsMaterial, isIpLiteral, subjectAlternativeName } from "./tls.ts";

// node:crypto parses the certificates: an implementation independent of the generator's.
const parse = (pem: string) => new X509Certificate(pem);

describe("generateTlsMaterial", () => {
  test("CA is a self-signed certificate authority", async () => {
    const m = await generateTlsMaterial();
    const ca = parse(m.caCert);
    expect(ca.ca).toBe(true);
    expect(ca.checkIssued(ca)).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(ca.toLegacyObject().ext_key_usage ?? []).toEqual([]);
  });

  test("serving certificate: signed by the CA, typed SANs, serverAuth only", async () => {
    const m = await generateTlsMaterial();
    const ca = parse(m.caCert);
    const server = parse(m.serverCert);
    expect(server.ca).toBe(false);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.subjectAltName).toBe("DNS:localhost, IP Address:127.0.0.1");
    expect(server.checkHost("localhost")).toBe("localhost");
    expect(server.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(server.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
  });

  test("client certificate: CN=admin, O=system:masters, clientAuth only", async () => {
    const m = await generateTlsMaterial();
    const client = parse(m.clientCert);
    expect(client.checkIssued(parse(m.caCert))).toBe(true);
    expect(client.subject.split("\n")).toEqual(["CN=admin", "O=system:masters"]);
    expect(client.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]);
  });

  test("options choose the SANs and the client subject", async () => {
    const m = await generateTlsMaterial({
      hosts: ["kode.example", "10.1.2.3", "::1"],
      clientCommonName: "operator",
      clientOrganization: "kode:operators",
    });
    expect(parse(m.serverCert).subjectAltName).toBe("DNS:kode.example, IP Address:10.1.2.3, IP Address:0:0:0:0:0:0:0:1");
    expect(parse(m.clientCert).subject.split("\n")).toEqual(["CN=operator", "O=kode:operators"]);
  });

  test("an empty organization leaves O out of the client subject", async () => {
    const m = await generateTlsMaterial({ clientOrganization: "" });
    expect(parse(m.clientCert).subject).toBe("CN=admin");
  });

  test("valid from an hour ago for a year", async () => {
    const before = Date.now();
    const m = await generateTlsMaterial();
    for (const pem of [m.caCert, m.serverCert, m.clientCert]) {
      const cert = parse(pem);
      const from = new Date(cert.validFrom).getTime();
      const to = new Date(cert.validTo).getTime();
      // validFrom/validTo have a resolution of one second.
      expect(Math.abs(before - 3600_000 - from)).toBeLessThan(5_000);
      expect(Math.abs(to - from - 365 * 24 * 3600_000 - 3600_000)).toBeLessThan(5_000);
    }
  });

  test("keys are PKCS#8 and match their certificates", async () => {
    const m = await generateTlsMaterial();
    const { createPrivateKey, createPublicKey } = await import("node:crypto");
    const pairs: [string, string][] = [[m.caKey, m.caCert], [m.serverKey, m.serverCert], [m.clientKey, m.clientCert]];
    for (const [keyPem, certPem] of pairs) {
      expect(keyPem.startsWith("-----BEGIN PRIVATE KEY-----")).toBe(true);
      const derivedPublic = createPublicKey(createPrivateKey(keyPem)).export({ type: "spki", format: "der" });
      const certPublic = parse(certPem).publicKey.export({ type: "spki", format: "der" });
      expect(Buffer.compare(derivedPublic, certPublic)).toBe(0);
    }
  });

  test("every call makes a new CA and distinct serial numbers", async () => {
    const [a, b] = await Promise.all([generateTlsMaterial(), generateTlsMaterial()]);
    expect(a.caCert).not.toBe(b.caCert);
    expect(parse(a.serverCert).checkIssued(parse(b.caCert))).toBe(false);
    const serials = [a.caCert, a.serverCert, a.clientCert].map((pem) => parse(pem).serialNumber);
    expect(new Set(serials).size).toBe(3);
  });

  test("generation is fast", async () => {
    await generateTlsMaterial();
    const start = performance.now();
    await generateTlsMaterial();
    expect(performance.now() - start).toBeLessThan(500);
  });
});

describe("subjectAlternativeName", () => {
  test("IP literals become IP SANs, names DNS SANs", () => {
    expect(subjectAlternativeName("127.0.0.1")).toEqual({ type: "ip", value: "127.0.0.1" });
    expect(subjectAlternativeName("::1")).toEqual({ type: "ip", value: "::1" });
    expect(subjectAlternativeName("localhost")).toEqual({ type: "dns", value: "localhost" });
    expect(isIpLiteral("1.2.3.example")).toBe(false);
  });
});
