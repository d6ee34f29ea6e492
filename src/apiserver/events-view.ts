// core/v1 Events and events.k8s.io/v1 Events are two views of one store (kept in the core shape).
import type { KObject, StorageView } from "./types.ts";

// core field ⇄ events.k8s.io field; the other fields keep their names.
const RENAMES: [core: string, v1: string][] = [
  ["involvedObject", "regarding"],
  ["message", "note"],
  ["reportingComponent", "reportingController"],
  ["source", "deprecatedSource"],
  ["firstTimestamp", "deprecatedFirstTimestamp"],
  ["lastTimestamp", "deprecatedLastTimestamp"],
  ["count", "deprecatedCount"],
];

function rename(obj: KObject, from: 0 | 1, apiVersion: string): KObject {
  const to = from === 0 ? 1 : 0;
  const out: KObject = { ...obj, apiVersion, kind: "Event" };
  for (const pair of RENAMES) {
    const value = obj[pair[from]];
    delete out[pair[from]];
    if (value !== undefined) out[pair[to]] = value;
  }
  return out;
}

export const eventsV1View: StorageView = {
  storageGroup: "",
  storagePlural: "events",
  toStorage: (obj) => rename(obj, 1, "v1"),
  fromStorage: (obj) => rename(obj, 0, "events.k8s.io/v1"),
};
