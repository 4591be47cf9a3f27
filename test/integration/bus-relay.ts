// A relay between D-Bus clients and a real session bus that records, per client connection,
// the method calls it sent (member and serial), the replies it got and when it hung up: for the
// tests that hold `kubejoin credential`'s Secret Service reader to one call at a time and no call
// in flight when it leaves (docs/stores.md §2). Little-endian messages only, as the reader sends.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { workdir } from '../helpers/temp.js';

export type Event = { kind: 'call'; serial: number; member: string } | { kind: 'reply'; to: number } | { kind: 'hangup' };

/** Whole messages at the start of `buf`: their type, serial and header fields 3 (member) and 5 (reply serial). */
function frames(buf: Buffer): { found: { type: number; serial: number; member?: string; replyTo?: number }[]; used: number } {
  const found = [];
  let at = 0;
  while (buf.length - at >= 16) {
    const fieldsLen = buf.readUInt32LE(at + 12);
    const end = at + Math.ceil((16 + fieldsLen) / 8) * 8 + buf.readUInt32LE(at + 4);
    if (buf.length < end) break;
    const msg: { type: number; serial: number; member?: string; replyTo?: number } = { type: buf[at + 1]!, serial: buf.readUInt32LE(at + 8) };
    for (let p = at + 16; p < at + 16 + fieldsLen;) {
      p = at + Math.ceil((p - at) / 8) * 8;
      const code = buf[p]!;
      const sig = String.fromCharCode(buf[p + 2]!);
      p += 4; // code, signature length 1, the type, its nul
      if (sig === 'u') {
        if (code === 5) msg.replyTo = buf.readUInt32LE(p);
        p += 4;
      } else if (sig === 'g') {
        p += buf[p]! + 2;
      } else {
        const len = buf.readUInt32LE(p);
        if (code === 3) msg.member = buf.toString('utf8', p + 4, p + 4 + len);
        p += 4 + len + 1;
      }
    }
    found.push(msg);
    at = end;
  }
  return { found, used: at };
}

/** Each direction: the text of the authentication first (until `marker`), then messages. */
function watch(from: Socket, to: Socket, marker: string, onMessage: (m: ReturnType<typeof frames>['found'][number]) => void): void {
  let pending = Buffer.alloc(0);
  let binary = false;
  from.on('data', (chunk: Buffer) => {
    to.write(chunk);
    pending = Buffer.concat([pending, chunk]);
    if (!binary) {
      const at = pending.indexOf(marker);
      if (at < 0) return;
      binary = true;
      pending = pending.subarray(pending.indexOf('\r\n', at) + 2);
    }
    const { found, used } = frames(pending);
    pending = pending.subarray(used);
    found.forEach(onMessage);
  });
}

export interface BusRelay {
  /** The D-Bus address to give the client. */
  address: string;
  /** What each client connection did, in order of connection. */
  connections: Event[][];
}

export async function busRelay(t: TestContext, busPath: string): Promise<BusRelay> {
  const path = join(await workdir(t), 'bus');
  const connections: Event[][] = [];
  const server: Server = createServer((client) => {
    const log: Event[] = [];
    connections.push(log);
    const bus = connect(busPath);
    watch(client, bus, 'BEGIN\r\n', (m) => {
      if (m.type === 1) log.push({ kind: 'call', serial: m.serial, member: m.member ?? '?' });
    });
    watch(bus, client, 'OK ', (m) => {
      if ((m.type === 2 || m.type === 3) && m.replyTo !== undefined) log.push({ kind: 'reply', to: m.replyTo });
    });
    client.on('close', () => (log.push({ kind: 'hangup' }), bus.destroy()));
    bus.on('close', () => client.destroy());
    client.on('error', () => bus.destroy());
    bus.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { address: `unix:path=${path}`, connections };
}
