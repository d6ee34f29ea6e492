// The five kode.jacero.io CustomResourceDefinitions, generated from the valibot schemas.
// `renderCrdsYaml()` and `writeCrdFiles(dir)` produce the committed manifests/crds files; a test keeps them
// in step with the schemas.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { YAML } from "bun";
import type * as v from "valibot";
import type { JSONSchemaProps } from "../apiserver/types.ts";
import { toCrdSchema } from "./to-crd.ts";
import { GROUP, VERSION } from "./types.ts";
import { KODE_DESCRIPTION, KodeSpecSchema, KodeStatusSchema } from "./kode.ts";
import {
  KODE_CLUSTER_TEMPLATE_DESCRIPTION,
  KODE_TEMPLATE_DESCRIPTION,
  KodeTemplateSpecSchema,
  KodeTemplateStatusSchema,
} from "./template.ts";
import {
  ENVOY_PROXY_CLUSTER_CONFIG_DESCRIPTION,
  ENVOY_PROXY_CONFIG_DESCRIPTION,
  EnvoyProxyConfigSpecSchema,
  EnvoyProxyConfigStatusSchema,
} from "./envoy-proxy-config.ts";

type AnySchema = v.BaseSchema<unknown, unknown, v.BaseIssue<unknown>>;

export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

export interface CustomResourceDefinition {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames: string[]; categories: string[] };
    scope: "Namespaced" | "Cluster";
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
      schema: { openAPIV3Schema: JSONSchemaProps };
    }[];
  };
}

interface KindDef {
  kind: string;
  plural: string;
  shortName: string;
  scope: "Namespaced" | "Cluster";
  description: string;
  spec: AnySchema;
  status: AnySchema;
  columns: PrinterColumn[];
}

const AGE: PrinterColumn = {
  name: "Age",
  type: "date",
  jsonPath: ".metadata.creationTimestamp",
  description: "Time since the object was created.",
};

const TEMPLATE_COLUMNS: PrinterColumn[] = [
  { name: "Type", type: "string", jsonPath: ".spec.type", description: "IDE type of the template." },
  { name: "Image", type: "string", jsonPath: ".spec.image", description: "Container image of the IDE." },
  { name: "Kodes", type: "integer", jsonPath: ".status.kodes", description: "How many Kodes use the template." },
  AGE,
];

const ENVOY_COLUMNS: PrinterColumn[] = [
  { name: "AuthType", type: "string", jsonPath: ".spec.authType", description: "Authentication in front of the IDE." },
  { name: "Image", type: "string", jsonPath: ".spec.image", description: "Envoy image of the sidecar." },
  AGE,
];

