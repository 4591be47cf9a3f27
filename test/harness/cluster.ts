// Start a real control plane (etcd + kube-apiserver + kube-controller-manager) on free
// loopback ports, or attach to one started by `npm run cluster -- up`.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureControlPlaneBinaries } from './binaries.js';
import { createBootstrapObjects } from './bootstrap-objects.js';
import { apiserverArgs, AUDIT_POLICY, ComponentError, controllerManagerArgs, etcdArgs, etcdHealthy, startComponent, type Ports } from './components.js';
import { makeHandle, type ClusterHandle, type ClusterState } from './handle.js';
import { ApiClient } from './https.js';
import { clientKubeconfig } from './kubeconfig.js';
import { caCertHash, generatePki, PKI_FILES, readPki, writePki, type Pki } from './pki.js';
import { isSupervisorOf, stopDetached } from './detached.js';
import { freePorts } from './ports.js';
import { Supervisor } from './supervisor-client.js';
import { sleep } from './time.js';

export interface StartClusterOptions {
  /** None of the objects of docs/protocol.md §5, and the controller-manager without bootstrapsigner/tokencleaner. */
  bare?: boolean;
  /** Kept on stop (only its processes stop); default: a temp dir removed on stop. */
  stateDir?: string;
  apiserverFlags?: string[];
  /** Appended last, so they win: e.g. ['--kube-api-qps=200', '--kube-api-burst=400']. */
  controllerManagerFlags?: string[];
  /** Apiserver audit log at level Metadata in <stateDir>/audit.log. */
  audit?: boolean;
  log?: (line: string) => void;
  /** For `cluster up`: the cluster outlives this process (stop it with `cluster down`). */
  detach?: boolean;
}

export const STATE_FILE = 'cluster.json';
const PORT_ATTEMPTS = 3;

