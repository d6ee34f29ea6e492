// The server's shared state, passed to every handler.
import type { TestHooks } from "./hooks.ts";
import type { ResourceRegistry } from "./registry.ts";
import type { Store } from "./store.ts";
import type { ResourceType, KObject } from "./types.ts";
import { groupVersion } from "./types.ts";
import type { WatchHub } from "./watch.ts";

export interface ControllerOptions {
  /** Garbage-collect dependents by ownerReferences (background, foreground, orphan) and finalize namespaces. */
  gc?: boolean;
  /** Mark StatefulSet/Deployment replicas ready and Jobs complete after this delay (ms). */
  simulateKubelet?: boolean;
  kubeletDelayMs?: number;
}

export interface ApiState {
  store: Store;
  registry: ResourceRegistry;
  hooks: TestHooks;
  watches: WatchHub;
  controllers: ControllerOptions;
  /** Wall clock in ms; replaceable in tests. */
  now(): number;
}

/** The object as a client of this type/version sees it (version and view conversion). */
export function present(type: ResourceType, stored: KObject): KObject {
  if (type.view) return type.view.fromStorage(stored);
  const apiVersion = groupVersion(type);
  if (stored.apiVersion === apiVersion && stored.kind === type.kind) return stored;
  return { ...stored, apiVersion, kind: type.kind };
}

/** RFC 3339 with second precision, as metav1.Time prints. */
export function timestamp(ms: number): string {
  const second = Math.floor(ms / 1000);
  // Writes in one second share the text (a create asks twice: creationTimestamp and managedFields).
  if (second !== lastSecond) {
    lastSecond = second;
    lastTimestamp = new Date(second * 1000).toISOString().replace(".000Z", "Z");
  }
  return lastTimestamp;
}
let lastSecond = NaN;
let lastTimestamp = "";

/** MicroTime: six fractional digits. */
export function microTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
