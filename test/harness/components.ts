// The three components: their command lines (CONTROL-PLANE.md) and "start and wait until
// ready, or fail with the last lines of that component's log".
import { get } from 'node:http';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PKI_FILES } from './pki.js';
import { logTail } from './log-tail.js';
import type { ExitEvent, Supervisor } from './supervisor-client.js';
import { sleep } from './time.js';

export interface Ports {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
}

export const AUDIT_POLICY = ['apiVersion: audit.k8s.io/v1', 'kind: Policy', 'rules:', '- level: Metadata', ''].join('\n');

export function etcdArgs(stateDir: string, p: Ports): string[] {
  const client = `http://127.0.0.1:${p.etcdClient}`;
  const peer = `http://127.0.0.1:${p.etcdPeer}`;
  return [
    '--data-dir',
    join(stateDir, 'etcd'),
    '--listen-client-urls',
    client,
    '--advertise-client-urls',
    client,
    '--listen-peer-urls',
    peer,
    '--initial-advertise-peer-urls',
    peer,
    '--initial-cluster',
    `default=${peer}`,
    '--name',
    'default',
    '--log-level',
    'error',
  ];
}

export function apiserverArgs(stateDir: string, p: Ports, opts: { audit?: { policy: string; log: string }; extra?: string[] }): string[] {
  const f = (name: keyof typeof PKI_FILES): string => join(stateDir, PKI_FILES[name]);
  return [
    '--etcd-servers',
    `http://127.0.0.1:${p.etcdClient}`,
    '--bind-address',
    '127.0.0.1',
    '--advertise-address',
    '127.0.0.1',
    '--secure-port',
    String(p.apiserver),
    '--tls-cert-file',
    f('apiserverCert'),
    '--tls-private-key-file',
    f('apiserverKey'),
    '--client-ca-file',
    f('caCert'),
    '--service-account-issuer',
    'https://kubernetes.default.svc.cluster.local',
    '--service-account-key-file',
    f('saPub'),
    '--service-account-signing-key-file',
    f('saKey'),
    '--service-cluster-ip-range',
    '10.96.0.0/12',
    '--authorization-mode',
    'Node,RBAC',
    '--enable-bootstrap-token-auth=true',
    '--anonymous-auth=true',
    '--enable-admission-plugins',
    'NodeRestriction',
    ...(opts.audit ? ['--audit-policy-file', opts.audit.policy, '--audit-log-path', opts.audit.log] : []),
    ...(opts.extra ?? []),
  ];
}

/** Later flags win (pflag), so `extra` can override any default, e.g. --controllers. */
export function controllerManagerArgs(stateDir: string, kubeconfig: string, opts: { bare: boolean; extra?: string[] }): string[] {
  const f = (name: keyof typeof PKI_FILES): string => join(stateDir, PKI_FILES[name]);
  return [
    '--kubeconfig',
    kubeconfig,
    '--authentication-kubeconfig',
    kubeconfig,
    '--authorization-kubeconfig',
    kubeconfig,
    // bootstrapsigner and tokencleaner are off by default: bare mode leaves them off.
    '--controllers',
    opts.bare ? '*' : '*,bootstrapsigner,tokencleaner',
    '--cluster-signing-cert-file',
    f('caCert'),
    '--cluster-signing-key-file',
    f('caKey'),
    '--root-ca-file',
    f('caCert'),
    '--service-account-private-key-file',
    f('saKey'),
    '--use-service-account-credentials=true',
    '--leader-elect=false',
    '--secure-port',
    '0',
    ...(opts.extra ?? []),
  ];
}

export class ComponentError extends Error {
  constructor(
    readonly component: string,
    problem: string,
    readonly logFile: string,
    readonly tail: string,
  ) {
    super(`${component} ${problem}; last lines of ${logFile}:\n${tail}`);
    this.name = 'ComponentError';
  }

  get portInUse(): boolean {
    return /address already in use/i.test(this.tail);
  }
}

/** Spawns a component through the supervisor and polls ready() until true. */
export async function startComponent(
  sup: Supervisor,
  c: { name: string; cmd: string; args: string[]; log: string; ready: () => Promise<boolean>; timeoutMs: number },
): Promise<void> {
  const offset = await stat(c.log).then(
    (s) => s.size,
    () => 0,
  );
  let exited: ExitEvent | undefined;
  const off = sup.onExit((e) => {
    if (e.name === c.name) exited = e;
  });
  try {
    await sup.spawn(c.name, c.cmd, c.args, c.log);
    const deadline = Date.now() + c.timeoutMs;
    for (;;) {
      if (exited) {
        await sleep(100); // let the last log lines land
        const how = exited.signal ? `signal ${exited.signal}` : `code ${exited.code}`;
        throw new ComponentError(c.name, `exited during startup (${how})`, c.log, await logTail(c.log, 25, offset));
      }
      if (await c.ready().catch(() => false)) return;
      if (Date.now() > deadline) {
        throw new ComponentError(c.name, `was not ready after ${c.timeoutMs / 1000} s`, c.log, await logTail(c.log, 25, offset));
      }
      await sleep(100);
    }
  } finally {
    off();
  }
}

/** etcd's /health says {"health":"true"}. */
export function etcdHealthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/health', agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 && /"health":\s*"true"/.test(body)));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}
