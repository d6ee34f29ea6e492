// The Kubernetes JSONPath dialect (k8s.io/client-go/util/jsonpath), as used by CRD
// additionalPrinterColumns and `kubectl get -o jsonpath`. Behaviour follows that parser and
// evaluator, quirks included: `['a.b']` means `.a.b` (escape the dot, `.a\.b`, to reach a key
// with dots), missing keys give no result, and comparing an integer with a float is an error.

export class JsonPathSyntaxError extends Error {
  override name = "JsonPathSyntaxError";
}

/** An evaluation failure (index out of range, filtering a non-array, ...). */
export class JsonPathEvalError extends Error {
  override name = "JsonPathEvalError";
  /** What the Go evaluator hands back alongside the error; filters with `exists` still use it. */
  constructor(message: string, readonly partial: unknown[]) {
    super(message);
  }
}

interface SliceParam {
  value: number;
  known: boolean;
  derived: boolean;
}

type PathNode =
  | { kind: "list"; nodes: PathNode[] }
  | { kind: "text"; text: string }
  | { kind: "field"; name: string }
  | { kind: "wildcard" }
  | { kind: "recursive" }
  | { kind: "array"; params: [SliceParam, SliceParam, SliceParam] }
  | { kind: "filter"; left: PathNode[]; right: PathNode[]; operator: string }
  | { kind: "union"; lists: PathNode[][] }
  | { kind: "int"; value: number }
  | { kind: "float"; value: number }
  | { kind: "bool"; value: boolean }
  | { kind: "identifier"; name: string };

type ListNode = Extract<PathNode, { kind: "list" }>;

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

const EOF = "";

function isTerminator(ch: string): boolean {
  return ch === EOF || " \t\r\n.,[]$@{}".includes(ch);
}

function isAlphaNumeric(ch: string): boolean {
  return ch !== EOF && /^[\p{L}\p{Nd}_]$/u.test(ch);
}

function isDigit(ch: string): boolean {
  return ch !== EOF && /^\p{Nd}$/u.test(ch);
}

function goRune(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")} '${ch}'`;
}

class Parser {
  private pos = 0;
  private start = 0;
  private width = 0;
  readonly root: ListNode = { kind: "list", nodes: [] };

  constructor(private readonly input: string) {}

  parse(): ListNode {
    this.parseText(this.root);
    return this.root;
  }

  private next(): string {
    if (this.pos >= this.input.length) {
      this.width = 0;
      return EOF;
    }
    const ch = String.fromCodePoint(this.input.codePointAt(this.pos)!);
    this.width = ch.length;
    this.pos += ch.length;
    return ch;
  }

  private peek(): string {
    const ch = this.next();
    this.pos -= this.width;
    return ch;
  }

  private backup(): void {
    this.pos -= this.width;
  }

  private consumeText(): string {
    const text = this.input.slice(this.start, this.pos);
    this.start = this.pos;
    return text;
  }

  private rest(): string {
    return this.input.slice(this.pos);
  }

  private parseText(cur: ListNode): void {
    for (;;) {
      if (this.rest().startsWith("{")) {
        if (this.pos > this.start) cur.nodes.push({ kind: "text", text: this.consumeText() });
        this.pos += 1;
        this.consumeText();
        const action: ListNode = { kind: "list", nodes: [] };
        cur.nodes.push(action);
        return this.parseInsideAction(action);
      }
      if (this.next() === EOF) break;
    }
    if (this.pos > this.start) cur.nodes.push({ kind: "text", text: this.consumeText() });
  }

  private parseInsideAction(cur: ListNode): void {
    for (;;) {
      const rest = this.rest();
      if (rest.startsWith("}")) {
        this.pos += 1;
        this.consumeText();
        return this.parseText(this.root);
      }
      if (rest.startsWith("[?(")) {
        this.parseFilter(cur);
        continue;
      }
      if (rest.startsWith("..")) {
        this.parseRecursive(cur);
        continue;
      }
      const ch = this.next();
      if (ch === EOF || ch === "\r" || ch === "\n") throw new JsonPathSyntaxError("unclosed action");
      if (ch === " " || ch === "@" || ch === "$") {
        this.consumeText();
      } else if (ch === "[") {
        this.parseArray(cur);
      } else if (ch === '"' || ch === "'") {
        this.parseQuote(cur, ch);
      } else if (ch === ".") {
        this.parseField(cur);
      } else if (ch === "+" || ch === "-" || isDigit(ch)) {
        this.backup();
        this.parseNumber(cur);
      } else if (isAlphaNumeric(ch)) {
        this.backup();
        this.parseIdentifier(cur);
      } else {
        throw new JsonPathSyntaxError(`unrecognized character in action: ${goRune(ch)}`);
      }
    }
  }

