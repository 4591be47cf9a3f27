// A scripted engine for main's unit tests: join() yields the given events (or waits for
// the abort signal), like agent/join/engine.ts does.
import type { DeviceFacts, ErrorInfo, JoinEvent, JoinRequest, JoinResult } from '../../agent/contract/index.js';
import type { Engine } from '../../main/app.js';
import { ENDPOINT, PIN, TOKEN } from './fixtures.js';

export const FACTS: DeviceFacts = { hostname: 'kiosk-7', os: 'Debian 13', arch: 'x64', cpu: 'Test CPU', cores: 4, memoryBytes: 8 * 1024 ** 3 };

export const OK_RESULT: JoinResult = {
  ok: true,
  nodeName: 'kiosk-7',
  server: 'https://10.0.0.1:6443',
  identity: { username: 'system:node:kiosk-7', groups: ['system:nodes', 'system:authenticated'] },
  certificate: { subject: 'CN=system:node:kiosk-7,O=system:nodes', notBefore: '2026-01-01T00:00:00Z', notAfter: '2027-01-01T00:00:00Z', serialNumber: '01' },
  store: { kind: 'file', reason: 'asked for', kubeconfigPath: '/tmp/k/kubelet.conf', location: '/tmp/k/pki/kubelet-client-current.pem' },
  csrName: 'node-csr-abc',
  durationMs: 42,
  phaseDurationsMs: {},
};

export const UNTRUSTED: ErrorInfo = { category: 'untrusted-cluster', exitCode: 3, message: 'the cluster CA matches none of the given CA cert hashes' };

export const FAIL_RESULT: JoinResult = {
  ok: false,
  phase: 'pin-ca',
  error: UNTRUSTED,
  durationMs: 10,
  phaseDurationsMs: {},
};

export function okEvents(): JoinEvent[] {
  return [
    { type: 'started', phase: 'validate', at: 0 },
    { type: 'succeeded', phase: 'validate', durationMs: 1, at: 1 },
    { type: 'started', phase: 'discover', at: 1 },
    { type: 'progress', phase: 'discover', message: 'no signature yet; retrying (attempt 1)', attempt: 1, at: 2 },
    { type: 'progress', phase: 'discover', message: 'no signature yet; retrying (attempt 2)', attempt: 2, at: 3 },
    { type: 'succeeded', phase: 'discover', durationMs: 3, at: 4 },
    { type: 'result', result: OK_RESULT, at: 5 },
  ];
}

export function failEvents(): JoinEvent[] {
  return [
    { type: 'started', phase: 'pin-ca', at: 0 },
    { type: 'failed', phase: 'pin-ca', durationMs: 1, error: UNTRUSTED, at: 1 },
    { type: 'result', result: FAIL_RESULT, at: 2 },
  ];
}

export interface ScriptedEngine extends Engine {
  requests: JoinRequest[];
  /** Events of the next joins, in order; a join with no script waits for its abort signal. */
  scripts: JoinEvent[][];
}

export function scriptedEngine(scripts: JoinEvent[][] = []): ScriptedEngine {
  const requests: JoinRequest[] = [];
  const engine: ScriptedEngine = {
    requests,
    scripts,
    async *join(request, { signal }) {
      requests.push(request);
      const script = engine.scripts.shift();
      if (!script) {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        const result: JoinResult = { ok: false, error: { category: 'internal', exitCode: 1, message: 'cancelled' }, durationMs: 1, phaseDurationsMs: {} };
        yield { type: 'result', result, at: 1 };
        return result;
      }
      let last: JoinResult = FAIL_RESULT;
      for (const e of script) {
        await Promise.resolve();
        if (e.type === 'result') last = e.result;
        yield e;
      }
      return last;
    },
    parseJoinCommand(line) {
      if (!line.startsWith('kubeadm join')) return { ok: false, error: `not a join command: ${line.slice(0, 40)}` };
      return { ok: true, request: { endpoint: ENDPOINT, token: TOKEN, caCertHashes: [PIN], certDir: '/etc/x' }, warnings: [] };
    },
    getDeviceFacts: async () => FACTS,
  };
  return engine;
}
