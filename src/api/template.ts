// KodeTemplate (namespaced) and KodeClusterTemplate (cluster-scoped): one shared spec.
import * as v from "valibot";
import { DEFAULT_PGID, DEFAULT_PUID, DEFAULT_TZ } from "./defaults.ts";
import { API_VERSION, IDE_TYPES } from "./types.ts";
import {
  EnvoyProxyRefSchema,
  ObjectMetaSchema,
  RELATIVE_PATH,
  ABSOLUTE_PATH,
  StorageSchema,
  conditions,
  freeForm,
  int,
  listMap,
  namespaceName,
  objectName,
  observedGeneration,
  parsers,
  quantity,
  str,
} from "./common.ts";
import { celRules, HOME_RULES } from "./common.ts";
import { TemplateBackupSchema, TemplateVolumeSnapshotsSchema } from "./backup.ts";
import { IdeServerSchema, initPlugins, podOptionFields } from "./environment.ts";
import { DevcontainerSourceSchema } from "../devcontainer/source.ts";
import { DotfilesSchema } from "../dotfiles/dotfiles.ts";
import { VscodeSchema } from "../vscode/vscode.ts";
import { TemplateLifecycleSchema } from "./lifecycle.ts";

/** Letters, digits, '.', '-' and the placeholders' braces (the expanded host is checked per Kode). */
const HOST_PATTERN = /^[A-Za-z0-9{}.-]+$/;
const PATH_PATTERN = /^\/[A-Za-z0-9{}._~\/-]*$/;

const EnvVarSchema = v.pipe(
  v.object({
    name: v.pipe(v.string(), v.minLength(1), v.description("Name of the environment variable.")),
    value: v.optional(str("Value of the variable; $(VAR) references are expanded as in a Pod.")),
    valueFrom: v.optional(
      freeForm("Source of the value, as in a Pod's env[].valueFrom (secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef)."),
    ),
  }),
  v.description("An environment variable for the IDE container."),
);

const optionalRef = (what: string) =>
  v.optional(
    v.pipe(
      v.object({
        name: objectName(`Name of the ${what}.`),
        optional: v.optional(v.pipe(v.boolean(), v.description(`Whether the ${what} may be missing.`))),
      }),
      v.description(`All keys of this ${what} become environment variables.`),
    ),
  );

const EnvFromSchema = v.pipe(
  v.object({
    prefix: v.optional(str("Prefix added to every variable name.")),
    configMapRef: optionalRef("ConfigMap"),
    secretRef: optionalRef("Secret"),
  }),
  v.description("A source of environment variables, as in a Pod's envFrom[]."),
);

const TolerationSchema = v.pipe(
  v.object({
    key: v.optional(str("Taint key the toleration applies to; empty with operator Exists matches all taints.")),
    operator: v.optional(v.pipe(v.picklist(["Exists", "Equal"]), v.description("Exists or Equal (default Equal)."))),
    value: v.optional(str("Taint value the toleration matches (operator Equal).")),
    effect: v.optional(
      v.pipe(v.picklist(["NoSchedule", "PreferNoSchedule", "NoExecute"]), v.description("Taint effect to match; empty matches all effects.")),
    ),
    tolerationSeconds: v.optional(
      v.pipe(v.number(), v.integer(), v.description("For NoExecute: how long the Pod stays bound after the taint is added.")),
    ),
  }),
  v.description("A Pod toleration."),
);

const quantities = (description: string) =>
  v.optional(v.pipe(v.record(v.string(), quantity("A Kubernetes quantity, e.g. 500m or 2Gi.")), v.description(description)));