  private parseIdentifier(cur: ListNode): void {
    while (!isTerminator(this.next()));
    this.backup();
    const value = this.consumeText();
    if (value === "true" || value === "false") cur.nodes.push({ kind: "bool", value: value === "true" });
    else cur.nodes.push({ kind: "identifier", name: value });
  }

  private parseRecursive(cur: ListNode): void {
    if (cur.nodes.at(-1)?.kind === "recursive") throw new JsonPathSyntaxError("invalid multiple recursive descent");
    this.pos += 2;
    this.consumeText();
    cur.nodes.push({ kind: "recursive" });
    if (isAlphaNumeric(this.peek())) this.parseField(cur);
  }

  private parseNumber(cur: ListNode): void {
    const sign = this.peek();
    if (sign === "+" || sign === "-") this.next();
    for (;;) {
      const ch = this.next();
      if (ch !== "." && !isDigit(ch)) {
        this.backup();
        break;
      }
    }
    const text = this.consumeText();
    if (/^[+-]?\d+$/.test(text)) cur.nodes.push({ kind: "int", value: Number.parseInt(text, 10) });
    else if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(text)) cur.nodes.push({ kind: "float", value: Number.parseFloat(text) });
    else throw new JsonPathSyntaxError(`cannot parse number ${text}`);
  }

  private parseArray(cur: ListNode): void {
    for (;;) {
      const ch = this.next();
      if (ch === EOF || ch === "\n") throw new JsonPathSyntaxError("unterminated array");
      if (ch === "]") break;
    }
    let text = this.consumeText().slice(1, -1);
    if (text === "*") text = ":";

    const parts = text.split(",");
    if (parts.length > 1) {
      cur.nodes.push({ kind: "union", lists: parts.map((part) => parseAction(`[${part.trim()}]`).nodes) });
      return;
    }

    const dictKey = /^'([^']*)'$/.exec(text);
    if (dictKey) {
      cur.nodes.push(...parseAction(`.${dictKey[1]}`).nodes);
      return;
    }

    const slice = /^(-?\d*)(:-?\d*)?(:-?\d*)?$/.exec(text);
    if (!slice) throw new JsonPathSyntaxError(`invalid array index ${text}`);
    const params: SliceParam[] = [];
    for (let i = 0; i < 3; i++) {
      let raw = slice[i + 1] ?? "";
      if (raw !== "") {
        if (i > 0) raw = raw.slice(1);
        if (i > 0 && raw === "") {
          params.push({ value: 0, known: false, derived: false });
        } else {
          if (!/^[+-]?\d+$/.test(raw)) throw new JsonPathSyntaxError(`array index ${raw} is not a number`);
          params.push({ value: Number.parseInt(raw, 10), known: true, derived: false });
        }
      } else if (i === 1) {
        // `[n]` is the slice `[n:n+1]`.
        params.push({ value: params[0].value + 1, known: true, derived: true });
      } else {
        params.push({ value: 0, known: false, derived: false });
      }
    }
    cur.nodes.push({ kind: "array", params: [params[0], params[1], params[2]] });
  }

  private parseFilter(cur: ListNode): void {
    this.pos += 3;
    this.consumeText();
    let inQuote = false;
    let quoteClosed = false;
    let pair = "";
    for (;;) {
      const ch = this.next();
      if (ch === EOF || ch === "\n") throw new JsonPathSyntaxError("unterminated filter");
      if (ch === '"' || ch === "'") {
        if (!inQuote) {
          inQuote = true;
          pair = ch;
          continue;
        }
        if (this.input[this.pos - 2] !== "\\" && ch === pair) quoteClosed = true;
      } else if (ch === ")" && inQuote === quoteClosed) {
        break;
      }
    }
    if (this.next() !== "]") throw new JsonPathSyntaxError("unclosed array expect ]");
    const text = this.consumeText().slice(0, -2);
    const comparison = /^([^!<>=]+)([!<>=]+)(.+?)$/s.exec(text);
    if (!comparison) {
      cur.nodes.push({ kind: "filter", left: parseAction(text).nodes, right: [], operator: "exists" });
    } else {
      cur.nodes.push({
        kind: "filter",
        left: parseAction(comparison[1]).nodes,
        right: parseAction(comparison[3]).nodes,
        operator: comparison[2],
      });
    }
  }

  private parseQuote(cur: ListNode, end: string): void {
    for (;;) {
      const ch = this.next();
      if (ch === EOF || ch === "\n") throw new JsonPathSyntaxError("unterminated quoted string");
      if (ch === end && this.input[this.pos - 2] !== "\\") break;
    }
    const quoted = this.consumeText();
    cur.nodes.push({ kind: "text", text: unquote(quoted) });
  }

  private parseField(cur: ListNode): void {
    this.consumeText();
    for (;;) {
      const ch = this.next();
      if (ch === "\\") {
        this.next();
      } else if (isTerminator(ch)) {
        this.backup();
        break;
      }
    }
    const value = this.consumeText();
    if (value === "*") cur.nodes.push({ kind: "wildcard" });
    else cur.nodes.push({ kind: "field", name: value.replaceAll("\\", "") });
  }
}

