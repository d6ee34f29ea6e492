import { describe, expect, test } from "bun:test";
import { readFile, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { YAML } from "bun";
import { validateCustomResourceDefinition } from "../apiserver/crd/schema.ts";
import type { KObject } from "../apiserver/types.ts";
import { buildCrds, renderCrdFiles, renderCrdsYaml } from "./crds.ts";
import { crdsCommand } from "./crds-command.ts";
import { lintStructural } from "./to-crd.ts";
import { celRuleCauses } from "../apiserver/crd/cel-rules.ts";
import type { JSONSchemaProps } from "../apiserver/types.ts";

/** Our CRDs' CEL rules must compile with the API server's CEL. */
const ruleProblems = (node: JSONSchemaProps, path: string, isRoot: boolean) =>
  celRuleCauses(node, path, isRoot).map((c) => `${c.field}: ${c.message}`);

const MANIFESTS = join(import.meta.dir, "../../manifests/crds");
const REGENERATE = "run `npx bun src/api/crds-command.ts --write manifests/crds` (or `kode crds --write manifests/crds`)";

describe("generated CRDs", () => {
  test("five CRDs with the expected names, scopes and short names", () => {
    const crds = buildCrds();
    expect(crds.map((c) => [c.metadata.name, c.spec.scope, c.spec.names.shortNames])).toEqual([
      ["kodes.kode.jacero.io", "Namespaced", ["kd"]],
      ["kodetemplates.kode.jacero.io", "Namespaced", ["kt"]],
      ["kodeclustertemplates.kode.jacero.io", "Cluster", ["kct"]],
      ["envoyproxyconfigs.kode.jacero.io", "Namespaced", ["epc"]],
      ["envoyproxyclusterconfigs.kode.jacero.io", "Cluster", ["epcc"]],
    ]);
    for (const crd of crds) {
      expect(crd.spec.names.categories).toEqual(["kode-operator"]);
      expect(crd.spec.versions[0]!.subresources).toEqual({ status: {} });
    }
  });

  test("printer columns", () => {
    const columns = Object.fromEntries(
      buildCrds().map((c) => [c.spec.names.kind, c.spec.versions[0]!.additionalPrinterColumns.map((p) => `${p.name}=${p.jsonPath}@${p.priority ?? 0}`)]),
    );
    expect(columns.Kode).toEqual([
      "Phase=.status.phase@0",
      "Type=.status.type@0",
      "Template=.status.template.name@0",
      "User=.spec.user@0",
      "URL=.status.url@0",
      "Idle=.status.activity.idleSince@0",
      "Reason=.status.activity.reason@0",
      "Last-Backup=.status.backup.lastSuccessfulTime@1",
      "Snapshot=.status.backup.lastSnapshot@1",
      "Age=.metadata.creationTimestamp@0",
    ]);
    expect(columns.KodeTemplate).toEqual(["Type=.spec.type@0", "Image=.spec.image@0", "Kodes=.status.kodes@0", "Age=.metadata.creationTimestamp@0"]);
    expect(columns.KodeClusterTemplate).toEqual(columns.KodeTemplate!);
    expect(columns.EnvoyProxyConfig).toEqual(["AuthType=.spec.authType@0", "Image=.spec.image@0", "Age=.metadata.creationTimestamp@0"]);
    expect(columns.EnvoyProxyClusterConfig).toEqual(columns.EnvoyProxyConfig!);
  });

  test("every CRD passes the structural lint", () => {
    for (const crd of buildCrds()) {
      expect({ crd: crd.metadata.name, problems: lintStructural(crd.spec.versions[0]!.schema.openAPIV3Schema, { ruleProblems }) }).toEqual({
        crd: crd.metadata.name,
        problems: [],
      });
    }
  });

  test("every CRD passes the API server's own CRD validation", () => {
    for (const crd of buildCrds()) {
      const causes = validateCustomResourceDefinition(structuredClone(crd) as unknown as KObject);
      expect({ crd: crd.metadata.name, causes }).toEqual({ crd: crd.metadata.name, causes: [] });
    }
  });

  test("the API server's CRD validation does catch a broken schema (the check above can fail)", () => {
    const crd = structuredClone(buildCrds()[0]!) as any;
    crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.user.type = undefined;
    crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.storage.additionalProperties = false;
    expect(validateCustomResourceDefinition(crd).length).toBeGreaterThan(0);
  });

  test("key schema details", () => {
    const [kode, template, , envoy] = buildCrds().map((c) => c.spec.versions[0]!.schema.openAPIV3Schema.properties! as any);
    const spec = kode.spec.properties;
    expect(kode.spec.required).toEqual(["templateRef"]);
    expect(spec.templateRef.required).toEqual(["name"]);
    expect(spec.templateRef.properties.kind).toMatchObject({ enum: ["KodeTemplate", "KodeClusterTemplate"], default: "KodeTemplate" });
    expect(spec.storage.properties.resources.properties.requests.properties.storage).toMatchObject({
      "x-kubernetes-int-or-string": true,
      anyOf: [{ type: "integer" }, { type: "string" }],
    });
    expect(kode.status.properties.conditions).toMatchObject({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] });
    expect(kode.status.properties.conditions.items.required).toEqual(["type", "status"]);
    expect(kode.status.properties.conditions.items.properties.reason.default).toBeUndefined();
    const t = template.spec.properties;
    expect(template.spec.required).toEqual(["type", "image"]);
    expect(t.tz.default).toBe("UTC");
    expect(t.puid).toMatchObject({ default: 1000, minimum: 0, maximum: 2 ** 31 - 1, type: "integer" });
    expect(t.port).toMatchObject({ minimum: 1, maximum: 65535 });
    expect(t.env).toMatchObject({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] });
    expect(t.env.items.properties.valueFrom).toMatchObject({ type: "object", "x-kubernetes-preserve-unknown-fields": true });
    expect(t.resources.properties.limits.additionalProperties["x-kubernetes-int-or-string"]).toBe(true);
    expect(t.envoyProxyRef.properties.kind.default).toBe("EnvoyProxyConfig");
    const e = envoy.spec.properties;
    expect(e.authType.enum).toEqual(["none", "basic", "oauth2", "ext_authz"]);
    expect(e.httpFilters.items.required).toEqual(["name"]);
    expect(e.httpFilters.items.properties.typed_config["x-kubernetes-preserve-unknown-fields"]).toBe(true);
    expect(e.clusters.items["x-kubernetes-preserve-unknown-fields"]).toBe(true);
    // Room for later fields: no additionalProperties:false anywhere.
    expect(JSON.stringify(buildCrds())).not.toContain('"additionalProperties":false');
  });
});

