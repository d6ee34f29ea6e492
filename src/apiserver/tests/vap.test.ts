// ValidatingAdmissionPolicy + binding over HTTP: matching, params, match conditions, variables, messages,
// reasons, Warn, failurePolicy, request.userInfo, and real kubectl showing the denial.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { useApiServer } from "../testing.ts";
import { findKubectlBinaries, Kubectl, scratchDir } from "../../../e2e/kubectl-harness.ts";

const AR = "/apis/admissionregistration.k8s.io/v1";
const POLICIES = `${AR}/validatingadmissionpolicies`;
const BINDINGS = `${AR}/validatingadmissionpolicybindings`;
const CMS = "/api/v1/namespaces/default/configmaps";
const DEPLOYS = "/apis/apps/v1/namespaces/default/deployments";

const policy = (name: string, spec: Record<string, unknown>) => ({ apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicy", metadata: { name }, spec });
const binding = (name: string, spec: Record<string, unknown>) => ({ apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicyBinding", metadata: { name }, spec });
const configMapRules = { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["configmaps"] }] };
const cm = (name: string, data: Record<string, string>, labels?: Record<string, string>) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, ...(labels ? { labels } : {}) }, data });
const deployment = (name: string, replicas: number) => ({
  apiVersion: "apps/v1", kind: "Deployment", metadata: { name },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "nginx" }] } } },
});

