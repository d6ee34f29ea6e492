// Kode: one development environment (namespaced).
import { ArchiveStatusSchema, BackupStatusSchema, KodeBackupSchema, KodeRestoreSchema, KodeStorageSchema, RestoreStatusSchema, VolumeSnapshotsStatusSchema } from "./backup.ts";
import * as v from "valibot";
import { API_VERSION, IDE_TYPES, KODE_PHASES } from "./types.ts";
import {
  ABSOLUTE_PATH,
  ObjectMetaSchema,
  RELATIVE_PATH,
  USER_NAME,
  conditions,
  int,
  namespaceName,
  objectName,
  observedGeneration,
  parsers,
  str,
} from "./common.ts";
import { celRules, HOME_RULES } from "./common.ts";
import { initPlugins } from "./environment.ts";
import { DevcontainerSourceSchema } from "../devcontainer/source.ts";
import { DotfilesSchema } from "../dotfiles/dotfiles.ts";
import { VscodeSchema } from "../vscode/vscode.ts";
import { ActivityStatusSchema, KodeLifecycleSchema, StartupStatusSchema } from "./lifecycle.ts";

export const TEMPLATE_KINDS = ["KodeTemplate", "KodeClusterTemplate"] as const;

export const TemplateRefSchema = v.pipe(
  v.object({
    kind: v.optional(
      v.pipe(
        v.picklist(TEMPLATE_KINDS),
        v.description("Kind of the template: KodeTemplate (namespaced) or KodeClusterTemplate (cluster-scoped)."),
      ),
      "KodeTemplate",
    ),
    name: objectName("Name of the template."),
    namespace: v.optional(
      namespaceName("Namespace of a KodeTemplate. Unset: the Kode's own namespace. Ignored for KodeClusterTemplate."),
    ),
  }),
  v.description("The KodeTemplate or KodeClusterTemplate this Kode is created from."),
);

export const KodeSpecSchema = v.pipe(
  v.object({
    templateRef: TemplateRefSchema,
    user: v.optional(
      v.pipe(
        v.string(),
        v.minLength(1),
        v.maxLength(64),
        v.regex(USER_NAME),
        v.description(
          "User name in the environment and for HTTP Basic auth: a letter or '_' first, then letters, digits, '_', '.', '@' or '-'. Unset: the image's default user (or the username key of existingSecret).",
        ),
      ),
    ),
    password: v.optional(
      v.pipe(
        v.string(),
        v.minLength(8),
        v.maxLength(256),
        v.description(
          "Password for the environment, 8 to 256 characters. Stored in plain text in the Kode: prefer existingSecret. Unset (and no existingSecret): the operator generates a strong random password once (32 characters) and keeps it in the Secret <kode>-auth (key password).",
        ),
      ),
    ),
    existingSecret: v.optional(
      objectName("Name of a Secret in the Kode's namespace with key password and optionally username. Takes precedence over user and password."),
    ),
    home: v.optional(
      v.pipe(
        v.string(),
        v.maxLength(4096),
        v.regex(ABSOLUTE_PATH),
        celRules<string>(...HOME_RULES),
        v.description("Absolute path of the home directory, without '..' segments. Unset: the template's defaultHome."),
      ),
    ),
    workspace: v.optional(
      v.pipe(
        v.string(),
        v.maxLength(4096),
        v.regex(RELATIVE_PATH),
        v.description("Workspace folder opened by the IDE, relative to home: must not start with '/' or contain '..' segments. Unset: the template's defaultWorkspace."),
      ),
    ),
    storage: v.optional(KodeStorageSchema),
    backup: v.optional(KodeBackupSchema),
    restore: v.optional(KodeRestoreSchema),
    devcontainer: v.optional(v.pipe(DevcontainerSourceSchema, v.description("devcontainers: the devcontainer.json of this Kode, replacing the template's (exactly one of config, configMapRef, git)."))),
    dotfiles: v.optional(DotfilesSchema),
    vscode: v.optional(v.pipe(VscodeSchema, v.description("VS Code settings and extensions (code-server, devcontainers), added to the template's: these settings keys win, extensions are appended."))),
    initPlugins: initPlugins("Init containers run after the template's initPlugins, in list order; names unique across both lists."),
    paused: v.optional(
      v.pipe(
        v.boolean(),
        v.description(
          "Pause the Kode: its StatefulSet is scaled to 0, while storage, Secrets, Service, NetworkPolicy and route stay. false resumes it at the same URL. Who paused it and why: annotations kode.jacero.io/paused-by and kode.jacero.io/pause-reason.",
        ),
      ),
    ),
    lifecycle: v.optional(KodeLifecycleSchema),
  }),
  v.description("Desired state of the Kode."),
);

