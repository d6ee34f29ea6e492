// Per-kind defaulting, validation and field labels of the built-in kinds: the parts of the real
// registry strategies that clients notice. Keyed by "<group>/<Kind>".
import { crdDefaults, validateCustomResourceDefinition } from "./crd/schema.ts";
import { bindingDefaults, policyDefaults, validateBinding, validatePolicy } from "./cel/vap.ts";
import { prepareCrdStatus } from "./crd/register.ts";
import { moreDefaults, moreValidation } from "./builtin-defaults.ts";
import { rbacDefaults, rbacValidation } from "./rbac/validation.ts";
import { cause, invalidValue } from "./errors.ts";
import { sameJson } from "./sorted-keys.ts";
import { matchesLabels, selectorFromLabelSelectorObject } from "./selectors.ts";
import type { FieldCause, KObject } from "./types.ts";

type Prepare = (obj: KObject, old: KObject | undefined) => void;
type Validate = (obj: KObject, old: KObject | undefined) => FieldCause[];
type FieldLabels = Record<string, (obj: KObject) => string | undefined>;

const obj = (value: unknown): Record<string, any> =>
  value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, any>) : {};
const str = (value: unknown) => (value === undefined || value === null ? undefined : String(value));

function ensure(o: Record<string, any>, key: string): Record<string, any> {
  if (!o[key] || typeof o[key] !== "object") o[key] = {};
  return o[key];
}

function prepareSecret(secret: KObject) {
  const stringData = obj(secret.stringData);
  if (Object.keys(stringData).length > 0) {
    const data = ensure(secret, "data");
    for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(String(v)).toString("base64");
  }
  delete secret.stringData;
  if (!secret.type) secret.type = "Opaque";
}

function validateSecret(secret: KObject, old: KObject | undefined): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const [k, v] of Object.entries(obj(secret.data))) {
    if (typeof v !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0)
      causes.push(invalidValue(`data[${k}]`, "<secret contents redacted>", "must be base64-encoded"));
  }
  if (old && old.type !== secret.type)
    causes.push(invalidValue("type", secret.type, "field is immutable"));
  if (old?.immutable === true && !sameJson(old.data ?? {}, secret.data ?? {}))
    causes.push(cause("FieldValueForbidden", "data", "Forbidden: field is immutable when `immutable` is set"));
  return causes;
}

function validateConfigMap(cm: KObject, old: KObject | undefined): FieldCause[] {
  if (old?.immutable === true && !sameJson(old.data ?? {}, cm.data ?? {}))
    return [cause("FieldValueForbidden", "data", "Forbidden: field is immutable when `immutable` is set")];
  return [];
}

