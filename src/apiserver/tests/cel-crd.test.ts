// x-kubernetes-validations over HTTP: rules at every kind of schema node, messages, reasons, fieldPath,
// transition rules, the CRD write refusing rules that do not compile, and real kubectl showing the errors.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { useApiServer } from "../testing.ts";
import { findKubectlBinaries, Kubectl, scratchDir } from "../../../e2e/kubectl-harness.ts";

// kube-apiserver reports CEL causes in no fixed order (Go map iteration): compare them by field.
const byField = (causes: { field: string; reason: string; message: string }[]) => [...causes].sort((a, b) => a.field.localeCompare(b.field));

const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const GADGETS = "/apis/cel.example.org/v1/namespaces/default/gadgets";
const MERGE = "application/merge-patch+json";

const SCHEMA = {
  type: "object",
  "x-kubernetes-validations": [{ rule: "self.metadata.name.startsWith('g-')", message: "name must start with g-" }],
  properties: {
    spec: {
      type: "object",
      "x-kubernetes-validations": [
        { rule: "self.minReplicas <= self.replicas", message: "replicas must be at least minReplicas", fieldPath: ".replicas" },
        { rule: "!has(self.owner) || has(self.team)", reason: "FieldValueRequired", message: "team is required with an owner", fieldPath: ".team" },
        { rule: "self.replicas < 100", messageExpression: "'replicas is ' + string(self.replicas) + ', the limit is 99'" },
      ],
      properties: {
        replicas: { type: "integer", default: 1 },
        minReplicas: { type: "integer", default: 0 },
        owner: { type: "string", "x-kubernetes-validations": [{ rule: "self == oldSelf", message: "owner is immutable" }] },
        team: { type: "string" },
        memory: { type: "string", "x-kubernetes-validations": [{ rule: "isQuantity(self) && quantity(self).isLessThan(quantity('4Gi'))", message: "memory must be a quantity below 4Gi" }] },
        homepage: { type: "string", "x-kubernetes-validations": [{ rule: "isURL(self) && url(self).getScheme() == 'https'", reason: "FieldValueForbidden", message: "only https URLs" }] },
        ports: {
          type: "array",
          "x-kubernetes-list-type": "map",
          "x-kubernetes-list-map-keys": ["name"],
          "x-kubernetes-validations": [{ rule: "self.map(p, p.port).isSorted()", message: "ports must be sorted by number" }],
          items: {
            type: "object",
            required: ["name"],
            properties: { name: { type: "string" }, port: { type: "integer" } },
            "x-kubernetes-validations": [
              { rule: "self.port > 0 && self.port < 65536", message: "port out of range" },
              { rule: "self.port == oldSelf.port", message: "a port's number is immutable" },
            ],
          },
        },
        labels: {
          type: "object",
          additionalProperties: { type: "string", "x-kubernetes-validations": [{ rule: "self.size() <= 5", message: "label values are at most 5 characters" }] },
        },
        "dash-name": { type: "string", "x-kubernetes-validations": [{ rule: "self != 'forbidden'" }] },
        level: {
          type: "integer",
          "x-kubernetes-validations": [{ rule: "oldSelf.hasValue() ? self >= oldSelf.value() : self <= 3", optionalOldSelf: true, message: "level starts at most at 3 and never goes down" }],
        },
        window: { type: "string", format: "duration", "x-kubernetes-validations": [{ rule: "self <= duration('1h')", message: "window is at most 1h" }] },
      },
    },
  },
};

function gadgetCrd(schema: unknown = SCHEMA, name = "gadgets.cel.example.org", names = { plural: "gadgets", singular: "gadget", kind: "Gadget" }) {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name },
    spec: { group: "cel.example.org", scope: "Namespaced", names, versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: schema } }] },
  };
}

const gadget = (name: string, spec: Record<string, unknown>) => ({ apiVersion: "cel.example.org/v1", kind: "Gadget", metadata: { name }, spec });

