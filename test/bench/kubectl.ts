// Section 8: kubectl through the keychain. A keychain kubeconfig makes kubectl run
// `kubejoin credential` (the exec plugin) on every call; a file kubeconfig does not. Both
// nodes are joined here, in a D-Bus session and gnome-keyring of the bench's own (a throw-away
// login keyring, as test/tools/run-tests.sh makes); then kubectl's own wall time for
// `kubectl auth whoami`, file vs keychain, interleaved with the plugin alone and `node -e 0`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterHandle } from '../harness/index.js';
import { run } from './measure.js';
import { median, ratio } from './stats.js';
import type { Figure } from './types.js';

const TOOLS = ['dbus-daemon', 'gnome-keyring-daemon', 'gdbus', 'kubectl'];
const have = (tool: string): boolean => ['/usr/bin', '/bin', '/usr/local/bin'].some((d) => existsSync(join(d, tool)));

export interface KubectlSection {
  figures: Figure[];
  raw: Record<string, number[]>;
  skipped?: string;
}

async function keyring(dir: string): Promise<{ env: NodeJS.ProcessEnv; stop: () => void }> {
  const runtime = join(dir, 'run');
  await mkdir(runtime, { recursive: true, mode: 0o700 });
  const bus = await run('dbus-daemon', ['--session', '--fork', '--print-address=1', '--print-pid=1', '--nopidfile'], { timeoutMs: 15_000 });
  if (bus.code !== 0) throw new Error(`dbus-daemon: ${bus.stderr.trim()}`);
  const [address, busPid] = bus.stdout.trim().split('\n');
  const env: NodeJS.ProcessEnv = { ...process.env, DBUS_SESSION_BUS_ADDRESS: address!, XDG_DATA_HOME: join(dir, 'data'), XDG_RUNTIME_DIR: runtime };
  delete env.GNOME_KEYRING_CONTROL;
  const pids = [Number(busPid)];
  const stop = (): void => {
    for (const pid of pids.reverse()) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  };
  const unlock = spawn('gnome-keyring-daemon', ['--unlock', '--components=secrets'], { env, stdio: ['pipe', 'ignore', 'ignore'] });
  unlock.stdin.end('kubejoin-bench\n');
  await new Promise((resolve) => unlock.on('close', resolve));
  for (let i = 0; i < 100; i++) {
    const r = await run(
      'gdbus',
      ['call', '--session', '--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', 'org.freedesktop.DBus.GetConnectionUnixProcessID', 'org.freedesktop.secrets'],
      { env, timeoutMs: 15_000 },
    );
    const pid = /uint32 (\d+)/.exec(r.stdout)?.[1];
    if (r.code === 0 && pid) {
      pids.push(Number(pid));
      return { env, stop };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  stop();
  throw new Error('gnome-keyring-daemon did not appear on the bench bus');
}

export async function kubectlSection(o: {
  c: ClusterHandle;
  /** Where joins connect (the counting front); cluster-info names it as the server. */
  endpoint: string;
  cli: string;
  work: string;
  tokenFile: string;
  rounds: number;
  failures: string[];
  log: (l: string) => void;
}): Promise<KubectlSection> {
  const missing = TOOLS.filter((t) => !have(t));
  if (missing.length) return { figures: [], raw: {}, skipped: `needs ${missing.join(', ')}` };
  const dir = join(o.work, 'kubectl');
  const kr = await keyring(dir);
  try {
    const joinArgs = (name: string, store: string, conf: string): string[] => [
      o.cli, 'join', o.endpoint, '--token-file', o.tokenFile, '--discovery-token-ca-cert-hash', o.c.caCertHash,
      '--node-name', name, '--store', store, '--cert-dir', join(dir, name), '--kubeconfig-out', conf,
    ];
    const kcConf = join(dir, 'keychain.conf');
    const fileConf = join(dir, 'file.conf');
    for (const [name, store, conf] of [['bench-kubectl-keychain', 'keychain', kcConf], ['bench-kubectl-file', 'file', fileConf]] as const) {
      const r = await run(process.execPath, joinArgs(name, store, conf), { env: kr.env });
      if (r.code !== 0) {
        o.failures.push(`section 8: join --store ${store}: exit ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
        return { figures: [], raw: {}, skipped: `the ${store} join failed` };
      }
    }
    const kinds = {
      file: ['kubectl', ['--kubeconfig', fileConf, 'auth', 'whoami']],
      keychain: ['kubectl', ['--kubeconfig', kcConf, 'auth', 'whoami']],
      plugin: [process.execPath, [o.cli, 'credential', '--server', `https://${o.endpoint}`, '--node-name', 'bench-kubectl-keychain']],
      node: [process.execPath, ['-e', '0']],
    } as const;
    const raw: Record<keyof typeof kinds, number[]> = { file: [], keychain: [], plugin: [], node: [] };
    const names = Object.keys(kinds) as (keyof typeof kinds)[];
    o.log(`section 8: kubectl auth whoami, file vs keychain kubeconfig: ${o.rounds} interleaved round(s)`);
    for (let i = -1; i < o.rounds; i++) {
      for (let j = 0; j < names.length; j++) {
        const k = names[(Math.max(i, 0) + j) % names.length]!;
        const [cmd, args] = kinds[k];
        const r = await run(cmd, [...args], { env: kr.env });
        if (r.code !== 0) o.failures.push(`section 8: ${k}: exit ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
        else if (i >= 0) raw[k].push(r.wallMs);
      }
    }
    const m = { file: median(raw.file), keychain: median(raw.keychain), plugin: median(raw.plugin), node: median(raw.node) };
    const extra = m.keychain !== null && m.file !== null ? m.keychain - m.file : null;
    const figures: Figure[] = [
      {
        id: 'kubectl.keychain',
        section: 8,
        label: 'kubectl auth whoami, keychain kubeconfig (runs the plugin)',
        unit: 'ms',
        value: m.keychain,
        baseline: m.file,
        baselineLabel: 'the same kubectl, file kubeconfig',
        ratio: ratio(m.keychain, m.file),
        target: '<= +150 ms (npm)',
        met: extra !== null && extra <= 150,
      },
      { id: 'kubectl.plugin', section: 8, label: 'kubejoin credential alone', unit: 'ms', value: m.plugin, baseline: m.node, baselineLabel: 'node -e 0', ratio: ratio(m.plugin, m.node) },
    ];
    return { figures, raw };
  } finally {
    kr.stop();
  }
}
