import { describe, expect, test } from "bun:test";
import {
  evaluateJsonPath,
  findJsonPathResults,
  formatJsonPathValue,
  goJsonMarshal,
  JsonPathEvalError,
  JsonPathSyntaxError,
} from "./jsonpath.ts";

const widget = {
  apiVersion: "example.com/v1",
  kind: "Widget",
  metadata: {
    name: "w1",
    labels: { "app.kubernetes.io/name": "demo", tier: "web" },
    annotations: { "example.com/note": "hi" },
  },
  spec: { size: 3, ratio: 1.5, enabled: false, tags: ["a", "b", "c", "d"], "key.with.dots": "dotted", key: { with: { dots: "nested" } } },
  status: {
    conditions: [
      { type: "Available", status: "False", priority: 1 },
      { type: "Ready", status: "True", priority: 5, lastTransitionTime: "2024-01-01T00:00:00Z" },
      { type: "Degraded", status: "False", priority: 10 },
    ],
    nothing: null,
  },
};

describe("field access", () => {
  test("with and without braces", () => {
    expect(evaluateJsonPath(widget, ".spec.size")).toEqual([3]);
    expect(evaluateJsonPath(widget, "{.spec.size}")).toEqual([3]);
    expect(evaluateJsonPath(widget, "$.spec.size")).toEqual([3]);
    expect(evaluateJsonPath(widget, "{.metadata.name}")).toEqual(["w1"]);
  });

  test("a missing key selects nothing rather than failing", () => {
    expect(evaluateJsonPath(widget, ".spec.missing")).toEqual([]);
    expect(evaluateJsonPath(widget, ".nope.deeper.still")).toEqual([]);
  });

  test("an explicit null is selected", () => {
    expect(evaluateJsonPath(widget, ".status.nothing")).toEqual([null]);
  });

  test("field access on an array selects nothing", () => {
    expect(evaluateJsonPath(widget, ".spec.tags.name")).toEqual([]);
  });

  test("escaped dots reach keys containing dots", () => {
    expect(evaluateJsonPath(widget, String.raw`.metadata.labels.app\.kubernetes\.io/name`)).toEqual(["demo"]);
    expect(evaluateJsonPath(widget, String.raw`.spec.key\.with\.dots`)).toEqual(["dotted"]);
  });

  test("['key'] is a field; like kubectl, ['a.b'] means .a.b", () => {
    expect(evaluateJsonPath(widget, ".metadata['name']")).toEqual(["w1"]);
    expect(evaluateJsonPath(widget, ".spec['key.with.dots']")).toEqual(["nested"]);
  });
});

describe("arrays", () => {
  test("index, negative index, slice, step, all", () => {
    expect(evaluateJsonPath(widget, ".spec.tags[0]")).toEqual(["a"]);
    expect(evaluateJsonPath(widget, ".spec.tags[-1]")).toEqual(["d"]);
    expect(evaluateJsonPath(widget, ".spec.tags[0:2]")).toEqual(["a", "b"]);
    expect(evaluateJsonPath(widget, ".spec.tags[1:]")).toEqual(["b", "c", "d"]);
    expect(evaluateJsonPath(widget, ".spec.tags[-2:]")).toEqual(["c", "d"]);
    expect(evaluateJsonPath(widget, ".spec.tags[0:4:2]")).toEqual(["a", "c"]);
    expect(evaluateJsonPath(widget, ".spec.tags[*]")).toEqual(["a", "b", "c", "d"]);
    expect(evaluateJsonPath(widget, ".status.conditions[*].type")).toEqual(["Available", "Ready", "Degraded"]);
  });

  test("union of indexes and keys", () => {
    expect(evaluateJsonPath(widget, ".spec.tags[0,2]")).toEqual(["a", "c"]);
    expect(evaluateJsonPath(widget, ".metadata['name','labels.tier']")).toEqual(["w1", "web"]);
  });

  test("an index out of range is an evaluation error, which selects nothing", () => {
    expect(evaluateJsonPath(widget, ".spec.tags[7]")).toEqual([]);
    expect(() => findJsonPathResults(widget, ".spec.tags[7]")).toThrow(
      new JsonPathEvalError("array index out of bounds: index 7, length 4", []),
    );
  });

  test("indexing a non-array is an evaluation error", () => {
    expect(() => findJsonPathResults(widget, ".spec.size[0]")).toThrow("int64 is not array or slice");
    expect(evaluateJsonPath(widget, ".spec.size[0]")).toEqual([]);
  });

  test("empty slice selects nothing without error", () => {
    expect(evaluateJsonPath(widget, ".spec.tags[2:2]")).toEqual([]);
  });
});

