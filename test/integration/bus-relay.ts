// A relay between D-Bus clients and a real session bus that records, per client connection,
// the method calls it sent (member and serial), the replies it got and when it hung up: for the
// tests that hold `kubejoin credential`'s Secret Service reader to one call at a time and no call
// in flight when it leaves (docs/stores.md §2). Messages are split by the reader's own dbus-wire.ts.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { messages, type Message } from '../../agent/store/dbus-wire.js';
import { workdir } from '../helpers/temp.js';

export type Event = { kind: 'call'; serial: number; member: string } | { kind: 'reply'; to: number } | { kind: 'hangup' };

/** Each direction: the text of the authentication first (until `marker`), then messages. */
function watch(from: Socket, to: Socket, marker: string, onMessage: (m: Message) => void): void {
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
    const { found, used } = messages(pending);
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
      if (m.type === 1) log.push({ kind: 'call', serial: m.serial, member: (m.fields.get(3) as string | undefined) ?? '?' });
    });
    watch(bus, client, 'OK ', (m) => {
      const to = m.fields.get(5);
      if ((m.type === 2 || m.type === 3) && typeof to === 'number') log.push({ kind: 'reply', to });
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
