// The YAML a kubeconfig is written in, and nothing more (docs/protocol.md §3.7): block
// mappings and sequences (both sequence indentations: client-go's and the `yaml` package's),
// plain, 'single' and "double" quoted one-line scalars, `{}` and `[]`, comments, and JSON.
// Everything else (anchors, tags, block or multi-line scalars, flow collections with content,
// tabs, duplicate keys, several documents) is refused, never read another way: whatever this
// reader accepts, a full YAML 1.2 parser reads the same (test/unit/fuzz/yaml-subset.test.ts).
// It exists so that the join path reads cluster-info without loading a general YAML parser.
// Errors name the line and the construct, never the text (it may hold a token).

export class YamlSubsetError extends Error {
  constructor(line: number, what: string) {
    super(line > 0 ? `line ${line}: ${what}` : what);
    this.name = 'YamlSubsetError';
  }
}

interface Line {
  no: number;
  indent: number;
  text: string;
}

export type YamlValue = null | boolean | number | string | YamlValue[] | { [key: string]: YamlValue };

/** Reads `text` (the subset above); throws YamlSubsetError for anything outside it. */
export function readYamlSubset(text: string): YamlValue {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (/^[ \n\r]*[[{]/.test(body)) return readJson(body);
  const lines = meaningfulLines(body);
  if (lines.length === 0) return null;
  const [value, next] = block(lines, 0, lines[0]!.indent);
  if (next < lines.length) throw new YamlSubsetError(lines[next]!.no, 'unexpected indentation');
  return value;
}

function readJson(body: string): YamlValue {
  // JSON is YAML; duplicate keys (which YAML refuses and JSON.parse would merge) are refused.
  if (/[\t\r]/.test(body)) throw new YamlSubsetError(0, 'a tab or carriage return in JSON text');
  try {
    return JSON.parse(body, (_key, value: unknown) => {
      if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, '__proto__'))
        throw new YamlSubsetError(0, 'a "__proto__" key');
      return value;
    }) as YamlValue;
  } catch (err) {
    if (err instanceof YamlSubsetError) throw err;
    throw new YamlSubsetError(0, 'not valid JSON');
  }
}

function meaningfulLines(body: string): Line[] {
  const out: Line[] = [];
  if (/\r(?!\n)/.test(body)) throw new YamlSubsetError(0, 'a carriage return without a line feed');
  const raw = body.split('\n');
  raw.forEach((full, i) => {
    const no = i + 1;
    const line = full.endsWith('\r') ? full.slice(0, -1) : full;
    // C0 controls, DEL, C1 controls, and the line/paragraph separators YAML 1.1 breaks on.
    if (/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(line)) throw new YamlSubsetError(no, 'a control character');
    if (line.includes('\t')) throw new YamlSubsetError(no, 'a tab');
    const text = line.replace(/^ +/, '');
    if (text === '' || text.startsWith('#')) return;
    if (text === '---' && out.length === 0 && line === '---') return;
    if (/^(?:---|\.\.\.)(?: |$)/.test(text) || text.startsWith('%')) throw new YamlSubsetError(no, 'a document marker or directive');
    out.push({ no, indent: line.length - text.length, text: text.replace(/ +$/, '') });
  });
  return out;
}

const isSeqItem = (text: string): boolean => text === '-' || text.startsWith('- ');
const PLAIN_KEY = /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/;

/** A mapping or a sequence whose entries start at `indent`. */
function block(lines: Line[], i: number, indent: number): [YamlValue, number] {
  return isSeqItem(lines[i]!.text) ? sequence(lines, i, indent) : mapping(lines, i, indent);
}

function sequence(lines: Line[], start: number, indent: number): [YamlValue[], number] {
  const out: YamlValue[] = [];
  let i = start;
  while (i < lines.length && lines[i]!.indent === indent && isSeqItem(lines[i]!.text)) {
    const line = lines[i]!;
    const rest = line.text.slice(1).replace(/^ +/, '');
    if (rest === '' || rest.startsWith('#')) {
      const [value, next] = nested(lines, i + 1, indent);
      out.push(value);
      i = next;
    } else if (isSeqItem(rest) || keyOf(rest, line.no) !== undefined) {
      // "- key: value" (or "- - x"): a collection whose first entry is on this line.
      const inner = line.indent + (line.text.length - rest.length);
      const copy = [...lines];
      copy[i] = { no: line.no, indent: inner, text: rest };
      const [value, next] = block(copy, i, inner);
      out.push(value);
      i = next;
    } else {
      out.push(scalar(rest, line.no));
      i = endOfScalar(lines, i + 1, indent);
    }
  }
  return [out, i];
}

