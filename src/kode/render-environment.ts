// The environment part of a Kode's pod, kept apart from render.ts: what each IDE type changes in the IDE
// container (jupyter's flags, the devcontainers start script, alnoda's tool ports), the operator's init containers
// (IDE server copy, devcontainer clone and create commands, dotfiles, VS Code settings) followed by the
// template's and the Kode's init plugins, and the template's pod options. Pure, like render.ts.
//
// Init container order: kode-restore (render.ts puts it first when spec.restore is set), kode-ide-server, kode-devcontainer-clone, kode-devcontainer-create, kode-dotfiles-fetch,
// kode-dotfiles, kode-vscode, then the template's initPlugins, then the Kode's.
import type { EnvVar, InitPlugin, Kode, KodeTemplateSpec } from "../api/types.ts";
import { renderCloneInitContainer } from "../devcontainer/clone.ts";
import type { DevcontainerConfig } from "../devcontainer/config.ts";
import { forwardedPorts, renderCreateInitContainer, substituteConfig } from "../devcontainer/lifecycle.ts";
import { effectiveSource, fromInline, type DevcontainerSource } from "../devcontainer/source.ts";
import { effectiveDotfiles, renderDotfilesInitContainers, restrictedSecurityContext } from "../dotfiles/dotfiles.ts";
import { LINUXSERVER_CODE_SERVER_LAYOUT, mergeVscode, renderVscodeInitContainer, type IdeLayout } from "../vscode/vscode.ts";
import { alnodaNoAuthWarning } from "./ide/alnoda.ts";
import { devcontainerUserWarning, renderDevcontainers } from "./ide/devcontainers.ts";
import { jupyterContainer } from "./ide/jupyter.ts";
import type { IdeEnvContext } from "./ide/index.ts";
import { toolContainerPorts, toolPortsOf, toolServicePorts } from "./ide/spec.ts";
import { ENVOY_ADMIN_PORT, ENVOY_HEALTH_PORT, ENVOY_PUBLIC_PORT, envoyToolPort } from "../envoy/validate.ts";
import type { KodeSettings } from "./settings.ts";
import { cloneJson } from "../kube/json-clone.ts";

export const SCRATCH_VOLUME = "kode-scratch";
export const SCRATCH_MOUNT = "/kode-scratch";

/** A devcontainer.json the reconciler has read (ConfigMap or git) for this Kode. */
export interface ResolvedDevcontainer {
  config: DevcontainerConfig;
  /** The git commit it was read at (git sources). */
  commit?: string;
  /** git sources: the text as read, kept in the ConfigMap <kode>-devcontainer so a new operator process has it during a git outage. */
  kept?: { content: string; source: string; commit: string };
}

/** The operator-owned ConfigMap with the last good git read of a Kode's devcontainer.json. */
export const keptDevcontainerName = (kode: string) => `${kode}-devcontainer`;
export const KEPT_DEVCONTAINER_KEY = "devcontainer.json";
/** On <kode>-devcontainer: the source (url without credentials, path, ref) and the commit it was read at. */
export const ANNOTATION_DEVCONTAINER_SOURCE = "kode.jacero.io/devcontainer-source";
export const ANNOTATION_DEVCONTAINER_COMMIT = "kode.jacero.io/devcontainer-commit";

export type InitContainerSpec = {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: KodeTemplateSpec["envFrom"];
  volumeMounts: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
  resources?: KodeTemplateSpec["resources"];
  securityContext?: Record<string, unknown>;
  terminationMessagePolicy?: "File";
};

export interface EnvironmentInput {
  kode: Kode;
  template: KodeTemplateSpec;
  settings: KodeSettings;
  ctx: IdeEnvContext;
  homeVolumeName: string;
  /** The IDE listens on loopback with its own auth off: an Envoy sidecar authenticates. */
  behindAuthProxy: boolean;
  /** An Envoy sidecar is in front (authenticating or not). */
  behindEnvoy: boolean;
  devcontainer?: ResolvedDevcontainer;
}

export interface EnvironmentRender {
  /** Replaces the IDE type's env contract. */
  contractEnv?: EnvVar[];
  image?: string;
  command?: string[];
  args?: string[];
  securityContext?: Record<string, unknown>;
  extraContainerPorts: { name: string; containerPort: number; protocol: "TCP" }[];
  extraServicePorts: { name: string; port: number; targetPort: string; protocol: "TCP" }[];
  extraVolumeMounts: { name: string; mountPath: string }[];
  volumes: Record<string, unknown>[];
  initContainers: InitContainerSpec[];
  /** Ports besides the IDE's on the Service (alnoda's tools, devcontainer.json forwardPorts); behind Envoy, a listener each. */
  toolPorts: number[];
  /** git devcontainer.json: the ConfigMap that keeps the read (name, annotations, data; render adds labels and owner). */
  keptDevcontainer?: { name: string; annotations: Record<string, string>; data: Record<string, string> };
  warnings: string[];
}

/** The devcontainer source of a Kode (the Kode's replaces the template's). */
export const devcontainerSourceOf = (kode: Kode, template: KodeTemplateSpec): DevcontainerSource | undefined =>
  effectiveSource(kode.spec.devcontainer, template.devcontainer);

