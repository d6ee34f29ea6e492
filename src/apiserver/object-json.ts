// JSON text of stored objects, kept once an object has been read (GET, list), so lists
// and repeated reads concatenate texts instead of encoding every object again. Stored objects are never
// mutated, so a text stays right for as long as its object lives; the cache holds it weakly. Write
// responses do not fill it: objects nobody reads back would carry their text twice in memory.
import { present } from "./state.ts";
import type { KObject, ResourceType } from "./types.ts";

const texts = new WeakMap<KObject, string>();

/** The JSON text of the object as a client of `type` sees it (cached when it is the stored object itself). */
export function presentedJson(type: ResourceType, stored: KObject): string {
  const shown = present(type, stored);
  if (shown !== stored) return JSON.stringify(shown);
  let text = texts.get(stored);
  if (text === undefined) texts.set(stored, (text = JSON.stringify(stored)));
  return text;
}

/**
 * The text of the object written last, kept alone: a write's watch events and its response show the same
 * object, and one slot costs no memory per object.
 */
let recent: { obj: KObject; text: string } | undefined;

/** The same text, reusing a cached one but keeping none (for live watch events: history holds old objects). */
export function eventJson(type: ResourceType, stored: KObject): string {
  const shown = present(type, stored);
  if (shown !== stored) return JSON.stringify(shown);
  const cached = texts.get(stored) ?? (recent?.obj === stored ? recent.text : undefined);
  if (cached !== undefined) return cached;
  const text = JSON.stringify(stored);
  recent = { obj: stored, text };
  return text;
}

/** The text of a write's response: what its watch events sent, when they sent the same object. */
export const writeResponseJson = eventJson;