describe("ValidatingAdmissionPolicy", () => {
  const ctx = useApiServer();
  const post = async (path: string, body: unknown) => {
    const res = await ctx.client.post(path, body);
    if (res.status !== 201) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  };

  beforeAll(async () => {
    await post(POLICIES, policy("replica-limit", {
      matchConstraints: { resourceRules: [{ apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["deployments"] }] },
      validations: [{ expression: "object.spec.replicas <= 5" }],
    }));
    await post(BINDINGS, binding("replica-limit-binding", { policyName: "replica-limit", validationActions: ["Deny"] }));
  });

  test("a denial has kube-apiserver's message, reason Invalid, 422 and one cause", async () => {
    const res = await ctx.client.post(DEPLOYS, deployment("big", 10));
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      kind: "Status", status: "Failure", reason: "Invalid", code: 422,
      message: "deployments.apps \"big\" is forbidden: ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit-binding' denied request: failed expression: object.spec.replicas <= 5",
      details: { name: "big", group: "apps", kind: "deployments", causes: [{ message: "ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit-binding' denied request: failed expression: object.spec.replicas <= 5" }] },
    });
    expect((await ctx.client.post(DEPLOYS, deployment("small", 2))).status).toBe(201);
    const scaled = await ctx.client.patch(`${DEPLOYS}/small`, { spec: { replicas: 6 } });
    expect(scaled.status).toBe(422);
  });

  test("message, messageExpression, reason Forbidden → 403, variables and request.userInfo", async () => {
    await post(POLICIES, policy("cm-rules", {
      matchConstraints: configMapRules,
      variables: [{ name: "owner", expression: "has(object.data) && 'owner' in object.data ? object.data.owner : ''" }],
      validations: [
        { expression: "variables.owner == '' || variables.owner == request.userInfo.username", messageExpression: "'owner ' + variables.owner + ' is not ' + request.userInfo.username", reason: "Forbidden" },
        { expression: "!has(object.data) || !('bad' in object.data)", message: "no bad keys" },
        { expression: "request.operation != 'UPDATE' || !has(oldObject.data) || !('locked' in oldObject.data) || object.data == oldObject.data", message: "locked config maps do not change" },
      ],
    }));
    await post(BINDINGS, binding("cm-rules", { policyName: "cm-rules", validationActions: ["Deny"] }));
    const forbidden = await ctx.client.post(CMS, cm("other", { owner: "bob" }));
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.reason).toBe("Forbidden");
    expect(forbidden.body.message).toBe("configmaps \"other\" is forbidden: ValidatingAdmissionPolicy 'cm-rules' with binding 'cm-rules' denied request: owner bob is not admin");
    expect((await ctx.client.post(CMS, cm("mine", { owner: "admin" }))).status).toBe(201);
    const bad = await ctx.client.post(CMS, cm("bad", { bad: "x" }));
    expect(bad.status).toBe(422);
    expect(bad.body.message).toEndWith("denied request: no bad keys");
    expect((await ctx.client.post(CMS, cm("locked", { locked: "1" }))).status).toBe(201);
    const changed = await ctx.client.patch(`${CMS}/locked`, { data: { locked: "2" } });
    expect(changed.status).toBe(422);
    expect(changed.body.message).toEndWith("denied request: locked config maps do not change");
  });

  test("binding matchResources and policy objectSelector narrow what is checked; matchConditions skip", async () => {
    await post(POLICIES, policy("labelled", {
      matchConstraints: { ...configMapRules, objectSelector: { matchLabels: { checked: "yes" } } },
      matchConditions: [{ name: "not-exempt", expression: "!has(object.metadata.annotations) || !('exempt' in object.metadata.annotations)" }],
      validations: [{ expression: "object.data.size() <= 1", message: "at most one key" }],
    }));
    await post(BINDINGS, binding("labelled", { policyName: "labelled", validationActions: ["Deny"] }));
    expect((await ctx.client.post(CMS, cm("unlabelled", { a: "1", b: "2" }))).status).toBe(201);
    const labelled = await ctx.client.post(CMS, cm("labelled", { a: "1", b: "2" }, { checked: "yes" }));
    expect(labelled.status).toBe(422);
    expect(labelled.body.message).toEndWith("denied request: at most one key");
    const exempt = { ...cm("exempt", { a: "1", b: "2" }, { checked: "yes" }), metadata: { name: "exempt", labels: { checked: "yes" }, annotations: { exempt: "true" } } };
    expect((await ctx.client.post(CMS, exempt)).status).toBe(201);
  });

  test("Warn returns a Warning header instead of denying", async () => {
    await post(POLICIES, policy("warn-only", { matchConstraints: configMapRules, validations: [{ expression: "!object.metadata.name.startsWith('tmp-')", message: "temporary names are discouraged" }] }));
    await post(BINDINGS, binding("warn-only", { policyName: "warn-only", validationActions: ["Warn"] }));
    const res = await ctx.client.post(CMS, cm("tmp-x", {}));
    expect(res.status).toBe(201);
    expect(res.headers.get("warning")).toContain("Validation failed for ValidatingAdmissionPolicy 'warn-only' with binding 'warn-only': temporary names are discouraged");
  });

  test("params from a ConfigMap; a missing param denies; failurePolicy Ignore lets errors pass", async () => {
    await post(CMS, cm("limits", { maxKeys: "2" }));
    await post(POLICIES, policy("param-limit", {
      paramKind: { apiVersion: "v1", kind: "ConfigMap" },
      matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["secrets"] }] },
      validations: [{ expression: "!has(object.data) || object.data.size() <= int(params.data.maxKeys)", messageExpression: "'at most ' + params.data.maxKeys + ' keys'" }],
    }));
    await post(BINDINGS, binding("param-limit", { policyName: "param-limit", validationActions: ["Deny"], paramRef: { name: "limits", namespace: "default", parameterNotFoundAction: "Deny" } }));
    const secret = (name: string, keys: number) => ({ apiVersion: "v1", kind: "Secret", metadata: { name }, data: Object.fromEntries(Array.from({ length: keys }, (_, i) => [`k${i}`, "eA=="])) });
    expect((await ctx.client.post("/api/v1/namespaces/default/secrets", secret("two", 2))).status).toBe(201);
    const three = await ctx.client.post("/api/v1/namespaces/default/secrets", secret("three", 3));
    expect(three.status).toBe(422);
    expect(three.body.message).toEndWith("denied request: at most 2 keys");
    await ctx.client.delete(`${CMS}/limits`);
    const noParam = await ctx.client.post("/api/v1/namespaces/default/secrets", secret("one", 1));
    expect(noParam.status).toBe(422);
    expect(noParam.body.message).toEndWith("denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction");

    await post(POLICIES, policy("broken", { failurePolicy: "Ignore", matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["services"] }] }, validations: [{ expression: "object.spec.nope == 1" }] }));
    await post(BINDINGS, binding("broken", { policyName: "broken", validationActions: ["Deny"] }));
    const svc = { apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { ports: [{ port: 80 }] } };
    expect((await ctx.client.post("/api/v1/namespaces/default/services", svc)).status).toBe(201);
    await ctx.client.patch(`${POLICIES}/broken`, { spec: { failurePolicy: "Fail" } });
    const failed = await ctx.client.post("/api/v1/namespaces/default/services", { ...svc, metadata: { name: "s2" } });
    expect(failed.status).toBe(422);
    expect(failed.body.message).toEndWith("denied request: expression 'object.spec.nope == 1' resulted in error: no such key: nope");
  });

  test("DELETE: oldObject is the stored object, object is null", async () => {
    await post(POLICIES, policy("keep-protected", {
      matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["DELETE"], resources: ["configmaps"] }] },
      validations: [{ expression: "object == null && !(has(oldObject.metadata.labels) && oldObject.metadata.labels.exists(k, k == 'protected'))", message: "protected config maps stay" }],
    }));
    await post(BINDINGS, binding("keep-protected", { policyName: "keep-protected", validationActions: ["Deny"] }));
    await post(CMS, cm("guarded", {}, { protected: "yes" }));
    const res = await ctx.client.delete(`${CMS}/guarded`);
    expect(res.status).toBe(422);
    expect(res.body.message).toBe("configmaps \"guarded\" is forbidden: ValidatingAdmissionPolicy 'keep-protected' with binding 'keep-protected' denied request: protected config maps stay");
    expect((await ctx.client.get(`${CMS}/guarded`)).status).toBe(200);
    expect((await ctx.client.delete(`${CMS}/mine`)).status).toBe(200);
  });

  test("defaults are written and required fields are checked, as kube-apiserver does", async () => {
    const stored = await ctx.client.get(`${POLICIES}/replica-limit`);
    expect(stored.body.spec.failurePolicy).toBe("Fail");
    expect(stored.body.spec.matchConstraints).toMatchObject({ matchPolicy: "Equivalent", namespaceSelector: {}, objectSelector: {} });
    expect(stored.body.spec.matchConstraints.resourceRules[0].scope).toBe("*");
    const empty = await ctx.client.post(POLICIES, policy("empty", {}));
    expect(empty.status).toBe(422);
    expect(empty.body.details.causes).toEqual([
      { reason: "FieldValueRequired", field: "spec.matchConstraints", message: "Required value" },
      { reason: "FieldValueRequired", field: "spec.validations", message: "Required value: validations or auditAnnotations must contain at least one item" },
    ]);
    const noActions = await ctx.client.post(BINDINGS, binding("no-actions", { policyName: "replica-limit" }));
    expect(noActions.status).toBe(422);
    expect(noActions.body.details.causes).toEqual([{ reason: "FieldValueRequired", field: "spec.validationActions", message: "Required value: at least one validation action is required" }]);
  });

  test("a policy whose expression does not compile is refused", async () => {
    const res = await ctx.client.post(POLICIES, policy("bad-syntax", { matchConstraints: configMapRules, validations: [{ expression: "object.spec ==" }] }));
    expect(res.status).toBe(422);
    expect(res.body.details.causes[0].field).toBe("spec.validations[0].expression");
    expect(res.body.details.causes[0].message).toStartWith('Invalid value: "object.spec ==": compilation failed: ERROR: <input>:1:');
  });
});

