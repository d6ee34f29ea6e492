// `kode apiserver`: the embedded API server as a long-running process.
import { parseArgs } from "node:util";
import { startApiServer } from "./server.ts";

export const APISERVER_USAGE = `Usage: kode apiserver [flags]

Serves an envtest-like Kubernetes API server until SIGTERM/SIGINT and writes a kubeconfig for it.

Flags:
  --port N              listen port (0, the default, picks a free one)
  --address ADDR        listen address (default 127.0.0.1)
  --kubeconfig FILE     where to write the kubeconfig (default .kode/kubeconfig)
  --tls                 serve HTTPS with a CA and certificate generated at start
  --client-cert-auth    require a client certificate (implies --tls; the kubeconfig carries one)
  --token T             require this bearer token (the kubeconfig carries it); it authenticates as admin
                        (group system:masters)
  --token-file FILE     more bearer tokens, kube-apiserver's static token CSV: token,user,uid,"group1,group2"
  --authorization-mode MODE
                        AlwaysAllow (default, as envtest) or RBAC (Roles, ClusterRoles and their bindings
                        decide; the default cluster roles are created; system:masters may do anything)
  --data-dir DIR        keep state in DIR across restarts
  --gc                  garbage-collect dependents by ownerReferences and finalize namespaces
  --simulate-kubelet    mark StatefulSet/Deployment replicas ready and Jobs complete
  --kubelet-delay MS    delay before the simulated kubelet acts (default 1000)
  --log-requests        log every request as a JSON line
`;

export async function apiserverCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string", default: "0" },
      address: { type: "string", default: "127.0.0.1" },
      kubeconfig: { type: "string", default: ".kode/kubeconfig" },
      tls: { type: "boolean" },
      "client-cert-auth": { type: "boolean" },
      token: { type: "string" },
      "token-file": { type: "string" },
      "authorization-mode": { type: "string", default: "AlwaysAllow" },
      "data-dir": { type: "string" },
      gc: { type: "boolean" },
      "simulate-kubelet": { type: "boolean" },
      "kubelet-delay": { type: "string" },
      "log-requests": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(APISERVER_USAGE);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535, got ${values.port}`);
  const mode = values["authorization-mode"];
  if (mode !== "AlwaysAllow" && mode !== "RBAC") throw new Error(`--authorization-mode must be AlwaysAllow or RBAC, got ${mode}`);
  const server = await startApiServer({
    port,
    address: values.address,
    kubeconfigPath: values.kubeconfig,
    tls: values.tls,
    clientCertAuth: values["client-cert-auth"],
    token: values.token,
    tokenFile: values["token-file"],
    authorizationMode: mode,
    dataDir: values["data-dir"],
    gc: values.gc,
    simulateKubelet: values["simulate-kubelet"],
    kubeletDelayMs: values["kubelet-delay"] ? Number(values["kubelet-delay"]) : undefined,
    logRequests: values["log-requests"],
  });
  console.log(`kode apiserver listening on ${server.url}`);
  console.log(`kubeconfig written to ${server.kubeconfigPath}`);
  console.log(`try: KUBECONFIG=${server.kubeconfigPath} kubectl get namespaces`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await server.stop();
  return 0;
}