describe("x-kubernetes-validations on custom resources", () => {
  const ctx = useApiServer();
  beforeAll(async () => {
    const res = await ctx.client.post(CRDS, gadgetCrd());
    expect(res.status).toBe(201);
  });

  test("an object that passes every rule is created", async () => {
    const res = await ctx.client.post(GADGETS, gadget("g-ok", {
      replicas: 3, minReplicas: 1, owner: "ann", team: "a", memory: "1Gi", homepage: "https://example.com/x",
      ports: [{ name: "http", port: 80 }, { name: "https", port: 443 }], labels: { tier: "web" }, "dash-name": "fine", window: "30m",
    }));
    expect(res.status).toBe(201);
  });

  test("a failing rule on the root, with its message, at field <nil>", async () => {
    const res = await ctx.client.post(GADGETS, gadget("bad-name", {}));
    expect(res.status).toBe(422);
    expect(res.body.message).toBe('Gadget.cel.example.org "bad-name" is invalid: <nil>: Invalid value: "object": name must start with g-');
    expect(res.body.details.causes).toEqual([{ reason: "FieldValueInvalid", field: "<nil>", message: 'Invalid value: "object": name must start with g-' }]);
  });

  test("fieldPath moves the error to the named field; reason Required gives a Required cause", async () => {
    const res = await ctx.client.post(GADGETS, gadget("g-two", { replicas: 1, minReplicas: 2, owner: "bob" }));
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toEqual([
      { reason: "FieldValueInvalid", field: "spec.replicas", message: 'Invalid value: "object": replicas must be at least minReplicas' },
      { reason: "FieldValueRequired", field: "spec.team", message: "Required value: team is required with an owner" },
    ]);
    expect(res.body.message).toBe(
      'Gadget.cel.example.org "g-two" is invalid: [spec.replicas: Invalid value: "object": replicas must be at least minReplicas, spec.team: Required value: team is required with an owner]',
    );
  });

  test("messageExpression builds the message from the object", async () => {
    const res = await ctx.client.post(GADGETS, gadget("g-many", { replicas: 150 }));
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toEqual([{ reason: "FieldValueInvalid", field: "spec", message: 'Invalid value: "object": replicas is 150, the limit is 99' }]);
  });

  test("scalar rules: self is the string; quantity, url and Forbidden", async () => {
    const res = await ctx.client.post(GADGETS, gadget("g-scalar", { memory: "8Gi", homepage: "http://example.com" }));
    expect(res.status).toBe(422);
    expect(byField(res.body.details.causes)).toEqual([
      { reason: "FieldValueForbidden", field: "spec.homepage", message: "Forbidden: only https URLs" },
      { reason: "FieldValueInvalid", field: "spec.memory", message: 'Invalid value: "string": memory must be a quantity below 4Gi' },
    ]);
  });

  test("a rule without a message reports `failed rule`; escaped property names are reachable", async () => {
    const res = await ctx.client.post(GADGETS, gadget("g-dash", { "dash-name": "forbidden" }));
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toEqual([{ reason: "FieldValueInvalid", field: "spec.dash-name", message: "Invalid value: \"string\": failed rule: self != 'forbidden'" }]);
  });

  test("rules on list items, on the list, under additionalProperties and on a duration string", async () => {
    const res = await ctx.client.post(GADGETS, gadget("g-items", {
      ports: [{ name: "b", port: 443 }, { name: "a", port: 70000 }, { name: "c", port: 22 }], labels: { ok: "x", long: "toolong" }, window: "2h",
    }));
    expect(res.status).toBe(422);
    expect(byField(res.body.details.causes)).toEqual([
      { reason: "FieldValueInvalid", field: "spec.labels[long]", message: 'Invalid value: "string": label values are at most 5 characters' },
      { reason: "FieldValueInvalid", field: "spec.ports", message: 'Invalid value: "array": ports must be sorted by number' },
      { reason: "FieldValueInvalid", field: "spec.ports[1]", message: 'Invalid value: "object": port out of range' },
      { reason: "FieldValueInvalid", field: "spec.window", message: 'Invalid value: "string": window is at most 1h' },
    ]);
  });

  test("transition rules: skipped on create, enforced on update against the old value", async () => {
    expect((await ctx.client.post(GADGETS, gadget("g-imm", { owner: "ann", team: "a", ports: [{ name: "web", port: 80 }] }))).status).toBe(201);
    const same = await ctx.client.patch(`${GADGETS}/g-imm`, { spec: { team: "b" } }, MERGE);
    expect(same.status).toBe(200);
    const changed = await ctx.client.patch(`${GADGETS}/g-imm`, { spec: { owner: "bob" } }, MERGE);
    expect(changed.status).toBe(422);
    expect(changed.body.details.causes).toEqual([{ reason: "FieldValueInvalid", field: "spec.owner", message: 'Invalid value: "string": owner is immutable' }]);
    // list-map items correlate by key: a new item has no old value, a kept one does.
    const added = await ctx.client.patch(`${GADGETS}/g-imm`, { spec: { ports: [{ name: "web", port: 80 }, { name: "alt", port: 8080 }] } }, MERGE);
    expect(added.status).toBe(200);
    const renumbered = await ctx.client.patch(`${GADGETS}/g-imm`, { spec: { ports: [{ name: "web", port: 81 }, { name: "alt", port: 8080 }] } }, MERGE);
    expect(renumbered.status).toBe(422);
    expect(renumbered.body.details.causes).toEqual([{ reason: "FieldValueInvalid", field: "spec.ports[0]", message: "Invalid value: \"object\": a port's number is immutable" }]);
  });

  test("optionalOldSelf: the rule also runs on create, with oldSelf = optional.none()", async () => {
    const high = await ctx.client.post(GADGETS, gadget("g-level", { level: 5 }));
    expect(high.status).toBe(422);
    expect(high.body.details.causes).toEqual([{ reason: "FieldValueInvalid", field: "spec.level", message: 'Invalid value: "integer": level starts at most at 3 and never goes down' }]);
    expect((await ctx.client.post(GADGETS, gadget("g-level", { level: 2 }))).status).toBe(201);
    expect((await ctx.client.patch(`${GADGETS}/g-level`, { spec: { level: 7 } }, MERGE)).status).toBe(200);
    const down = await ctx.client.patch(`${GADGETS}/g-level`, { spec: { level: 6 } }, MERGE);
    expect(down.status).toBe(422);
    expect(down.body.details.causes[0].field).toBe("spec.level");
  });

  test("a runtime error (no such key) is reported as an evaluation error", async () => {
    const schema = { type: "object", properties: { spec: { type: "object", properties: { a: { type: "string" } }, "x-kubernetes-validations": [{ rule: "self.a == 'x'" }] } } };
    expect((await ctx.client.post(CRDS, gadgetCrd(schema, "errs.cel.example.org", { plural: "errs", singular: "err", kind: "Err" }))).status).toBe(201);
    const res = await ctx.client.post("/apis/cel.example.org/v1/namespaces/default/errs", { apiVersion: "cel.example.org/v1", kind: "Err", metadata: { name: "e" }, spec: {} });
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toEqual([{ reason: "FieldValueInvalid", field: "spec", message: "Invalid value: \"object\": no such key: a evaluating rule: self.a == 'x'" }]);
  });
});

