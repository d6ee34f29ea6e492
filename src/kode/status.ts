// Pure status derivation: what the Kode's status should say, given what the reconciler observed this pass.
// Status is derived from observation each time, never accumulated; the previous status only supplies
// lastTransitionTime (kept while a condition's status does not change) and whether the Kode has run before.
import { nextCondition, withSortedConditions, type ConditionSpec } from "../api/conditions.ts";
import type { ActivityStatus, Condition, IdeType, Kode, KodePhase, KodeStatus, StartupStatus } from "../api/types.ts";
import { ANNOTATION_PAUSE_REASON, ANNOTATION_PAUSED_BY } from "../lifecycle/policy.ts";
import { jsonEqual } from "../kube/merge-patch.ts";
import type { Problem } from "./validate.ts";
import { carrySecurityAlert } from "../falco/alerts.ts";

export const CONDITION_TYPES = ["Ready", "TemplateResolved", "ResourcesReady", "Progressing"] as const;
export type KodeConditionType = (typeof CONDITION_TYPES)[number];

/** The parts of a live StatefulSet that status depends on. */
export interface ObservedStatefulSet {
  metadata?: { name?: string; generation?: number };
  spec?: { replicas?: number };
  status?: {
    replicas?: number;
    readyReplicas?: number;
    observedGeneration?: number;
    updateRevision?: string;
    currentRevision?: string;
  };
}

export interface StatusInput {
  kode: Kode;
  /** The Kode generation the reconciler acted on. */
  generation: number;
  template?: { kind: string; name: string; namespace?: string };
  type?: IdeType;
  /** Bad input (validateKodeInput). */
  problems: Problem[];
  /** The template could not be resolved (not found, wrong kind, forbidden...). */
  templateProblem?: Problem;
  statefulSet?: ObservedStatefulSet;
  /** The in-cluster URL (status.internalURL). */
  serviceUrl?: string;
  /** The route's URL (status.url), when the Kode has a route. */
  routeUrl?: string;
  credentialsSecret?: string;
  deleting: boolean;
  /** What the operator's init containers of the pod reported (undefined: no pod observed, no condition). */
  environmentProblems?: string[];
  /** What went well and is worth saying in EnvironmentReady (e.g. "postStartCommand exited with 0"). */
  environmentNotes?: string[];
  /** devcontainers: where the devcontainer.json in use was read, at which commit, and postStartCommand's exit code. */
  devcontainer?: { source: string; commit?: string; postStartExitCode?: number };
  /** What the activity poller last concluded for the running Kode (left out while paused). */
  activity?: ActivityStatus;
  /** Start-phase timings of the current run (from its pod); the last ones are kept while no pod is seen. */
  startup?: StartupStatus;
  /** spec.lifecycle or keep-alive-until refused (the template's values apply): condition LifecycleValid=False. */
  lifecycleProblems?: Problem[];
  /** A Falco alert the webhook took that the status does not show yet (src/falco/alerts.ts). */
  securityAlert?: Condition;
  /** RFC 3339 time, for conditions whose status changes now. */
  now: string;
}

export interface KodeEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

type CondSpec = ConditionSpec;

