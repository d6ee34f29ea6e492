// The CEL environment Kubernetes gives its expressions: the standard library, cel-go's strings extension
// (from @bufbuild/cel/ext) and Kubernetes' lists, regex, quantity and url libraries.
import { celEnv, parse, plan, isCelError, type CelEnv, type CelResult } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { listFunctions, regexFunctions } from "./lists.ts";
import { opaqueRegistry } from "./opaque.ts";
import { optionalFunctions } from "./optional.ts";
import { quantityFunctions } from "./quantity.ts";
import { urlFunctions } from "./url.ts";

export const kubernetesEnv: CelEnv = celEnv({
  funcs: [...strings, ...listFunctions, ...regexFunctions, ...quantityFunctions, ...urlFunctions, ...optionalFunctions],
  registry: opaqueRegistry,
});

type ParsedExpr = ReturnType<typeof parse>;
type Expr = ParsedExpr["expr"];

export type Bindings = Record<string, unknown>;
export type Program = (bindings: Bindings) => CelResult;

/** One cel-go style issue: `ERROR: <input>:line:col: message` with the source line and a caret. */
export interface CompileIssue {
  offset: number;
  message: string;
}

export class CompileError extends Error {
  constructor(readonly expression: string, readonly issues: CompileIssue[]) {
    super(issues.map((issue) => formatIssue(expression, issue)).join("\n"));
  }
}

function formatIssue(expression: string, issue: CompileIssue): string {
  const before = expression.slice(0, issue.offset);
  const line = before.split("\n").length;
  const lineStart = before.lastIndexOf("\n") + 1;
  const column = issue.offset - lineStart;
  const sourceLine = expression.split("\n")[line - 1] ?? "";
  return `ERROR: <input>:${line}:${column + 1}: ${issue.message}\n | ${sourceLine}\n | ${".".repeat(column)}^`;
}

/** The parser's own message ("<input>:1:3: found + but expecting …") as a cel-go syntax error. */
function syntaxIssue(expression: string, error: unknown): CompileIssue {
  const text = error instanceof Error ? error.message : String(error);
  const m = /^<input>:(\d+):(\d+): (.*)$/s.exec(text);
  if (!m) return { offset: 0, message: `Syntax error: ${text}` };
  const lines = expression.split("\n");
  const offset = lines.slice(0, Number(m[1]) - 1).reduce((n, l) => n + l.length + 1, 0) + Number(m[2]) - 1;
  return { offset, message: `Syntax error: ${m[3]}` };
}

/** What the static checks know about a variable: its schema-like shape, or undefined for dyn. */
export interface Shape {
  /** Field names an object value has; undefined when any field may be selected. */
  fields?: Map<string, Shape | undefined>;
  /** Element shape of a list. */
  element?: Shape;
  /** Value shape of a map. */
  value?: Shape;
  /** CEL type name of a scalar (no field selection). */
  scalar?: string;
}

const KNOWN_IDENTS = new Set(["int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type", "dyn", "strings", "math", "google", "optional"]);

export interface Parsed {
  parsed: ParsedExpr;
  /** Variables the expression reads (outside comprehensions). */
  references: Set<string>;
}

/**
 * Parses and checks an expression: undeclared functions and variables, and fields selected from a variable
 * whose shape is known, are compile errors as in cel-go's type checker.
 */
