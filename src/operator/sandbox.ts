// `kode sandbox`: everything on one machine without a cluster. The embedded API server (garbage
// collection, kubelet simulation and RBAC on), the CRDs, sample templates and the shipped RBAC installed,
// and the operator running in the same process as its ServiceAccount, so the sandbox proves the shipped
// RBAC is enough. Users drive it with their own kubectl; the kubeconfig written for them is admin.
import { parseArgs } from "node:util";
import { YAML } from "bun";
import defaultKustomization from "../../manifests/default/kustomization.yaml" with { type: "text" };
import leaderElectionRole from "../../manifests/rbac/leader_election_role.yaml" with { type: "text" };
import leaderElectionRoleBinding from "../../manifests/rbac/leader_election_role_binding.yaml" with { type: "text" };
import role from "../../manifests/rbac/role.yaml" with { type: "text" };
import roleBinding from "../../manifests/rbac/role_binding.yaml" with { type: "text" };
import serviceAccount from "../../manifests/rbac/service_account.yaml" with { type: "text" };
import { KODE_CLUSTER_TEMPLATES, KODE_TEMPLATES } from "../api/resources.ts";
import { buildCrds } from "../api/crds.ts";
import { startApiServer, type ApiServer } from "../apiserver/server.ts";
import { applyObject } from "../kube/apply.ts";
import { createClient, type Client } from "../kube/client.ts";
import { loadClientConfig, staticClientConfig } from "../kube/kubeconfig.ts";
import { createLogger, type LogFormat, type Logger } from "../kube/logger.ts";
import { NAMESPACES } from "../kube/resources.ts";
import type { KubeObject, ResourceRef } from "../kube/types.ts";
import { runUntilSignal, SHARED_FLAGS, sharedOperatorOptions } from "./cli.ts";
import { apiRequestCounter, startOperator, type OperatorOptions, type RunningOperator } from "./operator.ts";
import { Registry } from "../kube/metrics.ts";

export const SANDBOX_USAGE = `Usage: kode sandbox [flags]

Starts the embedded Kubernetes API server with the kode CRDs and sample templates installed, and runs the
operator against it in the same process, as the ServiceAccount of manifests/ with exactly the shipped RBAC
(the API server enforces RBAC). Use it with your own kubectl: the kubeconfig written is admin.

Flags:
  --port N              API server port (default 0: a free port)
  --kubeconfig FILE     where to write the kubeconfig (default .kode/kubeconfig)
  --data-dir DIR        keep the sandbox's state across restarts
  --falco-namespace NS  write the Falco rules ConfigMap kode-falco-rules there
  --falco-webhook-port N  serve the Falcosidekick webhook on 127.0.0.1:N (0: a free port)
  --falco-token-secret NS/NAME  the webhook's bearer token Secret (key "token")
  --log-format json|pretty   (default pretty)

The operator's flags apply to the sandbox's operator too: --namespace, --leader-elect,
--leader-election-namespace, --resync, --concurrency, --activity-interval (e.g. 5s to watch idle pauses
happen quickly), --qps, --gateway-api, --no-ingress, --log-level, --metrics-address and --health-address
(default off in the sandbox). The sandbox always manages Ingresses and HTTPRoutes unless told otherwise.
`;

/** The operator's token lives as long as a sandbox plausibly runs (a year); a restart issues a new one. */
const OPERATOR_TOKEN_SECONDS = 365 * 24 * 3600;