describe("CRD writes check their rules", () => {
  const ctx = useApiServer();
  const withRule = (rule: Record<string, unknown>) => ({
    type: "object",
    properties: { spec: { type: "object", properties: { size: { type: "integer" } }, "x-kubernetes-validations": [rule] } },
  });

  test("a rule selecting an undeclared field is refused with cel-go's message", async () => {
    const res = await ctx.client.post(CRDS, gadgetCrd(withRule({ rule: "self.colour == 'red'" })));
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toEqual([{
      reason: "FieldValueInvalid",
      field: "spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule",
      message:
        'Invalid value: apiextensions.ValidationRule{Rule:"self.colour == \'red\'", Message:"", MessageExpression:"", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:"", OptionalOldSelf:(*bool)(nil)}: ' +
        "compilation failed: ERROR: <input>:1:5: undefined field 'colour'\n | self.colour == 'red'\n | ....^",
    }]);
  });

  test("syntax errors, unknown functions, bad reasons and fieldPaths are refused", async () => {
    const syntax = await ctx.client.post(CRDS, gadgetCrd(withRule({ rule: "self.size >" })));
    expect(syntax.status).toBe(422);
    expect(syntax.body.details.causes[0].message).toContain("compilation failed: ERROR: <input>:1:");
    const listSchema = { type: "object", properties: { spec: { type: "object", properties: { items: { type: "array", items: { type: "object", properties: { n: { type: "integer" } } } } }, "x-kubernetes-validations": [{ rule: "self.items[0].m > 0 || self.items.all(i, i.k > 0)" }] } } };
    const listRule = await ctx.client.post(CRDS, gadgetCrd(listSchema));
    expect(listRule.body.details.causes[0].message).toEndWith(
      "compilation failed: ERROR: <input>:1:14: undefined field 'm'\n | self.items[0].m > 0 || self.items.all(i, i.k > 0)\n | .............^\n" +
        "ERROR: <input>:1:43: undefined field 'k'\n | self.items[0].m > 0 || self.items.all(i, i.k > 0)\n | " + ".".repeat(42) + "^",
    );
    const notBool = await ctx.client.post(CRDS, gadgetCrd(withRule({ rule: "self.size + 1" })));
    expect(notBool.body.details.causes[0].message).toEndWith("}: cel expression must evaluate to a bool");
    const unknown = await ctx.client.post(CRDS, gadgetCrd(withRule({ rule: "frobnicate(self.size)" })));
    expect(unknown.body.details.causes[0].message).toContain("undeclared reference to 'frobnicate' (in container '')");
    const reason = await ctx.client.post(CRDS, gadgetCrd(withRule({ rule: "self.size > 0", reason: "Nope" })));
    expect(reason.body.details.causes).toEqual([{
      reason: "FieldValueNotSupported",
      field: "spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].reason",
      message: 'Unsupported value: "Nope": supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"',
    }]);
    const fieldPath = await ctx.client.post(CRDS, gadgetCrd(withRule({ rule: "self.size > 0", fieldPath: ".missing" })));
    expect(fieldPath.body.details.causes).toEqual([{
      reason: "FieldValueInvalid",
      field: "spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].fieldPath",
      message: 'Invalid value: ".missing": fieldPath must be a valid path',
    }]);
    const oldSelf = await ctx.client.post(CRDS, gadgetCrd(withRule({ rule: "self.size > 0", optionalOldSelf: true })));
    expect(oldSelf.body.details.causes).toEqual([{
      reason: "FieldValueForbidden",
      field: "spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].optionalOldSelf",
      message: "Forbidden: may not be set if oldSelf is not used in rule",
    }]);
  });
});

