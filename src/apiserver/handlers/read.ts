// GET of one object and list, with selectors, pagination and Table output.
import { ApiError, badRequest, cause, expired, invalid, notFound } from "../errors.ts";
import { storageKey } from "../registry.ts";
import type { IndexedLabel } from "../store.ts";
import { presentedJson } from "../object-json.ts";
import { checkAcceptable, JSON_TYPE, jsonResponse, TABLE_TYPE, wantsTable } from "../respond.ts";
import { fieldValue, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, SelectorError, UNSUPPORTED } from "../selectors.ts";
import { present, type ApiState } from "../state.ts";
import { toTable } from "../table.ts";
import type { FieldCause, KObject, ResourceType } from "../types.ts";
import { groupVersion } from "../types.ts";
import type { ResourcePath } from "../request-path.ts";
import { pagination } from "./pagination.ts";

export type ObjectFilter = ((obj: KObject) => boolean) & {
  /** The selector's label requirements the store's label index can answer (equality, set and existence). */
  indexed?: IndexedLabel[];
};

export function selectorFilter(type: ResourceType, params: URLSearchParams): ObjectFilter {
  let labels: ReturnType<typeof parseLabelSelector> = [];
  let fields: ReturnType<typeof parseFieldSelector> = [];
  try {
    labels = parseLabelSelector(params.get("labelSelector") ?? "");
    fields = parseFieldSelector(params.get("fieldSelector") ?? "");
  } catch (e) {
    if (e instanceof SelectorError) throw badRequest(e.message);
    throw e;
  }
  const probe: KObject = { metadata: { name: "", namespace: "" } };
  for (const f of fields) if (fieldValue(probe, type, f.field) === UNSUPPORTED) throw badRequest(`field label not supported: ${f.field}`);
  if (!labels.length && !fields.length) return () => true;
  const filter: ObjectFilter = (obj) =>
    matchesLabels(labels, obj.metadata.labels) && matchesFields(fields, (field) => {
      const v = fieldValue(obj, type, field);
      return v === UNSUPPORTED ? undefined : v;
    });
  filter.indexed = labels.flatMap((r): IndexedLabel[] => {
    if (r.operator === "=" || r.operator === "==" || r.operator === "in") return [{ key: r.key, values: r.values }];
    if (r.operator === "exists") return [{ key: r.key }];
    return [];
  });
  return filter;
}

/** ListOptions validation errors are 422s on the meta.k8s.io ListOptions kind, as handlers/get.go reports them. */
function listOptionsInvalid(causes: FieldCause[]): ApiError {
  return invalid("ListOptions", "meta.k8s.io", "", causes);
}

/** The watch rules of ValidateListOptions (apimachinery meta/internalversion/validation). */
export function validateWatchOptions(params: URLSearchParams) {
  const sendInitialEvents = params.get("sendInitialEvents");
  const match = params.get("resourceVersionMatch") ?? "";
  const forbidden = (detail: string) => cause("FieldValueForbidden", "resourceVersionMatch", `Forbidden: ${detail}`);
  const causes: FieldCause[] = [];
  if (sendInitialEvents !== null && match !== "NotOlderThan") causes.push(forbidden("sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"));
  if (match) {
    if (sendInitialEvents === null) causes.push(forbidden("resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"));
    if (match !== "NotOlderThan")
      causes.push(cause("FieldValueNotSupported", "resourceVersionMatch", `Unsupported value: ${JSON.stringify(match)}: supported values: "NotOlderThan"`));
    if (params.get("continue")) causes.push(forbidden("resourceVersionMatch is forbidden when continue is provided"));
  }
  if (causes.length) throw listOptionsInvalid(causes);
}

export function tableOptions(params: URLSearchParams) {
  const includeObject = (params.get("includeObject") ?? "Metadata") as "None" | "Metadata" | "Object";
  if (!["None", "Metadata", "Object"].includes(includeObject)) throw badRequest(`unsupported includeObject value: ${includeObject}`);
  return includeObject;
}

export function getObject(state: ApiState, type: ResourceType, path: ResourcePath, req: Request, url: URL): Response {
  checkAcceptable(req.headers.get("accept"));
  const stored = state.store.get(storageKey(type), type.namespaced ? path.namespace : undefined, path.name!);
  if (!stored) throw notFound(type.group, type.plural, path.name!);
  const obj = present(type, stored);
  if (wantsTable(req.headers.get("accept"))) {
    const table = toTable([obj], type, {
      headers: true,
      includeObject: tableOptions(url.searchParams),
      now: state.now(),
      resourceVersion: obj.metadata.resourceVersion ?? "",
    });
    return jsonResponse(table, 200, { "content-type": TABLE_TYPE });
  }
  return new Response(presentedJson(type, stored), { status: 200, headers: { "content-type": JSON_TYPE } });
}

export function listObjects(state: ApiState, type: ResourceType, path: ResourcePath, req: Request, url: URL): Response {
  checkAcceptable(req.headers.get("accept"));
  const params = url.searchParams;
  if (params.get("sendInitialEvents") !== null)
    throw listOptionsInvalid([cause("FieldValueForbidden", "sendInitialEvents", "Forbidden: sendInitialEvents is forbidden for list")]);
  const rv = params.get("resourceVersion");
  if (rv && rv !== "0" && !/^\d+$/.test(rv)) throw badRequest(`invalid resource version "${rv}"`);
  if (params.get("resourceVersionMatch") === "Exact" && rv && Number(rv) !== state.store.resourceVersion)
    throw expired(`too old resource version: ${rv} (${state.store.resourceVersion})`);

  const filter = selectorFilter(type, params);
  const page = pagination(state, type, path.namespace, filter, params);
  const metadata: Record<string, unknown> = { resourceVersion: page.resourceVersion };
  if (page.continue) metadata.continue = page.continue;
  if (page.remainingItemCount !== undefined) metadata.remainingItemCount = page.remainingItemCount;

  if (wantsTable(req.headers.get("accept"))) {
    const table = toTable(page.items.map((o) => present(type, o)), type, {
      headers: true,
      includeObject: tableOptions(params),
      now: state.now(),
      resourceVersion: page.resourceVersion,
      continue: page.continue,
      remainingItemCount: page.remainingItemCount,
    });
    return jsonResponse(table, 200, { "content-type": TABLE_TYPE });
  }
  // Custom resource lists are Go maps (keys sorted); built-in lists follow their struct's field order.
  // The items are the objects' cached texts, joined: no object is encoded twice.
  const items = page.items.map((o) => presentedJson(type, o)).join(",");
  const head = { apiVersion: JSON.stringify(groupVersion(type)), kind: JSON.stringify(type.listKind), metadata: JSON.stringify(metadata) };
  const body = type.crd
    ? `{"apiVersion":${head.apiVersion},"items":[${items}],"kind":${head.kind},"metadata":${head.metadata}}`
    : `{"kind":${head.kind},"apiVersion":${head.apiVersion},"metadata":${head.metadata},"items":[${items}]}`;
  return new Response(body, { status: 200, headers: { "content-type": JSON_TYPE } });
}
