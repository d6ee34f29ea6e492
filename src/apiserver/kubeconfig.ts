// The kubeconfig the server writes: usable as is by kubectl and by our own client.
import type { TlsMaterial } from "./tls.ts";

export interface KubeconfigInput {
  url: string;
  tls?: TlsMaterial;
  token?: string;
  clientCert?: boolean;
  contextName?: string;
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

export function renderKubeconfig(input: KubeconfigInput): string {
  const name = input.contextName ?? "kode";
  const cluster = input.tls
    ? `    certificate-authority-data: ${b64(input.tls.caCert)}\n`
    : // client-node refuses http:// unless TLS verification is marked as skipped; kubectl accepts it too.
      `    insecure-skip-tls-verify: true\n`;
  let user = "";
  if (input.token) user += `    token: ${input.token}\n`;
  if (input.clientCert && input.tls)
    user += `    client-certificate-data: ${b64(input.tls.clientCert)}\n    client-key-data: ${b64(input.tls.clientKey)}\n`;
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    `- name: ${name}`,
    "  cluster:",
    `    server: ${input.url}`,
    cluster.trimEnd(),
    "users:",
    `- name: ${name}-admin`,
    user ? `  user:\n${user.trimEnd()}` : "  user: {}",
    "contexts:",
    `- name: ${name}`,
    "  context:",
    `    cluster: ${name}`,
    `    user: ${name}-admin`,
    "    namespace: default",
    `current-context: ${name}`,
    "",
  ].join("\n");
}