export function renderEnvironment(input: EnvironmentInput): EnvironmentRender {
  const { kode, template: t, settings: s, ctx } = input;
  const out: EnvironmentRender = { extraContainerPorts: [], extraServicePorts: [], extraVolumeMounts: [], volumes: [], initContainers: [], toolPorts: toolPortsOf(s.ide, s.port), warnings: [] };
  const home = { name: input.homeVolumeName, mountPath: s.home };
  let ideImage = s.image;
  let ideLayout: IdeLayout | undefined;
  let ideMounts: { name: string; mountPath: string }[] = [home];
  let devcontainerVscode: DevcontainerConfig["vscode"];

  switch (s.type) {
    case "jupyter": {
      const j = jupyterContainer({ ctx, behindEnvoy: input.behindAuthProxy, allowRootStart: t.allowRootStart });
      out.contractEnv = j.env;
      out.args = j.args;
      out.securityContext = j.securityContext;
      break;
    }
    case "alnoda": {
      const w = alnodaNoAuthWarning(input.behindAuthProxy);
      if (w) out.warnings.push(w);
      break;
    }
    case "devcontainers": {
      const source = devcontainerSourceOf(kode, t);
      let raw = input.devcontainer?.config;
      const kept = input.devcontainer?.kept;
      if (kept)
        out.keptDevcontainer = {
          name: keptDevcontainerName(kode.metadata.name),
          annotations: { [ANNOTATION_DEVCONTAINER_SOURCE]: kept.source, [ANNOTATION_DEVCONTAINER_COMMIT]: kept.commit },
          data: { [KEPT_DEVCONTAINER_KEY]: kept.content },
        };
      if (!raw && source?.config) raw = fromInline(source.config).config;
      if (!raw && source && !source.config) out.warnings.push(`the devcontainer.json of ${source.git ? `git ${source.git.url}` : `ConfigMap ${source.configMapRef?.name}`} is not resolved here: rendered without it`);
      let config: DevcontainerConfig | undefined;
      if (raw) {
        const base = raw.workspaceFolder && isUnder(raw.workspaceFolder, s.home) ? raw.workspaceFolder : ctx.workspacePath;
        if (raw.workspaceFolder && !isUnder(raw.workspaceFolder, s.home) && !raw.workspaceFolder.includes("${"))
          out.warnings.push(`devcontainer.json workspaceFolder ${raw.workspaceFolder} is not on the home volume (${s.home}): the workspace is ${ctx.workspacePath}`);
        const sub = substituteConfig({ ...raw, workspaceFolder: base }, { workspaceFolder: base, devcontainerId: kode.metadata.uid ?? kode.metadata.name });
        config = sub.config;
        if (!isUnder(config.workspaceFolder ?? base, s.home)) config.workspaceFolder = ctx.workspacePath;
        out.warnings.push(...sub.warnings);
        const userWarning = devcontainerUserWarning(config, s.puid);
        if (userWarning) out.warnings.push(userWarning);
        devcontainerVscode = config.vscode;
        out.toolPorts.push(...usableForwardedPorts(forwardedPorts(config, out.warnings), s.port, input.behindEnvoy, out.warnings));
      }
      ideImage = config?.image ?? s.image;
      const d = renderDevcontainers({ ctx, behindEnvoy: input.behindAuthProxy, server: t.ideServer?.kind ?? "openvscode-server", serverImage: t.ideServer?.image, config });
      out.image = ideImage;
      out.command = d.command;
      out.contractEnv = d.env;
      out.securityContext = restrictedSecurityContext(s.puid, s.pgid);
      out.volumes.push(d.volume);
      out.extraVolumeMounts.push(d.volumeMount);
      ideMounts = [home, d.volumeMount];
      ideLayout = d.layout;
      out.initContainers.push({ ...d.initContainer, terminationMessagePolicy: "File" });
      if (source?.git)
        out.initContainers.push(
          renderCloneInitContainer({ git: source.git, dir: d.workspaceFolder, home: s.home, homeVolumeName: input.homeVolumeName, uid: s.puid, gid: s.pgid, gitImage: t.gitImage }),
        );
      if (config) {
        const create = renderCreateInitContainer({ config, image: ideImage, home: s.home, homeVolumeName: input.homeVolumeName, workspaceFolder: d.workspaceFolder, securityContext: restrictedSecurityContext(s.puid, s.pgid), volumeMounts: [d.volumeMount] });
        if (create) out.initContainers.push(create);
      }
      break;
    }
    case "code-server":
      ideLayout = LINUXSERVER_CODE_SERVER_LAYOUT;
      break;
  }

  // Tools besides the IDE (alnoda's, forwarded ports): the same port numbers and names on the Service whether Envoy is
  // in front or not; behind Envoy the names are Envoy's listeners (renderEnvoy), so the IDE container does not declare them.
  out.extraServicePorts.push(...toolServicePorts(out.toolPorts));
  if (!input.behindEnvoy) out.extraContainerPorts.push(...toolContainerPorts(out.toolPorts));

  const dotfiles = effectiveDotfiles(kode.spec.dotfiles, t.dotfiles);
  if (dotfiles)
    out.initContainers.push(...renderDotfilesInitContainers({ dotfiles, home: s.home, homeVolumeName: input.homeVolumeName, uid: s.puid, gid: s.pgid, ideImage, gitImage: t.gitImage }));

  const vscode = mergeVscode(t.vscode, devcontainerVscode, kode.spec.vscode);
  if (vscode && ideLayout) {
    const c = renderVscodeInitContainer({ vscode, layout: ideLayout, image: ideImage, home: s.home, volumeMounts: ideMounts, securityContext: restrictedSecurityContext(s.puid, s.pgid) });
    if (c) out.initContainers.push(c);
  } else if ((t.vscode || kode.spec.vscode) && !ideLayout) out.warnings.push(`vscode settings and extensions apply to code-server and devcontainers only; ignored for ${s.type}`);

  const plugins = [...(t.initPlugins ?? []), ...(kode.spec.initPlugins ?? [])];
  if (plugins.length) {
    out.volumes.push({ name: SCRATCH_VOLUME, emptyDir: {} });
    out.extraVolumeMounts.push({ name: SCRATCH_VOLUME, mountPath: SCRATCH_MOUNT });
    for (const p of plugins) out.initContainers.push(pluginContainer(p, s, input.homeVolumeName));
  }
  return out;
}