describe("YAML output", () => {
  test("is stable and parses back to the same objects", () => {
    const a = renderCrdsYaml();
    expect(renderCrdsYaml()).toBe(a);
    const docs = a.split(/^---\n/m).slice(1).map((d) => YAML.parse(d));
    expect(docs).toEqual(JSON.parse(JSON.stringify(buildCrds())));
  });

  test("the committed manifests/crds files equal freshly generated output", async () => {
    const expected = renderCrdFiles();
    const present = (await readdir(MANIFESTS).catch(() => [] as string[])).filter((f) => f.endsWith(".yaml")).sort();
    expect({ files: present, hint: REGENERATE }).toEqual({ files: [...expected.keys()].sort(), hint: REGENERATE });
    for (const [name, content] of expected) {
      const committed = await readFile(join(MANIFESTS, name), "utf8");
      if (committed !== content) throw new Error(`manifests/crds/${name} is stale: ${REGENERATE}`);
    }
  });

  test("kustomization lists every CRD file", () => {
    const k = YAML.parse(renderCrdFiles().get("kustomization.yaml")!) as any;
    expect(k.resources).toEqual(buildCrds().map((c) => `${c.metadata.name}.yaml`));
  });
});

describe("crdsCommand", () => {
  test("prints the YAML, writes files, rejects bad arguments", async () => {
    const chunks: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((s: string) => (chunks.push(String(s)), true)) as typeof process.stdout.write;
    let rc: number;
    try {
      rc = await crdsCommand([]);
    } finally {
      process.stdout.write = write;
    }
    expect(rc).toBe(0);
    expect(chunks.join("")).toBe(renderCrdsYaml());

    const dir = `${process.env.TMPDIR ?? "/tmp"}/kode-crds-${process.pid}-${Date.now()}`;
    const error = console.error;
    console.error = () => {};
    try {
      expect(await crdsCommand(["--write", dir])).toBe(0);
      expect(await crdsCommand(["--bogus"])).toBe(2);
      expect(await crdsCommand(["--write"])).toBe(2);
    } finally {
      console.error = error;
    }
    for (const [name, content] of renderCrdFiles()) expect(await readFile(join(dir, name), "utf8")).toBe(content);
    await rm(dir, { recursive: true, force: true });
  });
});
