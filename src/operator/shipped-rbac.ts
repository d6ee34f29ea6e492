// The RBAC the project ships (manifests/rbac, with manifests/default's namespace and name prefix applied as
// kustomize does), embedded in the binary so `kode sandbox` can run its operator with exactly that RBAC.
import { YAML } from "bun";
import defaultKustomization from "../../manifests/default/kustomization.yaml" with { type: "text" };
import leaderElectionRole from "../../manifests/rbac/leader_election_role.yaml" with { type: "text" };
import leaderElectionRoleBinding from "../../manifests/rbac/leader_election_role_binding.yaml" with { type: "text" };
import role from "../../manifests/rbac/role.yaml" with { type: "text" };
import roleBinding from "../../manifests/rbac/role_binding.yaml" with { type: "text" };
import serviceAccount from "../../manifests/rbac/service_account.yaml" with { type: "text" };
import { applyObject } from "../kube/apply.ts";
import type { Client } from "../kube/client.ts";
import { NAMESPACES } from "../kube/resources.ts";
import type { KubeObject, ResourceRef } from "../kube/types.ts";

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
