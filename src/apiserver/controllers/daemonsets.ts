// Simulated daemonset controller and the Node it schedules on: the sandbox has one Node, so a
// DaemonSet whose nodeSelector matches it runs one Pod there (replaced when the template changes).
import { sameJson } from "../sorted-keys.ts";
import { timestamp } from "../state.ts";
import type { Store } from "../store.ts";
import type { KObject } from "../types.ts";
import { ownedBy, ownerRef } from "./deployments.ts";
import { generatedName, runningPod, SIMULATED_NODE, templateHash } from "./running-pod.ts";

export const DAEMONSETS = "apps/daemonsets";
export const NODES = "/nodes";
const PODS = "/pods";

const spec = (o: KObject) => (o.spec ?? {}) as any;
const same = sameJson;

/** The Node the simulated kubelet runs, created once (it survives restarts with the rest of the data). */
export function ensureNode(store: Store, now: number, kubeletVersion: string) {
  if (store.get(NODES, undefined, SIMULATED_NODE)) return;
  const at = timestamp(now);
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    lastHeartbeatTime: at,
    lastTransitionTime: at,
    reason,
    message,
  });
  const capacity = { cpu: "2", "ephemeral-storage": "20Gi", memory: "4Gi", pods: "110" };
  store.put(
    NODES,
    {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name: SIMULATED_NODE,
        uid: crypto.randomUUID(),
        creationTimestamp: at,
        labels: {
          "beta.kubernetes.io/arch": "amd64",
          "beta.kubernetes.io/os": "linux",
          "kubernetes.io/arch": "amd64",
          "kubernetes.io/hostname": SIMULATED_NODE,
          "kubernetes.io/os": "linux",
          "node-role.kubernetes.io/control-plane": "",
        },
      },
      spec: { podCIDR: "10.244.0.0/16", podCIDRs: ["10.244.0.0/16"] },
      status: {
        addresses: [
          { type: "InternalIP", address: "127.0.0.1" },
          { type: "Hostname", address: SIMULATED_NODE },
        ],
        allocatable: capacity,
        capacity,
        conditions: [
          condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
          condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
          condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
          condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        nodeInfo: {
          architecture: "amd64",
          bootID: "",
          containerRuntimeVersion: "kode://simulated",
          kernelVersion: "simulated",
          kubeProxyVersion: kubeletVersion,
          kubeletVersion,
          machineID: "",
          operatingSystem: "linux",
          osImage: "kode simulated kubelet",
          systemUUID: "",
        },
      },
    },
    undefined,
  );
}

function nodeMatches(node: KObject | undefined, nodeSelector: Record<string, string> | undefined): boolean {
  if (!node || spec(node).unschedulable) return false;
  const labels = node.metadata.labels ?? {};
  return Object.entries(nodeSelector ?? {}).every(([k, v]) => labels[k] === v);
}

export function reconcileDaemonSet(store: Store, now: () => number, ds: KObject) {
  const ns = ds.metadata.namespace;
  const template = spec(ds).template ?? {};
  const node = store.get(NODES, undefined, SIMULATED_NODE);
  const eligible = nodeMatches(node, template.spec?.nodeSelector);
  const hash = templateHash(template);
  const pods = ownedBy(store.list(PODS, ns), ds);
  const keep = eligible ? pods.find((p) => p.metadata.labels?.["controller-revision-hash"] === hash) : undefined;
  for (const pod of pods) if (pod !== keep) store.remove(PODS, pod);
  if (eligible && !keep) {
    const labels = { ...template.metadata?.labels, "controller-revision-hash": hash, "pod-template-generation": String(ds.metadata.generation ?? 1) };
    const name = generatedName(`${ds.metadata.name}-`);
    store.put(PODS, runningPod({ name, generateName: `${ds.metadata.name}-`, namespace: ns, template, labels, owner: ownerRef(ds, "apps/v1", "DaemonSet"), now: now() }), undefined);
  }
  const n = eligible ? 1 : 0;
  const status: Record<string, unknown> = { currentNumberScheduled: n, desiredNumberScheduled: n, numberMisscheduled: 0, numberReady: n, observedGeneration: ds.metadata.generation ?? 1 };
  if (n) Object.assign(status, { updatedNumberScheduled: n, numberAvailable: n });
  const cur = store.get(DAEMONSETS, ns, ds.metadata.name!) ?? ds;
  if (!same(status, cur.status)) store.put(DAEMONSETS, { ...cur, status }, cur);
}