/** The kinds in the order they are rendered. */
export const KINDS: readonly KindDef[] = [
  {
    kind: "Kode",
    plural: "kodes",
    shortName: "kd",
    scope: "Namespaced",
    description: KODE_DESCRIPTION,
    spec: KodeSpecSchema,
    status: KodeStatusSchema,
    columns: [
      { name: "Phase", type: "string", jsonPath: ".status.phase", description: "Lifecycle phase of the Kode." },
      { name: "Type", type: "string", jsonPath: ".status.type", description: "IDE type from the resolved template." },
      { name: "Template", type: "string", jsonPath: ".status.template.name", description: "Name of the resolved template." },
      { name: "User", type: "string", jsonPath: ".spec.user", description: "User name in the environment." },
      { name: "URL", type: "string", jsonPath: ".status.url", description: "URL of the Kode from a browser (its route)." },
      { name: "Idle", type: "date", jsonPath: ".status.activity.idleSince", description: "How long the Kode has been idle (unset while in use or unknown)." },
      { name: "Reason", type: "string", jsonPath: ".status.activity.reason", description: "Why the Kode is active, idle or unknown." },
      { name: "Last-Backup", type: "date", jsonPath: ".status.backup.lastSuccessfulTime", description: "When the last successful backup finished.", priority: 1 },
      { name: "Snapshot", type: "string", jsonPath: ".status.backup.lastSnapshot", description: "Id of the newest restic snapshot (spec.restore.snapshot takes it).", priority: 1 },
      AGE,
    ],
  },
  {
    kind: "KodeTemplate",
    plural: "kodetemplates",
    shortName: "kt",
    scope: "Namespaced",
    description: KODE_TEMPLATE_DESCRIPTION,
    spec: KodeTemplateSpecSchema,
    status: KodeTemplateStatusSchema,
    columns: TEMPLATE_COLUMNS,
  },
  {
    kind: "KodeClusterTemplate",
    plural: "kodeclustertemplates",
    shortName: "kct",
    scope: "Cluster",
    description: KODE_CLUSTER_TEMPLATE_DESCRIPTION,
    spec: KodeTemplateSpecSchema,
    status: KodeTemplateStatusSchema,
    columns: TEMPLATE_COLUMNS,
  },
  {
    kind: "EnvoyProxyConfig",
    plural: "envoyproxyconfigs",
    shortName: "epc",
    scope: "Namespaced",
    description: ENVOY_PROXY_CONFIG_DESCRIPTION,
    spec: EnvoyProxyConfigSpecSchema,
    status: EnvoyProxyConfigStatusSchema,
    columns: ENVOY_COLUMNS,
  },
  {
    kind: "EnvoyProxyClusterConfig",
    plural: "envoyproxyclusterconfigs",
    shortName: "epcc",
    scope: "Cluster",
    description: ENVOY_PROXY_CLUSTER_CONFIG_DESCRIPTION,
    spec: EnvoyProxyConfigSpecSchema,
    status: EnvoyProxyConfigStatusSchema,
    columns: ENVOY_COLUMNS,
  },
];

function buildCrd(def: KindDef): CustomResourceDefinition {
  const openAPIV3Schema: JSONSchemaProps = {
    description: def.description,
    type: "object",
    required: ["spec"],
    properties: {
      apiVersion: {
        description:
          "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.",
        type: "string",
      },
      kind: {
        description:
          "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. In CamelCase.",
        type: "string",
      },
      // The API server forbids anything but type (and name/generateName constraints) here.
      metadata: { type: "object" },
      spec: toCrdSchema(def.spec),
      status: toCrdSchema(def.status),
    },
  };
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `${def.plural}.${GROUP}`,
      labels: { "app.kubernetes.io/name": "kode-operator", "app.kubernetes.io/part-of": "kode-operator" },
    },
    spec: {
      group: GROUP,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.kind.toLowerCase(),
        shortNames: [def.shortName],
        categories: ["kode-operator"],
      },
      scope: def.scope,
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.columns.map((c) => ({ ...c })),
          schema: { openAPIV3Schema },
        },
      ],
    },
  };
}

/** The five CRDs (fresh objects on every call). */
export function buildCrds(): CustomResourceDefinition[] {
  return KINDS.map(buildCrd);
}

/** The file name of a CRD in manifests/crds: <plural>.<group>.yaml. */
export function crdFileName(crd: CustomResourceDefinition): string {
  return `${crd.metadata.name}.yaml`;
}

const HEADER = "# Code generated by `kode crds --write manifests/crds` from src/api/*.ts. DO NOT EDIT.\n";

function toYaml(value: unknown): string {
  const text = YAML.stringify(value, null, 2);
  return text.endsWith("\n") ? text : `${text}\n`;
}

/** All CRDs as one multi-document YAML stream (stable output). */
export function renderCrdsYaml(): string {
  return HEADER + buildCrds().map((crd) => `---\n${toYaml(crd)}`).join("");
}

/** The files of manifests/crds: one per CRD plus kustomization.yaml, as name → content. */
export function renderCrdFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const crds = buildCrds();
  for (const crd of crds) files.set(crdFileName(crd), HEADER + toYaml(crd));
  files.set(
    "kustomization.yaml",
    HEADER +
      toYaml({
        apiVersion: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        resources: crds.map(crdFileName),
      }),
  );
  return files;
}

/** Write renderCrdFiles() into `dir` (created if missing); returns the paths written. */
export async function writeCrdFiles(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, content] of renderCrdFiles()) {
    const path = join(dir, name);
    await writeFile(path, content);
    written.push(path);
  }
  return written;
}
