// Table columns of built-in kinds, as kube-apiserver v1.33 serves them
// (k8s.io/kubernetes pkg/printers/internalversion/printers.go). The server prints "wide", so
// priority-1 columns always carry cells; kubectl shows them only with `-o wide`.
// Cells are computed from the stored JSON; fields the real server would have defaulted
// (Service type and protocol, replicas) are read with those defaults.
import { formatLabelSelector, selectorFromLabelSelectorObject, type LabelRequirement } from "./selectors.ts";
import { ageSince, CREATION_TIMESTAMP_DESCRIPTION, humanDuration, NAME_DESCRIPTION, parseRfc3339 } from "./table.ts";
import type { KObject, PrinterColumn } from "./types.ts";

export type Json = Record<string, unknown>;

export const asMap = (v: unknown): Json => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {});
export const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const asString = (v: unknown): string => (typeof v === "string" ? v : "");
export const asCount = (v: unknown): number => (typeof v === "number" ? v : 0);
export const specOf = (o: KObject): Json => asMap(o.spec);
export const statusOf = (o: KObject): Json => asMap(o.status);

export function column(
  name: string,
  description: string,
  value: (o: KObject, now: number) => unknown,
  extra: Partial<PrinterColumn> = {},
): PrinterColumn {
  return { name, type: "string", description, value, ...extra };
}

export const wide = { priority: 1 };

export const ageColumn = column("Age", CREATION_TIMESTAMP_DESCRIPTION, (o, now) => ageSince(o.metadata.creationTimestamp, now));

/** The default table convertor (`rest.NewDefaultTableConvertor`) used by RBAC roles and CRDs. */
export const createdAtColumn: PrinterColumn = {
  name: "Created At",
  type: "date",
  description: CREATION_TIMESTAMP_DESCRIPTION,
  value: (o) => {
    const time = parseRfc3339(asString(o.metadata.creationTimestamp));
    return time === undefined ? "0001-01-01T00:00:00Z" : new Date(time).toISOString().replace(/\.\d{3}Z$/, "Z");
  },
};

export function containersOf(template: unknown): Json[] {
  return asList(asMap(asMap(template).spec).containers).map(asMap);
}

/** layoutContainerCells: names and images, comma-joined. */
export function containerColumns(template: (o: KObject) => unknown): PrinterColumn[] {
  return [
    column("Containers", "Names of each container in the template.", (o) => containersOf(template(o)).map((c) => asString(c.name)).join(","), wide),
    column("Images", "Images referenced by each container in the template.", (o) => containersOf(template(o)).map((c) => asString(c.image)).join(","), wide),
  ];
}

/** metav1.FormatLabelSelector: `<none>` for an empty selector, `<error>` for an invalid one. */
export function labelSelectorText(selector: unknown): string {
  let reqs: LabelRequirement[];
  try {
    reqs = selectorFromLabelSelectorObject(asMap(selector) as Parameters<typeof selectorFromLabelSelectorObject>[0]);
  } catch {
    return "<error>";
  }
  return formatLabelSelector(reqs) || "<none>";
}

/** labels.FormatLabels: sorted `k=v` pairs, `<none>` when empty. */
export function labelsText(labels: unknown): string {
  const pairs = Object.entries(asMap(labels)).map(([k, v]) => `${k}=${asString(v)}`);
  return pairs.sort().join(",") || "<none>";
}

export function hasCondition(o: KObject, type: string): boolean {
  return asList(statusOf(o).conditions).some((c) => asMap(c).type === type && asMap(c).status === "True");
}

// ---------------------------------------------------------------------------------------------
// Pod
// ---------------------------------------------------------------------------------------------

function isRestartableInit(container: Json | undefined): boolean {
  return container?.restartPolicy === "Always";
}

function timeOf(v: unknown): number | undefined {
  return typeof v === "string" ? parseRfc3339(v) : undefined;
}

interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