const AccessSchema = v.pipe(
  v.object({
    ingress: v.optional(
      v.pipe(
        v.object({
          className: v.optional(objectName("IngressClass of the Ingress, e.g. nginx. Unset: the cluster's default class.")),
          annotations: v.optional(
            v.pipe(v.record(v.string(), v.string()), v.description("Annotations of the Ingress (they win over the operator's streaming defaults for ingress-nginx).")),
          ),
        }),
        v.description("Render a networking.k8s.io/v1 Ingress per Kode (the default when neither ingress nor gateway is set)."),
      ),
    ),
    gateway: v.optional(
      v.pipe(
        v.object({
          parentRefs: v.pipe(
            v.array(
              v.pipe(
                v.object({
                  name: objectName("Name of the Gateway."),
                  namespace: v.optional(namespaceName("Namespace of the Gateway. Unset: the Kode's namespace.")),
                  sectionName: v.optional(objectName("Listener of the Gateway to attach to.")),
                }),
                v.description("A Gateway the HTTPRoute attaches to."),
              ),
            ),
            v.minLength(1),
            v.description("The Gateways the HTTPRoute attaches to (at least one)."),
          ),
        }),
        v.description("Render a gateway.networking.k8s.io/v1 HTTPRoute per Kode instead of an Ingress."),
      ),
    ),
    host: v.pipe(
      v.string(),
      v.minLength(1),
      v.maxLength(253),
      v.regex(HOST_PATTERN),
      v.description("Host name pattern with {kode}, {namespace} and {user}, e.g. {kode}-{user}.dev.example.com; must expand to a DNS name."),
    ),
    path: v.optional(
      v.pipe(
        v.string(),
        v.maxLength(1024),
        v.regex(PATH_PATTERN),
        v.description("Path prefix pattern with {kode}, {namespace} and {user}, e.g. /{namespace}/{kode}/. Unset: /."),
      ),
    ),
    tlsSecretName: v.optional(objectName("A kubernetes.io/tls Secret in the Kode's namespace: the route serves https and status.url starts with https.")),
  }),
  v.description("How a browser reaches Kodes of this template: one Ingress or HTTPRoute per Kode to its Service."),
);

const LabelSelectorSchema = (what: string) =>
  v.pipe(
    v.object({
      matchLabels: v.optional(v.pipe(v.record(v.string(), v.string()), v.description("Labels the objects must all carry."))),
      matchExpressions: v.optional(
        v.pipe(
          v.array(
            v.pipe(
              v.object({
                key: v.pipe(v.string(), v.minLength(1), v.description("Label key.")),
                operator: v.pipe(v.picklist(["In", "NotIn", "Exists", "DoesNotExist"]), v.description("In, NotIn, Exists or DoesNotExist.")),
                values: v.optional(v.pipe(v.array(v.string()), v.description("Values for In and NotIn."))),
              }),
              v.description("A label requirement."),
            ),
          ),
          v.description("Label requirements the objects must all meet."),
        ),
      ),
    }),
    v.description(what),
  );

const NetworkPolicySchema = v.pipe(
  v.object({
    ingressFrom: v.pipe(
      v.array(
        v.pipe(
          v.object({
            namespaceSelector: v.optional(LabelSelectorSchema("Namespaces the traffic may come from (e.g. the ingress controller's). Unset: the Kode's own namespace.")),
            podSelector: v.optional(LabelSelectorSchema("Pods the traffic may come from (e.g. the ingress controller's). Unset: every pod of the selected namespaces except Kodes.")),
          }),
          v.description("A source of traffic to the Kode; pods of other Kodes never match."),
        ),
      ),
      v.minLength(1),
      v.description("Where traffic to a Kode may come from: only these peers, only on Envoy's public port (or the IDE port without Envoy)."),
    ),
  }),
  v.description("Isolation of Kodes: a NetworkPolicy <kode> that admits only the named peers (the ingress controller or gateway), never other Kodes."),
);

/** The responses to a Falco alert for a Kode's pod (see src/falco/README.md). */
export const FALCO_RESPONSES = ["record", "isolate", "pause"] as const;
const FALCO_PRIORITIES = ["EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFORMATIONAL", "DEBUG"] as const;

const FalcoRuleSchema = v.pipe(
  v.object({
    rule: v.pipe(v.string(), v.minLength(1), v.maxLength(200), v.description("Name of the rule (unique within the template); alerts name it.")),
    desc: v.optional(v.pipe(v.string(), v.maxLength(1000), v.description("What the rule detects. Unset: the rule's name."))),
    condition: v.pipe(
      v.string(),
      v.minLength(1),
      v.maxLength(4000),
      v.description("A Falco condition expression; it is ANDed with the scope of this template's Kode pods (macro kode_pod, the template's labels)."),
    ),
    output: v.pipe(v.string(), v.minLength(1), v.maxLength(2000), v.description("Falco's output line for the alert, e.g. \"curl run in %k8s.pod.name\".")),
    priority: v.pipe(v.picklist(FALCO_PRIORITIES), v.description("Falco priority: EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL or DEBUG.")),
    tags: v.optional(v.pipe(v.array(v.pipe(v.string(), v.maxLength(100))), v.description("Falco tags of the rule (kode is always added)."))),
  }),
  v.description("A Falco rule for this template's Kodes."),
);