const kubectl = findKubectlBinaries()[0];
describe.skipIf(!kubectl)("kubectl and a ValidatingAdmissionPolicy", () => {
  const ctx = useApiServer();
  const dir = scratchDir("kode-vap-kubectl-");
  let k: Kubectl;
  beforeAll(() => {
    k = new Kubectl(kubectl!, ctx.server.kubeconfigPath, dir.path);
  });
  afterAll(() => dir.cleanup());

  test("kubectl apply of a policy and binding, then a denied create", async () => {
    const applied = await k.run(["apply", "-f", k.file("policy.json", JSON.stringify({
      apiVersion: "v1", kind: "List",
      items: [
        policy("demo-policy.example.com", { matchConstraints: { resourceRules: [{ apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["deployments"] }] }, validations: [{ expression: "object.spec.replicas <= 5" }] }),
        binding("demo-binding-test.example.com", { policyName: "demo-policy.example.com", validationActions: ["Deny"] }),
      ],
    }))]);
    expect(applied.out).toContain("validatingadmissionpolicy.admissionregistration.k8s.io/demo-policy.example.com created");
    const res = await k.run(["create", "deployment", "nginx", "--image=nginx", "--replicas=6"]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain("deployments.apps \"nginx\" is forbidden: ValidatingAdmissionPolicy 'demo-policy.example.com' with binding 'demo-binding-test.example.com' denied request: failed expression: object.spec.replicas <= 5");
  });
});
