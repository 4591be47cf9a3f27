import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { openTunnel, ProxyError } from '../transport/proxy.js';
import { fail, pass, remaining, skip, type DoctorContext, type Outcome } from './check.js';

// Proxy, DNS and TCP: can this device reach host:port at all, and by which way.

export async function checkProxy(ctx: DoctorContext): Promise<Outcome> {
  const { proxy, via } = ctx;
  if (!proxy) return pass('none: connecting directly (no --proxy, HTTPS_PROXY or https_proxy)');
  const evidence = [`proxy: ${proxy.display} (from ${proxy.source})`, `NO_PROXY: ${proxy.noProxy.value || '(empty)'}`];
  if (!via) {
    const loopback = ctx.host === 'localhost' || /^(127\.|::1$)/.test(ctx.host);
    return pass(`direct: ${loopback ? 'loopback is never proxied' : `NO_PROXY exempts ${ctx.host}`}`, evidence);
  }
  return pass(`through ${proxy.display} (from ${proxy.source})`, evidence);
}

export async function checkDns(ctx: DoctorContext): Promise<Outcome> {
  if (net.isIP(ctx.host)) return pass(`${ctx.host} is an IP address: nothing to resolve`);
  try {
    const addrs = await Promise.race([
      lookup(ctx.host, { all: true }),
      new Promise<never>((_r, reject) => setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'ETIMEOUT' })), remaining(ctx)).unref()),
    ]);
    return pass(`${ctx.host} resolves to ${addrs.map((a) => a.address).join(', ')}`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    if (ctx.via) return pass(`${ctx.host} does not resolve here (${code}); the proxy resolves it`);
    ctx.found.unresolved = true;
    return fail(
      'timeout',
      `${ctx.host} does not resolve (${code})`,
      'Check the host name, this device\'s DNS servers (/etc/resolv.conf, "resolvectl status"), or join with the API server\'s IP address.',
    );
  }
}

export async function checkTcp(ctx: DoctorContext): Promise<Outcome> {
  const target = `${ctx.host}:${ctx.port}`;
  const started = performance.now();
  const ms = (): number => Math.round(performance.now() - started);
  if (ctx.via) {
    try {
      const socket = await openTunnel(ctx.via, ctx.host, ctx.port, remaining(ctx));
      socket.destroy();
      ctx.found.reachable = true;
      return pass(`the proxy ${ctx.via.display} opened a tunnel to ${target} in ${ms()} ms`);
    } catch (err) {
      if (!(err instanceof ProxyError)) throw err;
      return fail(
        'timeout',
        err.message,
        'Check the proxy address and credentials (--proxy, HTTPS_PROXY), and that it allows CONNECT to this host and port; or exempt the host with NO_PROXY.',
      );
    }
  }
  return new Promise((resolve) => {
    const socket = net.connect({ host: ctx.host, port: ctx.port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(
        fail(
          'timeout',
          `no answer to a TCP connection to ${target} within ${Math.round(remaining(ctx, Infinity) / 1000) || 0} s`,
          'A firewall may drop the packets, or the address is wrong: check the route to the API server ("ip route get", "nc -vz host port").',
        ),
      );
    }, remaining(ctx));
    socket.once('connect', () => {
      clearTimeout(timer);
      const local = `${socket.localAddress ?? '?'}:${socket.localPort ?? '?'}`;
      socket.destroy();
      ctx.found.reachable = true;
      resolve(pass(`connected to ${target} in ${ms()} ms`, [`from ${local} to ${socket.remoteAddress ?? ctx.host}:${ctx.port}`]));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(
        err.code === 'ECONNREFUSED'
          ? fail(
              'timeout',
              `${target} refused the connection: nothing listens there`,
              'Check the port (the API server usually listens on 6443) and that kube-apiserver is running.',
            )
          : fail('timeout', `cannot connect to ${target}: ${err.code ?? err.message}`, 'Check the network path to the API server.'),
      );
    });
  });
}

/** For checks that need a connection when there is none. */
export const unreachable = (): Outcome => skip('not run: the endpoint is not reachable (see above)');
