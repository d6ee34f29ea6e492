// The authentication and authorization review APIs, answered from the same rules requests are checked
// against: SubjectAccessReview, LocalSubjectAccessReview, SelfSubjectAccessReview, SelfSubjectRulesReview,
// SelfSubjectReview (`kubectl auth whoami`), TokenReview, and the ServiceAccount TokenRequest
// subresource (`kubectl create token`).
import type { UserInfo } from "../auth.ts";
import { API_AUDIENCE, type ServiceAccountTokens } from "../auth-serviceaccounts.ts";
import { readObjectBody } from "../body.ts";
import { badRequest, invalid, invalidValue, notFound } from "../errors.ts";
import { jsonResponse } from "../respond.ts";
import type { Store } from "../store.ts";
import type { Authorizer } from "./authorizer.ts";
import type { Attributes, PolicyRule } from "./rules.ts";

export interface ReviewContext {
  store: Store;
  authz: Authorizer;
  tokens: ServiceAccountTokens;
  now: () => number;
}

const AUTHZ = "/apis/authorization.k8s.io/v1/";
const SELF_REVIEW = /^\/apis\/authentication\.k8s\.io\/(v1|v1beta1|v1alpha1)\/selfsubjectreviews$/;
const LOCAL_SAR = /^\/apis\/authorization\.k8s\.io\/v1\/namespaces\/([^/]+)\/localsubjectaccessreviews$/;
const TOKEN_REQUEST = /^\/api\/v1\/namespaces\/([^/]+)\/serviceaccounts\/([^/]+)\/token$/;

/** Whether a request can be for one of the endpoints below (most requests are not: they skip the lookup). */
export function mayBeReview(method: string, path: string): boolean {
  if (method !== "POST") return false;
  return path.startsWith("/apis/authentication.k8s.io/") || path.startsWith("/apis/authorization.k8s.io/") || /\/token\/?$/.test(path);
}

/** The answer to a review or token request, or undefined when the request is for another endpoint. */
export async function reviewEndpoint(req: Request, path: string, user: UserInfo, ctx: ReviewContext): Promise<Response | undefined> {
  if (!mayBeReview(req.method, path)) return undefined;
  const p = path.length > 1 ? path.replace(/\/$/, "") : path;
  if (p === `${AUTHZ}selfsubjectaccessreviews`) {
    const body = await readObjectBody(req);
    return created(body, "authorization.k8s.io/v1", "SelfSubjectAccessReview", { spec: body.spec ?? {}, status: accessStatus(ctx.authz, user, body, "SelfSubjectAccessReview") });
  }
  if (p === `${AUTHZ}subjectaccessreviews`) {
    const body = await readObjectBody(req);
    const subject = reviewSubject(body);
    return created(body, "authorization.k8s.io/v1", "SubjectAccessReview", { spec: body.spec, status: accessStatus(ctx.authz, subject, body, "SubjectAccessReview") });
  }
  const local = LOCAL_SAR.exec(p);
  if (local) {
    const body = await readObjectBody(req);
    const spec = (body.spec ?? {}) as any;
    if (spec.resourceAttributes && (spec.resourceAttributes.namespace ?? "") !== local[1])
      throw invalid("LocalSubjectAccessReview", "authorization.k8s.io", "", [invalidValue("spec.resourceAttributes.namespace", spec.resourceAttributes.namespace ?? "", "must match metadata.namespace")]);
    return created(body, "authorization.k8s.io/v1", "LocalSubjectAccessReview", { spec, status: accessStatus(ctx.authz, reviewSubject(body), body, "LocalSubjectAccessReview") }, local[1]);
  }
  if (p === `${AUTHZ}selfsubjectrulesreviews`) {
    const body = await readObjectBody(req);
    const namespace = ((body.spec ?? {}) as { namespace?: string }).namespace ?? "";
    return created(body, "authorization.k8s.io/v1", "SelfSubjectRulesReview", { spec: { namespace }, status: rulesStatus(ctx.authz.rulesFor(user, namespace)) });
  }
  const self = SELF_REVIEW.exec(p);
  if (self) {
    await readObjectBody(req);
    return created({}, `authentication.k8s.io/${self[1]}`, "SelfSubjectReview", { status: { userInfo: userInfo(user) } });
  }
  if (p === "/apis/authentication.k8s.io/v1/tokenreviews") {
    const body = await readObjectBody(req);
    const token = ((body.spec ?? {}) as { token?: string }).token ?? "";
    const who = token ? ctx.tokens.verify(token) : undefined;
    const status = who ? { authenticated: true, user: userInfo(who), audiences: [API_AUDIENCE] } : { user: {}, error: "[invalid bearer token]" };
    return created(body, "authentication.k8s.io/v1", "TokenReview", { spec: body.spec ?? {}, status });
  }
  const tr = TOKEN_REQUEST.exec(p);
  if (tr) return tokenRequest(req, decodeURIComponent(tr[1]), decodeURIComponent(tr[2]), ctx);
  return undefined;
}

