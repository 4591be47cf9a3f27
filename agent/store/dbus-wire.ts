// The D-Bus wire format (little endian), only what secret-service.ts's calls need: method
// calls out, method returns and errors in (the D-Bus specification, "Message Protocol").

export class Writer {
  bytes: number[] = [];
  align(n: number): void {
    while (this.bytes.length % n) this.bytes.push(0);
  }
  y(v: number): void {
    this.bytes.push(v);
  }
  u(v: number, at?: number): void {
    const b = [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24];
    if (at !== undefined) {
      this.bytes.splice(at, 4, ...b);
      return;
    }
    this.align(4);
    this.bytes.push(...b);
  }
  s(v: string): void {
    const b = Buffer.from(v);
    this.u(b.length);
    this.bytes.push(...b, 0);
  }
  g(v: string): void {
    this.bytes.push(v.length, ...Buffer.from(v), 0);
  }
  array(elementAlign: number, body: () => void): void {
    this.u(0);
    const at = this.bytes.length - 4;
    this.align(elementAlign);
    const start = this.bytes.length;
    body();
    this.u(this.bytes.length - start, at);
  }
}

export type Value = number | string | Buffer | Value[] | Map<unknown, Value>;

class Reader {
  constructor(
    private readonly buf: Buffer,
    public pos = 0,
  ) {}
  private align(n: number): void {
    this.pos = Math.ceil(this.pos / n) * n;
  }
  read(sig: string): Value[] {
    const out: Value[] = [];
    for (let i = 0; i < sig.length;) {
      const end = typeEnd(sig, i);
      out.push(this.one(sig.slice(i, end)));
      i = end;
    }
    return out;
  }
  private one(t: string): Value {
    const c = t[0];
    if (c === 'y') return this.buf[this.pos++]!;
    if (c === 'u' || c === 'b' || c === 'i') {
      this.align(4);
      const v = this.buf.readUInt32LE(this.pos);
      this.pos += 4;
      return v;
    }
    if (c === 's' || c === 'o') {
      const n = this.one('u') as number;
      const v = this.buf.toString('utf8', this.pos, this.pos + n);
      this.pos += n + 1;
      return v;
    }
    if (c === 'g') {
      const n = this.buf[this.pos++]!;
      const v = this.buf.toString('latin1', this.pos, this.pos + n);
      this.pos += n + 1;
      return v;
    }
    if (c === 'v') return this.one(this.one('g') as string);
    if (c === '(' || c === '{') {
      this.align(8);
      return this.read(t.slice(1, -1));
    }
    if (c === 'a') {
      const n = this.one('u') as number;
      const inner = t.slice(1);
      this.align(inner[0] === '(' || inner[0] === '{' ? 8 : 'ygv'.includes(inner[0]!) ? 1 : 4);
      const end = this.pos + n;
      if (inner === 'y') return ((this.pos = end), this.buf.subarray(end - n, end));
      const items: Value[] = [];
      while (this.pos < end) items.push(this.one(inner));
      return inner[0] === '{' ? new Map(items.map((e) => [(e as Value[])[0], (e as Value[])[1]!])) : items;
    }
    throw new Error(`unsupported D-Bus type ${t}`);
  }
}

function typeEnd(sig: string, i: number): number {
  if (sig[i] === 'a') return typeEnd(sig, i + 1);
  if (sig[i] !== '(' && sig[i] !== '{') return i + 1;
  let depth = 0;
  for (let j = i; j < sig.length; j++) {
    if (sig[j] === '(' || sig[j] === '{') depth++;
    else if (sig[j] === ')' || sig[j] === '}') depth--;
    if (depth === 0) return j + 1;
  }
  throw new Error('bad D-Bus signature');
}

export interface Call {
  dest: string;
  path: string;
  iface: string;
  member: string;
  sig?: string;
  body?: (w: Writer) => void;
}

export function message(serial: number, call: Call): Buffer {
  const w = new Writer();
  w.bytes.push('l'.charCodeAt(0), 1, 0, 1);
  w.u(0); // body length, set below
  w.u(serial);
  const field = (code: number, type: string, write: () => void): void => {
    w.align(8);
    w.y(code);
    w.g(type);
    write();
  };
  w.array(8, () => {
    field(1, 'o', () => w.s(call.path));
    field(2, 's', () => w.s(call.iface));
    field(3, 's', () => w.s(call.member));
    field(6, 's', () => w.s(call.dest));
    if (call.sig) field(8, 'g', () => w.g(call.sig!));
  });
  w.align(8);
  const headerEnd = w.bytes.length;
  call.body?.(w);
  w.u(w.bytes.length - headerEnd, 4);
  return Buffer.from(w.bytes);
}

/** A whole message: its type (1 call, 2 return, 3 error, 4 signal), serial, header fields by code, and body. */
export interface Message {
  type: number;
  serial: number;
  fields: Map<number, Value>;
  body: () => Value[];
}

/** Whole messages at the start of `buf`, and how many bytes they took. */
export function messages(buf: Buffer): { found: Message[]; used: number } {
  const found: Message[] = [];
  let at = 0;
  while (buf.length - at >= 16) {
    if (buf[at] !== 'l'.charCodeAt(0)) throw new Error('big-endian D-Bus messages are not read here');
    const bodyLen = buf.readUInt32LE(at + 4);
    const fieldsLen = buf.readUInt32LE(at + 12);
    const bodyStart = at + Math.ceil((16 + fieldsLen) / 8) * 8;
    if (buf.length < bodyStart + bodyLen) break;
    const msg = buf.subarray(at, bodyStart + bodyLen);
    const fields = new Map((new Reader(msg, 12).read('a(yv)')[0] as Value[][]).map(([code, value]) => [code as number, value!]));
    const sig = (fields.get(8) as string | undefined) ?? '';
    const bodyAt = bodyStart - at;
    found.push({ type: msg[1]!, serial: msg.readUInt32LE(8), fields, body: () => new Reader(msg, bodyAt).read(sig) });
    at = bodyStart + bodyLen;
  }
  return { found, used: at };
}

/** A reply: its serial, whether it is an error, and its body values. */
export interface Reply {
  to: number;
  error: boolean;
  values: Value[];
}

/** The replies among the whole messages at the start of `buf`, and how many bytes those took. */
export function replies(buf: Buffer): { found: Reply[]; used: number } {
  const { found, used } = messages(buf);
  return {
    found: found
      .filter((m) => (m.type === 2 || m.type === 3) && typeof m.fields.get(5) === 'number')
      .map((m) => ({ to: m.fields.get(5) as number, error: m.type === 3, values: m.body() })),
    used,
  };
}
