import { describe, expect, test } from "bun:test";
import { CREATION_TIMESTAMP_DESCRIPTION, humanDuration, NAME_DESCRIPTION, parseRfc3339, tableColumns, toTable } from "./table.ts";
import type { KObject, PrinterColumn, ResourceType } from "./types.ts";

const NOW = Date.parse("2024-06-01T12:00:00Z");
const ago = (ms: number) => new Date(NOW - ms).toISOString();

function resourceType(columns: PrinterColumn[]): ResourceType {
  return {
    group: "example.com",
    version: "v1",
    kind: "Widget",
    listKind: "WidgetList",
    plural: "widgets",
    singular: "widget",
    namespaced: true,
    shortNames: ["wd"],
    categories: [],
    verbs: ["get", "list"],
    subresources: { status: true },
    columns,
    strategicMerge: false,
    allowUnconditionalUpdate: false,
    generation: true,
  };
}

const widgetColumns: PrinterColumn[] = [
  { name: "Size", type: "integer", jsonPath: ".spec.size" },
  { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status', priority: 1 },
  { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
];
const widgets = resourceType(widgetColumns);

function widget(name: string, spec: Record<string, unknown>, status?: Record<string, unknown>): KObject {
  return {
    apiVersion: "example.com/v1",
    kind: "Widget",
    metadata: { name, namespace: "default", uid: `uid-${name}`, resourceVersion: "7", creationTimestamp: ago(5 * 60_000), labels: { app: "demo" } },
    spec,
    ...(status ? { status } : {}),
  };
}

const ready = { conditions: [{ type: "Synced", status: "False" }, { type: "Ready", status: "True" }] };
const base = { headers: true, now: NOW, resourceVersion: "42" };

describe("toTable for a custom resource", () => {
  const table = toTable([widget("w1", { size: 3 }, ready), widget("w2", {})], widgets, base);

  test("is a meta.k8s.io/v1 Table with list metadata", () => {
    expect(table.kind).toBe("Table");
    expect(table.apiVersion).toBe("meta.k8s.io/v1");
    expect(table.metadata).toEqual({ resourceVersion: "42" });
  });

  test("column definitions: Name first, then the CRD columns with their default descriptions", () => {
    expect(table.columnDefinitions).toEqual([
      { name: "Name", type: "string", format: "name", description: NAME_DESCRIPTION, priority: 0 },
      {
        name: "Size",
        type: "integer",
        format: "",
        description: "Custom resource definition column (in JSONPath format): .spec.size",
        priority: 0,
      },
      {
        name: "Ready",
        type: "string",
        format: "",
        description: 'Custom resource definition column (in JSONPath format): .status.conditions[?(@.type=="Ready")].status',
        priority: 1,
      },
      {
        name: "Age",
        type: "date",
        format: "",
        description: "Custom resource definition column (in JSONPath format): .metadata.creationTimestamp",
        priority: 0,
      },
    ]);
  });

  test("cells: typed values, JSONPath filter result and age; missing values are null", () => {
    expect(table.rows.map((r) => r.cells)).toEqual([
      ["w1", 3, "True", "5m"],
      ["w2", null, null, "5m"],
    ]);
  });

  test("rows carry PartialObjectMetadata by default", () => {
    expect(table.rows[0].object).toEqual({
      kind: "PartialObjectMetadata",
      apiVersion: "meta.k8s.io/v1",
      metadata: widget("w1", {}).metadata,
    });
  });

  test("a column's own description wins over the default", () => {
    const t = toTable([], resourceType([{ name: "Size", type: "integer", jsonPath: ".spec.size", description: "How big." }]), base);
    expect(t.columnDefinitions?.[1].description).toBe("How big.");
  });
});

describe("options", () => {
  const objects = [widget("w1", { size: 1 })];

  test("headers off sends no column definitions (the watch's later events)", () => {
    const t = toTable(objects, widgets, { ...base, headers: false });
    expect(t.columnDefinitions).toBeNull();
    expect(t.rows[0].cells).toHaveLength(4);
  });

  test("includeObject=None drops the object", () => {
    expect(toTable(objects, widgets, { ...base, includeObject: "None" }).rows[0].object).toBeNull();
  });

  test("includeObject=Object embeds the full object, with apiVersion and kind", () => {
    const bare: KObject = { metadata: { name: "b" }, spec: { size: 2 } };
    const t = toTable([objects[0], bare], widgets, { ...base, includeObject: "Object" });
    expect(t.rows[0].object).toEqual(objects[0]);
    expect(t.rows[1].object).toEqual({ ...bare, apiVersion: "example.com/v1", kind: "Widget" });
  });

  test("includeObject=Metadata is the default", () => {
    const t = toTable(objects, widgets, { ...base, includeObject: "Metadata" });
    expect(t.rows[0].object).toEqual(toTable(objects, widgets, base).rows[0].object);
  });

  test("continue and remainingItemCount appear in metadata when given", () => {
    const t = toTable(objects, widgets, { ...base, continue: "tok", remainingItemCount: 3 });
    expect(t.metadata).toEqual({ resourceVersion: "42", continue: "tok", remainingItemCount: 3 });
  });

  test("no objects still gives headers and an empty row list", () => {
    const t = toTable([], widgets, base);
    expect(t.rows).toEqual([]);
    expect(t.columnDefinitions).toHaveLength(4);
  });
});

describe("a type without printer columns", () => {
  const plain = resourceType([]);

  test("gets Name and a single Age column", () => {
    const t = toTable([widget("w1", {})], plain, base);
    expect(t.columnDefinitions).toEqual([
      { name: "Name", type: "string", format: "name", description: NAME_DESCRIPTION, priority: 0 },
      { name: "Age", type: "date", format: "", description: CREATION_TIMESTAMP_DESCRIPTION, priority: 0 },
    ]);
    expect(t.rows[0].cells).toEqual(["w1", "5m"]);
  });

  test("an object without creationTimestamp has a null Age", () => {
    expect(toTable([{ metadata: { name: "x" } }], plain, base).rows[0].cells).toEqual(["x", null]);
  });
});

describe("cell rules", () => {
  const cell = (column: PrinterColumn, obj: KObject) => toTable([obj], resourceType([column]), base).rows[0].cells[1];
  const at = (path: string, type: PrinterColumn["type"]): PrinterColumn => ({ name: "C", type, jsonPath: path });
  const o = (spec: Record<string, unknown>): KObject => ({ metadata: { name: "x" }, spec });

  test("string columns print whatever they find", () => {
    expect(cell(at(".spec.v", "string"), o({ v: "text" }))).toBe("text");
    expect(cell(at(".spec.v", "string"), o({ v: 5 }))).toBe("5");
    expect(cell(at(".spec.v", "string"), o({ v: true }))).toBe("true");
    expect(cell(at(".spec.v", "string"), o({ v: { b: 1, a: 2 } }))).toBe('{"a":2,"b":1}');
    expect(cell(at(".spec.v", "string"), o({ v: ["x", "y"] }))).toBe('["x","y"]');
    expect(cell(at(".spec.v", "string"), o({ v: null }))).toBe("<no value>");
  });

  test("only the first match is used", () => {
    expect(cell(at(".spec.v[*]", "string"), o({ v: ["x", "y"] }))).toBe("x");
    expect(cell(at(".spec.v[*]", "string"), o({ v: [] }))).toBeNull();
  });

  test("integer truncates floats and rejects other types", () => {
    expect(cell(at(".spec.v", "integer"), o({ v: 7 }))).toBe(7);
    expect(cell(at(".spec.v", "integer"), o({ v: 7.9 }))).toBe(7);
    expect(cell(at(".spec.v", "integer"), o({ v: -7.9 }))).toBe(-7);
    expect(cell(at(".spec.v", "integer"), o({ v: "7" }))).toBeNull();
  });

  test("number and boolean", () => {
    expect(cell(at(".spec.v", "number"), o({ v: 2.5 }))).toBe(2.5);
    expect(cell(at(".spec.v", "number"), o({ v: "2.5" }))).toBeNull();
    expect(cell(at(".spec.v", "boolean"), o({ v: false }))).toBe(false);
    expect(cell(at(".spec.v", "boolean"), o({ v: "false" }))).toBeNull();
  });

  test("date: age, <invalid> for unparseable text, <unknown> for empty, null for non-strings", () => {
    expect(cell(at(".spec.v", "date"), o({ v: ago(2 * 86_400_000 + 3 * 3_600_000) }))).toBe("2d3h");
    expect(cell(at(".spec.v", "date"), o({ v: "yesterday" }))).toBe("<invalid>");
    expect(cell(at(".spec.v", "date"), o({ v: "2024-06-01" }))).toBe("<invalid>");
    expect(cell(at(".spec.v", "date"), o({ v: "" }))).toBe("<unknown>");
    expect(cell(at(".spec.v", "date"), o({ v: 1717243200 }))).toBeNull();
    expect(cell(at(".spec.v", "date"), o({ v: new Date(NOW + 60_000).toISOString() }))).toBe("<invalid>");
  });

  test("a failing JSONPath gives null", () => {
    expect(cell(at(".spec.v[5]", "string"), o({ v: ["x"] }))).toBeNull();
    expect(cell(at(".spec.v[", "string"), o({ v: ["x"] }))).toBeNull();
  });

  test("a computed value takes precedence over jsonPath", () => {
    const computed: PrinterColumn = { name: "C", type: "string", jsonPath: ".spec.v", value: (obj, now) => `${obj.metadata.name}@${now}` };
    expect(cell(computed, o({ v: "ignored" }))).toBe(`x@${NOW}`);
    const missing: PrinterColumn = { name: "C", type: "string", value: () => undefined };
    expect(cell(missing, o({}))).toBeNull();
  });
});

describe("a type that places its own Name column", () => {
  test("the default Name column is not added", () => {
    const columns: PrinterColumn[] = [
      { name: "Message", type: "string", value: () => "hello" },
      { name: "Name", type: "string", format: "name", priority: 1, value: (obj) => obj.metadata.name },
    ];
    const t = toTable([{ metadata: { name: "e1" } }], resourceType(columns), base);
    expect(t.columnDefinitions?.map((c) => c.name)).toEqual(["Message", "Name"]);
    expect(t.rows[0].cells).toEqual(["hello", "e1"]);
    expect(tableColumns(resourceType(columns))).toBe(columns);
  });
});

describe("humanDuration", () => {
  const s = 1000;
  const m = 60 * s;
  const h = 60 * m;
  const d = 24 * h;
  const y = 365 * d;
  const cases: [number, string][] = [
    [-2 * s, "<invalid>"],
    [-1999, "0s"],
    [-1, "0s"],
    [0, "0s"],
    [999, "0s"],
    [59 * s, "59s"],
    [119 * s + 999, "119s"],
    [2 * m, "2m"],
    [2 * m + s, "2m1s"],
    [9 * m + 59 * s, "9m59s"],
    [10 * m, "10m"],
    [10 * m + 30 * s, "10m"],
    [3 * h - 1, "179m"],
    [3 * h, "3h"],
    [3 * h + 30 * m, "3h30m"],
    [7 * h + 59 * m, "7h59m"],
    [8 * h, "8h"],
    [8 * h + 30 * m, "8h"],
    [48 * h - 1, "47h"],
    [48 * h, "2d"],
    [49 * h, "2d1h"],
    [8 * d - 1, "7d23h"],
    [8 * d, "8d"],
    [2 * y - 1, "729d"],
    [2 * y, "2y"],
    [2 * y + d, "2y1d"],
    [8 * y - 1, "7y364d"],
    [8 * y, "8y"],
    [9 * y + 100 * d, "9y"],
  ];
  for (const [ms, expected] of cases) {
    test(`${ms}ms → ${expected}`, () => expect(humanDuration(ms)).toBe(expected));
  }
});

describe("parseRfc3339", () => {
  test("accepts Go's RFC3339 forms", () => {
    expect(parseRfc3339("2024-06-01T12:00:00Z")).toBe(NOW);
    expect(parseRfc3339("2024-06-01T12:00:00.123456Z")).toBe(NOW + 123);
    expect(parseRfc3339("2024-06-01T14:00:00+02:00")).toBe(NOW);
  });

  test("rejects what time.Parse(time.RFC3339) rejects", () => {
    for (const bad of ["2024-06-01", "2024-06-01 12:00:00Z", "2024-06-01t12:00:00Z", "2024-02-30T00:00:00Z", "2024-06-01T24:00:00Z", "2024-06-01T12:00:00"])
      expect(parseRfc3339(bad)).toBeUndefined();
  });
});