describe("filters", () => {
  const status = (path: string) => evaluateJsonPath(widget, path);

  test("== on a string, as printer columns use it", () => {
    expect(status('.status.conditions[?(@.type=="Ready")].status')).toEqual(["True"]);
    expect(status(".status.conditions[?(@.type=='Ready')].status")).toEqual(["True"]);
    expect(status('.status.conditions[?(@.type == "Ready")].status')).toEqual(["True"]);
  });

  test("a filter that matches nothing selects nothing", () => {
    expect(status('.status.conditions[?(@.type=="Gone")].status')).toEqual([]);
  });

  test("numeric comparisons", () => {
    expect(status(".status.conditions[?(@.priority > 1)].type")).toEqual(["Ready", "Degraded"]);
    expect(status(".status.conditions[?(@.priority >= 5)].type")).toEqual(["Ready", "Degraded"]);
    expect(status(".status.conditions[?(@.priority < 5)].type")).toEqual(["Available"]);
    expect(status(".status.conditions[?(@.priority <= 5)].type")).toEqual(["Available", "Ready"]);
    expect(status(".status.conditions[?(@.priority != 5)].type")).toEqual(["Available", "Degraded"]);
  });

  test("existence", () => {
    expect(status(".status.conditions[?(@.lastTransitionTime)].type")).toEqual(["Ready"]);
  });

  test("comparing an integer with a float or a string fails, as in Go templates", () => {
    expect(() => findJsonPathResults(widget, ".status.conditions[?(@.priority > 1.0)].type")).toThrow(JsonPathEvalError);
    expect(() => findJsonPathResults(widget, '.status.conditions[?(@.priority == "5")].type')).toThrow(JsonPathEvalError);
  });

  test("filtering a map is an error", () => {
    expect(() => findJsonPathResults(widget, '.spec[?(@.x=="y")]')).toThrow("cannot be filtered");
  });
});

describe("recursive descent and wildcard", () => {
  test("..name collects every name field at any depth", () => {
    const list = { items: [{ metadata: { name: "a" } }, { metadata: { name: "b" }, spec: { template: { name: "t" } } }] };
    expect(evaluateJsonPath(list, "..name").sort()).toEqual(["a", "b", "t"]);
  });

  test("wildcard on a map selects its values", () => {
    expect(evaluateJsonPath(widget, ".metadata.labels.*").sort()).toEqual(["demo", "web"]);
  });

  test("two recursive descents in a row are a syntax error", () => {
    expect(() => evaluateJsonPath(widget, "{....a}")).toThrow("invalid multiple recursive descent");
  });
});

describe("templates", () => {
  test("text and several actions give one result group each", () => {
    expect(findJsonPathResults(widget, "{.metadata.name} is {.spec.size}")).toEqual([["w1"], [" is "], [3]]);
    expect(evaluateJsonPath(widget, '{.metadata.name}{"\\n"}')).toEqual(["w1", "\n"]);
  });

  test("range ... end iterates", () => {
    const list = { items: [{ metadata: { name: "a" } }, { metadata: { name: "b" } }] };
    expect(evaluateJsonPath(list, "{range .items[*]}{.metadata.name}{','}{end}")).toEqual(["a", ",", "b", ","]);
  });

  test("end without range is an error", () => {
    expect(() => findJsonPathResults(widget, "{end}")).toThrow("not in range, nothing to end");
  });

  test("unknown identifiers fail at evaluation", () => {
    expect(() => findJsonPathResults(widget, "{.spec.size}{bogus}")).toThrow("unrecognized identifier bogus");
  });
});

describe("syntax errors", () => {
  const cases: [string, string][] = [
    ["{.spec.size", "unclosed action"],
    [".spec.tags[0", "unterminated array"],
    ['.spec.tags["x"]', 'invalid array index "x"'],
    ['.status.conditions[?(@.type=="Ready"', "unterminated filter"],
    ['.status.conditions[?(@.type=="Ready")', "unclosed array expect ]"],
    ["{#}", "unrecognized character in action: U+0023 '#'"],
    ['{"abc}', "unterminated quoted string"],
  ];
  for (const [path, message] of cases) {
    test(`${path} → ${message}`, () => {
      expect(() => evaluateJsonPath(widget, path)).toThrow(new JsonPathSyntaxError(message));
    });
  }

  test("a cached bad path keeps failing", () => {
    expect(() => evaluateJsonPath(widget, "{.x")).toThrow(JsonPathSyntaxError);
    expect(() => evaluateJsonPath(widget, "{.x")).toThrow(JsonPathSyntaxError);
  });

  test("a cached good path gives fresh results per object", () => {
    expect(evaluateJsonPath({ spec: { size: 1 } }, ".spec.size")).toEqual([1]);
    expect(evaluateJsonPath({ spec: { size: 2 } }, ".spec.size")).toEqual([2]);
  });
});

describe("printing values", () => {
  test("scalars print like Go's fmt", () => {
    expect(formatJsonPathValue("x")).toBe("x");
    expect(formatJsonPathValue(42)).toBe("42");
    expect(formatJsonPathValue(-7)).toBe("-7");
    expect(formatJsonPathValue(1.5)).toBe("1.5");
    expect(formatJsonPathValue(0.0001)).toBe("0.0001");
    expect(formatJsonPathValue(0.00001)).toBe("1e-05");
    expect(formatJsonPathValue(1234567.5)).toBe("1.2345675e+06");
    expect(formatJsonPathValue(true)).toBe("true");
    expect(formatJsonPathValue(null)).toBe("null");
  });

  test("maps and lists print as Go JSON: sorted keys, HTML-safe", () => {
    expect(formatJsonPathValue({ b: 1, a: ["<x>", "&"] })).toBe('{"a":["\\u003cx\\u003e","\\u0026"],"b":1}');
    expect(goJsonMarshal([1, null, { z: true }])).toBe('[1,null,{"z":true}]');
  });
});