export function deriveStatus(input: StatusInput): KodeStatus {
  const { kode, generation, statefulSet: sts } = input;
  const old = kode.status;
  const name = sts?.metadata?.name ?? kode.metadata.name;

  // Observation of the StatefulSet.
  const desired = sts?.spec?.replicas ?? 1;
  const ready = !!sts && desired > 0 && (sts.status?.readyReplicas ?? 0) >= desired;
  const stsGen = sts?.metadata?.generation;
  const stsObserved = sts?.status?.observedGeneration;
  const specNotSeen = !!sts && stsGen !== undefined && (stsObserved ?? 0) < stsGen;
  const upd = sts?.status?.updateRevision;
  const cur = sts?.status?.currentRevision;
  const revisionRolling = !!upd && !!cur && upd !== cur;
  const rolling = specNotSeen || revisionRolling;
  const readyCount = `${sts?.status?.readyReplicas ?? 0}/${desired}`;

  const resources: CondSpec = !sts
    ? { status: "False", reason: "NotCreated", message: `StatefulSet ${name} does not exist yet` }
    : specNotSeen
      ? { status: "False", reason: "RolloutPending", message: `StatefulSet ${name} has not yet observed generation ${stsGen}` }
      : revisionRolling
        ? { status: "False", reason: "RollingUpdate", message: `StatefulSet ${name} is rolling out revision ${upd} (${readyCount} ready)` }
        : ready
          ? { status: "True", reason: "Ready", message: `StatefulSet ${name} is ready (${readyCount})` }
          : { status: "False", reason: "PodNotReady", message: `StatefulSet ${name} has ${readyCount} pods ready` };

  const t = input.template;
  const templateText = t ? `${t.kind} ${t.namespace ? `${t.namespace}/` : ""}${t.name}` : "";
  const templateCond: CondSpec = input.templateProblem
    ? { status: "False", reason: input.templateProblem.reason, message: input.templateProblem.message }
    : t
      ? { status: "True", reason: "Resolved", message: `${templateText}${input.type ? ` (type ${input.type})` : ""}` }
      : { status: "Unknown", reason: "Pending", message: "the template has not been resolved yet" };

  const hasRun = old?.phase === "Running" || old?.phase === "Updating";
  const paused = kode.spec?.paused === true;
  const resuming = !paused && (old?.phase === "Paused" || old?.phase === "Resuming");
  const pausedBy = kode.metadata.annotations?.[ANNOTATION_PAUSED_BY] ?? "user";
  const pauseReason = kode.metadata.annotations?.[ANNOTATION_PAUSE_REASON];

  let phase: KodePhase;
  let readyCond: CondSpec;
  let progressing: CondSpec;
  if (input.deleting) {
    phase = "Deleting";
    readyCond = { status: "False", reason: "Deleting", message: "the Kode is being deleted" };
    progressing = { status: "True", reason: "Deleting", message: "removing the Kode's resources" };
  } else if (input.templateProblem || input.problems.length) {
    phase = "Failed";
    const first = input.templateProblem ?? input.problems[0];
    const all = input.templateProblem ? [input.templateProblem] : input.problems;
    readyCond = { status: "False", reason: first.reason, message: all.map((p) => p.message).join("; ") };
    progressing = { status: "False", reason: first.reason, message: "fix the Kode or its template; nothing is rolled out meanwhile" };
  } else if (!t && !sts) {
    phase = "Pending";
    readyCond = { status: "False", reason: "Pending", message: "waiting for the operator to resolve the template" };
    progressing = { status: "True", reason: "Pending", message: "waiting for the operator to resolve the template" };
  } else if (paused) {
    phase = "Paused";
    const stillUp = (sts?.status?.replicas ?? 0) > 0 || (sts?.status?.readyReplicas ?? 0) > 0;
    readyCond = {
      status: "False",
      reason: "Paused",
      message: `paused by ${pausedBy}${pauseReason ? ` (${pauseReason})` : ""}: the StatefulSet is scaled to 0; storage, Secrets, Service and route are kept. Set spec.paused to false to resume`,
    };
    progressing = stillUp ? { status: "True", reason: "Pausing", message: `StatefulSet ${name} is scaling down to 0` } : { status: "False", reason: "Paused", message: "nothing runs while the Kode is paused" };
  } else if (resuming && (!ready || rolling)) {
    phase = "Resuming";
    readyCond = { status: "False", reason: "Resuming", message: resources.message };
    progressing = { status: "True", reason: "Resuming", message: `scaling StatefulSet ${name} back to 1: ${resources.message}` };
  } else if (!ready && !hasRun) {
    phase = "Provisioning";
    readyCond = { status: "False", reason: "Provisioning", message: resources.message };
    progressing = { status: "True", reason: "Provisioning", message: resources.message };
  } else if (rolling || !ready) {
    phase = "Updating";
    readyCond = { status: "False", reason: rolling ? "Updating" : "PodNotReady", message: resources.message };
    progressing = { status: "True", reason: "Updating", message: resources.message };
  } else {
    phase = "Running";
    const at = input.routeUrl ?? input.serviceUrl;
    const where = at ? ` at ${at}` : "";
    readyCond = { status: "True", reason: "Running", message: `${input.type ?? "the IDE"} is running${where}` };
    progressing = { status: "False", reason: "Stable", message: "the desired state is rolled out" };
  }

  const specs: Record<KodeConditionType, CondSpec> = {
    Ready: readyCond,
    TemplateResolved: templateCond,
    ResourcesReady: paused && phase === "Paused" ? { status: "False", reason: "Paused", message: `StatefulSet ${name} is scaled to 0 (paused)` } : resources,
    Progressing: progressing,
  };
  const conditions = CONDITION_TYPES.map((type) => nextCondition(type, specs[type], old?.conditions, generation, input.now));
  if (input.environmentProblems) conditions.push(nextCondition(ENVIRONMENT_CONDITION, environmentCondition(input.environmentProblems, input.environmentNotes), old?.conditions, generation, input.now));
  const had = (type: string) => !!old?.conditions?.some((c) => c.type === type);
  if (phase === "Paused" || had(PAUSED_CONDITION)) {
    const spec: CondSpec =
      phase === "Paused"
        ? { status: "True", reason: conditionReason(pauseReason ?? pausedBy), message: `paused by ${pausedBy}${pauseReason ? `: ${pauseReason}` : ""}` }
        : { status: "False", reason: "Resumed", message: "not paused; spec.paused=true pauses it (the StatefulSet is scaled to 0, nothing is deleted)" };
    conditions.push(nextCondition(PAUSED_CONDITION, spec, old?.conditions, generation, input.now));
  }
  const lifecycleProblems = input.lifecycleProblems ?? [];
  if (lifecycleProblems.length || had(LIFECYCLE_CONDITION)) {
    const spec: CondSpec = lifecycleProblems.length
      ? { status: "False", reason: lifecycleProblems[0]!.reason, message: `${lifecycleProblems.map((p) => p.message).join("; ")} (the template's values apply)` }
      : { status: "True", reason: "Valid", message: "spec.lifecycle and keep-alive-until are valid" };
    conditions.push(nextCondition(LIFECYCLE_CONDITION, spec, old?.conditions, generation, input.now));
  }
  // Falco's SecurityAlert is written by the webhook, not derived: carried over until acknowledged (src/falco/alerts.ts).
  const securityAlert = carrySecurityAlert(input.securityAlert ? [input.securityAlert] : old?.conditions, kode.metadata.annotations, input.now);
  if (securityAlert) conditions.push(securityAlert);

  const status: KodeStatus = { phase, conditions, observedGeneration: generation };
  if (input.routeUrl !== undefined) status.url = input.routeUrl;
  if (input.serviceUrl !== undefined) status.internalURL = input.serviceUrl;
  if (input.credentialsSecret !== undefined) status.credentialsSecret = input.credentialsSecret;
  if (input.type !== undefined) status.type = input.type;
  if (t) status.template = { kind: t.kind, name: t.name, ...(t.namespace !== undefined && { namespace: t.namespace }) };
  if (input.activity && (phase === "Running" || phase === "Updating")) status.activity = { ...input.activity };
  const startup = input.startup ?? old?.startup;
  if (startup && Object.keys(startup).length) status.startup = { ...startup };
  if (input.devcontainer)
    status.devcontainer = {
      source: input.devcontainer.source,
      ...(input.devcontainer.commit && { commit: input.devcontainer.commit }),
      ...(input.devcontainer.postStartExitCode !== undefined && { postStartExitCode: input.devcontainer.postStartExitCode }),
    };
  return status;
}

