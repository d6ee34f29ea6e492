// Request body decoding: JSON, YAML (server-side apply), and kubectl's Kubernetes protobuf.
import { ApiError, badRequest, unsupportedMediaType } from "./errors.ts";
import { decodeKubernetesProtobuf, ProtobufDecodeError } from "./protobuf.ts";

export const PATCH_TYPES = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml",
} as const;

const PROTOBUF = "application/vnd.kubernetes.protobuf";
const WRITE_TYPES = ["application/json", "application/yaml", PROTOBUF];

/** A protobuf body: malformed is the real server's 400; a kind with no protobuf table here is 415. */
function decodeProtobufBody(bytes: Uint8Array): Record<string, unknown> {
  try {
    return decodeKubernetesProtobuf(bytes);
  } catch (e) {
    if (!(e instanceof ProtobufDecodeError)) throw e;
    if (e.unsupportedKind) {
      throw new ApiError(
        415,
        "UnsupportedMediaType",
        `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (${e.message})`,
      );
    }
    throw badRequest(`error decoding protobuf request body: ${e.message}`);
  }
}

/** The optional DeleteOptions body of a DELETE: JSON, or protobuf as client-go (helm) sends it. */
export async function readDeleteOptionsBody(req: Request): Promise<Record<string, unknown>> {
  if (mediaType(req) === PROTOBUF) {
    const bytes = new Uint8Array(await req.arrayBuffer());
    return bytes.length === 0 ? {} : decodeProtobufBody(bytes);
  }
  const text = await req.text();
  const body = text.trim() ? parseJson(text) : {};
  if (!body || typeof body !== "object" || Array.isArray(body)) throw badRequest("the request body must be a JSON object");
  return body as Record<string, unknown>;
}

export function mediaType(req: Request): string {
  return (req.headers.get("content-type") ?? "application/json").split(";")[0].trim().toLowerCase();
}

/** The body of a create or update (POST/PUT). */
export async function readObjectBody(req: Request): Promise<Record<string, unknown>> {
  const type = mediaType(req);
  if (type === PROTOBUF) return decodeProtobufBody(new Uint8Array(await req.arrayBuffer()));
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
