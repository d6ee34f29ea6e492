// Kubernetes' CEL url library with Go's net/url rules: url() accepts what url.ParseRequestURI accepts
// (an absolute URI or an absolute path), and the parts come from url.Parse (which drops the fragment).
import { celFunc, celMap, celMethod, CelScalar, listType, mapType } from "@bufbuild/cel";
import { URL_TYPE } from "./opaque.ts";

export interface GoURL {
  scheme: string;
  opaque: string;
  host: string;
  /** The path as written (still escaped). */
  rawPath: string;
  rawQuery: string;
}

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*$/;

function splitScheme(raw: string): [string, string] {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (/[a-zA-Z]/.test(c)) continue;
    if (/[0-9+.-]/.test(c)) {
      if (i === 0) return ["", raw];
      continue;
    }
    if (c === ":") {
      if (i === 0) throw new Error("missing protocol scheme");
      return [raw.slice(0, i), raw.slice(i + 1)];
    }
    return ["", raw];
  }
  return ["", raw];
}

function checkEscapes(s: string) {
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== "%") continue;
    if (!/^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) throw new Error(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
    i += 2;
  }
}

function parseHost(authority: string): string {
  const at = authority.lastIndexOf("@");
  const host = at >= 0 ? authority.slice(at + 1) : authority;
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    if (end < 0) throw new Error("missing ']' in host");
    const port = host.slice(end + 1);
    if (port && !/^:\d*$/.test(port)) throw new Error(`invalid port ${JSON.stringify(port)} after host`);
    return host;
  }
  const colon = host.lastIndexOf(":");
  if (colon >= 0 && !/^:\d*$/.test(host.slice(colon))) throw new Error(`invalid port ${JSON.stringify(host.slice(colon))} after host`);
  checkEscapes(host);
  return host;
}

/** Go's url.parse; `viaRequest` is ParseRequestURI's stricter mode (no relative references, no fragment split). */
function goParse(raw: string, viaRequest: boolean): GoURL {
  if (/[\x00-\x1f\x7f]/.test(raw)) throw new Error("net/url: invalid control character in URL");
  if (raw === "" && viaRequest) throw new Error("empty url");
  let [scheme, rest] = splitScheme(raw);
  if (scheme && !SCHEME.test(scheme)) throw new Error("missing protocol scheme");
  scheme = scheme.toLowerCase();
  let rawQuery = "";
  const q = rest.indexOf("?");
  if (q >= 0) {
    rawQuery = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  if (!rest.startsWith("/")) {
    if (scheme) return { scheme, opaque: rest, host: "", rawPath: "", rawQuery };
    if (viaRequest) throw new Error("invalid URI for request");
    const colon = rest.indexOf(":");
    const slash = rest.indexOf("/");
    if (colon >= 0 && (slash < 0 || colon < slash)) throw new Error("first path segment in URL cannot contain colon");
  }
  let host = "";
  if ((scheme || (!viaRequest && !rest.startsWith("///"))) && rest.startsWith("//")) {
    const end = rest.indexOf("/", 2);
    const authority = end < 0 ? rest.slice(2) : rest.slice(2, end);
    rest = end < 0 ? "" : rest.slice(end);
    host = parseHost(authority);
  }
  checkEscapes(rest);
  return { scheme, opaque: "", host, rawPath: rest, rawQuery };
}

export function parseRequestURI(raw: string): GoURL {
  goParse(raw, true);
  const hash = raw.indexOf("#");
  return goParse(hash >= 0 ? raw.slice(0, hash) : raw, false);
}

const PATH_SAFE = /[A-Za-z0-9\-_.~$&+,/:;=@]/;
const VALID_ENCODED = /^(?:[A-Za-z0-9\-_.~!$&'()*+,;=:@[\]/]|%[0-9a-fA-F]{2})*$/;

/** url.URL.EscapedPath: the path as written when that is a valid encoding, else the decoded path re-escaped. */
export function escapedPath(u: GoURL): string {
  if (VALID_ENCODED.test(u.rawPath)) return u.rawPath;
  const decoded = new TextEncoder().encode(decodeURIComponentLoose(u.rawPath));
  let out = "";
  for (const byte of decoded) {
    const c = String.fromCharCode(byte);
    out += byte < 0x80 && PATH_SAFE.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

function decodeURIComponentLoose(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function hostname(host: string): string {
  if (host.startsWith("[")) return host.slice(1, host.indexOf("]"));
  const colon = host.lastIndexOf(":");
  return colon >= 0 ? host.slice(0, colon) : host;
}

export function port(host: string): string {
  const from = host.startsWith("[") ? host.indexOf("]") + 1 : 0;
  const colon = host.indexOf(":", from);
  return colon >= 0 && host.lastIndexOf(":") === colon ? host.slice(colon + 1) : "";
}

/** url.ParseQuery (values in order; pairs with a semicolon or a bad escape are skipped). */
export function parseQuery(rawQuery: string): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const pair of rawQuery.split("&")) {
    if (!pair || pair.includes(";")) continue;
    const eq = pair.indexOf("=");
    const unescape = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
    let key: string;
    let value: string;
    try {
      key = unescape(eq >= 0 ? pair.slice(0, eq) : pair);
      value = unescape(eq >= 0 ? pair.slice(eq + 1) : "");
    } catch {
      continue;
    }
    result.set(key, [...(result.get(key) ?? []), value]);
  }
  return result;
}

function parsed(message: unknown): GoURL {
  return JSON.parse(URL_TYPE.unwrap(message)) as GoURL;
}

function toURL(raw: string) {
  let u: GoURL;
  try {
    u = parseRequestURI(raw);
  } catch (e) {
    throw new Error(`URL parse error during conversion from string: parse ${JSON.stringify(raw)}: ${(e as Error).message}`);
  }
  return URL_TYPE.wrap(JSON.stringify(u));
}

function isURL(raw: string): boolean {
  try {
    goParse(raw, true);
    return true;
  } catch {
    return false;
  }
}

const U = URL_TYPE.type;
const { STRING, BOOL } = CelScalar;

export const urlFunctions = [
  celFunc("url", [STRING], U, (s) => toURL(s) as never),
  celFunc("isURL", [STRING], BOOL, isURL),
  celMethod("getScheme", U, [], STRING, function () { return parsed(this).scheme; }),
  celMethod("getHost", U, [], STRING, function () { return parsed(this).host; }),
  celMethod("getHostname", U, [], STRING, function () { return hostname(parsed(this).host); }),
  celMethod("getPort", U, [], STRING, function () { return port(parsed(this).host); }),
  celMethod("getEscapedPath", U, [], STRING, function () { return escapedPath(parsed(this)); }),
  celMethod("getQuery", U, [], mapType(STRING, listType(STRING)), function () {
    return celMap(new Map([...parseQuery(parsed(this).rawQuery)].map(([k, v]) => [k, v]))) as never;
  }),
];