const CRD_REF: ResourceRef = { group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions", kind: "CustomResourceDefinition", namespaced: false };

/** Templates every sandbox starts with, so `kubectl apply` of a Kode works at once. */
export const SAMPLE_TEMPLATES: KubeObject[] = [
  {
    apiVersion: "kode.jacero.io/v1alpha1",
    kind: "KodeTemplate",
    metadata: { name: "code-server-template", namespace: "default" },
    spec: { type: "code-server", image: "linuxserver/code-server:latest", defaultHome: "/config", defaultWorkspace: "workspace" },
  },
  {
    apiVersion: "kode.jacero.io/v1alpha1",
    kind: "KodeClusterTemplate",
    metadata: { name: "webtop" },
    spec: { type: "webtop", image: "linuxserver/webtop:ubuntu-mate", defaultHome: "/config", defaultWorkspace: "workspace" },
  },
];

export interface Sandbox {
  server: ApiServer;
  /** The admin's client (the tests' and the installer's). */
  client: Client;
  /** The operator's client: its ServiceAccount's token. */
  operatorClient: Client;
  operator: RunningOperator;
  stop(): Promise<void>;
}

/** Install the CRDs and templates (idempotent: an existing sandbox keeps its state). */
export async function installSandboxResources(client: Client) {
  for (const crd of buildCrds()) await applyObject(client, CRD_REF, crd as unknown as KubeObject, { fieldManager: "kode-sandbox" });
  for (const t of SAMPLE_TEMPLATES)
    await applyObject(client, t.kind === "KodeTemplate" ? KODE_TEMPLATES : KODE_CLUSTER_TEMPLATES, t, { fieldManager: "kode-sandbox" });
}

export interface SandboxOptions {
  port?: number;
  kubeconfigPath?: string;
  dataDir?: string;
  logger?: Logger;
  kubeletDelayMs?: number;
  resyncMs?: number;
  /** Options for the operator (the operator's flags; tests: the activity poller's interval). */
  operator?: Partial<Omit<OperatorOptions, "client" | "logger">> & { qps?: number };
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const server = await startApiServer({
    port: opts.port ?? 0,
    kubeconfigPath: opts.kubeconfigPath,
    dataDir: opts.dataDir,
    gc: true,
    simulateKubelet: true,
    kubeletDelayMs: opts.kubeletDelayMs ?? 500,
    authorizationMode: "RBAC",
  });
  const client = createClient(await loadClientConfig({ kubeconfig: server.kubeconfigPath }), { qps: 0 });
  await installSandboxResources(client);
  await installShippedRbac(client, "kode-sandbox");
  // Falco's namespace, where the rules ConfigMap goes (a cluster has it from Falco's install).
  const falcoNs = opts.operator?.falco?.namespace;
  if (falcoNs) await applyObject(client, NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: falcoNs } }, { fieldManager: "kode-sandbox" });
  const sa = operatorServiceAccount();
  const token = await serviceAccountToken(client, sa.namespace, sa.name, OPERATOR_TOKEN_SECONDS);
  const { qps, ...operatorOptions } = opts.operator ?? {};
  // The sandbox's Falco webhook listens on loopback unless told otherwise.
  const falco = operatorOptions.falco;
  if (falco?.webhook) operatorOptions.falco = { ...falco, webhook: { address: "127.0.0.1", ...falco.webhook } };
  const metrics = operatorOptions.metrics ?? new Registry();
  const operatorClient = createClient(staticClientConfig({ server: server.url, token }), { qps: qps ?? 0, ...(qps && { burst: qps * 2 }), onResponse: apiRequestCounter(metrics) });
  // The embedded server serves Ingress and the Gateway API kinds: the sandbox manages both route kinds.
  const operator = startOperator({ routes: { ingress: true, gateway: true }, resyncMs: opts.resyncMs, ...operatorOptions, metrics, client: operatorClient, logger: opts.logger });
  await operator.ready;
  return {
    server,
    client,
    operatorClient,
    operator,
    async stop() {
      await operator.stop();
      operatorClient.close();
      client.close();
      await server.stop();
    },
  };
}

export async function sandboxCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string", default: "0" },
      kubeconfig: { type: "string", default: ".kode/kubeconfig" },
      "data-dir": { type: "string" },
      "log-format": { type: "string", default: "pretty" },
      ...SHARED_FLAGS,
      // The sandbox's own client is unthrottled unless --qps says otherwise.
      qps: { type: "string" },
      "metrics-address": { type: "string" },
      "health-address": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(SANDBOX_USAGE);
    return 0;
  }
  const { qps, level, routes, ...shared } = sharedOperatorOptions({ ...values, qps: values.qps ?? "50" });
  const log = createLogger(values["log-format"] as LogFormat, level as never);
  const sandbox = await startSandbox({
    port: Number(values.port),
    kubeconfigPath: values.kubeconfig,
    dataDir: values["data-dir"],
    logger: log,
    operator: {
      ...shared,
      ...(values.qps !== undefined && { qps }),
      // Both route kinds unless --no-ingress (the embedded server has both APIs).
      routes: { ingress: routes?.ingress !== false, gateway: true },
      ...(values["health-address"] !== undefined && { healthAddress: values["health-address"], metricsAddress: values["metrics-address"] ?? "0" }),
    },
  });
  const kc = sandbox.server.kubeconfigPath;
  const sa = operatorServiceAccount();
  console.log(`kode sandbox: API server at ${sandbox.server.url} (RBAC enforced), operator running as ServiceAccount
${sa.namespace}/${sa.name} with the shipped RBAC. Your kubeconfig is admin.

  export KUBECONFIG=${kc}
  kubectl get kodetemplates,kodeclustertemplates
  cat <<EOF | kubectl apply -f -
apiVersion: kode.jacero.io/v1alpha1
kind: Kode
metadata:
  name: my-code-server
spec:
  templateRef:
    kind: KodeTemplate
    name: code-server-template
  user: devuser
  workspace: my-project
  storage:
    resources:
      requests:
        storage: 1Gi
EOF
  kubectl wait --for=condition=Ready kode/my-code-server
  kubectl get kodes
  kubectl describe kode my-code-server
${sandbox.operator.falcoWebhookUrl ? `\nFalco webhook (Falcosidekick webhook.address): ${sandbox.operator.falcoWebhookUrl}\n` : ""}`);
  await runUntilSignal(() => sandbox.stop(), sandbox.operator.done, log);
  return 0;
}

