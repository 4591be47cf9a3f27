// The DER of one PKCS#10 request, written and read without a general ASN.1 framework
// (docs/protocol.md §4.2; docs/performance.md: the framework cost the join more than the rest of
// the request). Writing: definite lengths, minimal encodings, as DER requires. Reading: strict
// DER of the shapes a request has; anything else throws.

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 255);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One tag-length-value. */
export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

export const TAG = { integer: 0x02, bitString: 0x03, oid: 0x06, utf8: 0x0c, printable: 0x13, teletex: 0x14, ia5: 0x16, bmp: 0x1e, sequence: 0x30, set: 0x31 };

/** An OBJECT IDENTIFIER from its dotted form. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [];
  [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)].forEach((arc) => {
    const groups = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v & 0x7f) | 0x80);
    out.push(...groups);
  });
  return tlv(TAG.oid, Buffer.from(out));
}

export function oidText(content: Buffer): string {
  const arcs: number[] = [];
  let v = 0;
  content.forEach((b, i) => {
    if (v === 0 && b === 0x80) throw new Error('non-minimal OID arc');
    v = v * 128 + (b & 0x7f);
    if (b & 0x80) {
      if (i === content.length - 1) throw new Error('truncated OID');
      return;
    }
    if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
    else arcs.push(v);
    v = 0;
  });
  if (arcs.length === 0) throw new Error('empty OID');
  return arcs.join('.');
}

export interface Element {
  tag: number;
  /** The whole element, header included. */
  raw: Buffer;
  content: Buffer;
}

/** The element at `pos` of `buf` (strict DER lengths, inside `buf`). */
export function element(buf: Buffer, pos = 0): Element {
  if (pos + 2 > buf.length) throw new Error('truncated DER');
  const tag = buf[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new Error('multi-byte DER tags are not used here');
  let len = buf[pos + 1]!;
  let header = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || pos + 2 + n > buf.length) throw new Error('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + 2 + i]!;
    if (len < 0x80 || buf[pos + 2] === 0) throw new Error('non-minimal DER length');
    header += n;
  }
  const end = pos + header + len;
  if (end > buf.length) throw new Error('truncated DER');
  return { tag, raw: buf.subarray(pos, end), content: buf.subarray(pos + header, end) };
}

/** The elements of a constructed element's content, which they must fill exactly. */
export function children(content: Buffer): Element[] {
  const out: Element[] = [];
  for (let pos = 0; pos < content.length;) {
    const e = element(content, pos);
    out.push(e);
    pos += e.raw.length;
  }
  return out;
}

/** The element, checked to carry `tag`. */
export function expect(e: Element | undefined, tag: number, what: string): Element {
  if (!e || e.tag !== tag) throw new Error(`${what}: expected tag 0x${tag.toString(16)}`);
  return e;
}

/** A directory string's text (the string types a certificate subject uses). */
export function directoryString(e: Element): string {
  if (e.tag === TAG.utf8) return e.content.toString('utf8');
  if (e.tag === TAG.printable || e.tag === TAG.ia5 || e.tag === TAG.teletex) return e.content.toString('latin1');
  if (e.tag === TAG.bmp && e.content.length % 2 === 0) return Buffer.from(e.content).swap16().toString('utf16le');
  throw new Error(`unsupported string type 0x${e.tag.toString(16)}`);
}
