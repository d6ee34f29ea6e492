// Start-phase timings of one run (a start or a resume: each creates a new pod) from the Pod's own record: its
// creation and the lastTransitionTime of its PodScheduled, Initialized (init containers done) and Ready
// conditions. A condition that is not True yet is left out; `seconds` (creation to Ready) only once Ready.
export interface StartupTimings {
  startedAt?: string;
  scheduledAt?: string;
  initializedAt?: string;
  readyAt?: string;
  seconds?: number;
}

interface PodLike {
  metadata?: { creationTimestamp?: string };
  status?: { conditions?: { type?: string; status?: string; lastTransitionTime?: string; [field: string]: unknown }[] };
}

const valid = (t: string | undefined) => (t !== undefined && !Number.isNaN(Date.parse(t)) ? t : undefined);

export function startupTimings(pod: PodLike): StartupTimings {
  const out: StartupTimings = {};
  const startedAt = valid(pod.metadata?.creationTimestamp);
  if (startedAt) out.startedAt = startedAt;
  const when = (type: string) => valid(pod.status?.conditions?.find((c) => c.type === type && c.status === "True")?.lastTransitionTime);
  const scheduledAt = when("PodScheduled");
  const initializedAt = when("Initialized");
  const readyAt = when("Ready");
  if (scheduledAt) out.scheduledAt = scheduledAt;
  if (initializedAt) out.initializedAt = initializedAt;
  if (readyAt) out.readyAt = readyAt;
  if (startedAt && readyAt) out.seconds = Math.max(0, (Date.parse(readyAt) - Date.parse(startedAt)) / 1000);
  return out;
}