const FalcoSchema = v.pipe(
  v.object({
    enabled: v.optional(v.pipe(v.boolean(), v.description("Label this template's Kode pods for Falco, add its rules to the operator's rules ConfigMap and act on alerts. Default false.")), false),
    response: v.optional(
      v.pipe(
        v.picklist(FALCO_RESPONSES),
        v.description("What an alert for a Kode's pod does besides a Warning Event and the SecurityAlert condition: record (nothing more), isolate (a NetworkPolicy <kode>-isolate denies its egress) or pause (spec.paused, pause-reason security). Default record."),
      ),
      "record",
    ),
    rules: v.optional(listMap(FalcoRuleSchema, ["rule"], "Falco rules for this template's Kodes, added to the default rules (crypto miners, writes below system binaries, other pods' service-account tokens).")),
  }),
  v.description("Falco runtime security for Kodes of this template (Falco itself runs node-level; the operator does not install it)."),
);

export const KodeTemplateSpecSchema = v.pipe(
  v.object({
    type: v.pipe(
      v.picklist(IDE_TYPES),
      v.description("The kind of IDE the image provides: code-server, webtop, jupyter, alnoda or devcontainers."),
    ),
    image: v.pipe(v.string(), v.minLength(1), v.description("Container image of the IDE, e.g. linuxserver/code-server:latest.")),
    port: v.optional(int("Port the IDE listens on. Unset: the default port of the image type.", 1, 65535)),
    tz: v.optional(str("Time zone (TZ) of the environment, e.g. Europe/Stockholm."), DEFAULT_TZ),
    puid: v.optional(int("User ID the IDE process runs as (PUID for linuxserver images).", 0, 2 ** 31 - 1), DEFAULT_PUID),
    pgid: v.optional(int("Group ID the IDE process runs as (PGID for linuxserver images).", 0, 2 ** 31 - 1), DEFAULT_PGID),
    defaultHome: v.optional(
      v.pipe(
        v.string(),
        v.maxLength(4096),
        v.regex(ABSOLUTE_PATH),
        celRules<string>(...HOME_RULES),
        v.description("Home directory of Kodes that do not set spec.home: an absolute path without '..' segments. Unset: the image type's home (/config for the linuxserver images, /home/jovyan for Jupyter)."),
      ),
    ),
    defaultWorkspace: v.optional(
      v.pipe(
        v.string(),
        v.maxLength(4096),
        v.regex(RELATIVE_PATH),
        v.description("Workspace of Kodes that do not set spec.workspace, relative to home: no leading '/' and no '..' segments."),
      ),
      "workspace",
    ),
    env: v.optional(listMap(EnvVarSchema, ["name"], "Environment variables of the IDE container.")),
    envFrom: v.optional(v.pipe(v.array(EnvFromSchema), v.description("Sources of environment variables for the IDE container."))),
    command: v.optional(
      v.pipe(v.array(v.string()), v.description("Overrides the image's entrypoint. Unset: the image's ENTRYPOINT.")),
    ),
    args: v.optional(v.pipe(v.array(v.string()), v.description("Arguments to the entrypoint. Unset: the image's CMD."))),
    resources: v.optional(
      v.pipe(
        v.object({
          limits: quantities("Maximum compute resources, e.g. cpu: 2, memory: 4Gi."),
          requests: quantities("Minimum compute resources the scheduler reserves, e.g. cpu: 500m, memory: 1Gi."),
        }),
        v.description("Compute resources of the IDE container."),
      ),
    ),
    imagePullPolicy: v.optional(
      v.pipe(
        v.picklist(["Always", "IfNotPresent", "Never"]),
        v.description("When to pull the image: Always, IfNotPresent or Never. Unset: Kubernetes' default for the tag."),
      ),
    ),
    imagePullSecrets: v.optional(
      v.pipe(
        v.array(v.pipe(v.object({ name: objectName("Name of a docker-registry Secret.") }), v.description("A Secret reference."))),
        v.description("Secrets in the Kode's namespace used to pull the image."),
      ),
    ),
    nodeSelector: v.optional(
      v.pipe(v.record(v.string(), v.string()), v.description("Node labels the Kode's Pod must match to be scheduled.")),
    ),
    tolerations: v.optional(v.pipe(v.array(TolerationSchema), v.description("Tolerations of the Kode's Pod."))),
    storage: v.optional(v.pipe(StorageSchema, v.description("Default storage for Kodes using this template; a Kode's own spec.storage fields take precedence."))),
    envoyProxyRef: v.optional(EnvoyProxyRefSchema),
    ...podOptionFields,
    devcontainer: v.optional(v.pipe(DevcontainerSourceSchema, v.description("devcontainers: the default devcontainer.json of Kodes that set none (exactly one of config, configMapRef, git)."))),
    ideServer: v.optional(IdeServerSchema),
    gitImage: v.optional(str("Image with git and sh for the clone init containers (dotfiles, devcontainer git source). Default alpine/git:latest.")),
    allowRootStart: v.optional(v.pipe(v.boolean(), v.description("jupyter: start the container as root so the image's start script can set NB_UID/NB_GID and chown home, then drop to that user. Default false."))),
    allowPrivilegedPlugins: v.optional(v.pipe(v.boolean(), v.description("Let init plugins run privileged, as root, with privilege escalation or added capabilities. Default false."))),
    initPlugins: initPlugins("Init containers run before the IDE starts, before the Kode's own initPlugins."),
    dotfiles: v.optional(v.pipe(DotfilesSchema, v.description("Default dotfiles repository of Kodes that set none."))),
    vscode: v.optional(v.pipe(VscodeSchema, v.description("Default VS Code settings and extensions (code-server, devcontainers); a Kode's add to them."))),
    access: v.optional(AccessSchema),
    networkPolicy: v.optional(NetworkPolicySchema),
    backup: v.optional(TemplateBackupSchema),
    volumeSnapshots: v.optional(TemplateVolumeSnapshotsSchema),
    lifecycle: v.optional(TemplateLifecycleSchema),
    falco: v.optional(FalcoSchema),
  }),
  v.description("Desired state of the template: the image and the defaults of Kodes created from it."),
);