/** Present once the Kode was paused: True while paused (reason from kode.jacero.io/pause-reason), False after. */
export const PAUSED_CONDITION = "Paused";
/** Present once spec.lifecycle or keep-alive-until was refused. */
export const LIFECYCLE_CONDITION = "LifecycleValid";

/** "max-run-time" → "MaxRunTime": a condition reason from an annotation value. */
export function conditionReason(text: string): string {
  const r = text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join("");
  return /^[A-Za-z]/.test(r) ? r : `Paused${r}`;
}

/** Present once the pod ran its init containers: whether dotfiles, VS Code settings, clone and create commands worked. */
export const ENVIRONMENT_CONDITION = "EnvironmentReady";

function environmentCondition(problems: string[], notes: string[] = []): CondSpec {
  return problems.length
    ? { status: "False", reason: "InitContainerProblems", message: problems.join("; ") }
    : { status: "True", reason: "Applied", message: ["dotfiles, VS Code settings, clone and create commands reported no problem", ...notes].join("; ") };
}

/** Semantic equality: key order, condition order and undefined fields do not matter. */
export function statusEquals(a: KodeStatus | undefined, b: KodeStatus | undefined): boolean {
  return jsonEqual(withSortedConditions(a), withSortedConditions(b));
}

/**
 * Events worth emitting when status goes from `old` to `next`: one per phase change (its reason is the Ready
 * reason, e.g. NameTooLong or Running), one when a Failed Kode fails for a different reason, and one when the
 * template resolution changes without a phase change. Nothing when nothing changed, so reconciling a settled Kode
 * emits nothing.
 */
