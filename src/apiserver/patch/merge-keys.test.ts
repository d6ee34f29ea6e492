import { describe, expect, test } from "bun:test";
import { isReplacedMap, listMergeKey } from "./merge-keys.ts";

describe("listMergeKey", () => {
  test("pod template containers merge by name for every pod-template workload", () => {
    for (const kindKey of ["apps/v1/Deployment", "apps/v1/StatefulSet", "apps/v1/DaemonSet", "apps/v1/ReplicaSet", "batch/v1/Job", "v1/ReplicationController"]) {
      expect(listMergeKey(kindKey, ["spec", "template", "spec", "containers"])).toEqual({ strategy: "merge", key: "name" });
      expect(listMergeKey(kindKey, ["spec", "template", "spec", "initContainers", "env"])).toEqual({ strategy: "merge", key: "name" });
    }
  });

  test("CronJob's pod template sits under spec.jobTemplate", () => {
    const podSpec = ["spec", "jobTemplate", "spec", "template", "spec"];
    expect(listMergeKey("batch/v1/CronJob", [...podSpec, "containers"])).toEqual({ strategy: "merge", key: "name" });
    expect(listMergeKey("batch/v1/CronJob", [...podSpec, "containers", "volumeMounts"])).toEqual({ strategy: "merge", key: "mountPath" });
    expect(listMergeKey("batch/v1/CronJob", ["spec", "template", "spec", "containers"])).toBeUndefined();
  });

  test("ports merge by containerPort in containers and by port in Services", () => {
    expect(listMergeKey("v1/Pod", ["spec", "containers", "ports"])).toEqual({ strategy: "merge", key: "containerPort" });
    expect(listMergeKey("v1/Service", ["spec", "ports"])).toEqual({ strategy: "merge", key: "port" });
  });

  test("the pod spec's keyed lists", () => {
    const spec = (field: string) => listMergeKey("v1/Pod", ["spec", field]);
    expect(spec("volumes")).toEqual({ strategy: "merge", key: "name" });
    expect(spec("imagePullSecrets")).toEqual({ strategy: "merge", key: "name" });
    expect(spec("ephemeralContainers")).toEqual({ strategy: "merge", key: "name" });
    expect(spec("hostAliases")).toEqual({ strategy: "merge", key: "ip" });
    expect(spec("topologySpreadConstraints")).toEqual({ strategy: "merge", key: "topologyKey" });
    expect(listMergeKey("v1/Pod", ["spec", "containers", "volumeDevices"])).toEqual({ strategy: "merge", key: "devicePath" });
  });

  test("tolerations, args, command and volumeClaimTemplates are atomic", () => {
    expect(listMergeKey("v1/Pod", ["spec", "tolerations"])).toBeUndefined();
    expect(listMergeKey("v1/Pod", ["spec", "containers", "args"])).toBeUndefined();
    expect(listMergeKey("v1/Pod", ["spec", "containers", "command"])).toBeUndefined();
    expect(listMergeKey("apps/v1/StatefulSet", ["spec", "volumeClaimTemplates"])).toBeUndefined();
  });

  test("finalizers are a merged list of primitives and ownerReferences merge by uid, for any kind", () => {
    for (const kindKey of ["v1/ConfigMap", "apps/v1/Deployment", "example.com/v1/Widget"]) {
      const finalizers = listMergeKey(kindKey, ["metadata", "finalizers"]);
      expect(finalizers).toEqual({ strategy: "merge" });
      expect(finalizers?.key).toBeUndefined();
      expect(listMergeKey(kindKey, ["metadata", "ownerReferences"])).toEqual({ strategy: "merge", key: "uid" });
    }
    expect(listMergeKey("apps/v1/Deployment", ["spec", "template", "metadata", "finalizers"])).toEqual({ strategy: "merge" });
  });

  test("status conditions merge by type", () => {
    for (const kindKey of ["apps/v1/Deployment", "batch/v1/Job", "v1/Pod", "v1/Namespace", "v1/Node", "policy/v1/PodDisruptionBudget"]) {
      expect(listMergeKey(kindKey, ["status", "conditions"])).toEqual({ strategy: "merge", key: "type" });
    }
    expect(listMergeKey("v1/ConfigMap", ["status", "conditions"])).toBeUndefined();
  });

  test("other groups: webhooks by name, ServiceAccount secrets by name, Node podCIDRs as a set", () => {
    expect(listMergeKey("admissionregistration.k8s.io/v1/MutatingWebhookConfiguration", ["webhooks"])).toEqual({ strategy: "merge", key: "name" });
    expect(listMergeKey("v1/ServiceAccount", ["secrets"])).toEqual({ strategy: "merge", key: "name" });
    expect(listMergeKey("v1/Node", ["spec", "podCIDRs"])).toEqual({ strategy: "merge" });
  });

  test("unknown paths and Object.prototype names give nothing", () => {
    expect(listMergeKey("v1/Pod", ["spec"])).toBeUndefined();
    expect(listMergeKey("v1/Pod", [])).toBeUndefined();
    expect(listMergeKey("constructor", ["keys"])).toBeUndefined();
    expect(listMergeKey("v1/Pod", ["constructor"])).toBeUndefined();
    expect(listMergeKey("__proto__", ["toString"])).toBeUndefined();
  });

  test("the answer is a copy the caller may change", () => {
    const first = listMergeKey("v1/Pod", ["spec", "containers"]);
    if (first) first.key = "image";
    expect(listMergeKey("v1/Pod", ["spec", "containers"])).toEqual({ strategy: "merge", key: "name" });
  });
});

describe("isReplacedMap", () => {
  test("PodDisruptionBudget spec.selector is replaced; other maps merge", () => {
    expect(isReplacedMap("policy/v1/PodDisruptionBudget", ["spec", "selector"])).toBe(true);
    expect(isReplacedMap("apps/v1/Deployment", ["spec", "selector"])).toBe(false);
    expect(isReplacedMap("constructor", ["spec"])).toBe(false);
  });
});
