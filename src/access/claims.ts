// Which Kodes would get a given host and path: a cache-shaped view (get by route key) over the Kodes of templates
// with an access section, so that a Kode reconcile reads it through its ReadRecorder like any other cache. The
// answer's resourceVersion lists every claimant with its own resourceVersion: a change of any other claimant (a new
// one, a deleted one, a changed user or template) changes the answer, and a settled Kode is looked at again.
import type { AccessSpec, Kode } from "../api/types.ts";
import type { Cache } from "../kube/cache.ts";
import { resolveRoute, routeKey, routeOwner } from "./routes.ts";

export interface RouteClaim {
  namespace: string;
  name: string;
  uid: string;
  created: string;
}

export interface RouteClaims {
  metadata: { name: string; resourceVersion: string };
  claims: RouteClaim[];
}

/** The user a route pattern's {user} stands for: spec.user, else the image's default user. */
export const routeUser = (kode: Kode, defaultUser: string) => kode.spec?.user ?? defaultUser;

export interface ClaimSources {
  /** Every Kode whose template has an access section, with that section. */
  kodesWithAccess(): { kode: Kode; access: AccessSpec }[];
  defaultUser: string;
}

/**
 * The claims cache. Answers are computed once per `invalidate()` (the operator calls it on every Kode or template
 * event), so a burst of N Kodes costs N route expansions per change, not N per reconcile.
 */
export function routeClaimsCache(sources: ClaimSources): Cache<RouteClaims> & { invalidate(): void } {
  let byKey: Map<string, RouteClaims> | undefined;
  const build = () => {
    const claims = new Map<string, { claim: RouteClaim; rv: string }[]>();
    for (const { kode, access } of sources.kodesWithAccess()) {
      const ns = kode.metadata.namespace ?? "";
      const r = resolveRoute(access, { kode: kode.metadata.name, namespace: ns, user: routeUser(kode, sources.defaultUser), serviceName: kode.metadata.name, servicePort: 80 });
      if (!r.ok) continue;
      const key = routeKey(r.route);
      const list = claims.get(key) ?? [];
      list.push({
        claim: { namespace: ns, name: kode.metadata.name, uid: kode.metadata.uid ?? "", created: kode.metadata.creationTimestamp ?? "" },
        rv: kode.metadata.resourceVersion ?? "?",
      });
      claims.set(key, list);
    }
    const out = new Map<string, RouteClaims>();
    for (const [key, list] of claims) {
      const version = list
        .map((c) => `${c.claim.namespace}/${c.claim.name}@${c.rv}`)
        .sort()
        .join(",");
      out.set(key, { metadata: { name: key, resourceVersion: version }, claims: list.map((c) => c.claim) });
    }
    return out;
  };
  return {
    get: (_ns, key) => (byKey ??= build()).get(key),
    invalidate: () => {
      byKey = undefined;
    },
  };
}

/** The older claim that keeps a contested route from `self`, if any. */
export function routeHolder(claims: RouteClaims | undefined, self: { namespace: string; name: string }): RouteClaim | undefined {
  const owner = routeOwner(claims?.claims ?? []);
  return owner && (owner.namespace !== self.namespace || owner.name !== self.name) ? owner : undefined;
}
