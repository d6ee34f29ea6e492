// The CEL rules of our own CRDs: generated into manifests/crds, enforced by the API server, and the CRD lint
// refusing rules that do not compile.
import { describe, expect, test } from "bun:test";
import { useApiServer } from "../testing.ts";
import { buildCrds } from "../../api/crds.ts";
import { lintStructural } from "../../api/to-crd.ts";
import { celRuleCauses } from "../crd/cel-rules.ts";
import type { JSONSchemaProps } from "../types.ts";

const ruleProblems = (node: JSONSchemaProps, path: string, isRoot: boolean) =>
  celRuleCauses(node, path, isRoot).map((c) => `${c.field}: ${c.message}`);

const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const KODES = "/apis/kode.jacero.io/v1alpha1/namespaces/default/kodes";
const TEMPLATES = "/apis/kode.jacero.io/v1alpha1/namespaces/default/kodetemplates";
const ROOT_HOME = "must not be the root directory: the home volume cannot be mounted at /; use a path such as /config";
const COLON_HOME = "must not contain ':', which a volume mount path cannot";

const kode = (name: string, home: string) => ({
  apiVersion: "kode.jacero.io/v1alpha1", kind: "Kode", metadata: { name }, spec: { templateRef: { name: "t" }, home },
});

describe("CEL rules in the kode.jacero.io CRDs", () => {
  const ctx = useApiServer();

  test("the generated Kode CRD carries the spec.home rules", () => {
    const crd = buildCrds().find((c) => c.metadata.name === "kodes.kode.jacero.io")!;
    const home = (crd.spec as any).versions[0].schema.openAPIV3Schema.properties.spec.properties.home;
    expect(home["x-kubernetes-validations"]).toEqual([
      { message: ROOT_HOME, rule: "self != '/'" },
      { message: COLON_HOME, rule: "!self.contains(':')" },
    ]);
  });

  test("a Kode with home / or a ':' in home is refused; a plain absolute path is accepted", async () => {
    for (const crd of buildCrds()) expect((await ctx.client.post(CRDS, crd)).status).toBe(201);
    const root = await ctx.client.post(KODES, kode("root-home", "/"));
    expect(root.status).toBe(422);
    expect(root.body.message).toBe(`Kode.kode.jacero.io "root-home" is invalid: spec.home: Invalid value: "string": ${ROOT_HOME}`);
    const colon = await ctx.client.post(KODES, kode("colon-home", "/a:b"));
    expect(colon.status).toBe(422);
    expect(colon.body.details.causes).toEqual([{ reason: "FieldValueInvalid", field: "spec.home", message: `Invalid value: "string": ${COLON_HOME}` }]);
    expect((await ctx.client.post(KODES, kode("fine-home", "/home/dev"))).status).toBe(201);
  });

  test("a KodeTemplate with defaultHome / is refused", async () => {
    const res = await ctx.client.post(TEMPLATES, { apiVersion: "kode.jacero.io/v1alpha1", kind: "KodeTemplate", metadata: { name: "root" }, spec: { type: "code-server", image: "codercom/code-server", defaultHome: "/" } });
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toEqual([{ reason: "FieldValueInvalid", field: "spec.defaultHome", message: `Invalid value: "string": ${ROOT_HOME}` }]);
  });

  test("an admission policy can bind a Kode's spec.user to the requesting user", async () => {
    const AR = "/apis/admissionregistration.k8s.io/v1";
    const policy = {
      apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicy", metadata: { name: "kode-user" },
      spec: {
        matchConstraints: { resourceRules: [{ apiGroups: ["kode.jacero.io"], apiVersions: ["*"], operations: ["CREATE", "UPDATE"], resources: ["kodes"] }] },
        validations: [
          { expression: "request.operation != 'CREATE' || (has(object.spec.user) && object.spec.user == request.userInfo.username)", messageExpression: "'spec.user must be ' + request.userInfo.username", reason: "Forbidden" },
          { expression: "request.operation != 'UPDATE' || (has(object.spec.user) ? object.spec.user : '') == (has(oldObject.spec.user) ? oldObject.spec.user : '')", message: "spec.user cannot change" },
        ],
      },
    };
    expect((await ctx.client.post(`${AR}/validatingadmissionpolicies`, policy)).status).toBe(201);
    const binding = { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicyBinding", metadata: { name: "kode-user" }, spec: { policyName: "kode-user", validationActions: ["Deny"] } };
    expect((await ctx.client.post(`${AR}/validatingadmissionpolicybindings`, binding)).status).toBe(201);
    const withUser = (name: string, user: string) => ({ ...kode(name, "/home/dev"), spec: { templateRef: { name: "t" }, user } });
    const other = await ctx.client.post(KODES, withUser("bobs", "bob"));
    expect(other.status).toBe(403);
    expect(other.body.message).toBe("kodes.kode.jacero.io \"bobs\" is forbidden: ValidatingAdmissionPolicy 'kode-user' with binding 'kode-user' denied request: spec.user must be admin");
    expect((await ctx.client.post(KODES, withUser("mine", "admin"))).status).toBe(201);
    const changed = await ctx.client.patch(`${KODES}/mine`, { spec: { user: "carol" } });
    expect(changed.status).toBe(422);
    expect(changed.body.message).toEndWith("denied request: spec.user cannot change");
    await ctx.client.delete(`${AR}/validatingadmissionpolicybindings/kode-user`);
  });

  test("the CRD lint refuses rules that do not compile against their schema node", () => {
    const problems = lintStructural({
      type: "object",
      properties: {
        name: { type: "string", description: "d", "x-kubernetes-validations": [{ rule: "self.first == 'x'" }] },
        size: { type: "object", description: "d", properties: { n: { type: "integer", description: "d" } }, "x-kubernetes-validations": [{ rule: "self.m > 1" }] },
      },
    }, { ruleProblems });
    expect(problems).toEqual([
      "openAPIV3Schema.properties[name].x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{Rule:\"self.first == 'x'\", Message:\"\", MessageExpression:\"\", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:\"\", OptionalOldSelf:(*bool)(nil)}: compilation failed: ERROR: <input>:1:5: type 'string' does not support field selection\n | self.first == 'x'\n | ....^",
      "openAPIV3Schema.properties[size].x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{Rule:\"self.m > 1\", Message:\"\", MessageExpression:\"\", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:\"\", OptionalOldSelf:(*bool)(nil)}: compilation failed: ERROR: <input>:1:5: undefined field 'm'\n | self.m > 1\n | ....^",
    ]);
  });
});
