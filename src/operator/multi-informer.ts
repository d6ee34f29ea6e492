// One logical informer over several namespaces (--namespace given more than once), or over all of them.
import type { AddHandler, DeleteHandler, Informer, UpdateHandler } from "../kube/informer.ts";
import type { KubeObject } from "../kube/types.ts";

export class MultiNamespaceInformer<T extends KubeObject> {
  private readonly byNamespace = new Map<string | undefined, Informer<T>>();

  constructor(make: (namespace: string | undefined) => Informer<T>, namespaces: string[] | undefined) {
    for (const ns of namespaces?.length ? namespaces : [undefined]) this.byNamespace.set(ns, make(ns));
  }

  private get informers(): Informer<T>[] {
    return [...this.byNamespace.values()];
  }

  on(event: "add", fn: AddHandler<T>): this;
  on(event: "update", fn: UpdateHandler<T>): this;
  on(event: "delete", fn: DeleteHandler<T>): this;
  on(event: "add" | "update" | "delete", fn: AddHandler<T> | UpdateHandler<T> | DeleteHandler<T>): this {
    for (const i of this.informers) i.on(event as "add", fn as AddHandler<T>);
    return this;
  }

  addIndex(name: string, fn: (obj: T) => string[]) {
    for (const i of this.informers) i.addIndex(name, fn);
  }

  byIndex(name: string, value: string): T[] {
    if (this.byNamespace.size === 1) return this.only.byIndex(name, value);
    return this.informers.flatMap((i) => i.byIndex(name, value));
  }

  countByIndex(name: string, value: string): number {
    let n = 0;
    for (const i of this.byNamespace.values()) n += i.countByIndex(name, value);
    return n;
  }

  /** The informer when there is one (all namespaces, or a single one). */
  private get only(): Informer<T> {
    return this.byNamespace.values().next().value as Informer<T>;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    const scoped = this.byNamespace.get(namespace) ?? this.byNamespace.get(undefined);
    return scoped?.get(namespace, name);
  }

  /** See Informer.recheck. */
  recheck(namespace: string | undefined, name: string): Promise<void> {
    const scoped = this.byNamespace.get(namespace) ?? this.byNamespace.get(undefined);
    return scoped?.recheck(namespace, name) ?? Promise.resolve();
  }

  list(namespace?: string): T[] {
    return this.informers.flatMap((i) => i.list(namespace));
  }

  get size(): number {
    return this.informers.reduce((n, i) => n + i.size, 0);
  }

  start() {
    for (const i of this.informers) i.start();
  }

  async waitForSync(): Promise<boolean> {
    return (await Promise.all(this.informers.map((i) => i.waitForSync()))).every(Boolean);
  }

  async stop() {
    await Promise.all(this.informers.map((i) => i.stop()));
  }
}
