// Client side of supervisor.mjs: start it, ask it to spawn/kill components, stop it.
// A cluster started by `cluster up` without us is stopped by detached.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withTimeout } from './time.js';

const SUPERVISOR = fileURLToPath(new URL('./supervisor.mjs', import.meta.url));

export interface ExitEvent {
  name: string;
  code: number | null;
  signal: string | null;
}

interface Reply {
  id?: number;
  op?: string;
  ok?: boolean;
  pid?: number;
  error?: string;
  name?: string;
  code?: number | null;
  signal?: string | null;
}

/** Every live supervisor started by this process, for the exit/signal hooks. */
const live = new Set<Supervisor>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // A synchronous SIGTERM is all an exiting process can do; the supervisor does the rest
  // (stops the components, removes a harness-made state dir). Stdin closing does the same.
  process.on('exit', () => {
    for (const s of live) s.signal('SIGTERM');
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      for (const s of live) s.signal('SIGTERM');
      process.removeListener(sig, onSignal);
      // Keep the default behaviour (die by that signal) unless someone else handles it.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

export class Supervisor {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private readonly exitListeners = new Set<(e: ExitEvent) => void>();
  private exited: Promise<void>;
  private gone = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('exit', () => {
      this.gone = true;
      live.delete(this);
      for (const p of this.pending.values()) p.reject(new Error('the supervisor exited'));
      this.pending.clear();
    });
    let buf = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        this.onLine(line);
      }
    });
  }

  /** Starts a supervisor for stateDir; with removeDir it deletes stateDir when it stops. */
  static async start(opts: { stateDir: string; removeDir: boolean; logFile: string }): Promise<Supervisor> {
    const args = [SUPERVISOR, '--state-dir', opts.stateDir, ...(opts.removeDir ? ['--remove-dir'] : [])];
    const errFd = openSync(opts.logFile, 'a');
    let child: ChildProcess;
    try {
      // Own process group: a Ctrl-C in the terminal reaches the parent, which then stops us cleanly.
      child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', errFd], detached: true, cwd: '/' });
    } finally {
      closeSync(errFd);
    }
    const ready = await withTimeout(
      new Promise<number>((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', (code) => reject(new Error(`supervisor exited with code ${code}; see ${opts.logFile}`)));
        let buf = '';
        const onData = (chunk: Buffer): void => {
          buf += chunk.toString('utf8');
          const nl = buf.indexOf('\n');
          if (nl < 0) return;
          child.stdout?.removeListener('data', onData);
          const msg = JSON.parse(buf.slice(0, nl)) as Reply;
          if (msg.op === 'ready' && msg.pid) resolve(msg.pid);
          else reject(new Error(`unexpected supervisor greeting: ${buf.slice(0, nl)}`));
        };
        child.stdout?.on('data', onData);
      }),
      10_000,
      'the supervisor did not start',
    );
    const s = new Supervisor(child, ready);
    // Never keep the parent's event loop alive just for the cluster: a test process must be
    // able to finish; the exit hooks then stop the cluster.
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
    live.add(s);
    installExitHooks();
    return s;
  }

  get running(): boolean {
    return !this.gone;
  }

  onExit(listener: (e: ExitEvent) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  async spawn(name: string, cmd: string, args: string[], log: string): Promise<number> {
    const r = await this.request({ op: 'spawn', name, cmd, args, log });
    if (!r.pid) throw new Error(`spawn of ${name} returned no pid`);
    return r.pid;
  }

  async kill(name: string): Promise<void> {
    await this.request({ op: 'kill', name });
  }

  /** After this the cluster outlives this process: stop it later with stopDetached(pid). */
  async detach(): Promise<void> {
    await this.request({ op: 'detach' });
    live.delete(this);
    this.child.stdin?.destroy();
    this.child.stdout?.destroy();
  }

  /** Stops every component (and removes a harness-made state dir); resolves when done. */
  async shutdown(timeoutMs = 15_000): Promise<void> {
    if (this.gone) return;
    try {
      this.child.stdin?.write(`${JSON.stringify({ op: 'shutdown' })}\n`);
    } catch {
      this.signal('SIGTERM');
    }
    const ok = await withTimeout(
      this.exited.then(() => true),
      timeoutMs,
      '',
    ).catch(() => false);
    if (!ok) {
      this.signal('SIGKILL');
      await withTimeout(this.exited, 5_000, 'the supervisor did not exit after SIGKILL');
    }
  }

  /** Synchronous, for exit hooks. */
  signal(sig: NodeJS.Signals): void {
    if (this.gone) return;
    try {
      process.kill(this.pid, sig);
    } catch {
      /* already gone */
    }
  }

  private request(body: Record<string, unknown>, timeoutMs = 30_000): Promise<Reply> {
    if (this.gone) return Promise.reject(new Error('the supervisor is not running'));
    const id = this.nextId++;
    const p = new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin?.write(`${JSON.stringify({ id, ...body })}\n`);
    });
    return withTimeout(p, timeoutMs, `supervisor request ${String(body.op)} timed out`).then((r) => {
      if (!r.ok) throw new Error(r.error ?? `supervisor request ${String(body.op)} failed`);
      return r;
    });
  }

  private onLine(line: string): void {
    let msg: Reply;
    try {
      msg = JSON.parse(line) as Reply;
    } catch {
      return;
    }
    if (msg.op === 'exit' && msg.name) {
      const e: ExitEvent = { name: msg.name, code: msg.code ?? null, signal: msg.signal ?? null };
      for (const l of this.exitListeners) l(e);
      return;
    }
    if (msg.id !== undefined) {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      p?.resolve(msg);
    }
  }
}