function prepareNamespace(ns: KObject, old: KObject | undefined) {
  const name = ns.metadata.name!;
  ns.metadata.labels = { ...ns.metadata.labels, "kubernetes.io/metadata.name": name };
  const spec = ensure(ns, "spec");
  if (!Array.isArray(spec.finalizers)) spec.finalizers = old ? obj(old.spec).finalizers ?? ["kubernetes"] : ["kubernetes"];
  const status = ensure(ns, "status");
  status.phase = ns.metadata.deletionTimestamp ? "Terminating" : "Active";
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function validateNamespace(ns: KObject): FieldCause[] {
  const name = ns.metadata.name ?? "";
  if (name.length > 63 || !DNS_LABEL.test(name))
    return [
      invalidValue(
        "metadata.name",
        name,
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      ),
    ];
  return [];
}

/** A stable fake ClusterIP in 10.96.0.0/16 derived from the service's key, so restarts keep it. */
function clusterIpFor(key: string): string {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return `10.96.${(h >>> 8) & 255}.${Math.max(1, h & 255)}`;
}

function prepareService(svc: KObject, old: KObject | undefined) {
  const spec = ensure(svc, "spec");
  spec.type ??= "ClusterIP";
  spec.sessionAffinity ??= "None";
  if (spec.type !== "ExternalName" && spec.clusterIP !== "None") {
    spec.clusterIP = obj(old?.spec).clusterIP ?? spec.clusterIP ?? clusterIpFor(`${svc.metadata.namespace}/${svc.metadata.name}`);
    spec.clusterIPs ??= [spec.clusterIP];
  }
  if (Array.isArray(spec.ports))
    for (const port of spec.ports) {
      port.protocol ??= "TCP";
      port.targetPort ??= port.port;
    }
  if (!svc.status) svc.status = { loadBalancer: {} };
}

function validateService(svc: KObject): FieldCause[] {
  const ports = obj(svc.spec).ports;
  const causes: FieldCause[] = [];
  if (Array.isArray(ports))
    ports.forEach((p: any, i: number) => {
      if (!Number.isInteger(p?.port) || p.port < 1 || p.port > 65535)
        causes.push(invalidValue(`spec.ports[${i}].port`, p?.port, "must be between 1 and 65535, inclusive"));
    });
  return causes;
}

function preparePending(o: KObject) {
  const status = ensure(o, "status");
  status.phase ??= "Pending";
}

function preparePvc(pvc: KObject) {
  const spec = ensure(pvc, "spec");
  spec.volumeMode ??= "Filesystem";
  preparePending(pvc);
}

function preparePod(pod: KObject) {
  const spec = ensure(pod, "spec");
  spec.restartPolicy ??= "Always";
  spec.dnsPolicy ??= "ClusterFirst";
  spec.schedulerName ??= "default-scheduler";
  spec.serviceAccountName ??= "default";
  spec.terminationGracePeriodSeconds ??= 30;
  preparePending(pod);
}

function prepareWorkload(o: KObject, old: KObject | undefined, extra: (spec: Record<string, any>) => void) {
  const spec = ensure(o, "spec");
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  extra(spec);
  if (!o.status) o.status = old?.status ?? { replicas: 0, availableReplicas: 0 };
}

function validateSelectorMatchesTemplate(o: KObject, templatePath = ["spec", "template"]): FieldCause[] {
  const spec = obj(o.spec);
  if (!spec.selector) return [cause("FieldValueRequired", "spec.selector", "Required value")];
  let template: any = o;
  for (const p of templatePath) template = obj(template)[p];
  const labels = obj(obj(template).metadata).labels;
  try {
    if (!matchesLabels(selectorFromLabelSelectorObject(spec.selector), labels))
      return [invalidValue("spec.template.metadata.labels", labels ?? {}, "`selector` does not match template `labels`")];
  } catch (e) {
    return [invalidValue("spec.selector", spec.selector, (e as Error).message)];
  }
  return [];
}

function validateImmutableSelector(o: KObject, old: KObject | undefined): FieldCause[] {
  if (old && !sameJson(obj(old.spec).selector, obj(o.spec).selector))
    return [invalidValue("spec.selector", obj(o.spec).selector, "field is immutable")];
  return [];
}

function prepareJob(job: KObject) {
  const spec = ensure(job, "spec");
  spec.completions ??= 1;
  spec.parallelism ??= 1;
  spec.backoffLimit ??= 6;
  spec.completionMode ??= "NonIndexed";
  spec.suspend ??= false;
  const template = ensure(spec, "template");
  const templateMeta = ensure(template, "metadata");
  // The real job controller labels the pod template and selects on a generated uid label; a stable
  // name-based label keeps the fake predictable.
  if (!spec.selector) {
    templateMeta.labels = { ...templateMeta.labels, "batch.kubernetes.io/job-name": job.metadata.name };
    spec.selector = { matchLabels: { "batch.kubernetes.io/job-name": job.metadata.name } };
  }
}

function validateCoreEvent(ev: KObject): FieldCause[] {
  const involved = obj(ev.involvedObject);
  const causes: FieldCause[] = [];
  if (!ev.eventTime) {
    const ns = involved.namespace;
    if (ns && ns !== ev.metadata.namespace)
      causes.push(invalidValue("involvedObject.namespace", ns, "does not match event.namespace"));
  } else {
    for (const field of ["reportingComponent", "reportingInstance", "action", "reason"]) {
      if (!ev[field]) causes.push(cause("FieldValueRequired", field, "Required value"));
    }
    if (typeof ev.message === "string" && ev.message.length > 1024)
      causes.push(cause("FieldValueTooLong", "message", "Too long: may not be more than 1024 bytes"));
  }
  return causes;
}

/** events.k8s.io/v1 create rules, checked on the stored (core) shape, reported with the v1 field names. */
function validateEventsV1(ev: KObject, old: KObject | undefined): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!ev.eventTime) causes.push(cause("FieldValueRequired", "eventTime", "Required value"));
  if (ev.type !== "Normal" && ev.type !== "Warning")
    causes.push(cause("FieldValueNotSupported", "type", `Unsupported value: ${JSON.stringify(ev.type ?? "")}: supported values: "Normal", "Warning"`));
  const v1Name: Record<string, string> = { reportingComponent: "reportingController", message: "note" };
  for (const c of ev.eventTime ? validateCoreEvent(ev) : []) causes.push({ ...c, field: v1Name[c.field] ?? c.field });
  if (old)
    for (const field of ["eventTime", "reason", "action", "reportingComponent", "reportingInstance", "type"])
      if (!sameJson(old[field], ev[field]))
        causes.push(invalidValue(v1Name[field] ?? field, ev[field], "field is immutable"));
  return causes;
}

function prepareCoreEvent(ev: KObject) {
  // Event ages in `kubectl describe` come from first/lastTimestamp; fill them from eventTime when a
  // client only wrote the events.k8s.io style fields.
  if (ev.eventTime) {
    const seconds = String(ev.eventTime).replace(/\.\d+/, "");
    ev.firstTimestamp ??= seconds;
    ev.lastTimestamp ??= seconds;
  }
  ev.count ??= 1;
}

function validateLease(lease: KObject): FieldCause[] {
  const d = obj(lease.spec).leaseDurationSeconds;
  if (d !== undefined && !(Number.isInteger(d) && d > 0))
    return [invalidValue("spec.leaseDurationSeconds", d, "must be greater than 0")];
  return [];
}