export const KodeTemplateStatusSchema = v.pipe(
  v.object({
    conditions: conditions("Conditions of the template, e.g. Ready."),
    observedGeneration: observedGeneration(),
    kodes: v.optional(int("How many Kodes use this template.")),
  }),
  v.description("Observed state of the template."),
);

export const KodeTemplateSchema = v.object({
  apiVersion: v.literal(API_VERSION),
  kind: v.picklist(["KodeTemplate", "KodeClusterTemplate"]),
  metadata: ObjectMetaSchema,
  spec: KodeTemplateSpecSchema,
  status: v.optional(KodeTemplateStatusSchema),
});

export const KODE_TEMPLATE_DESCRIPTION =
  "KodeTemplate is a namespaced template for Kodes: the IDE image and the defaults of the Kodes created from it.";
export const KODE_CLUSTER_TEMPLATE_DESCRIPTION =
  "KodeClusterTemplate is a cluster-scoped template for Kodes in any namespace: the IDE image and the defaults of the Kodes created from it.";

const templateParsers = parsers("KodeTemplate", KodeTemplateSchema);
/** Validate and default a KodeTemplate or KodeClusterTemplate; throws SchemaValidationError. */
export const parseKodeTemplate = templateParsers.parse;
/** Validate and default a KodeTemplate or KodeClusterTemplate; returns the object or the issues. */
export const safeParseKodeTemplate = templateParsers.safeParse;
/** Alias of parseKodeTemplate (both kinds share one schema). */
export const parseKodeClusterTemplate = templateParsers.parse;
export const safeParseKodeClusterTemplate = templateParsers.safeParse;
