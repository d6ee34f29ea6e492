// The Falcosidekick-compatible webhook: Falco's alert JSON as Falcosidekick's webhook output posts it
// ({output, priority, rule, time, output_fields, source, tags, hostname}), authenticated with a bearer token
// (Falcosidekick: webhook.customheaders "Authorization:Bearer <token>"). An alert for a Kode's pod is handed
// to `record`; alerts for other pods are acknowledged and ignored; a bad or unauthenticated post changes nothing.
import { timingSafeEqual } from "node:crypto";
import { KODE_NAME_FIELD } from "./rules.ts";

export const MAX_BODY_BYTES = 64 * 1024;

export interface FalcoAlert {
  rule: string;
  priority: string;
  /** Epoch milliseconds. */
  time: number;
  namespace: string;
  pod: string;
  /** The Kode name when the rule's output carried the Kode label. */
  kodeLabel?: string;
  source?: string;
  hostname?: string;
}

export type Parsed = { ok: true; alert: FalcoAlert } | { ok: false; status: 400; error: string } | { ok: true; ignored: string };

const str = (x: unknown) => (typeof x === "string" && x !== "" && x !== "<NA>" ? x : undefined);

export function parseFalcoAlert(body: unknown): Parsed {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { ok: false, status: 400, error: "the body must be a Falco alert JSON object" };
  const b = body as Record<string, unknown>;
  const rule = str(b.rule);
  const priority = str(b.priority);
  const timeText = str(b.time);
  if (!rule || !priority || !timeText) return { ok: false, status: 400, error: "a Falco alert needs rule, priority and time" };
  const time = Date.parse(timeText.replace(/(\.\d{3})\d+/, "$1"));
  if (Number.isNaN(time)) return { ok: false, status: 400, error: `time ${JSON.stringify(timeText)} is not an RFC 3339 time` };
  const fields = b.output_fields;
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) return { ok: false, status: 400, error: "a Falco alert needs output_fields" };
  const f = fields as Record<string, unknown>;
  const namespace = str(f["k8s.ns.name"]);
  const pod = str(f["k8s.pod.name"]);
  if (!namespace || !pod) return { ok: true, ignored: "not a Kubernetes pod (no k8s.ns.name/k8s.pod.name)" };
  const alert: FalcoAlert = { rule, priority, time, namespace, pod };
  const kodeLabel = str(f[KODE_NAME_FIELD]);
  if (kodeLabel) alert.kodeLabel = kodeLabel;
  if (str(b.source)) alert.source = str(b.source);
  if (str(b.hostname)) alert.hostname = str(b.hostname);
  return { ok: true, alert };
}

export interface WebhookDeps {
  /** The current token (read from its Secret; undefined while it cannot be read: every post is refused). */
  token(): string | undefined;
  /**
   * The Kode a pod belongs to, checked against the operator's caches; undefined when the pod is not a Kode's,
   * `{ ignored }` when it is but the alert is not acted on (e.g. Falco is not enabled in its template).
   */
  resolveKode(alert: FalcoAlert): string | { ignored: string } | undefined;
  record(kode: { namespace: string; name: string }, alert: FalcoAlert): Promise<void>;
}

const json = (status: number, body: object) => Response.json(body, { status });

function authorized(header: string | null, token: string | undefined): boolean {
  if (!token || !header?.startsWith("Bearer ")) return false;
  const given = Buffer.from(header.slice("Bearer ".length));
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

export function falcoWebhook(deps: WebhookDeps): (req: Request) => Promise<Response> {
  return async (req) => {
    if (req.method !== "POST") return json(405, { error: "POST a Falco alert" });
    if (!authorized(req.headers.get("authorization"), deps.token())) return json(401, { error: "missing or wrong bearer token" });
    const length = Number(req.headers.get("content-length") ?? "0");
    if (length > MAX_BODY_BYTES) return json(413, { error: `alerts are at most ${MAX_BODY_BYTES} bytes` });
    const text = await req.text();
    if (text.length > MAX_BODY_BYTES) return json(413, { error: `alerts are at most ${MAX_BODY_BYTES} bytes` });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return json(400, { error: "the body is not JSON" });
    }
    const parsed = parseFalcoAlert(body);
    if (!parsed.ok) return json(400, { error: parsed.error });
    if ("ignored" in parsed) return json(200, { ignored: parsed.ignored });
    const kode = deps.resolveKode(parsed.alert);
    if (!kode) return json(200, { ignored: `pod ${parsed.alert.namespace}/${parsed.alert.pod} is not a Kode's` });
    if (typeof kode !== "string") return json(200, kode);
    await deps.record({ namespace: parsed.alert.namespace, name: kode }, parsed.alert);
    return json(202, { recorded: `${parsed.alert.namespace}/${kode}`, rule: parsed.alert.rule });
  };
}
