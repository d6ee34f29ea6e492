// Optional (with --gc or --simulate-kubelet): kube-controller-manager's serviceaccount controller, which
// gives every active namespace a "default" ServiceAccount and puts it back when it is deleted. envtest
// runs no controllers, so without those flags namespaces stay without one, as there.
import { timestamp } from "../state.ts";
import type { Store, StoreEvent } from "../store.ts";
import type { KObject } from "../types.ts";

const NAMESPACES = "/namespaces";
const SERVICE_ACCOUNTS = "/serviceaccounts";
const NAME = "default";

export class ServiceAccountController {
  private pending = new Set<string>();
  private unsubscribe: () => void;

  constructor(
    private store: Store,
    private now: () => number,
  ) {
    for (const ns of store.list(NAMESPACES)) this.ensure(ns.metadata.name!);
    this.unsubscribe = store.subscribe((e) => this.onEvent(e));
  }

  stop() {
    this.unsubscribe();
  }

  private onEvent(e: StoreEvent) {
    if (e.resource === NAMESPACES && e.type !== "DELETED") this.later(e.object.metadata.name!);
    else if (e.resource === SERVICE_ACCOUNTS && e.type === "DELETED" && e.object.metadata.name === NAME) this.later(e.object.metadata.namespace!);
  }

  /** After the triggering write has reached every watcher, as a separate controller would act. */
  private later(namespace: string) {
    if (this.pending.has(namespace)) return;
    this.pending.add(namespace);
    setTimeout(() => {
      this.pending.delete(namespace);
      this.ensure(namespace);
    }, 0);
  }

  private ensure(namespace: string) {
    const ns = this.store.get(NAMESPACES, undefined, namespace);
    if (!ns || ns.metadata.deletionTimestamp) return;
    if (this.store.get(SERVICE_ACCOUNTS, namespace, NAME)) return;
    const sa: KObject = {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: NAME, namespace, uid: crypto.randomUUID(), creationTimestamp: timestamp(this.now()) },
    };
    this.store.put(SERVICE_ACCOUNTS, sa, undefined);
  }
}
