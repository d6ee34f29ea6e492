// Where a devcontainer.json comes from: inline in the Kode or template, a ConfigMap key, or a file in git.
// The valibot schema is the API fragment the Kode and template specs embed as `devcontainer`.
import * as v from "valibot";
import { freeForm, objectName, RELATIVE_PATH, str } from "../api/common.ts";
import { checkDevcontainer, type DevcontainerResult, parseDevcontainer } from "./config.ts";
import type { GitAuth, GitFileRequest } from "./git.ts";

export const DEFAULT_DEVCONTAINER_PATH = ".devcontainer/devcontainer.json";
export const DEFAULT_CONFIGMAP_KEY = "devcontainer.json";
/** Secret keys for a git token (the same as the dotfiles secretRef). */
export const GIT_TOKEN_KEY = "token";
export const GIT_USERNAME_KEY = "username";

export const GitSourceSchema = v.pipe(
  v.object({
    url: v.pipe(v.string(), v.regex(/^https?:\/\/\S+$/), v.description("Repository URL over HTTP(S), e.g. https://github.com/org/repo.git.")),
    ref: v.optional(str("Branch, tag or commit sha. Unset: the repository's default branch.")),
    path: v.optional(v.pipe(v.string(), v.regex(RELATIVE_PATH), v.description(`Path of devcontainer.json in the repository. Default ${DEFAULT_DEVCONTAINER_PATH}.`))),
    secretRef: v.optional(
      v.pipe(
        v.object({ name: objectName("Secret in the Kode's namespace.") }),
        v.description(`A Secret with key "${GIT_TOKEN_KEY}" (a token sent as HTTP Basic password) and optionally "${GIT_USERNAME_KEY}" (default x-access-token).`),
      ),
    ),
  }),
  v.description("A devcontainer.json read from a git repository (and the repository cloned into the workspace)."),
);

export const DevcontainerSourceSchema = v.pipe(
  v.object({
    config: v.optional(freeForm("devcontainer.json inline, as an object.")),
    configMapRef: v.optional(
      v.pipe(
        v.object({
          name: objectName("ConfigMap in the Kode's namespace."),
          key: v.optional(str(`Key holding devcontainer.json (JSON with comments). Default ${DEFAULT_CONFIGMAP_KEY}.`)),
        }),
        v.description("devcontainer.json from a ConfigMap key."),
      ),
    ),
    git: v.optional(GitSourceSchema),
  }),
  v.description("Where the devcontainer.json comes from: exactly one of config, configMapRef, git."),
);

export type DevcontainerSource = v.InferOutput<typeof DevcontainerSourceSchema>;
export type GitSource = v.InferOutput<typeof GitSourceSchema>;

/** A problem with the source itself (validation: reason InvalidDevcontainerSource), or undefined. */
export function sourceProblem(src: DevcontainerSource): string | undefined {
  const set = (["config", "configMapRef", "git"] as const).filter((k) => src[k] !== undefined);
  if (set.length !== 1) return `devcontainer must set exactly one of config, configMapRef, git (${set.length ? `has ${set.join(" and ")}` : "has none"})`;
  return undefined;
}

/** Which source wins: the Kode's devcontainer replaces the template's as a whole (a source is one thing). */
export const effectiveSource = (kode?: DevcontainerSource, template?: DevcontainerSource): DevcontainerSource | undefined => kode ?? template;

export const fromInline = (config: Record<string, unknown>): DevcontainerResult => checkDevcontainer(config, "devcontainer.config");

/** A ConfigMap's data (undefined: the ConfigMap does not exist). */
export function fromConfigMap(ref: { name: string; key?: string }, data: Record<string, string> | undefined): DevcontainerResult {
  const key = ref.key ?? DEFAULT_CONFIGMAP_KEY;
  const source = `ConfigMap ${ref.name} key ${key}`;
  if (data === undefined) return { errors: [`ConfigMap ${ref.name} not found`], unsupported: [], warnings: [] };
  if (!Object.hasOwn(data, key)) {
    const keys = Object.keys(data);
    return { errors: [`ConfigMap ${ref.name} has no key ${key}${keys.length ? ` (it has ${keys.join(", ")})` : ""}`], unsupported: [], warnings: [] };
  }
  return parseDevcontainer(data[key], source);
}

/**
 * The git read for a source. `secretData` is the referenced Secret's data, base64-decoded (undefined: no
 * secretRef, or the Secret is missing — then `problem` says so).
 */
export function gitRequest(src: GitSource, secretData?: Record<string, string>): { request?: GitFileRequest; problem?: string } {
  let auth: GitAuth | undefined;
  if (src.secretRef) {
    if (!secretData) return { problem: `Secret ${src.secretRef.name} (git.secretRef) not found` };
    const token = secretData[GIT_TOKEN_KEY];
    if (!token) return { problem: `Secret ${src.secretRef.name} has no key "${GIT_TOKEN_KEY}"` };
    auth = { token, username: secretData[GIT_USERNAME_KEY] || undefined };
  }
  return { request: { url: src.url, ref: src.ref, path: src.path ?? DEFAULT_DEVCONTAINER_PATH, auth } };
}

/** After a git read: parse the text, naming the repository and commit in messages. */
export const fromGitFile = (src: GitSource, content: string, commit: string): DevcontainerResult =>
  parseDevcontainer(content, `${src.path ?? DEFAULT_DEVCONTAINER_PATH} at ${commit.slice(0, 12)}`);
