/**
 * The part of the Cloud Logging query language the monitoring assets use, evaluated against log entries: comparisons
 * `path="value"`, `path=value`, `path>=VALUE` (severities and numbers), `path:*` (has the field), joined by AND / OR /
 * NOT with parentheses. Anything else is a parse error, so an asset cannot silently use syntax nothing checks.
 */

export type LogEntry = { severity: string; resource: { type: string }; jsonPayload: Record<string, unknown> };
type Node =
  | { kind: "and" | "or"; parts: Node[] }
  | { kind: "not"; part: Node }
  | { kind: "cmp"; path: string; op: "=" | ">=" | "<=" | ">" | "<" | "!=" | ":"; value: string };

const SEVERITIES = ["DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY"];

function tokenize(filter: string): string[] {
  const tokens: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|\(|\)|>=|<=|!=|[=<>:]|\*|[A-Za-z_][\w.]*|-?\d+(?:\.\d+)?)/y;
  let at = 0;
  while (at < filter.length) {
    if (/^\s*$/.test(filter.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(filter);
    if (!m) throw new Error(`cannot parse filter at "${filter.slice(at, at + 20)}"`);
    tokens.push(m[1]);
    at = re.lastIndex;
  }
  return tokens;
}

export function parseFilter(filter: string): Node {
  const tokens = tokenize(filter);
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const expect = (t: string) => {
    if (next() !== t) throw new Error(`expected ${t} in filter ${filter}`);
  };
  const orExpr = (): Node => {
    const parts = [andExpr()];
    while (peek() === "OR") {
      next();
      parts.push(andExpr());
    }
    return parts.length === 1 ? parts[0] : { kind: "or", parts };
  };
  const andExpr = (): Node => {
    const parts = [term()];
    while (peek() !== undefined && peek() !== ")" && peek() !== "OR") {
      if (peek() === "AND") next();
      parts.push(term());
    }
    return parts.length === 1 ? parts[0] : { kind: "and", parts };
  };
  const term = (): Node => {
    if (peek() === "NOT") {
      next();
      return { kind: "not", part: term() };
    }
    if (peek() === "(") {
      next();
      const inner = orExpr();
      expect(")");
      return inner;
    }
    const path = next();
    if (!path || !/^[A-Za-z_][\w.]*$/.test(path)) throw new Error(`expected a field in filter ${filter}`);
    const op = next() as Extract<Node, { kind: "cmp" }>["op"];
    if (!["=", ">=", "<=", ">", "<", "!=", ":"].includes(op)) throw new Error(`unknown operator ${op} in ${filter}`);
    let value = next();
    if (value === undefined) throw new Error(`missing value in filter ${filter}`);
    if (value.startsWith('"')) value = JSON.parse(value) as string;
    if (op === ":" && value !== "*") throw new Error(`only field:* is supported, in ${filter}`);
    return { kind: "cmp", path, op, value };
  };
  const tree = orExpr();
  if (i !== tokens.length) throw new Error(`unexpected "${tokens[i]}" in filter ${filter}`);
  return tree;
}

export function fieldOf(entry: LogEntry, path: string): unknown {
  return path.split(".").reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], entry);
}

export function matches(node: Node, entry: LogEntry): boolean {
  switch (node.kind) {
    case "and":
      return node.parts.every((p) => matches(p, entry));
    case "or":
      return node.parts.some((p) => matches(p, entry));
    case "not":
      return !matches(node.part, entry);
    case "cmp": {
      const actual = fieldOf(entry, node.path);
      if (node.op === ":") return actual !== undefined && actual !== null;
      if (actual === undefined || actual === null) return node.op === "!=";
      const text = typeof actual === "string" ? actual : JSON.stringify(actual);
      if (node.path === "severity") {
        const [a, b] = [SEVERITIES.indexOf(text), SEVERITIES.indexOf(node.value)];
        return compare(a, b, node.op);
      }
      if (typeof actual === "number") return compare(actual, Number(node.value), node.op);
      return compare(text, node.value, node.op);
    }
  }
}

function compare<T extends number | string>(a: T, b: T, op: string): boolean {
  switch (op) {
    case "=":
      return a === b;
    case "!=":
      return a !== b;
    case ">=":
      return a >= b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    default:
      return a < b;
  }
}