// ---- the shipped RBAC (manifests/rbac with manifests/default's namespace and name prefix, as kustomize applies them),
// embedded in the binary so the sandbox runs its operator with exactly that RBAC ----

const FILES = [serviceAccount, role, roleBinding, leaderElectionRole, leaderElectionRoleBinding];
const CLUSTER_SCOPED = new Set(["ClusterRole", "ClusterRoleBinding", "Namespace"]);

interface Kustomization {
  namespace: string;
  namePrefix: string;
}

function kustomization(): Kustomization {
  const k = YAML.parse(defaultKustomization as unknown as string) as { namespace?: string; namePrefix?: string };
  return { namespace: k.namespace ?? "default", namePrefix: k.namePrefix ?? "" };
}

/** The ServiceAccount the operator runs as (manifests/rbac/service_account.yaml after the kustomization). */
export function operatorServiceAccount(): { namespace: string; name: string } {
  const k = kustomization();
  const sa = YAML.parse(serviceAccount as unknown as string) as KubeObject;
  return { namespace: k.namespace, name: k.namePrefix + sa.metadata.name };
}

/**
 * The shipped ServiceAccount, Roles, ClusterRoles and bindings as `kubectl apply -k manifests/default` creates
 * them: names prefixed, namespaced objects and ServiceAccount subjects moved to the kustomization's namespace,
 * roleRef and ServiceAccount subject names prefixed too.
 */
export function shippedRbac(): KubeObject[] {
  const { namespace, namePrefix } = kustomization();
  return FILES.map((text) => {
    const o = YAML.parse(text as unknown as string) as KubeObject & { roleRef?: { name: string }; subjects?: { kind: string; name: string; namespace?: string }[] };
    o.metadata.name = namePrefix + o.metadata.name;
    if (!CLUSTER_SCOPED.has(o.kind!)) o.metadata.namespace = namespace;
    if (o.roleRef) o.roleRef.name = namePrefix + o.roleRef.name;
    for (const s of o.subjects ?? [])
      if (s.kind === "ServiceAccount") {
        s.name = namePrefix + s.name;
        s.namespace = namespace;
      }
    return o;
  });
}

const refOf = (o: KubeObject): ResourceRef => {
  const [group, version] = o.apiVersion!.includes("/") ? o.apiVersion!.split("/") : ["", o.apiVersion!];
  const plural = `${o.kind!.toLowerCase()}s`;
  return { group, version, plural, kind: o.kind!, namespaced: !CLUSTER_SCOPED.has(o.kind!) };
};

/** Creates the operator's namespace and applies the shipped RBAC (server-side apply: idempotent). */
export async function installShippedRbac(client: Client, fieldManager: string): Promise<void> {
  const { namespace } = operatorServiceAccount();
  await applyObject(client, NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }, { fieldManager });
  for (const o of shippedRbac()) await applyObject(client, refOf(o), o, { fieldManager });
}

/** A token for the ServiceAccount from the TokenRequest API (`kubectl create token`). */
export async function serviceAccountToken(client: Client, namespace: string, name: string, expirationSeconds = 24 * 3600): Promise<string> {
  const res = await client.request("POST", `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    spec: { expirationSeconds },
  });
  const body = (await res.json()) as { status?: { token?: string }; message?: string };
  if (!res.ok || !body.status?.token) throw new Error(`TokenRequest for ${namespace}/${name}: ${res.status} ${body.message ?? ""}`);
  return body.status.token;
}
