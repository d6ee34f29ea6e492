import { describe, expect, test } from "bun:test";
import {
  fieldValue,
  formatLabelSelector,
  isSupportedFieldLabel,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
  selectorFromLabelSelectorObject,
  UNSUPPORTED,
} from "./selectors.ts";
import type { KObject, ResourceType } from "./types.ts";

const labels = { app: "web", tier: "frontend", "example.com/team": "blue", count: "5" };
const matches = (selector: string, l: Record<string, string> | undefined) => matchesLabels(parseLabelSelector(selector), l);

describe("parseLabelSelector", () => {
  test("every operator of the grammar", () => {
    expect(parseLabelSelector("app=web")).toEqual([{ key: "app", operator: "=", values: ["web"] }]);
    expect(parseLabelSelector("app==web")).toEqual([{ key: "app", operator: "==", values: ["web"] }]);
    expect(parseLabelSelector("app!=web")).toEqual([{ key: "app", operator: "!=", values: ["web"] }]);
    expect(parseLabelSelector("app in (web, api)")).toEqual([{ key: "app", operator: "in", values: ["api", "web"] }]);
    expect(parseLabelSelector("app notin (web)")).toEqual([{ key: "app", operator: "notin", values: ["web"] }]);
    expect(parseLabelSelector("app")).toEqual([{ key: "app", operator: "exists", values: [] }]);
    expect(parseLabelSelector("!app")).toEqual([{ key: "app", operator: "!", values: [] }]);
    expect(parseLabelSelector("count>3")).toEqual([{ key: "count", operator: "gt", values: ["3"] }]);
  });

  test("comma is AND, requirements come back sorted by key, whitespace is ignored", () => {
    expect(parseLabelSelector(" tier = frontend , app ").map((r) => r.key)).toEqual(["app", "tier"]);
  });

  test("the empty string selects everything", () => {
    expect(parseLabelSelector("")).toEqual([]);
    expect(matches("", undefined)).toBe(true);
  });

  test("empty values are allowed", () => {
    expect(parseLabelSelector("app=")).toEqual([{ key: "app", operator: "=", values: [""] }]);
    expect(parseLabelSelector("app in ()")).toEqual([{ key: "app", operator: "in", values: [""] }]);
    expect(parseLabelSelector("app in (,a)")).toEqual([{ key: "app", operator: "in", values: ["", "a"] }]);
  });

  test("`in` and `notin` are plain words inside values", () => {
    expect(parseLabelSelector("mode in (in,notin)")).toEqual([{ key: "mode", operator: "in", values: ["in", "notin"] }]);
  });

  const errors: [string, string][] = [
    ["app=web,", "found '', expected: identifier after ','"],
    ["app=web tier=x", "found 'tier', expected: ',' or 'end of string'"],
    ["=web", "found '=', expected: !, identifier, or 'end of string'"],
    ["app in web", "unable to parse requirement: found 'web' expected: '('"],
    ["app in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'"],
    ["app (x)", "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"],
    ["app=(x)", "unable to parse requirement: found '(', expected: identifier"],
    ["!app=x", "found '=', expected: ',' or 'end of string'"],
    [
      "-bad=x",
      "unable to parse requirement: <nil>: Invalid value: \"-bad\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ],
    [
      "app=-bad",
      "unable to parse requirement: values[0][app]: Invalid value: \"-bad\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', or 'my_value', or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ],
    [
      "Example.com/x=y",
      "unable to parse requirement: <nil>: Invalid value: \"Example.com/x\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ],
    ["count>x", "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer"],
  ];
  for (const [selector, message] of errors) {
    test(`rejects ${JSON.stringify(selector)}`, () => {
      expect(() => parseLabelSelector(selector)).toThrow(new SelectorError(message));
    });
  }

  test("a 64-character value is too long", () => {
    const long = "a".repeat(64);
    expect(() => parseLabelSelector(`app=${long}`)).toThrow(
      `unable to parse requirement: values[0][app]: Invalid value: "${long}": must be no more than 63 characters`,
    );
    expect(parseLabelSelector(`app=${"a".repeat(63)}`)).toHaveLength(1);
  });
});

describe("matchesLabels", () => {
  test("equality and inequality", () => {
    expect(matches("app=web", labels)).toBe(true);
    expect(matches("app==api", labels)).toBe(false);
    expect(matches("app!=api", labels)).toBe(true);
    expect(matches("missing!=x", labels)).toBe(true);
  });

  test("set-based", () => {
    expect(matches("tier in (frontend,backend)", labels)).toBe(true);
    expect(matches("tier notin (frontend)", labels)).toBe(false);
    expect(matches("missing notin (x)", labels)).toBe(true);
    expect(matches("missing in (x)", labels)).toBe(false);
  });

  test("existence", () => {
    expect(matches("example.com/team", labels)).toBe(true);
    expect(matches("!example.com/team", labels)).toBe(false);
    expect(matches("!missing", labels)).toBe(true);
  });

  test("all requirements must hold", () => {
    expect(matches("app=web,tier=frontend", labels)).toBe(true);
    expect(matches("app=web,tier=backend", labels)).toBe(false);
  });

  test("numeric gt/lt", () => {
    expect(matches("count>3", labels)).toBe(true);
    expect(matches("count<3", labels)).toBe(false);
    expect(matches("app>3", labels)).toBe(false);
  });

  test("an object without labels matches only negative requirements", () => {
    expect(matches("app", undefined)).toBe(false);
    expect(matches("!app", undefined)).toBe(true);
  });
});

describe("selectorFromLabelSelectorObject", () => {
  test("matchLabels and matchExpressions combine", () => {
    const reqs = selectorFromLabelSelectorObject({
      matchLabels: { app: "web" },
      matchExpressions: [
        { key: "tier", operator: "In", values: ["frontend", "backend"] },
        { key: "legacy", operator: "DoesNotExist" },
        { key: "example.com/team", operator: "Exists" },
        { key: "env", operator: "NotIn", values: ["prod"] },
      ],
    });
    expect(matchesLabels(reqs, labels)).toBe(true);
    expect(matchesLabels(reqs, { ...labels, legacy: "yes" })).toBe(false);
    expect(formatLabelSelector(reqs)).toBe("app=web,env notin (prod),example.com/team,!legacy,tier in (backend,frontend)");
  });

  test("an empty selector matches everything", () => {
    expect(selectorFromLabelSelectorObject({})).toEqual([]);
    expect(matchesLabels(selectorFromLabelSelectorObject({}), {})).toBe(true);
  });

  test("bad operators and empty In lists are rejected with upstream messages", () => {
    expect(() => selectorFromLabelSelectorObject({ matchExpressions: [{ key: "a", operator: "Equals", values: ["x"] }] })).toThrow(
      new SelectorError('"Equals" is not a valid label selector operator'),
    );
    expect(() => selectorFromLabelSelectorObject({ matchExpressions: [{ key: "a", operator: "In", values: [] }] })).toThrow(
      new SelectorError("values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty"),
    );
    expect(() => selectorFromLabelSelectorObject({ matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] })).toThrow(
      new SelectorError('values: Invalid value: []string{"x"}: values set must be empty for exists and does not exist'),
    );
  });

  test("an invalid matchLabels value is rejected", () => {
    expect(() => selectorFromLabelSelectorObject({ matchLabels: { app: "a b" } })).toThrow(/^values\[0\]\[app\]: Invalid value: "a b"/);
  });
});

describe("parseFieldSelector", () => {
  test("=, == and != with comma AND", () => {
    expect(parseFieldSelector("metadata.name=w1,status.phase!=Failed")).toEqual([
      { field: "metadata.name", operator: "=", value: "w1" },
      { field: "status.phase", operator: "!=", value: "Failed" },
    ]);
    expect(parseFieldSelector("metadata.name==w1")).toEqual([{ field: "metadata.name", operator: "==", value: "w1" }]);
  });

  test("escaped commas, equals signs and backslashes in values", () => {
    expect(parseFieldSelector(String.raw`metadata.name=a\,b\=c\\d`)).toEqual([
      { field: "metadata.name", operator: "=", value: String.raw`a,b=c\d` },
    ]);
  });

  test("empty terms are skipped and an empty value is allowed", () => {
    expect(parseFieldSelector("")).toEqual([]);
    expect(parseFieldSelector("a=,,b=1")).toEqual([
      { field: "a", operator: "=", value: "" },
      { field: "b", operator: "=", value: "1" },
    ]);
  });

  const errors: [string, string][] = [
    ["metadata.name", "invalid selector: 'metadata.name'; can't understand 'metadata.name'"],
    ["a=1,b", "invalid selector: 'a=1,b'; can't understand 'b'"],
    ["a=b=c", "invalid field selector: unescaped character in value: 61"],
    [String.raw`a=b\x`, String.raw`invalid field selector: invalid escape sequence: \x`],
    ["a=b\\", String.raw`invalid field selector: invalid escape sequence: \\`.slice(0, -1)],
  ];
  for (const [selector, message] of errors) {
    test(`rejects ${JSON.stringify(selector)}`, () => {
      expect(() => parseFieldSelector(selector)).toThrow(new SelectorError(message));
    });
  }
});

describe("matchesFields", () => {
  const fields: Record<string, string> = { "metadata.name": "w1", "metadata.namespace": "default" };
  const get = (f: string) => fields[f];

  test("equality, inequality and AND", () => {
    expect(matchesFields(parseFieldSelector("metadata.name=w1"), get)).toBe(true);
    expect(matchesFields(parseFieldSelector("metadata.name!=w1"), get)).toBe(false);
    expect(matchesFields(parseFieldSelector("metadata.name=w1,metadata.namespace=kube-system"), get)).toBe(false);
  });

  test("a missing field compares as the empty string", () => {
    expect(matchesFields(parseFieldSelector("spec.x="), get)).toBe(true);
    expect(matchesFields(parseFieldSelector("spec.x!=y"), get)).toBe(true);
  });
});

describe("fieldValue", () => {
  const type = (namespaced: boolean, fieldLabels?: ResourceType["fieldLabels"]) =>
    ({ namespaced, fieldLabels }) as ResourceType;
  const secret: KObject = { metadata: { name: "s1", namespace: "ns1" }, type: "Opaque" };
  const secrets = type(true, { type: (o) => o.type as string | undefined });

  test("metadata.name and metadata.namespace", () => {
    expect(fieldValue(secret, secrets, "metadata.name")).toBe("s1");
    expect(fieldValue(secret, secrets, "metadata.namespace")).toBe("ns1");
  });

  test("metadata.namespace is not a field label of cluster-scoped resources", () => {
    expect(fieldValue({ metadata: { name: "n" } }, type(false), "metadata.namespace")).toBe(UNSUPPORTED);
    expect(isSupportedFieldLabel(type(false), "metadata.namespace")).toBe(false);
  });

  test("the type's own field labels", () => {
    expect(fieldValue(secret, secrets, "type")).toBe("Opaque");
    expect(isSupportedFieldLabel(secrets, "type")).toBe(true);
  });

  test("anything else is unsupported", () => {
    expect(fieldValue(secret, secrets, "spec.foo")).toBe(UNSUPPORTED);
    expect(fieldValue(secret, type(true), "type")).toBe(UNSUPPORTED);
    expect(fieldValue(secret, secrets, "toString")).toBe(UNSUPPORTED);
  });
});