async function readState(stateDir: string): Promise<ClusterState | undefined> {
  try {
    return JSON.parse(await readFile(join(stateDir, STATE_FILE), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

/** A user-given state dir may hold a running cluster (refuse) or leftovers of a dead one (clean). */
async function claimStateDir(stateDir: string): Promise<void> {
  const old = await readState(stateDir);
  if (old?.supervisorPid && isSupervisorOf(old.supervisorPid, stateDir)) {
    throw new Error(`a cluster is already running in ${stateDir} (${old.endpoint}); stop it first (npm run cluster -- down --state-dir ${stateDir})`);
  }
  await stopDetached(stateDir, undefined); // kills recorded components that are still alive
  await rm(join(stateDir, STATE_FILE), { force: true });
  await rm(join(stateDir, 'pids.json'), { force: true });
}

export async function startCluster(opts: StartClusterOptions = {}): Promise<ClusterHandle> {
  const log = opts.log ?? ((): void => {});
  const bins = await ensureControlPlaneBinaries();
  const t0 = performance.now();
  const secs = (): string => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  const owned = !opts.stateDir;
  const stateDir = opts.stateDir ? resolve(opts.stateDir) : await mkdtemp(join(tmpdir(), 'kubejoin-cp-'));
  const logDir = join(stateDir, 'logs');
  await mkdir(logDir, { recursive: true });
  if (!owned) await claimStateDir(stateDir);

  let sup: Supervisor | undefined;
  let api: ApiClient | undefined;
  try {
    let pki: Pki | undefined = owned ? undefined : await readPki(stateDir);
    if (!pki) {
      pki = await generatePki();
      await writePki(stateDir, pki);
      await rm(join(stateDir, 'etcd'), { recursive: true, force: true }); // old data belongs to another CA
    }
    log(`PKI ready (${secs()})`);
    sup = await Supervisor.start({ stateDir, removeDir: owned, logFile: join(logDir, 'supervisor.log') });

    const audit = opts.audit ? { policy: join(stateDir, 'audit-policy.yaml'), log: join(stateDir, 'audit.log') } : undefined;
    if (audit) await writeFile(audit.policy, AUDIT_POLICY);
    const bin = (name: string): string => join(bins.dir, name);
    const logOf = (name: string): string => join(logDir, `${name}.log`);
    const adminKubeconfig = join(stateDir, 'admin.conf');
    const kcmKubeconfig = join(stateDir, 'controller-manager.conf');

    let ports: Ports | undefined;
    for (let attempt = 1; !ports; attempt++) {
      const [etcdClient = 0, etcdPeer = 0, apiserver = 0] = await freePorts(3);
      const p: Ports = { etcdClient, etcdPeer, apiserver };
      const server = `https://127.0.0.1:${p.apiserver}`;
      api?.close();
      api = new ApiClient(server, pki.caCert, { cert: pki.adminCert, key: pki.adminKey });
      const client = api;
      try {
        await startComponent(sup, {
          name: 'etcd',
          cmd: bin('etcd'),
          args: etcdArgs(stateDir, p),
          log: logOf('etcd'),
          ready: () => etcdHealthy(p.etcdClient),
          timeoutMs: 30_000,
        });
        log(`etcd ready on 127.0.0.1:${p.etcdClient} (${secs()})`);
        await startComponent(sup, {
          name: 'kube-apiserver',
          cmd: bin('kube-apiserver'),
          args: apiserverArgs(stateDir, p, { audit, extra: opts.apiserverFlags }),
          log: logOf('kube-apiserver'),
          ready: async () => (await client.request({ path: '/readyz', timeoutMs: 2000 })).status === 200,
          timeoutMs: 60_000,
        });
        ports = p;
      } catch (err) {
        if (!(err instanceof ComponentError && err.portInUse && attempt < PORT_ATTEMPTS)) throw err;
        log(`${err.component}: port taken, retrying with other ports`);
        await sup.kill('kube-apiserver');
        await sup.kill('etcd');
      }
    }
    const server = `https://127.0.0.1:${ports.apiserver}`;
    log(`kube-apiserver ready at ${server} (${secs()})`);

    await Promise.all([
      writeFile(adminKubeconfig, clientKubeconfig({ server, caPem: pki.caCert, user: 'kubernetes-admin', certPem: pki.adminCert, keyPem: pki.adminKey }), {
        mode: 0o600,
      }),
      writeFile(
        kcmKubeconfig,
        clientKubeconfig({ server, caPem: pki.caCert, user: 'system:kube-controller-manager', certPem: pki.kcmCert, keyPem: pki.kcmKey }),
        { mode: 0o600 },
      ),
    ]);
    const client = api;
    if (!client) throw new Error('unreachable: no API client');
    // Readiness signal below: kube-root-ca.crt must be written by THIS controller-manager
    // (a reused state dir still has the last one's).
    const stale = await client.request({ method: 'DELETE', path: '/api/v1/namespaces/kube-public/configmaps/kube-root-ca.crt' });
    if (stale.status !== 200 && stale.status !== 404) throw new Error(`deleting kube-root-ca.crt: HTTP ${stale.status}: ${stale.text}`);
    const objects = opts.bare ? Promise.resolve() : createBootstrapObjects(client, server, pki.caCert);
    // The controller-manager has no port (--secure-port 0): it is running once its
    // root-ca-cert-publisher has written kube-root-ca.crt into kube-public.
    const kcm = startComponent(sup, {
      name: 'kube-controller-manager',
      cmd: bin('kube-controller-manager'),
      args: controllerManagerArgs(stateDir, kcmKubeconfig, { bare: !!opts.bare, extra: opts.controllerManagerFlags }),
      log: logOf('kube-controller-manager'),
      ready: async () => (await client.request({ path: '/api/v1/namespaces/kube-public/configmaps/kube-root-ca.crt' })).status === 200,
      timeoutMs: 60_000,
    });
    await Promise.all([objects.then(() => log(`bootstrap objects created (${secs()})`)), kcm]);
    log(`kube-controller-manager running (${secs()})`);

    if (opts.detach) await sup.detach();
    const startupMs = Math.round(performance.now() - t0);
    const state: ClusterState = {
      endpoint: `127.0.0.1:${ports.apiserver}`,
      server,
      caCertHash: caCertHash(pki.caCert),
      caFile: join(stateDir, PKI_FILES.caCert),
      adminKubeconfig,
      adminCertFile: join(stateDir, PKI_FILES.adminCert),
      adminKeyFile: join(stateDir, PKI_FILES.adminKey),
      stateDir,
      logDir,
      bare: !!opts.bare,
      version: bins.version,
      ...(audit ? { auditLog: audit.log } : {}),
      supervisorPid: sup.pid,
      ports,
      startedAt: new Date().toISOString(),
      startupMs,
    };
    await writeFile(join(stateDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
    log(`cluster up in ${(startupMs / 1000).toFixed(1)} s (after the binaries were ready)`);

    const supervisor = sup;
    const apiserverPorts = ports;
    const apiserver = opts.detach
      ? undefined
      : {
          stop: () => supervisor.kill('kube-apiserver'),
          start: () =>
            startComponent(supervisor, {
              name: 'kube-apiserver',
              cmd: bin('kube-apiserver'),
              args: apiserverArgs(stateDir, apiserverPorts, { audit, extra: opts.apiserverFlags }),
              log: logOf('kube-apiserver'),
              ready: async () => (await client.request({ path: '/readyz', timeoutMs: 2000 })).status === 200,
              timeoutMs: 60_000,
            }),
        };
    return makeHandle(
      state,
      pki,
      client,
      async () => {
        if (opts.detach) await stopDetached(stateDir, supervisor.pid);
        else await supervisor.shutdown();
        if (owned) await rm(stateDir, { recursive: true, force: true });
      },
      apiserver,
    );
  } catch (err) {
    api?.close();
    await sup?.shutdown().catch(() => {});
    if (owned) await rm(stateDir, { recursive: true, force: true });
    throw err;
  }
}

/** A handle on a cluster started by `cluster up --state-dir stateDir`; stop() stops it. */
export async function attachCluster(stateDir: string): Promise<ClusterHandle> {
  const dir = resolve(stateDir);
  const state = await readState(dir);
  if (!state || !isSupervisorOf(state.supervisorPid, dir)) {
    throw new Error(`no cluster is running in ${dir} (start one with: npm run cluster -- up --state-dir ${dir})`);
  }
  const pki = await readPki(dir);
  if (!pki) throw new Error(`${dir} has no complete PKI`);
  const api = new ApiClient(state.server, pki.caCert, { cert: pki.adminCert, key: pki.adminKey });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const status = await api.request({ path: '/readyz', timeoutMs: 2000 }).then(
      (r) => r.status,
      (e: Error) => e.message,
    );
    if (status === 200) break;
    if (Date.now() > deadline) {
      api.close();
      throw new Error(`the cluster in ${dir} is not ready (/readyz: ${status}); see ${join(dir, 'logs')}`);
    }
    await sleep(200);
  }
  return makeHandle(state, pki, api, () => stopDetached(dir, state.supervisorPid));
}
