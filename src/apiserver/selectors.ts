// Label and field selectors with the grammar, validation and error messages of
// k8s.io/apimachinery pkg/labels and pkg/fields (v1.33).
import type { KObject, ResourceType } from "./types.ts";

export class SelectorError extends Error {
  override name = "SelectorError";
}

/** selection.Operator values. `gt`/`lt` are accepted by the string grammar (`k>3`) as upstream. */
export type LabelOperator = "=" | "==" | "!=" | "in" | "notin" | "exists" | "!" | "gt" | "lt";

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export interface FieldRequirement {
  field: string;
  operator: "=" | "==" | "!=";
  value: string;
}

// ---------------------------------------------------------------------------------------------
// Label key/value validation (IsQualifiedName, IsValidLabelValue)
// ---------------------------------------------------------------------------------------------

const QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

const qualifiedNameRe = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const labelValueRe = new RegExp(`^${LABEL_VALUE_FMT}$`);
const dns1123SubdomainRe = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);

function regexError(msg: string, fmt: string, ...examples: string[]): string {
  const shown = examples.map((e) => `'${e}', `).join("or ");
  return `${msg} (e.g. ${shown}regex used for validation is '${fmt}')`;
}

function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

function dns1123SubdomainErrors(value: string): string[] {
  const errs: string[] = [];
  if (utf8Length(value) > 253) errs.push(maxLenError(253));
  if (!dns1123SubdomainRe.test(value)) errs.push(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, "example.com"));
  return errs;
}

/** The problems with a label key (prefix/name), in upstream wording; empty when valid. */
export function labelKeyErrors(key: string): string[] {
  const errs: string[] = [];
  const parts = key.split("/");
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) errs.push("prefix part must be non-empty");
    else errs.push(...dns1123SubdomainErrors(prefix).map((e) => `prefix part ${e}`));
  } else {
    return [
      `a qualified name ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")}` +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push("name part must be non-empty");
  else if (utf8Length(name) > 63) errs.push(`name part ${maxLenError(63)}`);
  if (!qualifiedNameRe.test(name))
    errs.push(`name part ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")}`);
  return errs;
}

/** The problems with a label value, in upstream wording; empty when valid. */
export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (utf8Length(value) > 63) errs.push(maxLenError(63));
  if (!labelValueRe.test(value)) errs.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, "MyValue", "my_value", "12345"));
  return errs;
}

/** Go's %q for a string, close enough for label text. */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Go's %#v of a []string, as field.Invalid prints a bad value list. */
function goStringSlice(values: string[] | undefined): string {
  if (values === undefined) return "[]string(nil)";
  return `[]string{${values.map(goQuote).join(", ")}}`;
}

/** field.Invalid(path, value, detail).Error(); a nil path prints as "<nil>". */
function invalid(path: string, badValue: string, detail: string): string {
  return `${path}: Invalid value: ${badValue}: ${detail}`;
}

function keyError(key: string, path: string): string | undefined {
  const errs = labelKeyErrors(key);
  return errs.length ? invalid(path, goQuote(key), errs.join("; ")) : undefined;
}

/** utilerrors.Aggregate message: one error as is, several de-duplicated inside [a, b]. */
function aggregate(messages: string[]): string | undefined {
  const unique = [...new Set(messages)];
  if (unique.length === 0) return undefined;
  return unique.length === 1 ? unique[0] : `[${unique.join(", ")}]`;
}

const BINARY_OPERATORS: LabelOperator[] = ["in", "notin", "=", "==", "!=", "gt", "lt"];
const ALL_OPERATORS: LabelOperator[] = [...BINARY_OPERATORS, "exists", "!"];