/** One init plugin: home and scratch mounted, the IDE's uid, restricted unless the plugin's own securityContext says otherwise (validate allows that only with allowPrivilegedPlugins). */
export function pluginContainer(p: InitPlugin, s: KodeSettings, homeVolumeName: string): InitContainerSpec {
  const mounts = [{ name: homeVolumeName, mountPath: s.home }, { name: SCRATCH_VOLUME, mountPath: SCRATCH_MOUNT }];
  for (const m of p.volumeMounts ?? []) if (!mounts.some((x) => x.mountPath === m.mountPath)) mounts.push({ ...m });
  const env: EnvVar[] = [{ name: "HOME", value: s.home }, { name: "KODE_SCRATCH", value: SCRATCH_MOUNT }, { name: "KODE_WORKSPACE", value: s.workspacePath }];
  for (const e of p.env ?? []) {
    const i = env.findIndex((x) => x.name === e.name);
    if (i >= 0) env[i] = cloneJson(e);
    else env.push(cloneJson(e));
  }
  return {
    name: p.name,
    image: p.image,
    ...(p.command?.length && { command: [...p.command] }),
    ...(p.args?.length && { args: [...p.args] }),
    env,
    ...(p.envFrom?.length && { envFrom: cloneJson(p.envFrom) }),
    volumeMounts: mounts,
    ...(p.resources && (p.resources.limits || p.resources.requests) && { resources: cloneJson(p.resources) }),
    securityContext: { ...restrictedSecurityContext(s.puid, s.pgid), ...cloneJson(p.securityContext ?? {}) },
  };
}

/** The pod-level options of the template, merged over the defaults. */
export function podOptions(t: KodeTemplateSpec, pgid: number) {
  return {
    securityContext: { fsGroup: pgid, fsGroupChangePolicy: "OnRootMismatch", seccompProfile: { type: "RuntimeDefault" }, ...cloneJson(t.podSecurityContext ?? {}) },
    automountServiceAccountToken: t.automountServiceAccountToken ?? false,
    ...(t.serviceAccountName && { serviceAccountName: t.serviceAccountName }),
    ...(t.runtimeClassName && { runtimeClassName: t.runtimeClassName }),
    ...(t.priorityClassName && { priorityClassName: t.priorityClassName }),
    ...(t.affinity && Object.keys(t.affinity).length && { affinity: cloneJson(t.affinity) }),
  };
}

/** The forwarded ports the pod can offer: not the IDE's or the Service's own port, and behind Envoy a free listener. */
function usableForwardedPorts(ports: number[], idePort: number, behindEnvoy: boolean, warnings: string[]): number[] {
  const envoyOwn = [ENVOY_PUBLIC_PORT, ENVOY_HEALTH_PORT, ENVOY_ADMIN_PORT];
  const out: number[] = [];
  for (const p of ports) {
    let why: string | undefined;
    if (p === idePort) continue;
    if (p === 80) why = "the Service's port 80 is the IDE's";
    else if (behindEnvoy && envoyOwn.includes(p)) why = "the Envoy sidecar listens there";
    else if (behindEnvoy && (envoyToolPort(p) > 65535 || envoyOwn.includes(envoyToolPort(p)) || envoyToolPort(p) === idePort || ports.includes(envoyToolPort(p))))
      why = `Envoy would proxy it on port ${envoyToolPort(p)}, which is not free`;
    if (why) warnings.push(`devcontainer.json forwardPorts ${p}: not forwarded (${why})`);
    else out.push(p);
  }
  return out;
}

const isUnder = (path: string, dir: string) => path === dir || path.startsWith(dir === "/" ? "/" : `${dir}/`);