export const prepareByKind: Record<string, Prepare> = {
  ...rbacDefaults,
  ...moreDefaults,
  "/Secret": prepareSecret,
  "/Namespace": prepareNamespace,
  "/Service": prepareService,
  "/PersistentVolumeClaim": preparePvc,
  "/Pod": preparePod,
  "/Event": prepareCoreEvent,
  "events.k8s.io/Event": prepareCoreEvent,
  "apps/StatefulSet": (o, old) =>
    prepareWorkload(o, old, (spec) => {
      spec.podManagementPolicy ??= "OrderedReady";
      // SetDefaults_StatefulSet: an empty strategy (kubectl sends `{}`) is filled in too.
      const strategy = ensure(spec, "updateStrategy");
      if (!strategy.type) {
        strategy.type = "RollingUpdate";
        strategy.rollingUpdate ??= {};
      }
      if (strategy.type === "RollingUpdate" && strategy.rollingUpdate) strategy.rollingUpdate.partition ??= 0;
    }),
  "apps/Deployment": (o, old) =>
    prepareWorkload(o, old, (spec) => {
      spec.progressDeadlineSeconds ??= 600;
      // SetDefaults_Deployment: an empty strategy (kubectl sends `{}`) is filled in too.
      const strategy = ensure(spec, "strategy");
      strategy.type ||= "RollingUpdate";
      if (strategy.type === "RollingUpdate") {
        const rolling = ensure(strategy, "rollingUpdate");
        rolling.maxUnavailable ??= "25%";
        rolling.maxSurge ??= "25%";
      }
    }),
  "batch/Job": prepareJob,
  "admissionregistration.k8s.io/ValidatingAdmissionPolicy": (policy) => policyDefaults(policy),
  "admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding": (binding) => bindingDefaults(binding),
  "apiextensions.k8s.io/CustomResourceDefinition": (crd, old) => {
    crdDefaults(crd);
    prepareCrdStatus(crd, old);
  },
};

export const validateByKind: Record<string, Validate> = {
  ...moreValidation,
  ...rbacValidation,
  "/Secret": validateSecret,
  "/ConfigMap": validateConfigMap,
  "/Namespace": validateNamespace,
  "/Service": validateService,
  "/Event": validateCoreEvent,
  "events.k8s.io/Event": validateEventsV1,
  "apps/StatefulSet": (o, old) => [...validateSelectorMatchesTemplate(o), ...validateImmutableSelector(o, old)],
  "apps/Deployment": (o, old) => [...validateSelectorMatchesTemplate(o), ...validateImmutableSelector(o, old)],
  "batch/Job": (o) => validateSelectorMatchesTemplate(o),
  "coordination.k8s.io/Lease": validateLease,
  "apiextensions.k8s.io/CustomResourceDefinition": (crd) => validateCustomResourceDefinition(crd),
  "admissionregistration.k8s.io/ValidatingAdmissionPolicy": (policy) => validatePolicy(policy),
  "admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding": (binding) => validateBinding(binding),
};

const eventFields: FieldLabels = {
  "involvedObject.kind": (e) => str(obj(e.involvedObject).kind),
  "involvedObject.namespace": (e) => str(obj(e.involvedObject).namespace),
  "involvedObject.name": (e) => str(obj(e.involvedObject).name),
  "involvedObject.uid": (e) => str(obj(e.involvedObject).uid),
  "involvedObject.apiVersion": (e) => str(obj(e.involvedObject).apiVersion),
  "involvedObject.resourceVersion": (e) => str(obj(e.involvedObject).resourceVersion),
  "involvedObject.fieldPath": (e) => str(obj(e.involvedObject).fieldPath),
  reason: (e) => str(e.reason),
  reportingComponent: (e) => str(e.reportingComponent),
  source: (e) => str(obj(e.source).component),
  type: (e) => str(e.type),
};

export const fieldLabelsByKind: Record<string, FieldLabels> = {
  "/Event": eventFields,
  "events.k8s.io/Event": {
    // events.k8s.io selects on the v1 names, which the view maps to the same stored fields.
    "regarding.kind": eventFields["involvedObject.kind"],
    "regarding.namespace": eventFields["involvedObject.namespace"],
    "regarding.name": eventFields["involvedObject.name"],
    "regarding.uid": eventFields["involvedObject.uid"],
    reason: eventFields.reason,
    reportingController: eventFields.reportingComponent,
    type: eventFields.type,
  },
  "/Secret": { type: (s) => str(s.type) },
  "/Namespace": { "status.phase": (n) => str(obj(n.status).phase) },
  "/Pod": {
    "spec.nodeName": (p) => str(obj(p.spec).nodeName) ?? "",
    "spec.restartPolicy": (p) => str(obj(p.spec).restartPolicy),
    "spec.schedulerName": (p) => str(obj(p.spec).schedulerName),
    "spec.serviceAccountName": (p) => str(obj(p.spec).serviceAccountName),
    "status.phase": (p) => str(obj(p.status).phase),
    "status.podIP": (p) => str(obj(p.status).podIP) ?? "",
  },
  "batch/Job": { "status.successful": (j) => String(obj(j.status).succeeded ?? 0) },
};
