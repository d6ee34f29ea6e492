// pods/<name>/log, exec, attach and portforward. There is no kubelet behind the server: a log is what a
// test registered through the hooks; exec, attach and port-forward answer a clear error at once.
import { ApiError, badRequest, methodNotAllowed, notFound } from "./errors.ts";
import type { TestHooks } from "./hooks.ts";
import { queryBool, queryInt } from "./query.ts";
import type { KObject } from "./types.ts";

export const POD_STREAM_SUBRESOURCES = new Set(["log", "exec", "attach", "portforward"]);

const containerNames = (pod: KObject): string[] => (((pod.spec as any)?.containers ?? []) as any[]).map((c) => String(c?.name ?? ""));
const initContainerNames = (pod: KObject): string[] => (((pod.spec as any)?.initContainers ?? []) as any[]).map((c) => String(c?.name ?? ""));

/** The container a log or exec request means, with the apiserver's errors for a missing or unknown one. */
function pickContainer(pod: KObject, requested: string | null): string {
  const name = pod.metadata.name!;
  const containers = containerNames(pod);
  const all = [...containers, ...initContainerNames(pod)];
  if (requested) {
    if (!all.includes(requested)) throw badRequest(`container ${requested} is not valid for pod ${name}`);
    return requested;
  }
  if (containers.length === 1) return containers[0];
  const defaulted = pod.metadata.annotations?.["kubectl.kubernetes.io/default-container"];
  if (defaulted && containers.includes(defaulted)) return defaulted;
  throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(" ")}]`);
}

function tail(text: string, lines: number): string {
  const parts = text.split(/(?<=\n)/);
  return parts.slice(Math.max(0, parts.length - lines)).join("");
}

function podLog(hooks: TestHooks, pod: KObject, url: URL): Response {
  const q = url.searchParams;
  const name = pod.metadata.name!;
  const namespace = pod.metadata.namespace!;
  const container = pickContainer(pod, q.get("container"));
  const tailLines = queryInt(q, "tailLines");
  const limitBytes = queryInt(q, "limitBytes");
  if (tailLines !== undefined && tailLines < 0) throw badRequest("tailLines: Invalid value: must be greater than or equal to 0");
  if (limitBytes !== undefined && limitBytes < 1) throw badRequest("limitBytes: Invalid value: must be greater than 0");
  if (queryBool(q, "previous")) throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
  const nodeName = (pod.spec as any)?.nodeName;
  if (!nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
  const log = hooks.podLog(namespace, name, container);
  if (log === undefined)
    throw new ApiError(
      500,
      "InternalError",
      `Get "https://${nodeName}:10250/containerLogs/${namespace}/${name}/${container}": no kubelet is reachable (the kode test API server runs no containers; a test registers a pod's log through its hooks)`,
    );
  let text = tailLines === undefined ? log : tail(log, tailLines);
  if (queryBool(q, "timestamps")) {
    const startedAt = (pod.status as any)?.startTime ?? pod.metadata.creationTimestamp ?? "";
    const stamp = String(startedAt).replace(/Z$/, ".000000000Z");
    text = text.replace(/^(?=.)/gm, `${stamp} `);
  }
  let body: Uint8Array = new TextEncoder().encode(text);
  if (limitBytes !== undefined) body = body.slice(0, limitBytes);
  return new Response(body, { headers: { "content-type": "text/plain" } });
}

/** The pod's log, or the error exec/attach/portforward get from a server without a kubelet. */
export function podStream(hooks: TestHooks, pod: KObject | undefined, podName: string, subresource: string, method: string, url: URL): Response {
  if (!pod) throw notFound("", "pods", podName);
  if (subresource === "log") {
    if (method !== "GET") throw methodNotAllowed(method, "", "pods");
    return podLog(hooks, pod, url);
  }
  if (method !== "GET" && method !== "POST") throw methodNotAllowed(method, "", "pods");
  if (subresource !== "portforward") pickContainer(pod, url.searchParams.get("container"));
  const what = subresource === "portforward" ? "port forwarding" : subresource;
  throw badRequest(`unable to upgrade connection: ${what} is not available for pod ${podName}: the kode test API server has no kubelet and runs no containers`);
}
