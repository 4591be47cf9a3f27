// A counting TCP front between the joining clients and the apiserver: every joining client's
// connection goes through it (the bench gives the clients its address, and cluster-info names
// it as the server), the controllers and the admin talk to the apiserver directly. TLS stays
// end to end (the front only copies bytes); it reads the ClientHello and the ServerHello, which
// are plaintext, to tell a full handshake from a resumed one:
//   TLS 1.3: the ServerHello carries pre_shared_key (extension 41) when the server accepted
//            a session ticket (RFC 8446 §4.2.11);
//   TLS 1.2: the server echoes the client's non-empty session id (RFC 5246 §7.4.1.3).
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface Connection {
  /** Accepted at (ms since the epoch), to match the join windows like the audit log. */
  at: number;
  /** The server answered with a ServerHello (a handshake happened). */
  handshake: boolean;
  /** The server resumed a session (no certificate, no key exchange of a full handshake). */
  resumed: boolean;
  /** The client offered a session to resume. */
  offered: boolean;
  tls13: boolean;
}

export interface Front {
  endpoint: string; // "127.0.0.1:PORT"
  connections(): readonly Connection[];
  close(): Promise<void>;
}

const HANDSHAKE = 22;
const PRE_SHARED_KEY = 41;
const SUPPORTED_VERSIONS = 43;
const SESSION_TICKET = 35;

/** The first handshake message of a stream, once all its records are in; undefined until then. */
class FirstHandshake {
  private buf = Buffer.alloc(0);
  private msg = Buffer.alloc(0);
  push(chunk: Buffer): Buffer | null | undefined {
    this.buf = Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= 5) {
      if (this.buf[0] !== HANDSHAKE) return null; // not TLS
      const len = this.buf.readUInt16BE(3);
      if (this.buf.length < 5 + len) return undefined;
      this.msg = Buffer.concat([this.msg, this.buf.subarray(5, 5 + len)]);
      this.buf = this.buf.subarray(5 + len);
      if (this.msg.length >= 4) {
        const need = 4 + this.msg.readUIntBE(1, 3);
        if (this.msg.length >= need) return this.msg.subarray(0, need);
      }
    }
    return undefined;
  }
}

interface Hello {
  sessionId: Buffer;
  extensions: Map<number, Buffer>;
}

/** ClientHello (type 1) or ServerHello (type 2): the session id and the extensions. */
function parseHello(msg: Buffer): Hello | null {
  try {
    const client = msg[0] === 1;
    let p = 4 + 2 + 32; // type, length, legacy_version, random
    const sidLen = msg[p]!;
    const sessionId = msg.subarray(p + 1, p + 1 + sidLen);
    p += 1 + sidLen;
    if (client) {
      p += 2 + msg.readUInt16BE(p); // cipher_suites
      p += 1 + msg[p]!; // compression_methods
    } else p += 2 + 1; // cipher_suite, compression_method
    const extensions = new Map<number, Buffer>();
    if (p + 2 > msg.length) return { sessionId, extensions };
    const end = p + 2 + msg.readUInt16BE(p);
    p += 2;
    while (p + 4 <= end) {
      const type = msg.readUInt16BE(p);
      const len = msg.readUInt16BE(p + 2);
      extensions.set(type, msg.subarray(p + 4, p + 4 + len));
      p += 4 + len;
    }
    return { sessionId, extensions };
  } catch {
    return null;
  }
}

export async function startFront(upstreamPort: number, upstreamHost = '127.0.0.1'): Promise<Front> {
  const conns: Connection[] = [];
  const sockets = new Set<Socket>();
  // Nagle's algorithm off on both legs, as Node's HTTP client and Go's net package set it: with
  // it on, a small write waits for the peer's delayed ACK (40 ms on Linux) and the front, not
  // the client, would set the pace of a join.
  const server: Server = createServer({ noDelay: true }, (client) => {
    const c: Connection = { at: Date.now(), handshake: false, resumed: false, offered: false, tls13: false };
    conns.push(c);
    const upstream = connect({ port: upstreamPort, host: upstreamHost, noDelay: true });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    let clientHello: Hello | null = null;
    const fromClient = new FirstHandshake();
    const onClient = (chunk: Buffer): void => {
      const msg = fromClient.push(chunk);
      if (msg === undefined) return;
      client.off('data', onClient);
      clientHello = msg && msg[0] === 1 ? parseHello(msg) : null;
      const ticket = clientHello?.extensions.get(SESSION_TICKET);
      c.offered = !!clientHello && (clientHello.extensions.has(PRE_SHARED_KEY) || (ticket !== undefined && ticket.length > 0));
    };
    const fromServer = new FirstHandshake();
    const onServer = (chunk: Buffer): void => {
      const msg = fromServer.push(chunk);
      if (msg === undefined) return;
      upstream.off('data', onServer);
      const hello = msg && msg[0] === 2 ? parseHello(msg) : null;
      if (!hello) return;
      c.handshake = true;
      const version = hello.extensions.get(SUPPORTED_VERSIONS);
      c.tls13 = version?.length === 2 && version.readUInt16BE(0) === 0x0304;
      const echoed = !!clientHello && clientHello.sessionId.length > 0 && clientHello.sessionId.equals(hello.sessionId);
      c.resumed = c.tls13 ? hello.extensions.has(PRE_SHARED_KEY) : echoed;
    };
    client.on('data', onClient);
    upstream.on('data', onServer);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the counting front has no TCP address');
  return {
    endpoint: `127.0.0.1:${address.port}`,
    connections: () => conns,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
