// The isolate response: a NetworkPolicy <kode>-isolate that selects the Kode's pod and allows no egress at all
// (policyTypes Egress with no egress rule). It is rendered while the Kode's status records the isolation (an
// unacknowledged SecurityAlert with reason Isolated: alerts.ts), so it survives operator restarts; acknowledging the
// alert prunes it. Ingress is left to the Kode's other policies: the user can still open the IDE and look.
import type { Kode } from "../api/types.ts";
import { isIsolated } from "./alerts.ts";

export const isolationPolicyName = (kode: string) => `${kode}-isolate`;

export interface IsolationPolicy {
  apiVersion: "networking.k8s.io/v1";
  kind: "NetworkPolicy";
  metadata: { name: string; namespace?: string; labels: Record<string, string> };
  spec: { podSelector: { matchLabels: Record<string, string> }; policyTypes: ["Egress"] };
}

/** The deny-egress policy when the Kode is isolated, else undefined. */
export function renderIsolationPolicy(kode: Kode, labels: Record<string, string>, selector: Record<string, string>): IsolationPolicy | undefined {
  if (!isIsolated(kode as never)) return undefined;
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: isolationPolicyName(kode.metadata.name), ...(kode.metadata.namespace !== undefined && { namespace: kode.metadata.namespace }), labels },
    // No egress list: an empty one would be dropped by the API server (omitempty) and never compare equal.
    spec: { podSelector: { matchLabels: { ...selector } }, policyTypes: ["Egress"] },
  };
}