/** labels.NewRequirement; `values` undefined stands for Go's nil slice in messages. */
function newRequirement(key: string, operator: string, values: string[] | undefined): LabelRequirement {
  const vals = values ?? [];
  const errs: string[] = [];
  const badKey = keyError(key, "key");
  if (badKey) errs.push(badKey);
  switch (operator) {
    case "in":
    case "notin":
      if (vals.length === 0) errs.push(invalid("values", goStringSlice(values), "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case "=":
    case "==":
    case "!=":
      if (vals.length !== 1) errs.push(invalid("values", goStringSlice(values), "exact-match compatibility requires one single value"));
      break;
    case "exists":
    case "!":
      if (vals.length !== 0) errs.push(invalid("values", goStringSlice(values), "values set must be empty for exists and does not exist"));
      break;
    case "gt":
    case "lt":
      if (vals.length !== 1) errs.push(invalid("values", goStringSlice(values), "for 'Gt', 'Lt' operators, exactly one value is required"));
      vals.forEach((v, i) => {
        if (!/^[+-]?\d+$/.test(v)) errs.push(invalid(`values[${i}]`, goQuote(v), "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
    default:
      errs.push(
        `operator: Unsupported value: ${goQuote(operator)}: supported values: ${ALL_OPERATORS.map(goQuote).join(", ")}`,
      );
  }
  vals.forEach((v, i) => {
    const valueErrs = labelValueErrors(v);
    if (valueErrs.length) errs.push(invalid(`values[${i}][${key}]`, goQuote(v), valueErrs.join("; ")));
  });
  const message = aggregate(errs);
  if (message) throw new SelectorError(message);
  return { key, operator: operator as LabelOperator, values: vals };
}

// ---------------------------------------------------------------------------------------------
// Label selector string grammar
// ---------------------------------------------------------------------------------------------

type TokenKind =
  | "error"
  | "end"
  | "closedPar"
  | "comma"
  | "doesNotExist"
  | "doubleEquals"
  | "equals"
  | "greaterThan"
  | "identifier"
  | "in"
  | "lessThan"
  | "notEquals"
  | "notIn"
  | "openPar";

interface Token {
  kind: TokenKind;
  literal: string;
}

const LITERAL_TOKENS: Record<string, TokenKind> = {
  ")": "closedPar",
  ",": "comma",
  "!": "doesNotExist",
  "==": "doubleEquals",
  "=": "equals",
  ">": "greaterThan",
  in: "in",
  "<": "lessThan",
  "!=": "notEquals",
  notin: "notIn",
  "(": "openPar",
};

const isWhitespace = (ch: string) => ch === " " || ch === "\t" || ch === "\r" || ch === "\n";
const isSpecialSymbol = (ch: string) => "=!(),><".includes(ch) && ch !== "";

function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  for (;;) {
    while (pos < input.length && isWhitespace(input[pos])) pos++;
    if (pos >= input.length) {
      tokens.push({ kind: "end", literal: "" });
      return tokens;
    }
    if (isSpecialSymbol(input[pos])) {
      // Longest run of symbols that still forms a known operator.
      let buffer = "";
      let last: Token | undefined;
      while (pos < input.length && isSpecialSymbol(input[pos])) {
        const candidate = buffer + input[pos];
        const kind = LITERAL_TOKENS[candidate];
        if (kind) {
          last = { kind, literal: candidate };
        } else if (last) {
          break;
        }
        buffer = candidate;
        pos++;
      }
      tokens.push(last ?? { kind: "error", literal: `error expected: keyword found '${buffer}'` });
      continue;
    }
    let word = "";
    while (pos < input.length && !isSpecialSymbol(input[pos]) && !isWhitespace(input[pos])) word += input[pos++];
    tokens.push({ kind: LITERAL_TOKENS[word] ?? "identifier", literal: word });
  }
}

class LabelParser {
  private position = 0;
  constructor(private readonly tokens: Token[]) {}

  /** In a values context the words `in`/`notin` are plain identifiers. */
  private lookahead(asValue = true): Token {
    const token = this.tokens[this.position];
    if (asValue && (token.kind === "in" || token.kind === "notIn")) return { kind: "identifier", literal: token.literal };
    return token;
  }

  private consume(asValue = true): Token {
    const token = this.lookahead(asValue);
    this.position++;
    return token;
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    for (;;) {
      const token = this.lookahead();
      if (token.kind === "end") return requirements;
      if (token.kind !== "identifier" && token.kind !== "doesNotExist")
        throw new SelectorError(`found '${token.literal}', expected: !, identifier, or 'end of string'`);
      try {
        requirements.push(this.parseRequirement());
      } catch (error) {
        if (error instanceof SelectorError) throw new SelectorError(`unable to parse requirement: ${error.message}`);
        throw error;
      }
      const after = this.consume();
      if (after.kind === "end") return requirements;
      if (after.kind !== "comma") throw new SelectorError(`found '${after.literal}', expected: ',' or 'end of string'`);
      const next = this.lookahead();
      if (next.kind !== "identifier" && next.kind !== "doesNotExist")
        throw new SelectorError(`found '${next.literal}', expected: identifier after ','`);
    }
  }

  private parseRequirement(): LabelRequirement {
    let token = this.consume();
    let unary: LabelOperator | undefined;
    if (token.kind === "doesNotExist") {
      unary = "!";
      token = this.consume();
    }
    if (token.kind !== "identifier") throw new SelectorError(`found '${token.literal}', expected: identifier`);
    const key = token.literal;
    const badKey = keyError(key, "<nil>");
    if (badKey) throw new SelectorError(badKey);
    // `!key` is complete by itself; whatever follows is the caller's problem.
    if (unary) return newRequirement(key, unary, []);
    const following = this.lookahead().kind;
    if (following === "end" || following === "comma") return newRequirement(key, "exists", []);

    const operator = this.parseOperator();
    const values = operator === "in" || operator === "notin" ? this.parseValues() : this.parseExactValue();
    return newRequirement(key, operator, [...new Set(values)].sort());
  }

  private parseOperator(): LabelOperator {
    const token = this.consume(false);
    const operators: Partial<Record<TokenKind, LabelOperator>> = {
      in: "in",
      equals: "=",
      doubleEquals: "==",
      greaterThan: "gt",
      lessThan: "lt",
      notIn: "notin",
      notEquals: "!=",
    };
    const operator = operators[token.kind];
    if (!operator) throw new SelectorError(`found '${token.literal}', expected: ${BINARY_OPERATORS.join(", ")}`);
    return operator;
  }

  private parseValues(): string[] {
    const open = this.consume();
    if (open.kind !== "openPar") throw new SelectorError(`found '${open.literal}' expected: '('`);
    const first = this.lookahead();
    if (first.kind === "closedPar") {
      this.consume();
      return [""];
    }
    if (first.kind !== "identifier" && first.kind !== "comma")
      throw new SelectorError(`found '${first.literal}', expected: ',', ')' or identifier`);
    const values = this.parseIdentifiersList();
    if (this.consume().kind !== "closedPar") throw new SelectorError(`found '${first.literal}', expected: ')'`);
    return values;
  }

  private parseIdentifiersList(): string[] {
    const values: string[] = [];
    for (;;) {
      const token = this.consume();
      if (token.kind === "identifier") {
        values.push(token.literal);
        const next = this.lookahead();
        if (next.kind === "comma") continue;
        if (next.kind === "closedPar") return values;
        throw new SelectorError(`found '${next.literal}', expected: ',' or ')'`);
      }
      if (token.kind === "comma") {
        // Empty entries (`(,a)`, `(a,)`, `(a,,b)`) stand for the empty value.
        if (values.length === 0) values.push("");
        const next = this.lookahead().kind;
        if (next === "closedPar" || next === "comma") values.push("");
        if (next === "closedPar") return values;
        continue;
      }
      throw new SelectorError(`found '${token.literal}', expected: ',', or identifier`);
    }
  }

  private parseExactValue(): string[] {
    const next = this.lookahead().kind;
    if (next === "end" || next === "comma") return [""];
    const token = this.consume();
    if (token.kind === "identifier") return [token.literal];
    throw new SelectorError(`found '${token.literal}', expected: identifier`);
  }
}

/** Parses a `labelSelector` query value. An empty string selects everything. */
export function parseLabelSelector(s: string): LabelRequirement[] {
  const requirements = new LabelParser(lex(s)).parse();
  return requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function requirementMatches(req: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, req.key);
  const value = has ? labels[req.key] : undefined;
  switch (req.operator) {
    case "=":
    case "==":
    case "in":
      return has && req.values.includes(value!);
    case "!=":
    case "notin":
      return !has || !req.values.includes(value!);
    case "exists":
      return has;
    case "!":
      return !has;
    case "gt":
    case "lt": {
      if (!has || !/^[+-]?\d+$/.test(value!) || req.values.length !== 1) return false;
      const actual = BigInt(value!);
      const bound = BigInt(req.values[0]);
      return req.operator === "gt" ? actual > bound : actual < bound;
    }
  }
}

export function matchesLabels(reqs: LabelRequirement[], labels?: Record<string, string>): boolean {
  return reqs.every((req) => requirementMatches(req, labels ?? {}));
}

interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

const EXPRESSION_OPERATORS: Record<string, LabelOperator> = {
  In: "in",
  NotIn: "notin",
  Exists: "exists",
  DoesNotExist: "!",
};

/**
 * metav1.LabelSelectorAsSelector. An empty selector (`{}`) matches everything; callers decide
 * what a missing (nil) selector means, upstream it matches nothing.
 */
export function selectorFromLabelSelectorObject(sel: LabelSelectorObject): LabelRequirement[] {
  const requirements: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) requirements.push(newRequirement(key, "=", [value]));
  for (const expr of sel.matchExpressions ?? []) {
    const operator = EXPRESSION_OPERATORS[expr.operator];
    if (!operator) throw new SelectorError(`${goQuote(expr.operator)} is not a valid label selector operator`);
    // Upstream copies with append([]string(nil), values...), so an empty list is still nil.
    const values = expr.values && expr.values.length > 0 ? [...expr.values] : undefined;
    requirements.push(newRequirement(expr.key, operator, values));
  }
  return requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Requirement.String: `k=v`, `k in (a,b)`, `!k`, ... */
export function formatLabelRequirement(req: LabelRequirement): string {
  const values = req.values.length === 1 ? req.values[0] : [...req.values].sort().join(",");
  switch (req.operator) {
    case "exists":
      return req.key;
    case "!":
      return `!${req.key}`;
    case "in":
      return `${req.key} in (${values})`;
    case "notin":
      return `${req.key} notin (${values})`;
    case "gt":
      return `${req.key}>${values}`;
    case "lt":
      return `${req.key}<${values}`;
    default:
      return `${req.key}${req.operator}${values}`;
  }
}

/** Selector.String: requirements sorted by key, comma-joined. */
export function formatLabelSelector(reqs: LabelRequirement[]): string {
  return [...reqs]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(formatLabelRequirement)
    .join(",");
}

// ---------------------------------------------------------------------------------------------
// Field selectors
// ---------------------------------------------------------------------------------------------

/** Splits on commas that are not escaped with a backslash. */
function splitFieldTerms(selector: string): string[] {
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < selector.length; i++) {
    const ch = selector[i];
    if (escaped) escaped = false;
    else if (ch === "\\") escaped = true;
    else if (ch === ",") {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

function unescapeFieldValue(raw: string): string {
  let out = "";
  let escaped = false;
  for (const ch of raw) {
    if (escaped) {
      if (ch !== "\\" && ch !== "," && ch !== "=")
        throw new SelectorError(`invalid field selector: invalid escape sequence: \\${ch}`);
      out += ch;
      escaped = false;
    } else if (ch === "\\") {
      escaped = true;
    } else if (ch === "," || ch === "=") {
      // Upstream prints the rune with %v, i.e. as its code point.
      throw new SelectorError(`invalid field selector: unescaped character in value: ${ch.codePointAt(0)}`);
    } else {
      out += ch;
    }
  }
  if (escaped) throw new SelectorError("invalid field selector: invalid escape sequence: \\");
  return out;
}

/** Parses a `fieldSelector` query value (`=`, `==`, `!=`, comma = AND). */
export function parseFieldSelector(s: string): FieldRequirement[] {
  const requirements: FieldRequirement[] = [];
  for (const term of splitFieldTerms(s).sort()) {
    if (term === "") continue;
    const match = /^(.*?)(!=|==|=)(.*)$/s.exec(term);
    if (!match) throw new SelectorError(`invalid selector: '${s}'; can't understand '${term}'`);
    const [, field, operator, raw] = match;
    requirements.push({ field, operator: operator as FieldRequirement["operator"], value: unescapeFieldValue(raw) });
  }
  return requirements;
}

/** A field that does not exist compares as the empty string, as upstream. */
export function matchesFields(reqs: FieldRequirement[], get: (field: string) => string | undefined): boolean {
  return reqs.every((req) => {
    const actual = get(req.field) ?? "";
    return req.operator === "!=" ? actual !== req.value : actual === req.value;
  });
}

export const UNSUPPORTED: unique symbol = Symbol("field label not supported");

/** Whether the server accepts `field` in a fieldSelector for this resource. */
export function isSupportedFieldLabel(type: ResourceType, field: string): boolean {
  if (field === "metadata.name") return true;
  if (field === "metadata.namespace") return type.namespaced;
  return type.fieldLabels !== undefined && Object.hasOwn(type.fieldLabels, field);
}

/**
 * The value a fieldSelector compares for `field`, or UNSUPPORTED, for which the server answers
 * 400 `field label not supported: <field>`.
 */
export function fieldValue(obj: KObject, type: ResourceType, field: string): string | undefined | typeof UNSUPPORTED {
  if (!isSupportedFieldLabel(type, field)) return UNSUPPORTED;
  if (field === "metadata.name") return obj.metadata.name ?? "";
  if (field === "metadata.namespace") return obj.metadata.namespace ?? "";
  return type.fieldLabels![field](obj);
}