export function check(expression: string, variables: Map<string, Shape | undefined>): Parsed {
  let parsed: Parsed["parsed"];
  try {
    parsed = parse(expression);
  } catch (e) {
    throw new CompileError(expression, [syntaxIssue(expression, e)]);
  }
  const positions = parsed.sourceInfo?.positions ?? {};
  const issues: CompileIssue[] = [];
  const references = new Set<string>();
  const at = (e: Expr) => Number((positions as Record<string, number>)[String(e.id)] ?? 0);
  const scopes: Map<string, Shape | undefined>[] = [variables];
  const lookup = (name: string): [boolean, Shape | undefined] => {
    for (let i = scopes.length - 1; i >= 0; i--) if (scopes[i]!.has(name)) return [true, scopes[i]!.get(name)];
    return [false, undefined];
  };

  const walk = (e: Expr | undefined): Shape | undefined => {
    if (!e) return undefined;
    const kind = e.exprKind;
    switch (kind.case) {
      case "identExpr": {
        const [found, shape] = lookup(kind.value.name);
        if (scopes.length === 1 || !scopes.slice(1).some((s) => s.has(kind.value.name))) {
          if (variables.has(kind.value.name)) references.add(kind.value.name);
        }
        if (!found && !KNOWN_IDENTS.has(kind.value.name)) issues.push({ offset: at(e), message: `undeclared reference to '${kind.value.name}' (in container '')` });
        return shape;
      }
      case "selectExpr": {
        const operand = walk(kind.value.operand);
        const field = kind.value.field;
        if (operand?.scalar) {
          issues.push({ offset: at(e), message: `type '${operand.scalar}' does not support field selection` });
          return undefined;
        }
        if (operand?.fields) {
          if (!operand.fields.has(field)) {
            issues.push({ offset: at(e), message: `undefined field '${field}'` });
            return undefined;
          }
          return operand.fields.get(field);
        }
        return operand?.value;
      }
      case "callExpr": {
        const call = kind.value;
        walk(call.target);
        const args = call.args.map(walk);
        if (call.function === "_[_]") return args[0]?.element ?? args[0]?.value;
        if (!call.function.startsWith("_") && !call.function.startsWith("!_") && !call.function.startsWith("@")) {
          const name = call.target?.exprKind.case === "identExpr" && !lookup(call.target.exprKind.value.name)[0]
            ? `${call.target.exprKind.value.name}.${call.function}`
            : call.function;
          if (!kubernetesEnv.funcs.find(name) && !kubernetesEnv.funcs.find(call.function)) {
            issues.push({ offset: at(e), message: `undeclared reference to '${name}' (in container '')` });
          }
        }
        return undefined;
      }
      case "listExpr":
        kind.value.elements.forEach(walk);
        return undefined;
      case "structExpr":
        kind.value.entries.forEach((entry) => {
          if (entry.keyKind.case === "mapKey") walk(entry.keyKind.value);
          walk(entry.value);
        });
        return undefined;
      case "comprehensionExpr": {
        const c = kind.value;
        const range = walk(c.iterRange);
        walk(c.accuInit);
        const element = range?.element;
        scopes.push(new Map<string, Shape | undefined>([[c.iterVar, element], [c.accuVar, undefined], ...(c.iterVar2 ? [[c.iterVar2, undefined] as [string, undefined]] : [])]));
        walk(c.loopCondition);
        walk(c.loopStep);
        walk(c.result);
        scopes.pop();
        return undefined;
      }
      default:
        return undefined;
    }
  };
  walk(parsed.expr);
  if (issues.length) throw new CompileError(expression, issues);
  return { parsed, references };
}

const NOT_BOOL_FUNCTIONS = new Set([
  "_+_", "_-_", "_*_", "_/_", "_%_", "-_", "size", "string", "int", "uint", "double", "bytes", "timestamp", "duration",
  "lowerAscii", "upperAscii", "trim", "replace", "substring", "split", "join", "charAt", "indexOf", "lastIndexOf",
  "format", "find", "findAll", "quantity", "url", "sum", "min", "max",
]);

/** Whether an expression's result is certainly not a bool (what cel-go's checker would see at once). */
export function certainlyNotBool(parsed: ParsedExpr): boolean {
  const kind = parsed.expr.exprKind;
  switch (kind.case) {
    case "constExpr":
      return kind.value.constantKind.case !== "boolValue";
    case "listExpr":
    case "structExpr":
      return true;
    case "callExpr":
      return NOT_BOOL_FUNCTIONS.has(kind.value.function);
    default:
      return false;
  }
}

const programs = new Map<string, Program>();

/** A runnable program for a checked expression (planned once per distinct expression text). */
export function program(expression: string, parsed: Parsed["parsed"]): Program {
  let p = programs.get(expression);
  if (!p) {
    p = plan(kubernetesEnv, parsed) as Program;
    programs.set(expression, p);
  }
  return p;
}

export { isCelError };

/** A runtime error in cel-go's words (what kube-apiserver's messages are built from). */
export function runtimeErrorText(message: string): string {
  const missing = /^field not found: (.*)$/.exec(message);
  if (missing) return `no such key: ${missing[1]}`;
  if (message.startsWith("found no matching overload")) return "no such overload";
  return message;
}

/** Checks and runs an expression once (tests, one-off expressions); bindings are CEL inputs. */
export function evaluate(expression: string, bindings: Bindings = {}): CelResult {
  const variables = new Map<string, Shape | undefined>(Object.keys(bindings).map((k) => [k, undefined]));
  return program(expression, check(expression, variables).parsed)(bindings);
}