/** Parses the inside of one `{...}` action, as the Go parser does for filter operands and unions. */
function parseAction(text: string): ListNode {
  const root = new Parser(`{${text}}`).parse();
  const first = root.nodes[0];
  if (first?.kind !== "list") throw new JsonPathSyntaxError(`invalid expression ${text}`);
  return first;
}

const SIMPLE_ESCAPES: Record<string, string> = { a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\" };

/** strconv.Unquote, extended to single-quoted strings of any length. */
function unquote(quoted: string): string {
  const quote = quoted[0];
  const body = quoted.slice(1, -1);
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === quote) throw new JsonPathSyntaxError(`unquote string ${quoted} error invalid syntax`);
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    const esc = body[++i];
    if (esc === undefined) throw new JsonPathSyntaxError(`unquote string ${quoted} error invalid syntax`);
    if (esc in SIMPLE_ESCAPES) out += SIMPLE_ESCAPES[esc];
    else if (esc === quote) out += esc;
    else if (esc === "x" || esc === "u" || esc === "U") {
      const len = esc === "x" ? 2 : esc === "u" ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex))
        throw new JsonPathSyntaxError(`unquote string ${quoted} error invalid syntax`);
      out += String.fromCodePoint(Number.parseInt(hex, 16));
      i += len;
    } else if (/[0-7]/.test(esc)) {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) throw new JsonPathSyntaxError(`unquote string ${quoted} error invalid syntax`);
      out += String.fromCharCode(Number.parseInt(oct, 8));
      i += 2;
    } else {
      throw new JsonPathSyntaxError(`unquote string ${quoted} error invalid syntax`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Compiled template: root text/actions, with {range}...{end} blocks nested.
// ---------------------------------------------------------------------------------------------

type TemplateItem = { kind: "action"; nodes: PathNode[] } | { kind: "range"; nodes: PathNode[]; body: TemplateItem[] };

function leadingIdentifier(node: PathNode): string | undefined {
  if (node.kind !== "list") return undefined;
  const first = node.nodes[0];
  return first?.kind === "identifier" ? first.name : undefined;
}

function buildTemplate(rootNodes: PathNode[]): TemplateItem[] {
  let index = 0;
  const block = (insideRange: boolean): TemplateItem[] => {
    const items: TemplateItem[] = [];
    while (index < rootNodes.length) {
      const node = rootNodes[index++];
      const identifier = leadingIdentifier(node);
      if (identifier === "end") {
        if (!insideRange) throw new JsonPathEvalError("not in range, nothing to end", []);
        return items;
      }
      if (node.kind === "list" && identifier === "range") {
        items.push({ kind: "range", nodes: node.nodes.slice(1), body: block(true) });
      } else if (node.kind === "list") {
        items.push({ kind: "action", nodes: node.nodes });
      } else {
        items.push({ kind: "action", nodes: [node] });
      }
    }
    return items;
  };
  return block(false);
}

type Compiled = { ok: true; template: TemplateItem[] } | { ok: false; error: Error };

const MAX_CACHED_PATHS = 2048;
const compiledPaths = new Map<string, Compiled>();

function compile(path: string): TemplateItem[] {
  let compiled = compiledPaths.get(path);
  if (!compiled) {
    try {
      const source = path.includes("{") ? path : `{${path}}`;
      compiled = { ok: true, template: buildTemplate(new Parser(source).parse().nodes) };
    } catch (error) {
      compiled = { ok: false, error: error as Error };
    }
    if (compiledPaths.size >= MAX_CACHED_PATHS) compiledPaths.clear();
    compiledPaths.set(path, compiled);
  }
  if (!compiled.ok) throw compiled.error;
  return compiled.template;
}

// ---------------------------------------------------------------------------------------------
// Evaluator
// ---------------------------------------------------------------------------------------------

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isNil(value: unknown): boolean {
  return value === null || value === undefined;
}

function goTypeName(value: unknown): string {
  if (isMap(value)) return "map[string]interface {}";
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return isGoInteger(value) ? "int64" : "float64";
  return "<nil>";
}

const INT64_LIMIT = 2 ** 63;

/** Whether a JSON number would decode to int64 (rather than float64) in Kubernetes' unstructured JSON. */
function isGoInteger(value: number): boolean {
  return Number.isInteger(value) && Math.abs(value) < INT64_LIMIT;
}

function children(value: unknown): unknown[] {
  if (isMap(value)) return Object.values(value);
  if (Array.isArray(value)) return value;
  // Go indexes a string by bytes.
  if (typeof value === "string") return [...new TextEncoder().encode(value)];
  return [];
}

function evalList(input: unknown[], nodes: PathNode[]): unknown[] {
  let current = input;
  for (const node of nodes) current = walk(current, node);
  return current;
}

function walk(input: unknown[], node: PathNode): unknown[] {
  switch (node.kind) {
    case "list":
      return evalList(input, node.nodes);
    case "text":
      return [node.text];
    case "int":
    case "bool":
      return input.map(() => node.value);
    case "float":
      return input.map(() => new FloatLiteral(node.value));
    case "field":
      return evalField(input, node.name);
    case "array":
      return evalArray(input, node.params);
    case "filter":
      return evalFilter(input, node);
    case "wildcard":
      return input.filter((value) => !isNil(value)).flatMap(children);
    case "recursive":
      return evalRecursive(input);
    case "union":
      return node.lists.flatMap((list) => evalList(input, list));
    case "identifier":
      throw new JsonPathEvalError(`unrecognized identifier ${node.name}`, input);
  }
}

function evalField(input: unknown[], name: string): unknown[] {
  const results: unknown[] = [];
  for (const value of input) {
    if (isMap(value) && Object.hasOwn(value, name) && value[name] !== undefined) results.push(value[name]);
  }
  return results;
}

function evalArray(input: unknown[], template: [SliceParam, SliceParam, SliceParam]): unknown[] {
  const results: unknown[] = [];
  for (const value of input) {
    if (isNil(value)) continue;
    if (!Array.isArray(value)) throw new JsonPathEvalError(`${goTypeName(value)} is not array or slice`, input);
    const [from, to, step] = template.map((p) => ({ ...p }));
    if (!from.known) from.value = 0;
    if (from.value < 0) from.value += value.length;
    if (!to.known) to.value = value.length;
    if (to.value < 0 || (to.value === 0 && to.derived)) to.value += value.length;
    if (to.value === from.value) return results;
    if (from.value >= value.length || from.value < 0)
      throw new JsonPathEvalError(`array index out of bounds: index ${from.value}, length ${value.length}`, input);
    if (to.value > value.length || to.value < 0)
      throw new JsonPathEvalError(`array index out of bounds: index ${to.value - 1}, length ${value.length}`, input);
    if (from.value > to.value)
      throw new JsonPathEvalError(`starting index ${from.value} is greater than ending index ${to.value}`, input);
    let stride = 1;
    if (step.known) {
      if (step.value <= 0) throw new JsonPathEvalError("step must be > 0", input);
      stride = step.value;
    }
    const slice = value.slice(from.value, to.value);
    for (let i = 0; i < slice.length; i += stride) results.push(slice[i]);
  }
  return results;
}

function evalRecursive(input: unknown[]): unknown[] {
  const results: unknown[] = [];
  for (const value of input) {
    if (isNil(value)) continue;
    const inner = children(value);
    if (inner.length === 0) continue;
    results.push(value, ...evalRecursive(inner));
  }
  return results;
}

function evalOperand(element: unknown, nodes: PathNode[]): unknown[] {
  return evalList([element], nodes);
}

function evalFilter(input: unknown[], node: Extract<PathNode, { kind: "filter" }>): unknown[] {
  const results: unknown[] = [];
  for (const value of input) {
    if (!Array.isArray(value))
      throw new JsonPathEvalError(`${goTypeName(value)} is not array or slice and cannot be filtered`, input);
    for (const element of value) {
      if (node.operator === "exists") {
        let lefts: unknown[];
        try {
          lefts = evalOperand(element, node.left);
        } catch (error) {
          if (!(error instanceof JsonPathEvalError)) throw error;
          lefts = error.partial;
        }
        if (lefts.length > 0) results.push(element);
        continue;
      }
      const lefts = evalOperand(element, node.left);
      if (lefts.length === 0) continue;
      if (lefts.length > 1) throw new JsonPathEvalError("can only compare one element at a time", input);
      const rights = evalOperand(element, node.right);
      if (rights.length === 0) continue;
      if (rights.length > 1) throw new JsonPathEvalError("can only compare one element at a time", input);
      const pass = compare(node.operator, lefts[0], rights[0], results);
      if (pass) results.push(element);
    }
  }
  return results;
}

/** A literal written with a decimal point: a float64 in Go even when integral (`1.0`). */
class FloatLiteral {
  constructor(readonly value: number) {}
}

const plain = (value: unknown): unknown => (value instanceof FloatLiteral ? value.value : value);

type BasicKind = "bool" | "int" | "float" | "string";

function basicKind(value: unknown, partial: unknown[]): BasicKind {
  if (typeof value === "boolean") return "bool";
  if (typeof value === "string") return "string";
  if (typeof value === "number") return isGoInteger(value) ? "int" : "float";
  if (value instanceof FloatLiteral) return "float";
  throw new JsonPathEvalError("invalid type for comparison", partial);
}

// The comparisons of Go's text/template (eq, lt, ...), which reject mixed kinds.
function compare(operator: string, left: unknown, right: unknown, partial: unknown[]): boolean {
  const leftKind = basicKind(left, partial);
  const rightKind = basicKind(right, partial);
  if (!["<", ">", "==", "!=", "<=", ">="].includes(operator))
    throw new JsonPathEvalError(`unrecognized filter operator ${operator}`, partial);
  if (leftKind !== rightKind) throw new JsonPathEvalError("incompatible types for comparison", partial);
  const a = plain(left) as number | string | boolean;
  const b = plain(right) as number | string | boolean;
  if (operator === "==") return a === b;
  if (operator === "!=") return a !== b;
  if (leftKind === "bool") throw new JsonPathEvalError("invalid type for comparison", partial);
  if (operator === "<") return a < b;
  if (operator === "<=") return a <= b;
  if (operator === ">") return a > b;
  return a >= b;
}

function evalTemplate(items: TemplateItem[], data: unknown): unknown[][] {
  const groups: unknown[][] = [];
  for (const item of items) {
    if (item.kind === "action") {
      groups.push(evalList([data], item.nodes));
      continue;
    }
    for (const value of evalList([data], item.nodes)) groups.push(...evalTemplate(item.body, value));
  }
  return groups;
}

/**
 * The result groups of a JSONPath template, one per `{...}` action or text run (client-go's
 * FindResults). Throws JsonPathSyntaxError for a bad path and JsonPathEvalError when evaluation fails.
 */
export function findJsonPathResults(obj: unknown, path: string): unknown[][] {
  return evalTemplate(compile(path), obj).map((group) => group.map(plain));
}

/**
 * Every value `path` selects in `obj`, in order. `.spec.size` and `{.spec.size}` are both accepted.
 * Throws JsonPathSyntaxError on a syntax error; a failed evaluation (index out of range, filtering
 * a non-array) selects nothing, as it does for a printer column.
 */
export function evaluateJsonPath(obj: unknown, path: string): unknown[] {
  try {
    return findJsonPathResults(obj, path).flat();
  } catch (error) {
    if (error instanceof JsonPathEvalError) return [];
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Printing (client-go PrintResults for one value)
// ---------------------------------------------------------------------------------------------

/** Go's encoding/json: sorted map keys and HTML-safe escapes. */
export function goJsonMarshal(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string")
    return JSON.stringify(value)
      .replaceAll("<", "\\u003c")
      .replaceAll(">", "\\u003e")
      .replaceAll("&", "\\u0026")
      .replaceAll("\u2028", "\\u2028")
      .replaceAll("\u2029", "\\u2029");
  if (typeof value === "number" || typeof value === "boolean") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(goJsonMarshal).join(",")}]`;
  if (isMap(value)) {
    const entries = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort()
      .map((key) => `${goJsonMarshal(key)}:${goJsonMarshal(value[key])}`);
    return `{${entries.join(",")}}`;
  }
  return "null";
}

/** fmt.Print of a float64 (%g, shortest digits): exponent form below 1e-4 and from 1e6. */
function goFloat(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : value < 0 ? "-Inf" : "NaN";
  const [mantissa, exponentText] = value.toExponential().split("e");
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? "-" : "+";
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  return String(value);
}

/** How `kubectl get -o jsonpath` and a "string" printer column print one selected value. */
export function formatJsonPathValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return isGoInteger(value) ? BigInt(value).toString() : goFloat(value);
  return goJsonMarshal(value);
}
