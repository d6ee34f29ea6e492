// The environment fields of templates and Kodes: init plugins, the Dev Containers IDE server and pod options.
// The devcontainer, dotfiles and vscode fragments live with their modules (src/devcontainer, src/dotfiles,
// src/vscode) and are embedded from there.
import * as v from "valibot";
import { DNS_LABEL, celRules, freeForm, listMap, objectName, quantity, str } from "./common.ts";

/** Init containers the operator owns carry this prefix; plugin names may not. */
export const RESERVED_PLUGIN_PREFIX = "kode-";

const quantities = (description: string) =>
  v.optional(v.pipe(v.record(v.string(), quantity("A Kubernetes quantity, e.g. 500m or 2Gi.")), v.description(description)));

export const ResourcesSchema = v.pipe(
  v.object({
    limits: quantities("Maximum compute resources, e.g. cpu: 2, memory: 4Gi."),
    requests: quantities("Minimum compute resources the scheduler reserves, e.g. cpu: 500m, memory: 1Gi."),
  }),
  v.description("Compute resources of a container."),
);

const PluginEnvVarSchema = v.pipe(
  v.object({
    name: v.pipe(v.string(), v.minLength(1), v.description("Name of the environment variable.")),
    value: v.optional(str("Value of the variable.")),
    valueFrom: v.optional(freeForm("Source of the value, as in a Pod's env[].valueFrom.")),
  }),
  v.description("An environment variable of the plugin."),
);

const PluginEnvFromSchema = v.pipe(
  v.object({
    prefix: v.optional(str("Prefix added to every variable name.")),
    configMapRef: v.optional(v.pipe(v.object({ name: objectName("Name of the ConfigMap."), optional: v.optional(v.pipe(v.boolean(), v.description("Whether it may be missing."))) }), v.description("All keys of this ConfigMap."))),
    secretRef: v.optional(v.pipe(v.object({ name: objectName("Name of the Secret."), optional: v.optional(v.pipe(v.boolean(), v.description("Whether it may be missing."))) }), v.description("All keys of this Secret."))),
  }),
  v.description("A source of environment variables, as in a Pod's envFrom[]."),
);

const PluginVolumeMountSchema = v.pipe(
  v.object({
    name: v.pipe(v.string(), v.minLength(1), v.description("A volume of the Kode's pod: home, kode-scratch (or kode-ide for devcontainers).")),
    mountPath: v.pipe(v.string(), v.regex(/^\//), v.description("Absolute path to mount it at.")),
    subPath: v.optional(str("Sub-path of the volume to mount.")),
    readOnly: v.optional(v.pipe(v.boolean(), v.description("Mount read-only."))),
  }),
  v.description("An extra mount of a pod volume (home and the scratch volume are always mounted)."),
);

export const InitPluginSchema = v.pipe(
  v.object({
    name: v.pipe(
      v.string(),
      v.minLength(1),
      v.maxLength(63),
      v.regex(DNS_LABEL),
      celRules<string>({ rule: `!self.startsWith('${RESERVED_PLUGIN_PREFIX}')`, message: `must not start with "${RESERVED_PLUGIN_PREFIX}": that prefix is reserved for the operator's own init containers` }),
      v.description(`Name of the init container: a DNS label, unique across the template's and the Kode's plugins, not starting with "${RESERVED_PLUGIN_PREFIX}".`),
    ),
    image: v.pipe(v.string(), v.minLength(1), v.description("Container image of the plugin.")),
    command: v.optional(v.pipe(v.array(v.string()), v.description("Entrypoint. Unset: the image's ENTRYPOINT."))),
    args: v.optional(v.pipe(v.array(v.string()), v.description("Arguments. Unset: the image's CMD."))),
    env: v.optional(listMap(PluginEnvVarSchema, ["name"], "Environment variables (HOME and KODE_SCRATCH are set by the operator).")),
    envFrom: v.optional(v.pipe(v.array(PluginEnvFromSchema), v.description("Sources of environment variables."))),
    volumeMounts: v.optional(v.pipe(v.array(PluginVolumeMountSchema), v.description("Extra mounts; the home volume (at the home path) and the scratch volume (at /kode-scratch) are always mounted."))),
    resources: v.optional(ResourcesSchema),
    securityContext: v.optional(
      freeForm("Container securityContext, merged over the restricted default (the IDE's uid, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp). privileged, allowPrivilegeEscalation, added capabilities and uid 0 need the template's allowPrivilegedPlugins."),
    ),
  }),
  v.description("An init container run before the IDE starts: the template's plugins first, then the Kode's, each in list order."),
);

export const initPlugins = (description: string) => v.optional(listMap(InitPluginSchema, ["name"], description));

export const IdeServerSchema = v.pipe(
  v.object({
    kind: v.optional(v.pipe(v.picklist(["openvscode-server", "code-server"]), v.description("The IDE server injected into a devcontainers image. Default openvscode-server.")), "openvscode-server"),
    image: v.optional(str("Image the IDE server is copied from. Default gitpod/openvscode-server:latest or codercom/code-server:latest.")),
  }),
  v.description("devcontainers: which web IDE server the operator adds to the user's image."),
);

/** Pod options of the template besides nodeSelector, tolerations and imagePullSecrets. */
export const podOptionFields = {
  runtimeClassName: v.optional(objectName("RuntimeClass of the pod, e.g. gvisor or kata.")),
  podSecurityContext: v.optional(freeForm("Pod securityContext, merged over the default (fsGroup = pgid, fsGroupChangePolicy OnRootMismatch, RuntimeDefault seccomp).")),
  securityContext: v.optional(
    freeForm("securityContext of the IDE container, merged over the type's default (restricted where the image allows it: no privilege escalation, all capabilities dropped, RuntimeDefault seccomp)."),
  ),
  serviceAccountName: v.optional(objectName("ServiceAccount of the pod. Its token is mounted only with automountServiceAccountToken: true.")),
  automountServiceAccountToken: v.optional(v.pipe(v.boolean(), v.description("Mount the ServiceAccount token into the pod. Default false."))),
  affinity: v.optional(freeForm("Pod affinity, as in a Pod's spec.affinity.")),
  priorityClassName: v.optional(objectName("PriorityClass of the pod.")),
};
