// The optional bind-user component (manifests/components/bind-user): applied with real kubectl (kustomize) to the
// embedded API server, then two users authenticated by token create and change Kodes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { buildCrds } from "../src/api/crds.ts";
import { useApiServer } from "../src/apiserver/testing.ts";
import { findKubectlBinaries, Kubectl, scratchDir } from "./kubectl-harness.ts";

const binary = findKubectlBinaries()[0];
const dir = scratchDir("kode-bind-user-");
const tokenFile = join(dir.path, "tokens.csv");
writeFileSync(tokenFile, ["alice-token,oidc:alice,u-1,", "bob-token,oidc:bob,u-2,", 'root-token,root,u-0,"system:masters"', ""].join("\n"));

const kodeYaml = (name: string, user: string) => `apiVersion: kode.jacero.io/v1alpha1
kind: Kode
metadata:
  name: ${name}
  namespace: default
spec:
  templateRef: {name: code}
  user: ${user}
`;

describe.skipIf(!binary)("bind-user component: a Kode belongs to the user creating it", () => {
  const ctx = useApiServer({ tokenFile, token: "admin-token", tls: true });
  let kubectl: Kubectl;
  const as = (token: string, args: string[], stdin?: string) => kubectl.run([`--token=${token}`, ...args], stdin === undefined ? {} : { stdin });

  beforeAll(async () => {
    for (const crd of buildCrds()) expect((await ctx.client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)).status).toBe(201);
    // A user-side overlay that uses the component, as a platform would.
    const overlay = join(dir.path, "overlay");
    mkdirSync(overlay, { recursive: true });
    writeFileSync(join(overlay, "kustomization.yaml"), `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\ncomponents:\n  - ${relative(overlay, resolve("manifests/components/bind-user"))}\n`);
    kubectl = new Kubectl(binary!, ctx.server.kubeconfigPath, dir.path);
    const applied = await as("root-token", ["apply", "-k", overlay]);
    expect(applied.stderr).toBe("");
    expect(applied.stdout).toBe("validatingadmissionpolicy.admissionregistration.k8s.io/kode-bind-user created\nvalidatingadmissionpolicybinding.admissionregistration.k8s.io/kode-bind-user created\n");
  });
  afterAll(() => {
    kubectl?.stopAll();
    dir.cleanup();
  });

  test("alice creates her own Kode; bob cannot create one for alice", async () => {
    const own = await as("alice-token", ["create", "-f", "-"], kodeYaml("alice-ws", "alice"));
    expect(own.stdout).toBe("kode.kode.jacero.io/alice-ws created\n");
    const forged = await as("bob-token", ["create", "-f", "-"], kodeYaml("forged", "alice"));
    expect(forged.code).toBe(1);
    expect(forged.stderr).toContain(
      `kodes.kode.jacero.io "forged" is forbidden: ValidatingAdmissionPolicy 'kode-bind-user' with binding 'kode-bind-user' denied request: spec.user must be the user creating the Kode (bob)`,
    );
    const whoami = await as("bob-token", ["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"]);
    expect(whoami.stdout).toBe("oidc:bob");
  });

  test("spec.user cannot be changed later, not even by its owner; other changes pass", async () => {
    const changed = await as("alice-token", ["patch", "kode", "alice-ws", "--type=merge", "-p", '{"spec":{"user":"bob"}}']);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain("denied request: spec.user cannot be changed once the Kode exists");
    const removed = await as("alice-token", ["patch", "kode", "alice-ws", "--type=json", "-p", '[{"op":"remove","path":"/spec/user"}]']);
    expect(removed.code).toBe(1);
    expect(removed.stderr).toContain("spec.user cannot be changed once the Kode exists");
    const workspace = await as("alice-token", ["patch", "kode", "alice-ws", "--type=merge", "-p", '{"spec":{"workspace":"src"}}']);
    expect(workspace.stdout).toBe("kode.kode.jacero.io/alice-ws patched\n");
    // The operator's kind of write (a finalizer, spec.user untouched) passes for anybody.
    const finalizer = await as("bob-token", ["patch", "kode", "alice-ws", "--type=merge", "-p", '{"metadata":{"finalizers":["kode.jacero.io/finalizer"]}}']);
    expect(finalizer.stdout).toBe("kode.kode.jacero.io/alice-ws patched\n");
  });

  test("a Kode without spec.user is refused; a cluster admin may create one for another user", async () => {
    const none = await as("alice-token", ["create", "-f", "-"], kodeYaml("no-user", "alice").replace("  user: alice\n", ""));
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("spec.user must be the user creating the Kode (alice)");
    const admin = await as("root-token", ["create", "-f", "-"], kodeYaml("for-bob", "bob"));
    expect(admin.stdout).toBe("kode.kode.jacero.io/for-bob created\n");
  });
});