export const KodeStatusSchema = v.pipe(
  v.object({
    phase: v.optional(
      v.pipe(v.picklist(KODE_PHASES), v.description("Lifecycle phase: Pending, Provisioning, Running, Updating, Paused, Resuming, Archived (paused, its volume deleted after a verified backup), Failed or Deleting.")),
    ),
    conditions: conditions("Conditions of the Kode: Ready, TemplateResolved, ResourcesReady and Progressing; Paused once it was paused; LifecycleValid when spec.lifecycle or keep-alive-until is refused. Ready=False with reason ChildConflict names an existing object with a child's name that the Kode does not control; reason RouteConflict: an older Kode has the same host and path, so this one gets no route."),
    observedGeneration: observedGeneration(),
    url: v.optional(str("The URL a user opens from a browser: the route's (https when the template names a TLS Secret). Unset when the template has no access section or the route is refused (RouteConflict).")),
    internalURL: v.optional(str("In-cluster URL of the Kode's Service.")),
    credentialsSecret: v.optional(str("Name of the Secret holding the credentials in use.")),
    type: v.optional(v.pipe(v.picklist(IDE_TYPES), v.description("IDE type, copied from the resolved template."))),
    template: v.optional(
      v.pipe(
        v.object({
          kind: v.pipe(v.picklist(TEMPLATE_KINDS), v.description("Kind of the resolved template.")),
          name: str("Name of the resolved template."),
          namespace: v.optional(str("Namespace of the resolved template (KodeTemplate only).")),
        }),
        v.description("The template the Kode was last reconciled from."),
      ),
    ),
    devcontainer: v.optional(
      v.pipe(
        v.object({
          source: v.optional(str("Where the devcontainer.json in use was read (git URL and path, ConfigMap, inline).")),
          commit: v.optional(str("The git commit the devcontainer.json in use was read at.")),
          postStartExitCode: v.optional(int("The exit code of postStartCommand in the IDE container's current start (read from its log; absent while it runs).", 0, 255)),
        }),
        v.description("devcontainers: the devcontainer.json in use (kept while a later git read fails)."),
      ),
    ),
    backup: v.optional(BackupStatusSchema),
    restore: v.optional(RestoreStatusSchema),
    archive: v.optional(ArchiveStatusSchema),
    volumeSnapshots: v.optional(VolumeSnapshotsStatusSchema),
    activity: v.optional(ActivityStatusSchema),
    startup: v.optional(StartupStatusSchema),
  }),
  v.description("Observed state of the Kode."),
);

export const KodeSchema = v.object({
  apiVersion: v.literal(API_VERSION),
  kind: v.literal("Kode"),
  metadata: ObjectMetaSchema,
  spec: KodeSpecSchema,
  status: v.optional(KodeStatusSchema),
});

export const KODE_DESCRIPTION =
  "Kode is a browser-based development environment (code-server, webtop, jupyter, …) created from a KodeTemplate or KodeClusterTemplate.";

const kodeParsers = parsers("Kode", KodeSchema);
/** Validate and default a Kode; throws SchemaValidationError with field paths. */
export const parseKode = kodeParsers.parse;
/** Validate and default a Kode; returns the typed object or the issues with field paths. */
export const safeParseKode = kodeParsers.safeParse;
