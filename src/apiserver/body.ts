// Request body decoding: JSON, YAML (server-side apply), and kubectl's Kubernetes protobuf.
import { ApiError, badRequest, unsupportedMediaType } from "./errors.ts";
import { decodeKubernetesProtobuf, ProtobufDecodeError } from "./protobuf.ts";

export const PATCH_TYPES = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml",
} as const;

const WRITE_TYPES = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"];

export function mediaType(req: Request): string {
  return (req.headers.get("content-type") ?? "application/json").split(";")[0].trim().toLowerCase();
}

/** The body of a create or update (POST/PUT). */
export async function readObjectBody(req: Request): Promise<Record<string, unknown>> {
  const type = mediaType(req);
  if (type === "application/vnd.kubernetes.protobuf") {
    const bytes = new Uint8Array(await req.arrayBuffer());
    try {
      return decodeKubernetesProtobuf(bytes);
    } catch (e) {
      if (e instanceof ProtobufDecodeError)
        throw new ApiError(
          415,
          "UnsupportedMediaType",
          `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (this server decodes protobuf only for Secret, ConfigMap, Namespace, ServiceAccount and Deployment: ${e.message})`,
        );
      throw e;
    }
  }
  if (type !== "application/json" && type !== "application/yaml" && type !== "*/*") throw unsupportedMediaType(WRITE_TYPES);
  const text = await req.text();
  const value = type === "application/yaml" ? parseYaml(text) : parseJson(text);
  if (!value || typeof value !== "object" || Array.isArray(value)) throw badRequest("the request body must be a JSON object");
  return value as Record<string, unknown>;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`error decoding request body: ${(e as Error).message}`);
  }
}

export function parseYaml(text: string): unknown {
  try {
    return Bun.YAML.parse(text);
  } catch (e) {
    throw badRequest(`error decoding YAML: ${(e as Error).message}`);
  }
}