function mapping(lines: Line[], start: number, indent: number): [{ [key: string]: YamlValue }, number] {
  const out: { [key: string]: YamlValue } = {};
  let i = start;
  while (i < lines.length && lines[i]!.indent === indent && !isSeqItem(lines[i]!.text)) {
    const line = lines[i]!;
    const entry = keyOf(line.text, line.no);
    if (entry === undefined) throw new YamlSubsetError(line.no, 'expected "key: value"');
    const [key, rest] = entry;
    if (Object.hasOwn(out, key)) throw new YamlSubsetError(line.no, 'a duplicate key');
    if (key === '__proto__') throw new YamlSubsetError(line.no, 'a "__proto__" key');
    if (rest === '' || rest.startsWith('#')) {
      // The value is the block below: more indented, or a sequence at this indentation.
      const below = lines[i + 1];
      if (below && below.indent === indent && isSeqItem(below.text)) {
        const [value, next] = sequence(lines, i + 1, indent);
        out[key] = value;
        i = next;
      } else {
        const [value, next] = nested(lines, i + 1, indent);
        out[key] = value;
        i = next;
      }
    } else {
      out[key] = scalar(rest, line.no);
      i = endOfScalar(lines, i + 1, indent);
    }
  }
  if (i < lines.length && lines[i]!.indent > indent) throw new YamlSubsetError(lines[i]!.no, 'unexpected indentation');
  return [out, i];
}

/** The block more indented than `indent` starting at line i, or null when there is none. */
function nested(lines: Line[], i: number, indent: number): [YamlValue, number] {
  const below = lines[i];
  if (!below || below.indent <= indent) return [null, i];
  return block(lines, i, below.indent);
}

/** A scalar ends its line: a more indented line after it would continue it (multi-line: refused). */
function endOfScalar(lines: Line[], i: number, indent: number): number {
  const next = lines[i];
  if (next && next.indent > indent) throw new YamlSubsetError(next.no, 'a multi-line value or unexpected indentation');
  return i;
}

/** `key: rest` split at the mapping colon, or undefined when the text is no mapping entry. */
function keyOf(text: string, no: number): [string, string] | undefined {
  if (text.startsWith('"')) {
    const end = quotedEnd(text, no);
    if (!/^:(?: |$)/.test(text.slice(end))) return undefined;
    return [scalarString(text.slice(0, end), no), text.slice(end + 1).replace(/^ +/, '')];
  }
  const m = /^([^ :#'"][^ :]*):(?: +|$)/.exec(text);
  if (!m) return undefined;
  // A key YAML would read as null, a boolean or a number (and then turn into other text) is refused.
  if (!PLAIN_KEY.test(m[1]!) || typeof resolvePlain(m[1]!) !== 'string') throw new YamlSubsetError(no, 'a key that is not plain text');
  return [m[1]!, text.slice(m[0].length)];
}

/** Index just after the closing quote of the double-quoted scalar at the start of `text`. */
function quotedEnd(text: string, no: number): number {
  for (let i = 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  throw new YamlSubsetError(no, 'an unterminated or multi-line quoted value');
}

function scalarString(quoted: string, no: number): string {
  try {
    // JSON's escapes are a subset of YAML's; YAML-only escapes (\x, \e, \N, …) are refused.
    return JSON.parse(quoted) as string;
  } catch {
    throw new YamlSubsetError(no, "a double-quoted value with an escape outside JSON's");
  }
}

/** After a quoted or flow value: nothing, or a comment. */
function trailing(after: string, no: number): void {
  if (after !== '' && !/^ +#/.test(after)) throw new YamlSubsetError(no, 'text after a quoted value');
}

function scalar(text: string, no: number): YamlValue {
  if (text.startsWith('"')) {
    const end = quotedEnd(text, no);
    trailing(text.slice(end), no);
    return scalarString(text.slice(0, end), no);
  }
  if (text.startsWith("'")) {
    const m = /^'((?:[^']|'')*)'/.exec(text);
    if (!m) throw new YamlSubsetError(no, 'an unterminated or multi-line quoted value');
    trailing(text.slice(m[0].length), no);
    return m[1]!.replace(/''/g, "'");
  }
  const flow = /^(\{\}|\[\])(.*)$/.exec(text);
  if (flow) {
    trailing(flow[2]!, no);
    return flow[1] === '{}' ? {} : [];
  }
  const comment = text.search(/ #/);
  const plain = (comment >= 0 ? text.slice(0, comment) : text).replace(/ +$/, '');
  if (/^[[\]{},&*!|>%@`#]/.test(plain) || /^[?:-](?: |$)/.test(plain))
    throw new YamlSubsetError(no, 'a YAML construct outside plain values (flow, anchor, tag, block scalar)');
  if (/:(?: |$)/.test(plain)) throw new YamlSubsetError(no, 'a nested mapping on one line');
  return resolvePlain(plain);
}

/** YAML 1.2's core schema, as a full parser resolves a plain scalar. */
function resolvePlain(s: string): YamlValue {
  if (/^(?:~|null|Null|NULL)$/.test(s)) return null;
  if (/^(?:true|True|TRUE)$/.test(s)) return true;
  if (/^(?:false|False|FALSE)$/.test(s)) return false;
  if (/^0o[0-7]+$/.test(s)) return parseInt(s.slice(2), 8);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^[-+]?[0-9]+$/.test(s)) return Number(s);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(s)) return Number(s);
  if (/^[-+]?\.(?:inf|Inf|INF)$/.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^\.(?:nan|NaN|NAN)$/.test(s)) return NaN;
  return s;
}
