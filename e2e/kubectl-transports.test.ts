// Real kubectl over HTTPS: with a client certificate (clientCertAuth) and with a bearer token (tls + token).
// A representative subset of the scenarios runs with the full-list binaries (PATH, oldest, newest); then a
// kubeconfig without credentials must get "Unauthorized".
import { describe, expect, test } from "bun:test";
import { anonymousKubeconfig, findKubectlBinaries, Kubectl } from "./kubectl-harness.ts";
import { kubectlSuite, scenarios, skipWithoutKubectl } from "./kubectl-scenarios.ts";

const binaries = findKubectlBinaries().filter((b) => b.full);
skipWithoutKubectl(binaries, "real kubectl over HTTPS");

const TOKEN = "kode-e2e-token-5f1c2a";
const modes = [
  { name: "HTTPS with a client certificate", opts: { clientCertAuth: true } },
  { name: "HTTPS with a bearer token", opts: { tls: true, token: TOKEN } },
] as const;

const subset = scenarios.filter((s) => s.transport);

for (const binary of binaries) {
  for (const mode of modes) {
    describe(`${binary.label} v1.${binary.minor} over ${mode.name}`, () => {
      const sc = kubectlSuite(binary, subset, mode.opts);

      test("the kubeconfig carries the credentials and CA; the server is https", () => {
        expect(sc.server.url).toStartWith("https://127.0.0.1:");
        expect(sc.server.kubeconfig).toContain("certificate-authority-data:");
        if ("token" in mode.opts) expect(sc.server.kubeconfig).toContain(`token: ${TOKEN}`);
        else expect(sc.server.kubeconfig).toContain("client-certificate-data:");
      });

      test("a kubeconfig without credentials gets Unauthorized", async () => {
        const anon = sc.kubectl.file("anonymous.kubeconfig", anonymousKubeconfig(sc.server));
        const anonymous = new Kubectl(binary, anon, sc.kubectl.root);
        const before = sc.server.hooks.count({ code: 401 });
        // discovery fails first; client-go reports a 401 there in its own words
        const get = await anonymous.run(["get", "namespaces"]);
        expect(get.code).toBe(1);
        expect(get.stdout).toBe("");
        expect(get.stderr).toContain("error: You must be logged in to the server");
        // a plain request shows the server's Status message
        const raw = await anonymous.run(["get", "--raw", "/api/v1/namespaces"]);
        expect(raw.code).toBe(1);
        expect(raw.stdout).toBe("");
        expect(raw.stderr).toContain("error: You must be logged in to the server (Unauthorized)");
        expect(sc.server.hooks.count({ code: 401 })).toBeGreaterThan(before);
        // the same kubectl with the server's own kubeconfig is let in
        const admitted = await sc.kubectl.run(["get", "namespaces", "-o", "name"]);
        expect(admitted.code).toBe(0);
        expect(admitted.stdout).toContain("namespace/default");
      });

      if ("token" in mode.opts) {
        test("a wrong token gets Unauthorized", async () => {
          const wrong = sc.kubectl.file("wrong-token.kubeconfig", sc.server.kubeconfig.replace(`token: ${TOKEN}`, "token: not-the-token"));
          const res = await new Kubectl(binary, wrong, sc.kubectl.root).run(["get", "--raw", "/apis/example.com/v1/widgets"]);
          expect(res.code).toBe(1);
          expect(res.stderr).toContain("error: You must be logged in to the server (Unauthorized)");
        });
      }
    });
  }
}