/** printPod's READY, STATUS and RESTARTS. */
function summarizePod(pod: KObject, now: number): PodSummary {
  const spec = specOf(pod);
  const status = statusOf(pod);
  const initSpecs = asList(spec.initContainers).map(asMap);
  const initByName = new Map(initSpecs.map((c) => [asString(c.name), c]));
  const total = asList(spec.containers).length + initSpecs.filter(isRestartableInit).length;
  let ready = 0;
  let restarts = 0;
  let restartableInitRestarts = 0;
  let lastRestart: number | undefined;
  let lastRestartableInitRestart: number | undefined;
  const later = (a: number | undefined, b: number | undefined) => (b !== undefined && (a === undefined || b > a) ? b : a);

  const phase = asString(status.phase);
  let reason = asString(status.reason) || phase;
  for (const c of asList(status.conditions).map(asMap)) {
    if (c.type === "PodScheduled" && c.reason === "SchedulingGated") reason = "SchedulingGated";
  }

  const initStatuses = asList(status.initContainerStatuses).map(asMap);
  let initializing = false;
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i];
    const state = asMap(c.state);
    const terminated = state.terminated === undefined ? undefined : asMap(state.terminated);
    const waiting = state.waiting === undefined ? undefined : asMap(state.waiting);
    const lastTerminated = asMap(c.lastState).terminated;
    const restartable = isRestartableInit(initByName.get(asString(c.name)));
    restarts += asCount(c.restartCount);
    if (lastTerminated !== undefined) lastRestart = later(lastRestart, timeOf(asMap(lastTerminated).finishedAt));
    if (restartable) {
      restartableInitRestarts += asCount(c.restartCount);
      if (lastTerminated !== undefined)
        lastRestartableInitRestart = later(lastRestartableInitRestart, timeOf(asMap(lastTerminated).finishedAt));
    }
    if (terminated && asCount(terminated.exitCode) === 0) continue;
    if (restartable && c.started === true) {
      if (c.ready === true) ready++;
      continue;
    }
    if (terminated) {
      const why = asString(terminated.reason);
      if (why) reason = `Init:${why}`;
      else if (asCount(terminated.signal) !== 0) reason = `Init:Signal:${asCount(terminated.signal)}`;
      else reason = `Init:ExitCode:${asCount(terminated.exitCode)}`;
    } else if (waiting && asString(waiting.reason) && waiting.reason !== "PodInitializing") {
      reason = `Init:${asString(waiting.reason)}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || hasCondition(pod, "Initialized")) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    let errorReason = "";
    const statuses = asList(status.containerStatuses).map(asMap);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i];
      const state = asMap(c.state);
      restarts += asCount(c.restartCount);
      const lastTerminated = asMap(c.lastState).terminated;
      if (lastTerminated !== undefined) lastRestart = later(lastRestart, timeOf(asMap(lastTerminated).finishedAt));
      if (state.waiting !== undefined && asString(asMap(state.waiting).reason)) {
        reason = asString(asMap(state.waiting).reason);
      } else if (state.terminated !== undefined) {
        const t = asMap(state.terminated);
        if (asString(t.reason)) reason = asString(t.reason);
        else if (asCount(t.signal) !== 0) reason = `Signal:${asCount(t.signal)}`;
        else reason = `ExitCode:${asCount(t.exitCode)}`;
        if (asCount(t.exitCode) !== 0) errorReason = reason;
      } else if (c.ready === true && state.running !== undefined) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === "Completed") {
      if (hasRunning && hasCondition(pod, "Ready")) reason = "Running";
      else if (errorReason) reason = errorReason;
      else if (hasRunning) reason = "NotReady";
    }
  }

  if (pod.metadata.deletionTimestamp && status.reason === "NodeLost") reason = "Unknown";
  else if (pod.metadata.deletionTimestamp && phase !== "Failed" && phase !== "Succeeded") reason = "Terminating";

  let restartsText = String(restarts);
  if (restarts !== 0 && lastRestart !== undefined) restartsText = `${restarts} (${humanDuration(now - lastRestart)} ago)`;
  return { ready: `${ready}/${total}`, status: reason, restarts: restartsText };
}

function readinessGates(pod: KObject): string {
  const gates = asList(specOf(pod).readinessGates).map(asMap);
  if (gates.length === 0) return "<none>";
  const conditions = asList(statusOf(pod).conditions).map(asMap);
  const passed = gates.filter((g) => conditions.find((c) => c.type === g.conditionType)?.status === "True").length;
  return `${passed}/${gates.length}`;
}

const podColumns: PrinterColumn[] = [
  column("Ready", "The aggregate readiness state of this pod for accepting traffic.", (o, now) => summarizePod(o, now).ready),
  column("Status", "The aggregate status of the containers in this pod.", (o, now) => summarizePod(o, now).status),
  column(
    "Restarts",
    "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
    (o, now) => summarizePod(o, now).restarts,
  ),
  ageColumn,
  column(
    "IP",
    "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
    (o) => asString(asMap(asList(statusOf(o).podIPs)[0]).ip) || "<none>",
    wide,
  ),
  column(
    "Node",
    "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename",
    (o) => asString(specOf(o).nodeName) || "<none>",
    wide,
  ),
  column(
    "Nominated Node",
    "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.",
    (o) => asString(statusOf(o).nominatedNodeName) || "<none>",
    wide,
  ),
  column(
    "Readiness Gates",
    'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates',
    readinessGates,
    wide,
  ),
];

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

function serviceType(o: KObject): string {
  return asString(specOf(o).type) || "ClusterIP";
}

function serviceExternalIP(o: KObject): string {
  const spec = specOf(o);
  const externalIPs = asList(spec.externalIPs).map(asString);
  switch (serviceType(o)) {
    case "ClusterIP":
    case "NodePort":
      return externalIPs.length > 0 ? externalIPs.join(",") : "<none>";
    case "LoadBalancer": {
      const ingress = asList(asMap(statusOf(o).loadBalancer).ingress).map(asMap);
      const lb = [...new Set(ingress.map((i) => asString(i.ip) || asString(i.hostname)).filter(Boolean))].sort();
      const all = [...lb, ...externalIPs];
      return all.length > 0 ? all.join(",") : "<pending>";
    }
    case "ExternalName":
      return asString(spec.externalName);
  }
  return "<unknown>";
}

function servicePorts(o: KObject): string {
  const ports = asList(specOf(o).ports).map(asMap);
  const text = ports
    .map((p) => {
      const protocol = asString(p.protocol) || "TCP";
      const nodePort = asCount(p.nodePort);
      return nodePort > 0 ? `${asCount(p.port)}:${nodePort}/${protocol}` : `${asCount(p.port)}/${protocol}`;
    })
    .join(",");
  return text || "<none>";
}

const serviceColumns: PrinterColumn[] = [
  column("Type", "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer. \"ClusterIP\" allocates a cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by the selector or if that is not specified, by manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is \"None\", no virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual IP. \"NodePort\" builds on ClusterIP and allocates a port on every node which routes to the same endpoints as the clusterIP. \"LoadBalancer\" builds on NodePort and creates an external load-balancer (if supported in the current cloud) which routes to the same endpoints as the clusterIP. \"ExternalName\" aliases this service to the specified externalName. Several other fields do not apply to ExternalName services. More info: https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types", serviceType),
  column(
    "Cluster-IP",
    "clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified manually, is in-range (as per system configuration), and is not in use, it will be allocated to the service; otherwise creation of the service will fail. This field may not be changed through updates unless the type field is also being changed to ExternalName (which requires this field to be blank) or the type field is being changed from ExternalName (in which case this field may optionally be specified, as describe above).  Valid values are \"None\", empty string (\"\"), or a valid IP address. Setting this to \"None\" makes a \"headless service\" (no virtual IP), which is useful when direct endpoint connections are preferred and proxying is not required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service of type ExternalName, creation will fail. This field will be wiped when updating a Service to type ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies",
    (o) => asString(asList(specOf(o).clusterIPs)[0]) || "<none>",
  ),
  column(
    "External-IP",
    "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic arrives at a node with this IP.  A common example is external load-balancers that are not part of the Kubernetes system.",
    serviceExternalIP,
  ),
  column("Port(s)", "The list of ports that are exposed by this service. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies", servicePorts),
  ageColumn,
  column(
    "Selector",
    "Route service traffic to pods with label keys and values matching this selector. If empty or not present, the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/",
    (o) => labelsText(specOf(o).selector),
    wide,
  ),
];

// ---------------------------------------------------------------------------------------------
// Events (core/v1 field names, or events.k8s.io/v1 ones)
// ---------------------------------------------------------------------------------------------

function pick(o: KObject, core: string, eventsV1: string): unknown {
  return o[core] ?? o[eventsV1];
}

function eventFirstSeen(o: KObject, now: number): string {
  const first = asString(pick(o, "firstTimestamp", "deprecatedFirstTimestamp"));
  return first ? ageSince(first, now) : ageSince(o.eventTime, now);
}

function eventLastSeen(o: KObject, now: number): string {
  const series = o.series === undefined || o.series === null ? undefined : asMap(o.series);
  if (series) return ageSince(series.lastObservedTime, now);
  const last = asString(pick(o, "lastTimestamp", "deprecatedLastTimestamp"));
  return last ? ageSince(last, now) : eventFirstSeen(o, now);
}

function eventCount(o: KObject): number {
  const series = o.series === undefined || o.series === null ? undefined : asMap(o.series);
  if (series) return asCount(series.count);
  return asCount(pick(o, "count", "deprecatedCount")) || 1;
}

function eventObject(o: KObject): string {
  const ref = asMap(pick(o, "involvedObject", "regarding"));
  const kind = asString(ref.kind).toLowerCase();
  return asString(ref.name) ? `${kind}/${asString(ref.name)}` : kind;
}

function eventSource(o: KObject): string {
  const source = asMap(pick(o, "source", "deprecatedSource"));
  const component = asString(source.component) || asString(pick(o, "reportingComponent", "reportingController"));
  const instance = asString(source.host) || asString(o.reportingInstance);
  return instance ? `${component}, ${instance}` : component;
}

const eventColumns: PrinterColumn[] = [
  column("Last Seen", "The time at which the most recent occurrence of this event was recorded.", eventLastSeen),
  column("Type", "Type of this event (Normal, Warning), new types could be added in the future", (o) => asString(o.type)),
  column(
    "Reason",
    "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
    (o) => asString(o.reason),
  ),
  column("Object", "The object that this event is about.", eventObject),
  column(
    "Subobject",
    'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: "spec.containers{name}" (where "name" refers to the name of the container that triggered the event) or if no container name is specified "spec.containers[2]" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object.',
    (o) => asString(asMap(pick(o, "involvedObject", "regarding")).fieldPath),
    wide,
  ),
  column("Source", "The component reporting this event. Should be a short machine understandable string.", eventSource, wide),
  column("Message", "A human-readable description of the status of this operation.", (o) => asString(pick(o, "message", "note")).trim()),
  column("First Seen", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)", eventFirstSeen, wide),
  column("Count", "The number of times this event has occurred.", eventCount, wide),
  column("Name", NAME_DESCRIPTION, (o) => o.metadata.name ?? "", { priority: 1, format: "name" }),
];

// ---------------------------------------------------------------------------------------------
// Workloads
// ---------------------------------------------------------------------------------------------

export const replicasOf = (o: KObject): number => (typeof specOf(o).replicas === "number" ? asCount(specOf(o).replicas) : 1);
export const podTemplate = (o: KObject): unknown => specOf(o).template;

const statefulSetColumns: PrinterColumn[] = [
  column("Ready", "Number of the pod with ready state", (o) => `${asCount(statusOf(o).readyReplicas)}/${replicasOf(o)}`),
  ageColumn,
  ...containerColumns(podTemplate),
];

/** printDeployment prints the selector via LabelSelectorAsSelector: nil prints empty, invalid `<invalid>`. */
function deploymentSelector(o: KObject): string {
  const selector = specOf(o).selector;
  if (selector === undefined || selector === null) return "";
  try {
    return formatLabelSelector(selectorFromLabelSelectorObject(asMap(selector)));
  } catch {
    return "<invalid>";
  }
}

const deploymentColumns: PrinterColumn[] = [
  column("Ready", "Number of the pod with ready state", (o) => `${asCount(statusOf(o).readyReplicas)}/${replicasOf(o)}`),
  column(
    "Up-to-date",
    "Total number of non-terminating pods targeted by this deployment that have the desired template spec.",
    (o) => asCount(statusOf(o).updatedReplicas),
  ),
  column(
    "Available",
    "Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment.",
    (o) => asCount(statusOf(o).availableReplicas),
  ),
  ageColumn,
  ...containerColumns(podTemplate),
  column(
    "Selector",
    "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.",
    deploymentSelector,
    wide,
  ),
];

function jobStatus(o: KObject): string {
  if (hasJobCondition(o, "Complete")) return "Complete";
  if (hasJobCondition(o, "Failed")) return "Failed";
  if (o.metadata.deletionTimestamp) return "Terminating";
  if (hasJobCondition(o, "Suspended")) return "Suspended";
  if (hasJobCondition(o, "FailureTarget")) return "FailureTarget";
  if (hasJobCondition(o, "SuccessCriteriaMet")) return "SuccessCriteriaMet";
  return "Running";
}

/** hasJobCondition looks at the first condition of the type only. */
function hasJobCondition(o: KObject, type: string): boolean {
  const condition = asList(statusOf(o).conditions).map(asMap).find((c) => c.type === type);
  return condition?.status === "True";
}

function jobCompletions(o: KObject): string {
  const spec = specOf(o);
  const succeeded = asCount(statusOf(o).succeeded);
  if (typeof spec.completions === "number") return `${succeeded}/${spec.completions}`;
  const parallelism = asCount(spec.parallelism);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(o: KObject, now: number): string {
  const status = statusOf(o);
  const start = timeOf(status.startTime);
  if (start === undefined) return "";
  const end = timeOf(status.completionTime);
  return humanDuration((end ?? now) - start);
}

const jobSelectorDescription =
  "A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors";

const jobColumns: PrinterColumn[] = [
  column("Status", "Status of the job.", jobStatus),
  column(
    "Completions",
    "The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, it may decrease in reaction to scale down of elastic indexed jobs.",
    jobCompletions,
  ),
  column("Duration", "Time required to complete the job.", jobDuration),
  ageColumn,
  ...containerColumns(podTemplate),
  column("Selector", jobSelectorDescription, (o) => labelSelectorText(specOf(o).selector), wide),
];

function printBoolPointer(v: unknown): string {
  if (typeof v !== "boolean") return "<unset>";
  return v ? "True" : "False";
}

const jobTemplateSpec = (o: KObject): Json => asMap(asMap(specOf(o).jobTemplate).spec);

const cronJobColumns: PrinterColumn[] = [
  column("Schedule", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.", (o) => asString(specOf(o).schedule)),
  column(
    "Timezone",
    "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default to the time zone of the kube-controller-manager process. The set of valid time zone names and the time zone offset is loaded from the system-wide time zone database by the API server during CronJob validation and the controller manager during execution. If no system-wide time zone database can be found a bundled version of the database is used instead. If the time zone name becomes invalid during the lifetime of a CronJob or due to a change in host configuration, the controller will stop creating new new Jobs and will create a system event with the reason UnknownTimeZone. More information can be found in https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones",
    (o) => (typeof specOf(o).timeZone === "string" ? asString(specOf(o).timeZone) : "<none>"),
  ),
  {
    ...column(
      "Suspend",
      "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false.",
      (o) => printBoolPointer(specOf(o).suspend),
    ),
    type: "boolean",
  },
  { ...column("Active", "A list of pointers to currently running jobs.", (o) => asList(statusOf(o).active).length), type: "integer" },
  column("Last Schedule", "Information when was the last time the job was successfully scheduled.", (o, now) =>
    statusOf(o).lastScheduleTime ? ageSince(statusOf(o).lastScheduleTime, now) : "<none>",
  ),
  ageColumn,
  ...containerColumns((o) => jobTemplateSpec(o).template),
  column("Selector", jobSelectorDescription, (o) => labelSelectorText(jobTemplateSpec(o).selector), wide),
];

// ---------------------------------------------------------------------------------------------
// Storage
// ---------------------------------------------------------------------------------------------

/** helper.GetAccessModesAsString: fixed order, duplicates dropped. */
export function accessModesText(modes: unknown): string {
  const present = new Set(asList(modes).map(asString));
  const abbreviations: [string, string][] = [
    ["ReadWriteOnce", "RWO"],
    ["ReadOnlyMany", "ROX"],
    ["ReadWriteMany", "RWX"],
    ["ReadWriteOncePod", "RWOP"],
  ];
  return abbreviations
    .filter(([mode]) => present.has(mode))
    .map(([, short]) => short)
    .join(",");
}

const boundVolume = (o: KObject): boolean => asString(specOf(o).volumeName) !== "";

const pvcColumns: PrinterColumn[] = [
  column("Status", "phase represents the current phase of PersistentVolumeClaim.", (o) =>
    o.metadata.deletionTimestamp ? "Terminating" : asString(statusOf(o).phase),
  ),
  column("Volume", "volumeName is the binding reference to the PersistentVolume backing this claim.", (o) => asString(specOf(o).volumeName)),
  column("Capacity", "capacity represents the actual resources of the underlying volume.", (o) =>
    boundVolume(o) ? asString(asMap(statusOf(o).capacity).storage) || "0" : "",
  ),
  column(
    "Access Modes",
    "accessModes contains the actual access modes the volume backing the PVC has. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1",
    (o) => (boundVolume(o) ? accessModesText(statusOf(o).accessModes) : ""),
  ),
  column("StorageClass", "StorageClass of the pvc", (o) => {
    const annotation = o.metadata.annotations?.["volume.beta.kubernetes.io/storage-class"];
    return annotation ?? asString(specOf(o).storageClassName);
  }),
  column("VolumeAttributesClass", "VolumeAttributesClass of the pvc", (o) =>
    typeof specOf(o).volumeAttributesClassName === "string" ? asString(specOf(o).volumeAttributesClassName) : "<unset>",
  ),
  ageColumn,
  column(
    "VolumeMode",
    "volumeMode defines what type of volume is required by the claim. Value of Filesystem is implied when not included in claim spec.",
    (o) => asString(specOf(o).volumeMode) || "<unset>",
    wide,
  ),
];

// ---------------------------------------------------------------------------------------------
// RBAC
// ---------------------------------------------------------------------------------------------

/** rbac.SubjectsStrings, one list per subject kind. */
function subjectsOf(o: KObject, kind: "User" | "Group" | "ServiceAccount"): string {
  return asList(o.subjects)
    .map(asMap)
    .filter((s) => s.kind === kind)
    .map((s) => (kind === "ServiceAccount" ? `${asString(s.namespace)}/${asString(s.name)}` : asString(s.name)))
    .join(", ");
}

function bindingColumns(what: "roleBinding" | "clusterRoleBinding", roleRefDescription: string): PrinterColumn[] {
  return [
    column("Role", roleRefDescription, (o) => `${asString(asMap(o.roleRef).kind)}/${asString(asMap(o.roleRef).name)}`),
    ageColumn,
    column("Users", `Users in the ${what}`, (o) => subjectsOf(o, "User"), wide),
    column("Groups", `Groups in the ${what}`, (o) => subjectsOf(o, "Group"), wide),
    column("ServiceAccounts", `ServiceAccounts in the ${what}`, (o) => subjectsOf(o, "ServiceAccount"), wide),
  ];
}

// ---------------------------------------------------------------------------------------------

/** Columns after Name, keyed by "<group>/<Kind>" ("" group for core). */
export const builtinColumns: Record<string, PrinterColumn[]> = {
  "/Namespace": [column("Status", "The status of the namespace", (o) => asString(statusOf(o).phase)), ageColumn],
  "/Secret": [
    column("Type", "Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types", (o) =>
      asString(o.type),
    ),
    column(
      "Data",
      "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4",
      (o) => Object.keys(asMap(o.data)).length,
    ),
    ageColumn,
  ],
  "/ConfigMap": [
    column(
      "Data",
      "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.",
      (o) => Object.keys(asMap(o.data)).length + Object.keys(asMap(o.binaryData)).length,
    ),
    ageColumn,
  ],
  "/Service": serviceColumns,
  // SECRETS is gone from servers newer than v1.33 (kubernetes PR #117160).
  "/ServiceAccount": [
    column(
      "Secrets",
      'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use. Pods are only limited to this list if this service account has a "kubernetes.io/enforce-mountable-secrets" annotation set to "true". The "kubernetes.io/enforce-mountable-secrets" annotation is deprecated since v1.32. Prefer separate namespaces to isolate access to mounted secrets. This field should not be used to find auto-generated service account token secrets for use outside of pods. Instead, tokens can be requested directly using the TokenRequest API, or service account token secrets can be manually created. More info: https://kubernetes.io/docs/concepts/configuration/secret',
      (o) => asList(o.secrets).length,
    ),
    ageColumn,
  ],
  "/PersistentVolumeClaim": pvcColumns,
  "/Pod": podColumns,
  "/Event": eventColumns,
  "events.k8s.io/Event": eventColumns,
  "apps/StatefulSet": statefulSetColumns,
  "apps/Deployment": deploymentColumns,
  "batch/Job": jobColumns,
  "batch/CronJob": cronJobColumns,
  "networking.k8s.io/NetworkPolicy": [
    column(
      "Pod-Selector",
      "Selects the pods to which this NetworkPolicy object applies.  The array of ingress rules is applied to any pods selected by this field. Multiple network policies can select the same set of pods.  In this case, the ingress rules for each are combined additively. This field is NOT optional and follows standard label selector semantics. An empty podSelector matches all pods in this namespace.",
      (o) => labelSelectorText(specOf(o).podSelector),
    ),
    ageColumn,
  ],
  "coordination.k8s.io/Lease": [
    column(
      "Holder",
      "holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field.",
      (o) => asString(specOf(o).holderIdentity),
    ),
    ageColumn,
  ],
  "rbac.authorization.k8s.io/Role": [createdAtColumn],
  "rbac.authorization.k8s.io/ClusterRole": [createdAtColumn],
  "rbac.authorization.k8s.io/RoleBinding": bindingColumns(
    "roleBinding",
    "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.",
  ),
  "rbac.authorization.k8s.io/ClusterRoleBinding": bindingColumns(
    "clusterRoleBinding",
    "RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.",
  ),
  "apiextensions.k8s.io/CustomResourceDefinition": [createdAtColumn],
};
