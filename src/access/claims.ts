// Which Kodes would get a given host and path: a cache-shaped view (get by route key) that a Kode reconcile reads
// through its ReadRecorder like any other cache. It is kept up to date one Kode at a time (the operator reports
// each Kode's change, and each Kode of a template whose access changed), so a Kode event costs one route
// expansion, not one per Kode in the cluster. The answer's version names every claimant by identity (namespace,
// name, uid): a new claimant, a deleted or re-created one changes it and a settled Kode is looked at again; a
// claimant's status write does not.
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

export interface RouteClaimsIndex extends Cache<RouteClaims> {
  /** A Kode as it is now, with its template's access section (undefined: its template has none, or is gone). */
  set(kode: Kode, access: AccessSpec | undefined): void;
  /** A Kode that is gone. */
  remove(namespace: string | undefined, name: string): void;
}

export function routeClaimsIndex(defaultUser: string): RouteClaimsIndex {
  /** Kode key → the route it claims. */
  const routeOf = new Map<string, string>();
  /** Route key → Kode key → claim. */
  const claimants = new Map<string, Map<string, RouteClaim>>();
  /** Answers computed since the route's claimants last changed. */
  const answers = new Map<string, RouteClaims>();
  const drop = (kodeKey: string) => {
    const route = routeOf.get(kodeKey);
    if (route === undefined) return;
    routeOf.delete(kodeKey);
    const of = claimants.get(route)!;
    of.delete(kodeKey);
    if (!of.size) claimants.delete(route);
    answers.delete(route);
  };
  return {
    set(kode, access) {
      const ns = kode.metadata.namespace ?? "";
      const name = kode.metadata.name;
      const kodeKey = `${ns}/${name}`;
      const r = access && resolveRoute(access, { kode: name, namespace: ns, user: routeUser(kode, defaultUser), serviceName: name, servicePort: 80 });
      if (!r || !r.ok) return drop(kodeKey);
      const route = routeKey(r.route);
      const claim: RouteClaim = { namespace: ns, name, uid: kode.metadata.uid ?? "", created: kode.metadata.creationTimestamp ?? "" };
      const held = routeOf.get(kodeKey) === route ? claimants.get(route)!.get(kodeKey) : undefined;
      if (held && held.uid === claim.uid && held.created === claim.created) return;
      drop(kodeKey);
      routeOf.set(kodeKey, route);
      let of = claimants.get(route);
      if (!of) claimants.set(route, (of = new Map()));
      of.set(kodeKey, claim);
      answers.delete(route);
    },
    remove(namespace, name) {
      drop(`${namespace ?? ""}/${name}`);
    },
    get(_namespace, route) {
      const known = answers.get(route);
      if (known) return known;
      const of = claimants.get(route);
      if (!of) return undefined;
      const claims = [...of.values()];
      const version = claims
        .map((c) => `${c.namespace}/${c.name}@${c.uid}`)
        .sort()
        .join(",");
      const answer = { metadata: { name: route, resourceVersion: version }, claims };
      answers.set(route, answer);
      return answer;
    },
  };
}

/** The older claim that keeps a contested route from `self`, if any. */
export function routeHolder(claims: RouteClaims | undefined, self: { namespace: string; name: string }): RouteClaim | undefined {
  const owner = routeOwner(claims?.claims ?? []);
  return owner && (owner.namespace !== self.namespace || owner.name !== self.name) ? owner : undefined;
}