export function transitions(old: KodeStatus | undefined, next: KodeStatus): KodeEvent[] {
  const events: KodeEvent[] = [];
  const get = (s: KodeStatus | undefined, type: KodeConditionType) => s?.conditions?.find((c) => c.type === type);
  const oldReady = get(old, "Ready");
  const nextReady = get(next, "Ready");
  const oldPhase = old?.phase;
  const nextPhase = next.phase;

  if (nextPhase !== oldPhase) {
    const degraded = nextPhase === "Updating" && nextReady?.reason === "PodNotReady";
    events.push({
      type: nextPhase === "Failed" || degraded ? "Warning" : "Normal",
      reason: nextReady?.reason ?? nextPhase ?? "Unknown",
      message: `${oldPhase ?? "(new)"} -> ${nextPhase}: ${nextReady?.message ?? ""}`.trim(),
    });
  } else if (nextPhase === "Failed" && nextReady && (oldReady?.reason !== nextReady.reason || oldReady?.message !== nextReady.message)) {
    events.push({ type: "Warning", reason: nextReady.reason, message: nextReady.message });
  }

  const oldEnv = old?.conditions?.find((c) => c.type === ENVIRONMENT_CONDITION);
  const nextEnv = next.conditions?.find((c) => c.type === ENVIRONMENT_CONDITION);
  if (nextEnv?.status === "False" && (oldEnv?.status !== "False" || oldEnv.message !== nextEnv.message))
    events.push({ type: "Warning", reason: nextEnv.reason, message: nextEnv.message });

  const oldLife = old?.conditions?.find((c) => c.type === LIFECYCLE_CONDITION);
  const nextLife = next.conditions?.find((c) => c.type === LIFECYCLE_CONDITION);
  if (nextLife?.status === "False" && (oldLife?.status !== "False" || oldLife.message !== nextLife.message))
    events.push({ type: "Warning", reason: nextLife.reason, message: nextLife.message });

  if (nextPhase === oldPhase) {
    const o = get(old, "TemplateResolved");
    const n = get(next, "TemplateResolved");
    if (n && o && (o.status !== n.status || o.reason !== n.reason) && !(nextPhase === "Failed" && n.status === "False"))
      events.push({ type: n.status === "False" ? "Warning" : "Normal", reason: n.status === "True" ? "TemplateResolved" : n.reason, message: n.message });
  }
  return events;
}