const kubectl = findKubectlBinaries()[0];
describe.skipIf(!kubectl)("kubectl sees the rule errors", () => {
  const ctx = useApiServer();
  const dir = scratchDir("kode-cel-kubectl-");
  let k: Kubectl;
  beforeAll(() => {
    k = new Kubectl(kubectl!, ctx.server.kubeconfigPath, dir.path);
  });
  afterAll(() => dir.cleanup());

  test("kubectl apply of a CRD with rules, then an object breaking one", async () => {
    const crd = await k.run(["apply", "-f", k.file("crd.json", JSON.stringify(gadgetCrd()))]);
    expect(crd.out).toContain("customresourcedefinition.apiextensions.k8s.io/gadgets.cel.example.org created");
    const bad = await k.run(["apply", "-f", k.file("bad.json", JSON.stringify(gadget("g-k", { replicas: 1, minReplicas: 5 })))]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('The Gadget "g-k" is invalid: spec.replicas: Invalid value: "object": replicas must be at least minReplicas');
  });

  test("kubectl create of a CRD whose rule does not compile", async () => {
    const schema = { type: "object", properties: { spec: { type: "object", "x-kubernetes-validations": [{ rule: "self.nope > 1" }] } } };
    const res = await k.run(["create", "-f", k.file("bad-crd.json", JSON.stringify(gadgetCrd(schema, "widgets.cel.example.org", { plural: "widgets", singular: "widget", kind: "Widget" })))]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('The CustomResourceDefinition "widgets.cel.example.org" is invalid: spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{Rule:"self.nope > 1"');
    expect(res.stderr).toContain("compilation failed: ERROR: <input>:1:5: undefined field 'nope'");
  });
});
