// CustomResourceDefinitions: status (NamesAccepted/Established) computed on every write, resources
// registered in the same tick the CRD is stored (so discovery shows them before the create returns),
// and deletion that removes every custom resource before the CRD goes.
import type { ResourceRegistry } from "../registry.ts";
import { storageKey } from "../types.ts";
import { timestamp } from "../state.ts";
import type { Store, StoreEvent } from "../store.ts";
import type { JSONSchemaProps, KObject, PrinterColumn, ResourceType } from "../types.ts";
import { evaluateJsonPath } from "../jsonpath.ts";

export const CRD_RESOURCE = "apiextensions.k8s.io/customresourcedefinitions";
export const CRD_CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io";
const ALL_VERBS = ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"];

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: JSONSchemaProps };
  subresources?: { status?: object; scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string } };
  additionalPrinterColumns?: { name: string; type: PrinterColumn["type"]; jsonPath: string; description?: string; priority?: number; format?: string }[];
  selectableFields?: { jsonPath: string }[];
}

const spec = (crd: KObject) => (crd.spec ?? {}) as any;

export function crdResourceTypes(crd: KObject): ResourceType[] {
  const s = spec(crd);
  const names = s.names ?? {};
  return ((s.versions ?? []) as CrdVersion[])
    .filter((v) => v.served !== false)
    .map((v) => {
      const fieldLabels: ResourceType["fieldLabels"] = {};
      for (const f of v.selectableFields ?? []) {
        const path = f.jsonPath;
        fieldLabels[path.replace(/^\./, "")] = (obj) => {
          const [value] = evaluateJsonPath(obj, path);
          return value === undefined || value === null ? undefined : String(value);
        };
      }
      return {
        group: s.group,
        version: v.name,
        kind: names.kind,
        listKind: names.listKind ?? `${names.kind}List`,
        plural: names.plural,
        singular: names.singular ?? String(names.kind).toLowerCase(),
        namespaced: s.scope !== "Cluster",
        shortNames: names.shortNames ?? [],
        categories: names.categories ?? [],
        verbs: ALL_VERBS,
        subresources: { status: !!v.subresources?.status, scale: v.subresources?.scale },
        columns: (v.additionalPrinterColumns ?? []).map((c) => ({
          name: c.name,
          type: c.type,
          jsonPath: c.jsonPath,
          description: c.description ?? `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
          priority: c.priority ?? 0,
          format: c.format,
        })),
        schema: v.schema?.openAPIV3Schema,
        crd: crd.metadata.name,
        fieldLabels,
        strategicMerge: false,
        allowUnconditionalUpdate: false,
        generation: true,
      } satisfies ResourceType;
    });
}

/** CRD status as the apiextensions server reports it once names are accepted. */
export function prepareCrdStatus(crd: KObject, old: KObject | undefined) {
  const s = spec(crd);
  const names = s.names ?? {};
  const now = timestamp(Date.now());
  const oldConditions: any[] = ((old?.status as any)?.conditions ?? []) as any[];
  const condition = (type: string, status: string, reason: string, message: string) => {
    const prev = oldConditions.find((c) => c.type === type);
    return { type, status, lastTransitionTime: prev?.status === status ? prev.lastTransitionTime : now, reason, message };
  };
  const storage = ((s.versions ?? []) as CrdVersion[]).find((v) => v.storage)?.name;
  const oldStored: string[] = ((old?.status as any)?.storedVersions ?? []) as string[];
  const conditions = [
    condition("NamesAccepted", "True", "NoConflicts", "no conflicts found"),
    condition("Established", "True", "InitialNamesAccepted", "the initial names have been accepted"),
  ];
  if (crd.metadata.deletionTimestamp)
    conditions.push(condition("Terminating", "True", "InstanceDeletionInProgress", "CustomResource deletion is in progress"));
  crd.status = {
    conditions,
    acceptedNames: {
      plural: names.plural,
      singular: names.singular ?? String(names.kind ?? "").toLowerCase(),
      kind: names.kind,
      listKind: names.listKind ?? `${names.kind}List`,
      ...(names.shortNames ? { shortNames: names.shortNames } : {}),
      ...(names.categories ? { categories: names.categories } : {}),
    },
    storedVersions: storage && !oldStored.includes(storage) ? [...oldStored, storage] : oldStored,
  };
  if (!crd.metadata.deletionTimestamp) {
    const finalizers = crd.metadata.finalizers ?? [];
    if (!finalizers.includes(CRD_CLEANUP_FINALIZER)) crd.metadata.finalizers = [...finalizers, CRD_CLEANUP_FINALIZER];
  }
}

/**
 * Keeps the registry in step with stored CRDs and performs CRD deletion cleanup. Cleanup writes
 * run in a microtask, after the write that triggered them has been delivered to every watcher.
 */
export class CrdController {
  constructor(
    private store: Store,
    private registry: ResourceRegistry,
  ) {
    for (const crd of store.list(CRD_RESOURCE)) this.register(crd);
    store.subscribe((e) => this.onEvent(e));
  }

  private register(crd: KObject) {
    this.registry.setCrdTypes(crd.metadata.name!, crdResourceTypes(crd));
    if (crd.metadata.deletionTimestamp) queueMicrotask(() => this.cleanup(crd.metadata.name!));
  }

  /** Storage keys of terminating CRDs → CRD name, so their custom resources' removals resume cleanup. */
  private terminating = new Map<string, string>();

  private onEvent(e: StoreEvent) {
    const waiting = this.terminating.get(e.resource);
    if (waiting && e.type === "DELETED") queueMicrotask(() => this.cleanup(waiting));
    if (e.resource !== CRD_RESOURCE) return;
    if (e.type === "DELETED") this.registry.removeCrdTypes(e.object.metadata.name!);
    else this.register(e.object);
  }

  /**
   * Delete every custom resource of a terminating CRD as a client would (objects with finalizers are
   * marked and waited for), then release the CRD's finalizer once none is left.
   */
  private cleanup(name: string) {
    let crd = this.store.get(CRD_RESOURCE, undefined, name);
    if (!crd?.metadata.deletionTimestamp || !crd.metadata.finalizers?.includes(CRD_CLEANUP_FINALIZER)) return;
    const conditions = ((crd.status as any)?.conditions ?? []) as { type: string }[];
    if (!conditions.some((c) => c.type === "Terminating")) {
      const marked = structuredClone(crd);
      prepareCrdStatus(marked, crd);
      crd = this.store.put(CRD_RESOURCE, marked, crd);
    }
    const [type] = this.registry.crdTypes(name);
    if (type) {
      const key = storageKey(type);
      let remaining = 0;
      for (const obj of this.store.list(key)) {
        if (!obj.metadata.finalizers?.length) this.store.remove(key, obj);
        else {
          remaining++;
          if (!obj.metadata.deletionTimestamp)
            this.store.put(key, { ...obj, metadata: { ...obj.metadata, deletionTimestamp: timestamp(Date.now()), deletionGracePeriodSeconds: 0 } }, obj);
        }
      }
      if (remaining) {
        this.terminating.set(key, name);
        return;
      }
      this.terminating.delete(key);
    }
    const finalizers = (crd.metadata.finalizers ?? []).filter((f) => f !== CRD_CLEANUP_FINALIZER);
    if (finalizers.length) this.store.put(CRD_RESOURCE, { ...crd, metadata: { ...crd.metadata, finalizers } }, crd);
    else this.store.remove(CRD_RESOURCE, crd);
  }
}
