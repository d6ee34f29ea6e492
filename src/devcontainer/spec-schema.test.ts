import { describe, expect, test } from "bun:test";
import { generate } from "../../scripts/devcontainer-schema.ts";
import { IGNORED_PROPERTIES, parseDevcontainer, SUPPORTED_PROPERTIES, UNSUPPORTED_PROPERTIES } from "./config.ts";
import generated from "./spec-schema.json" with { type: "json" };
import { EVALUATED_KEYWORDS, SPEC_COMMIT, SPEC_PROPERTIES, specProblems } from "./spec-schema.ts";

describe("the generated schema (spec-schema.json)", () => {
  test("names the devcontainers/spec commit it was generated from", () => {
    expect(SPEC_COMMIT).toMatch(/^[0-9a-f]{40}$/);
    expect(generated.$comment).toContain(`at ${SPEC_COMMIT}`);
  });
  test("every property of the official schema is classified by config.ts", () => {
    const known = new Set<string>([...SUPPORTED_PROPERTIES, ...Object.keys(UNSUPPORTED_PROPERTIES), ...Object.keys(IGNORED_PROPERTIES)]);
    // devContainerCommon lists a property literally named "additionalProperties" (a slip in the official schema:
    // no tool reads such a key), so it stays an unknown property here.
    expect(SPEC_PROPERTIES.filter((p) => !known.has(p) && p !== "additionalProperties")).toEqual([]);
    expect(SPEC_PROPERTIES.length).toBeGreaterThan(35);
  });
  test("the editor annotations are gone and only evaluated keywords remain", () => {
    const keywords = new Set<string>();
    const walk = (x: unknown, inMap = false): void => {
      if (Array.isArray(x)) x.forEach((v) => walk(v));
      else if (typeof x === "object" && x !== null)
        for (const [k, v] of Object.entries(x)) {
          if (!inMap) keywords.add(k);
          walk(v, !inMap && (k === "properties" || k === "patternProperties" || k === "definitions"));
        }
    };
    walk({ properties: generated.properties, definitions: generated.definitions });
    expect([...keywords].filter((k) => !EVALUATED_KEYWORDS.has(k) && k !== "properties" && k !== "definitions")).toEqual([]);
    expect(keywords.has("description")).toBe(false);
  });
});

describe("the generator", () => {
  const official = {
    $schema: "https://json-schema.org/draft/2019-09/schema",
    definitions: {
      common: { type: "object", properties: { name: { type: "string", description: "A name." }, mode: { type: "string", enum: ["a"] } } },
      compose: { type: "object", properties: { mode: { type: "string", enum: ["b"] }, svc: { $ref: "#/definitions/Svc" } }, required: ["svc"] },
      Svc: { type: "object", properties: { port: { type: "integer", maximum: 9 } }, additionalProperties: false },
      unused: { type: "string" },
    },
    oneOf: [{ allOf: [{ $ref: "#/definitions/common" }] }, { allOf: [{ $ref: "#/definitions/compose" }, { $ref: "#/definitions/common" }] }],
  };
  test("flattens every definition's properties; a property described twice gets both as anyOf; only referenced definitions stay", () => {
    const out = generate(official, "0".repeat(40)) as { properties: Record<string, unknown>; definitions: Record<string, unknown> };
    expect(out.properties).toEqual({
      mode: { anyOf: [{ type: "string", enum: ["a"] }, { type: "string", enum: ["b"] }] },
      name: { type: "string" },
      svc: { $ref: "#/definitions/Svc" },
    });
    expect(Object.keys(out.definitions)).toEqual(["Svc"]);
  });
  test("refuses a keyword the evaluator does not know, naming where", () => {
    const withNew = { ...official, definitions: { ...official.definitions, common: { type: "object", properties: { name: { type: "string", minLength: 1 } } } } };
    expect(() => generate(withNew, "0".repeat(40))).toThrow("schema.definitions.common.properties.name: keyword minLength is not evaluated");
  });
});

describe("specProblems: values against the official schema", () => {
  test("valid values have none", () => {
    expect(specProblems("forwardPorts", [3000, "db:5432"])).toEqual([]);
    expect(specProblems("hostRequirements", { cpus: 2, memory: "4gb", gpu: { cores: 1 } })).toEqual([]);
    expect(specProblems("shutdownAction", "stopCompose")).toEqual([]);
    expect(specProblems("mounts", ["source=vol,target=/data,type=volume", { type: "volume", source: "v", target: "/v" }])).toEqual([]);
    expect(specProblems("noSuchProperty", 1)).toEqual([]);
  });
  test("forwardPorts: the spec's host pattern, the port range, the item type", () => {
    expect(specProblems("forwardPorts", ["127.0.0.1:3000", 70000, true])).toEqual([
      { path: "forwardPorts[0]", message: "must match ^([a-z0-9-]+):(\\d{1,5})$" },
      { path: "forwardPorts[1]", message: "must be at most 65535" },
      { path: "forwardPorts[2]", message: "must be an integer or a string" },
    ]);
  });
  test("nested members: minimum, enum, a member the schema does not allow (unevaluatedProperties)", () => {
    expect(specProblems("hostRequirements", { cpus: 0, gpu: "maybe", disk: 1 })).toEqual([
      { path: "hostRequirements.cpus", message: "must be at least 1" },
      { path: "hostRequirements.gpu", message: 'must be one of true, false, "optional"' },
      { path: "hostRequirements.disk", message: "is not allowed here" },
    ]);
  });
  test("anyOf: the branch that fits the type says what is wrong", () => {
    expect(specProblems("mounts", [{ type: "bind" }, 3])).toEqual([
      { path: "mounts[0]", message: "target is required" },
      { path: "mounts[1]", message: "must be an object or a string" },
    ]);
    expect(specProblems("build", { args: { A: 1 } })).toEqual([{ path: "build.args.A", message: "must be a string" }]);
  });
  test("enums and types at the top", () => {
    expect(specProblems("waitFor", "never")[0].message).toStartWith('must be one of "initializeCommand", "onCreateCommand"');
    expect(specProblems("capAdd", "SYS_PTRACE")).toEqual([{ path: "capAdd", message: "must be an array" }]);
    expect(specProblems("postStartCommand", 3)).toEqual([{ path: "postStartCommand", message: "must be a string or an array or an object" }]);
  });
});

describe("parseDevcontainer reports what the official schema refuses", () => {
  test("as one warning; properties that already have an error are not repeated", () => {
    const r = parseDevcontainer(JSON.stringify({ image: "node:22", forwardPorts: ["127.0.0.1:3000"], waitFor: "never", hostRequirements: { cpus: 0 }, containerEnv: { A: 1 } }));
    expect(r.errors).toEqual(["devcontainer.json: containerEnv.A: must be a string"]);
    const w = r.warnings.find((x) => x.includes("official devcontainer.json schema"))!;
    expect(w).toStartWith(`devcontainer.json: does not match the official devcontainer.json schema (devcontainers/spec ${SPEC_COMMIT.slice(0, 7)}): forwardPorts[0]: must match`);
    expect(w).toContain("; waitFor: must be one of");
    expect(w).toContain("; hostRequirements.cpus: must be at least 1");
    expect(w).not.toContain("containerEnv");
  });
  test("a valid file gets no schema warning", () => {
    const r = parseDevcontainer('{ "image": "node:22", "forwardPorts": [3000, "localhost:8080"], "postStartCommand": ["npm", "start"] }');
    expect(r.warnings).toEqual([]);
  });
});
