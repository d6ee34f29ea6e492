// Isolation of a Kode: the NetworkPolicy <kode> admits traffic only on the one port a browser's requests arrive at
// (Envoy's public port, or the IDE's own port without Envoy) and only from the peers the template names, typically
// the ingress controller's or the gateway's pods. Every peer's pod selector also requires the absence of the Kode
// label, so no other Kode ever matches, whatever the template's selectors say.
import type { LabelSelector, NetworkPeer } from "../api/types.ts";
import { cloneJson } from "../kube/json-clone.ts";

export const KODE_LABEL = "kode.jacero.io/name";

export interface KodePolicyInput {
  metadata: { name: string; namespace?: string; labels: Record<string, string> };
  selectorLabels: Record<string, string>;
  /** The port browsers' traffic arrives at in the pod. */
  port: number;
  /** Ports of the IDE's tools (alnoda), admitted from the same peers. */
  extraPorts?: number[];
  ingressFrom: NetworkPeer[];
}

const notAKode = (s: LabelSelector | undefined): LabelSelector => ({
  ...(s?.matchLabels && { matchLabels: { ...s.matchLabels } }),
  matchExpressions: [...(s?.matchExpressions ?? []).map((e) => cloneJson(e)), { key: KODE_LABEL, operator: "DoesNotExist" }],
});

export function renderKodeNetworkPolicy(input: KodePolicyInput) {
  return {
    apiVersion: "networking.k8s.io/v1" as const,
    kind: "NetworkPolicy" as const,
    metadata: input.metadata,
    spec: {
      podSelector: { matchLabels: { ...input.selectorLabels } },
      policyTypes: ["Ingress"] as ["Ingress"],
      ingress: [
        {
          ports: [input.port, ...(input.extraPorts ?? [])].map((port) => ({ protocol: "TCP" as const, port })),
          from: input.ingressFrom.map((p) => ({
            ...(p.namespaceSelector && { namespaceSelector: cloneJson(p.namespaceSelector) }),
            podSelector: notAKode(p.podSelector),
          })),
        },
      ],
    },
  };
}
