// The Pod a simulated kubelet reports for a template: scheduled on the simulated Node, every container
// running and ready (or, for a finished Job, terminated with exit code 0).
import { randomSuffix } from "../admission.ts";
import { timestamp } from "../state.ts";
import type { KObject, OwnerReference } from "../types.ts";

export const SIMULATED_NODE = "kode-simulated-node";

/** The alphabet of generated names and hashes (k8s.io/apimachinery's rand: no vowels, no 0/1/3). */
const SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

export interface PodOptions {
  name: string;
  namespace: string | undefined;
  template: any;
  labels: Record<string, string>;
  owner: OwnerReference;
  now: number;
  /** The pod this one replaces under the same name (StatefulSets keep names), for its uid and age. */
  old?: KObject;
  generateName?: string;
  specExtra?: Record<string, unknown>;
  /** A Job's pod: the containers ran to completion. */
  succeeded?: boolean;
}

/** A stable pod IP in 10.244.0.0/16 from the pod's name, so lists and restarts agree. */
function podIpFor(key: string): string {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return `10.244.${(h >>> 8) & 255}.${Math.max(2, h & 255)}`;
}

export function runningPod(o: PodOptions): KObject {
  const now = timestamp(o.now);
  const template = o.template ?? {};
  const containers = ((template.spec?.containers ?? []) as any[]).map((c) => ({
    name: c.name,
    image: c.image,
    imageID: `${c.image}@sha256:${"0".repeat(64)}`,
    containerID: `containerd://${randomSuffix(12)}`,
    ready: !o.succeeded,
    started: !o.succeeded,
    restartCount: 0,
    state: o.succeeded
      ? { terminated: { exitCode: 0, reason: "Completed", startedAt: now, finishedAt: now, containerID: "" } }
      : { running: { startedAt: now } },
  }));
  for (const c of containers) if (c.state.terminated) c.state.terminated.containerID = c.containerID;
  const condition = (type: string, status = "True") => ({ type, status, lastProbeTime: null, lastTransitionTime: now });
  const ready = o.succeeded ? "False" : "True";
  const ip = podIpFor(`${o.namespace}/${o.name}`);
  const pod: KObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: o.name,
      ...(o.generateName ? { generateName: o.generateName } : {}),
      namespace: o.namespace,
      uid: o.old?.metadata.uid ?? crypto.randomUUID(),
      creationTimestamp: o.old?.metadata.creationTimestamp ?? now,
      labels: o.labels,
      annotations: template.metadata?.annotations,
      ownerReferences: [o.owner],
    },
    spec: { ...template.spec, ...o.specExtra, nodeName: SIMULATED_NODE },
    status: {
      phase: o.succeeded ? "Succeeded" : "Running",
      conditions: [
        condition("PodReadyToStartContainers", ready),
        condition("Initialized"),
        condition("Ready", ready),
        condition("ContainersReady", ready),
        condition("PodScheduled"),
      ],
      hostIP: "127.0.0.1",
      hostIPs: [{ ip: "127.0.0.1" }],
      podIP: ip,
      podIPs: [{ ip }],
      startTime: now,
      containerStatuses: containers,
      qosClass: "BestEffort",
    },
  };
  if (!pod.metadata.annotations) delete pod.metadata.annotations;
  return pod;
}

/** `<prefix><5 random characters>`, as generateName produces. */
export function generatedName(prefix: string): string {
  return `${prefix}${randomSuffix(5)}`;
}

/**
 * The pod-template-hash of a template: FNV-1a over its canonical JSON (plus the collision count),
 * written with the controller's safe alphabet (no vowels, no confusable digits).
 */
export function templateHash(template: unknown, collisionCount = 0): string {
  const text = canonicalJson(template) + (collisionCount ? String(collisionCount) : "");
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  const digits = String(h >>> 0);
  let out = "";
  for (const d of digits) out += SAFE_ALPHABET[d.charCodeAt(0) % SAFE_ALPHABET.length];
  return out;
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as any)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v) ?? "null";
}
