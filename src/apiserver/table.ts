// meta.k8s.io/v1 Table output, with the cell rules of the apiextensions table convertor
// (k8s.io/apiextensions-apiserver pkg/registry/customresource/tableconvertor).
import { findJsonPathResults, formatJsonPathValue } from "./jsonpath.ts";
import { groupVersion, type KObject, type PrinterColumn, type ResourceType } from "./types.ts";

export const NAME_DESCRIPTION =
  "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

export const CREATION_TIMESTAMP_DESCRIPTION =
  "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

export const NAME_COLUMN: PrinterColumn = {
  name: "Name",
  type: "string",
  format: "name",
  description: NAME_DESCRIPTION,
  value: (obj) => obj.metadata.name ?? "",
};

/** What a CRD version without additionalPrinterColumns is served with. */
export const DEFAULT_AGE_COLUMN: PrinterColumn = {
  name: "Age",
  type: "date",
  jsonPath: ".metadata.creationTimestamp",
  description: CREATION_TIMESTAMP_DESCRIPTION,
};

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRow {
  cells: unknown[];
  object: unknown;
}

export interface Table {
  kind: "Table";
  apiVersion: "meta.k8s.io/v1";
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  /** null when headers are off, as the real server encodes it. */
  columnDefinitions: TableColumnDefinition[] | null;
  rows: TableRow[];
}

export interface TableOptions {
  includeObject?: "None" | "Metadata" | "Object";
  headers: boolean;
  now: number;
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

/**
 * duration.HumanDuration: ~2-3 significant figures (`45s`, `3m20s`, `15m`, `5h10m`, `2d3h`, `3y40d`).
 * Up to 1s in the future reads as `0s`; further ahead is `<invalid>`.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(ms / 3_600_000);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.trunc(hours / 24) % 365;
    const years = Math.trunc(hours / 24 / 365);
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/;

/** Go's time.Parse(time.RFC3339, s) as epoch ms, or undefined when it would fail. */
export function parseRfc3339(s: string): number | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return undefined;
  if (m[9] !== undefined && (Number(m[9]) > 24 || Number(m[10]) > 59)) return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}

/** translateTimestampSince of the built-in printers: `<unknown>` for a missing time. */
export function ageSince(timestamp: unknown, now: number): string {
  if (typeof timestamp !== "string" || timestamp === "") return "<unknown>";
  const time = parseRfc3339(timestamp);
  return time === undefined ? "<unknown>" : humanDuration(now - time);
}

/** cellForJSONValue: a value of the wrong type for its column is null. */
function typedCell(type: string, value: unknown, now: number): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case "integer":
      return typeof value === "number" ? Math.trunc(value) : null;
    case "number":
      return typeof value === "number" ? value : null;
    case "boolean":
      return typeof value === "boolean" ? value : null;
    case "date": {
      if (typeof value !== "string") return null;
      if (value === "" || value === "null") return "<unknown>";
      const time = parseRfc3339(value);
      return time === undefined ? "<invalid>" : humanDuration(now - time);
    }
  }
  return null;
}

function jsonPathCell(column: PrinterColumn, obj: KObject, now: number): unknown {
  let firstGroup: unknown[] | undefined;
  try {
    // The convertor wraps the column's path in braces itself.
    firstGroup = findJsonPathResults(obj, `{${column.jsonPath ?? ""}}`)[0];
  } catch {
    return null;
  }
  if (!firstGroup || firstGroup.length === 0) return null;
  const value = firstGroup[0];
  if (column.type === "string") {
    // The convertor re-wraps the value it found, so an explicit null prints as Go's "<no value>".
    return value === null ? "<no value>" : formatJsonPathValue(value);
  }
  return typedCell(column.type, value, now);
}

function cellFor(column: PrinterColumn, obj: KObject, now: number): unknown {
  if (column.value) return column.value(obj, now) ?? null;
  return jsonPathCell(column, obj, now);
}

/**
 * The columns of a resource's Table, Name included. A type may place Name itself (core Events
 * show it last, in wide output) by listing a computed column with format "name".
 */
export function tableColumns(type: ResourceType): PrinterColumn[] {
  if (type.columns.some((column) => column.format === "name" && column.value)) return type.columns;
  return [NAME_COLUMN, ...(type.columns.length > 0 ? type.columns : [DEFAULT_AGE_COLUMN])];
}

function columnDefinition(column: PrinterColumn): TableColumnDefinition {
  const description =
    column.description ??
    (column.jsonPath ? `Custom resource definition column (in JSONPath format): ${column.jsonPath}` : "");
  return {
    name: column.name,
    type: column.type,
    format: column.format ?? "",
    description,
    priority: column.priority ?? 0,
  };
}

function rowObject(obj: KObject, type: ResourceType, includeObject: TableOptions["includeObject"]): unknown {
  switch (includeObject) {
    case "None":
      return null;
    case "Object":
      return { ...obj, apiVersion: obj.apiVersion ?? groupVersion(type), kind: obj.kind ?? type.kind };
    default:
      return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: obj.metadata };
  }
}

/** Renders objects of one resource as a meta.k8s.io/v1 Table (`Accept: ...;as=Table;v=v1;g=meta.k8s.io`). */
export function toTable(objects: KObject[], type: ResourceType, opts: TableOptions): Table {
  const columns = tableColumns(type);
  const metadata: Table["metadata"] = { resourceVersion: opts.resourceVersion };
  if (opts.continue) metadata.continue = opts.continue;
  if (opts.remainingItemCount !== undefined) metadata.remainingItemCount = opts.remainingItemCount;
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata,
    columnDefinitions: opts.headers ? columns.map(columnDefinition) : null,
    rows: objects.map((obj) => ({
      cells: columns.map((column) => cellFor(column, obj, opts.now)),
      object: rowObject(obj, type, opts.includeObject),
    })),
  };
}
