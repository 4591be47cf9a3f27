// Section 8: kubectl through the keychain. A keychain kubeconfig makes kubectl run
// `kubejoin credential` (the exec plugin) on every call; a file kubeconfig does not. Both
// nodes are joined here, in a D-Bus session and gnome-keyring of the bench's own (a throw-away
// login keyring, as test/tools/run-tests.sh makes); then kubectl's own wall time for
// `kubectl auth whoami`, file vs keychain, interleaved with the plugin alone and `node -e 0`.
// With the packaged executable (dist/packages, `npm run package`), a third node is joined by
// that executable with `--store keychain`, so its kubeconfig's exec command is the executable
// itself, and that kubeconfig and the executable's `credential` alone join the rounds.
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
  /** The packaged executable (as installed: test/bench/packaged.ts), or why it is left out. */
  packaged: { exe: string; runtimeNode?: string } | { skipped: string };
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
    const pkgConf = join(dir, 'packaged.conf');
    const pkg = 'exe' in o.packaged ? o.packaged : undefined;
    if (!pkg) o.log(`section 8: the packaged executable is left out: ${'skipped' in o.packaged ? o.packaged.skipped : ''}`);
    const joins = [
      [process.execPath, 'bench-kubectl-keychain', 'keychain', kcConf],
      [process.execPath, 'bench-kubectl-file', 'file', fileConf],
      ...(pkg ? [[pkg.exe, 'bench-kubectl-packaged', 'keychain', pkgConf]] : []),
    ] as const;
    for (const [exe, name, store, conf] of joins) {
      const args = joinArgs(name, store, conf);
      const r = await run(exe, exe === process.execPath ? args : args.slice(1), { env: kr.env });
      if (r.code !== 0) {
        o.failures.push(`section 8: join --store ${store} (${name}): exit ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
        return { figures: [], raw: {}, skipped: `the ${store} join of ${name} failed` };
      }
    }
    type Kind = 'file' | 'keychain' | 'plugin' | 'node' | 'packaged' | 'pkg-plugin' | 'pkg-node';
    const whoami = (conf: string): [string, string[]] => ['kubectl', ['--kubeconfig', conf, 'auth', 'whoami']];
    const credential = (name: string): string[] => ['credential', '--server', `https://${o.endpoint}`, '--node-name', name];
    const kinds: Partial<Record<Kind, [string, string[]]>> = {
      file: whoami(fileConf),
      keychain: whoami(kcConf),
      plugin: [process.execPath, [o.cli, ...credential('bench-kubectl-keychain')]],
      node: [process.execPath, ['-e', '0']],
      ...(pkg && {
        packaged: whoami(pkgConf),
        'pkg-plugin': [pkg.exe, credential('bench-kubectl-packaged')],
        ...(pkg.runtimeNode && { 'pkg-node': [pkg.runtimeNode, ['-e', '0']] }),
      }),
    };
    const raw: Record<Kind, number[]> = { file: [], keychain: [], plugin: [], node: [], packaged: [], 'pkg-plugin': [], 'pkg-node': [] };
    const names = Object.keys(kinds) as Kind[];
    o.log(`section 8: kubectl auth whoami, file vs keychain kubeconfig${pkg ? ' (npm and packaged)' : ''}: ${o.rounds} interleaved round(s)`);
    for (let i = -1; i < o.rounds; i++) {
      for (let j = 0; j < names.length; j++) {
        const k = names[(Math.max(i, 0) + j) % names.length]!;
        const [cmd, args] = kinds[k]!;
        const r = await run(cmd, [...args], { env: kr.env });
        if (r.code !== 0) o.failures.push(`section 8: ${k}: exit ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
        else if (i >= 0) raw[k].push(r.wallMs);
      }
    }
    const m = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, median(v)])) as Record<Kind, number | null>;
    const over = (v: number | null): number | null => (v !== null && m.file !== null ? v - m.file : null);
    const extra = over(m.keychain);
    const pkgExtra = over(m.packaged);
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
    if (pkg) {
      figures.push({
        id: 'kubectl.keychain-packaged',
        section: 8,
        label: 'kubectl auth whoami, keychain kubeconfig of the packaged executable (runs it as the plugin)',
        unit: 'ms',
        value: m.packaged,
        baseline: m.file,
        baselineLabel: 'the same kubectl, file kubeconfig',
        ratio: ratio(m.packaged, m.file),
        target: '<= +70 ms (packaged)',
        met: pkgExtra !== null && pkgExtra <= 70,
      });
      const base = pkg.runtimeNode ? { value: m['pkg-node'], label: 'node -e 0 (its runtime)' } : { value: m.node, label: 'node -e 0' };
      figures.push({
        id: 'kubectl.plugin-packaged',
        section: 8,
        label: 'packaged kubejoin credential alone',
        unit: 'ms',
        value: m['pkg-plugin'],
        baseline: base.value,
        baselineLabel: base.label,
        ratio: ratio(m['pkg-plugin'], base.value),
      });
    }
    return { figures, raw };
  } finally {
    kr.stop();
  }
}
