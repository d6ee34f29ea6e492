// A Kode's route from its template's access section: the expanded host and path, whether the prefix must be
// stripped in front of the IDE, and whether an older Kode already holds the same host and path. Pure: the claims
// come in through a cache the reconciler reads (recorded like every other read).
import { routeHolder, routeUser, type RouteClaims } from "../access/claims.ts";
import { resolveRoute, routeKey, type AccessSpec, type Route } from "../access/routes.ts";
import type { Kode, KodeTemplateSpec } from "../api/types.ts";
import type { Cache } from "../kube/cache.ts";
import { ideTypeSpec } from "./ide/index.ts";
import { DEFAULT_USER } from "./settings.ts";
import type { Problem } from "./validate.ts";

export interface KodeAccess {
  spec: AccessSpec;
  route: Route;
  /** The IDE serves at "/" (pathPrefix "strip") under a non-root prefix: the proxy in front must remove it. */
  stripPrefix: boolean;
  /** An older Kode holds this host and path: render everything but the route, and report RouteConflict. */
  conflict?: Problem;
}

export type AccessResolution = { access?: KodeAccess; problem?: Problem };

/** Resolve the access of a Kode; `claims` absent: no conflict check (render on a file). */
export function resolveKodeAccess(
  kode: Kode,
  template: KodeTemplateSpec,
  opts: { envoy: boolean; claims?: Cache<RouteClaims>; available?: { ingress: boolean; gateway: boolean } },
): AccessResolution {
  const spec = template.access;
  if (!spec) return {};
  if (spec.ingress && spec.gateway)
    return { problem: { reason: "InvalidAccess", message: "the template's access sets both ingress and gateway; keep one (gateway renders an HTTPRoute, ingress an Ingress)" } };
  if (opts.available && spec.gateway && !opts.available.gateway)
    return { problem: { reason: "RouteKindUnavailable", message: "the template's access.gateway needs HTTPRoutes, which this operator does not manage; start it with --gateway-api (the cluster needs the Gateway API CRDs) or use access.ingress" } };
  if (opts.available && !spec.gateway && !opts.available.ingress)
    return { problem: { reason: "RouteKindUnavailable", message: "the template's access renders an Ingress, which this operator was started without; use access.gateway or start it without --no-ingress" } };
  const ns = kode.metadata.namespace ?? "";
  const name = kode.metadata.name;
  const r = resolveRoute(spec, { kode: name, namespace: ns, user: routeUser(kode, DEFAULT_USER), serviceName: name, servicePort: 80 });
  if (!r.ok) return { problem: { reason: "InvalidRoute", message: `${r.message}; fix the template's access.host or access.path` } };
  const ide = ideTypeSpec(template.type);
  const stripPrefix = (ide?.pathPrefix ?? "strip") === "strip" && r.route.path !== "/";
  if (stripPrefix && !opts.envoy && !spec.gateway)
    return {
      problem: {
        reason: "PathPrefixNeedsProxy",
        message: `${template.type} serves at "/" and path ${r.route.path} must be removed in front of it, which an Ingress cannot say portably; add an envoyProxyRef to the template, use access.gateway (HTTPRoute URLRewrite), or route by host`,
      },
    };
  const holder = routeHolder(opts.claims?.get(undefined, routeKey(r.route)), { namespace: ns, name });
  const conflict = holder && {
    reason: "RouteConflict",
    message: `${r.route.url} is already the route of Kode ${holder.namespace}/${holder.name} (created earlier); this Kode gets no route until that one is gone or the template's access.host/path tells them apart`,
  };
  return { access: { spec, route: r.route, stripPrefix, ...(conflict && { conflict }) } };
}

/** The label that makes a namespace a user's own: only Kodes of that user are admitted there. */
export const OWNER_LABEL = "kode.jacero.io/owner";

/** OwnerMismatch when the Kode's namespace belongs to somebody else than spec.user. */
export function ownerProblem(kode: Kode, namespace: { metadata: { labels?: Record<string, string> } } | undefined): Problem | undefined {
  const owner = namespace?.metadata.labels?.[OWNER_LABEL];
  if (owner === undefined || owner === kode.spec.user) return undefined;
  return {
    reason: "OwnerMismatch",
    message: `namespace ${kode.metadata.namespace} belongs to ${owner} (label ${OWNER_LABEL}), but spec.user is ${kode.spec.user === undefined ? "unset" : `"${kode.spec.user}"`}; create the Kode in your own namespace or set spec.user to ${owner}`,
  };
}
