// Table columns of the workload kinds beyond Deployment/StatefulSet/Job (ReplicaSet, ReplicationController,
// DaemonSet, PodDisruptionBudget, HorizontalPodAutoscaler), as kube-apiserver's printers compute them.
import {
  ageColumn,
  asCount,
  asList,
  asMap,
  asString,
  column,
  containerColumns,
  labelSelectorText,
  labelsText,
  podTemplate,
  replicasOf,
  specOf,
  statusOf,
  wide,
  type Json,
} from "./builtin-columns.ts";
import type { KObject, PrinterColumn } from "./types.ts";

const integer = { type: "integer" as const };

/** ReplicaSet and ReplicationController share printReplicaSet's layout; only the selector type differs. */
function replicaColumns(selector: (o: KObject) => string, selectorDescription: string): PrinterColumn[] {
  return [
    column("Desired", "Replicas is the number of desired pods. Defaults to 1.", replicasOf, integer),
    column("Current", "Replicas is the most recently observed number of non-terminating pods.", (o) => asCount(statusOf(o).replicas), integer),
    column("Ready", "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.", (o) => asCount(statusOf(o).readyReplicas), integer),
    ageColumn,
    ...containerColumns(podTemplate),
    column("Selector", selectorDescription, selector, wide),
  ];
}

const daemonSetColumns: PrinterColumn[] = [
  column("Desired", "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).", (o) => asCount(statusOf(o).desiredNumberScheduled), integer),
  column("Current", "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.", (o) => asCount(statusOf(o).currentNumberScheduled), integer),
  column("Ready", "numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.", (o) => asCount(statusOf(o).numberReady), integer),
  column("Up-to-date", "The total number of nodes that are running updated daemon pod", (o) => asCount(statusOf(o).updatedNumberScheduled), integer),
  column("Available", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)", (o) => asCount(statusOf(o).numberAvailable), integer),
  column("Node Selector", "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node.", (o) => labelsText(asMap(asMap(podTemplate(o)).spec).nodeSelector)),
  ageColumn,
  ...containerColumns(podTemplate),
  column("Selector", "A label query over pods that are managed by the daemon set. Must match in order to be controlled.", (o) => labelSelectorText(specOf(o).selector), wide),
];

/** IntOrString.String(): integers print as numbers, strings as they are. */
const intOrString = (v: unknown): string => (typeof v === "number" ? String(v) : typeof v === "string" ? v : "N/A");

const pdbColumns: PrinterColumn[] = [
  column("Min Available", "An eviction is allowed if at least \"minAvailable\" pods selected by \"selector\" will still be available after the eviction.", (o) => intOrString(specOf(o).minAvailable)),
  column("Max Unavailable", "An eviction is allowed if at most \"maxUnavailable\" pods selected by \"selector\" are unavailable after the eviction.", (o) => intOrString(specOf(o).maxUnavailable)),
  column("Allowed Disruptions", "Number of pod disruptions that are currently allowed.", (o) => asCount(statusOf(o).disruptionsAllowed), integer),
  ageColumn,
];

const quantity = (v: unknown): string => (typeof v === "number" ? String(v) : asString(v) || "<unknown>");

/** One metric of formatHPAMetrics: "<current>/<target>", resources prefixed with their name. */
function hpaMetric(spec: Json, status: Json): string {
  const unknown = "<unknown>";
  switch (spec.type) {
    case "Resource":
    case "ContainerResource": {
      const key = spec.type === "Resource" ? "resource" : "containerResource";
      const source = asMap(spec[key]);
      const target = asMap(source.target);
      const current = asMap(asMap(status[key]).current);
      const name = asString(source.name);
      if (target.averageValue !== undefined)
        return `${name}: ${current.averageValue !== undefined ? quantity(current.averageValue) : unknown}/${quantity(target.averageValue)}`;
      const cur = typeof current.averageUtilization === "number" ? `${current.averageUtilization}%` : unknown;
      const tgt = typeof target.averageUtilization === "number" ? `${target.averageUtilization}%` : "<auto>";
      return `${name}: ${cur}/${tgt}`;
    }
    case "Pods": {
      const current = asMap(asMap(status.pods).current);
      return `${current.averageValue !== undefined ? quantity(current.averageValue) : unknown}/${quantity(asMap(asMap(spec.pods).target).averageValue)}`;
    }
    case "Object":
    case "External": {
      const key = spec.type === "Object" ? "object" : "external";
      const target = asMap(asMap(spec[key]).target);
      const current = asMap(asMap(status[key]).current);
      if (target.averageValue !== undefined)
        return `${current.averageValue !== undefined ? quantity(current.averageValue) : unknown}/${quantity(target.averageValue)} (avg)`;
      return `${current.value !== undefined ? quantity(current.value) : unknown}/${quantity(target.value)}`;
    }
  }
  return "<unknown type>";
}

function hpaTargets(o: KObject): string {
  const specs = asList(specOf(o).metrics).map(asMap);
  if (specs.length === 0) return "<none>";
  const statuses = asList(statusOf(o).currentMetrics).map(asMap);
  const list = specs.map((s, i) => hpaMetric(s, statuses[i] ?? {}));
  const max = 2;
  return list.length > max ? `${list.slice(0, max).join(", ")} + ${list.length - max} more...` : list.join(", ");
}

const hpaColumns: PrinterColumn[] = [
  column("Reference", "CrossVersionObjectReference contains enough information to let you identify the referred resource.", (o) => {
    const ref = asMap(specOf(o).scaleTargetRef);
    return `${asString(ref.kind)}/${asString(ref.name)}`;
  }),
  column("Targets", "metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).", hpaTargets),
  column("MinPods", "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.", (o) =>
    typeof specOf(o).minReplicas === "number" ? String(specOf(o).minReplicas) : "<unset>",
  ),
  column("MaxPods", "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It cannot be less that minReplicas.", (o) => asCount(specOf(o).maxReplicas), integer),
  column("Replicas", "currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.", (o) => asCount(statusOf(o).currentReplicas), integer),
  ageColumn,
];

export const workloadColumns: Record<string, PrinterColumn[]> = {
  "apps/ReplicaSet": replicaColumns(
    (o) => labelSelectorText(specOf(o).selector),
    "Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set.",
  ),
  "/ReplicationController": replicaColumns(
    (o) => labelsText(specOf(o).selector),
    "Selector is a label query over pods that should match the Replicas count. If Selector is empty, it is defaulted to the labels present on the Pod template.",
  ),
  "apps/DaemonSet": daemonSetColumns,
  "policy/PodDisruptionBudget": pdbColumns,
  "autoscaling/HorizontalPodAutoscaler": hpaColumns,
};