function created(body: Record<string, unknown>, apiVersion: string, kind: string, rest: Record<string, unknown>, namespace?: string): Response {
  const meta = (body.metadata ?? {}) as Record<string, unknown>;
  const metadata: Record<string, unknown> = { ...meta, creationTimestamp: null };
  if (namespace) metadata.namespace = namespace;
  return jsonResponse({ kind, apiVersion, metadata, ...rest }, 201);
}

function userInfo(user: UserInfo): Record<string, unknown> {
  const out: Record<string, unknown> = { username: user.user };
  if (user.uid) out.uid = user.uid;
  out.groups = user.groups;
  if (user.extra) out.extra = user.extra;
  return out;
}

function reviewSubject(body: Record<string, unknown>): UserInfo {
  const spec = (body.spec ?? {}) as { user?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  if (!spec.user && !spec.groups?.length)
    throw invalid("SubjectAccessReview", "authorization.k8s.io", "", [{ reason: "FieldValueInvalid", field: "spec.user", message: `Invalid value: "": at least one of user or group must be specified` }]);
  return { user: spec.user ?? "", uid: spec.uid, groups: spec.groups ?? [], extra: spec.extra };
}

function accessStatus(authz: Authorizer, user: UserInfo, body: Record<string, unknown>, kind: string): Record<string, unknown> {
  const spec = (body.spec ?? {}) as { resourceAttributes?: Record<string, string>; nonResourceAttributes?: { path?: string; verb?: string } };
  let a: Attributes;
  if (spec.resourceAttributes) {
    const r = spec.resourceAttributes;
    a = {
      verb: r.verb ?? "",
      resourceRequest: true,
      apiGroup: r.group ?? "",
      apiVersion: r.version ?? "",
      resource: r.resource ?? "",
      subresource: r.subresource ?? "",
      name: r.name ?? "",
      namespace: r.namespace ?? "",
      path: "",
    };
  } else if (spec.nonResourceAttributes) {
    const n = spec.nonResourceAttributes;
    a = { verb: n.verb ?? "", resourceRequest: false, apiGroup: "", apiVersion: "", resource: "", subresource: "", name: "", namespace: "", path: n.path ?? "" };
  } else {
    throw invalid(kind, "authorization.k8s.io", "", [{ reason: "FieldValueRequired", field: "spec.resourceAttributes", message: "Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified" }]);
  }
  const d = authz.authorize(user, a);
  return d.reason ? { allowed: d.allowed, reason: d.reason } : { allowed: d.allowed };
}

function rulesStatus(rules: PolicyRule[]): Record<string, unknown> {
  const resourceRules: PolicyRule[] = [];
  const nonResourceRules: PolicyRule[] = [];
  for (const r of rules) {
    if (r.nonResourceURLs?.length) nonResourceRules.push({ verbs: r.verbs ?? [], nonResourceURLs: r.nonResourceURLs });
    if (r.resources?.length) {
      const out: PolicyRule = { verbs: r.verbs ?? [], apiGroups: r.apiGroups ?? [], resources: r.resources };
      if (r.resourceNames?.length) out.resourceNames = r.resourceNames;
      resourceRules.push(out);
    }
  }
  return { resourceRules, nonResourceRules, incomplete: false };
}

const MIN_EXPIRATION = 600;
const DEFAULT_EXPIRATION = 3600;

async function tokenRequest(req: Request, namespace: string, name: string, ctx: ReviewContext): Promise<Response> {
  const body = await readObjectBody(req);
  if (body.kind !== undefined && body.kind !== "TokenRequest") throw badRequest(`the body must be a TokenRequest, got kind ${JSON.stringify(body.kind)}`);
  const spec = (body.spec ?? {}) as { audiences?: string[]; expirationSeconds?: number; boundObjectRef?: unknown };
  const sa = ctx.store.get("/serviceaccounts", namespace, name);
  if (!sa) throw notFound("", "serviceaccounts", name);
  const expirationSeconds = spec.expirationSeconds ?? DEFAULT_EXPIRATION;
  if (!Number.isInteger(expirationSeconds) || expirationSeconds < MIN_EXPIRATION)
    throw invalid("TokenRequest", "authentication.k8s.io", name, [invalidValue("spec.expirationSeconds", expirationSeconds, "may not specify a duration less than 10 minutes")]);
  if (expirationSeconds > 2 ** 32)
    throw invalid("TokenRequest", "authentication.k8s.io", name, [invalidValue("spec.expirationSeconds", expirationSeconds, "may not specify a duration larger than 2^32 seconds")]);
  const audiences = spec.audiences?.length ? spec.audiences : [API_AUDIENCE];
  const issued = ctx.tokens.issue(namespace, name, sa.metadata.uid!, audiences, expirationSeconds);
  return jsonResponse(
    {
      kind: "TokenRequest",
      apiVersion: "authentication.k8s.io/v1",
      metadata: { name, namespace, creationTimestamp: null },
      spec: { audiences, expirationSeconds, boundObjectRef: spec.boundObjectRef ?? null },
      status: { token: issued.token, expirationTimestamp: new Date(issued.expires * 1000).toISOString().replace(/\.\d+Z$/, "Z") },
    },
    201,
  );
}

