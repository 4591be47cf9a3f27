// Kiosk mode: turned on by --kiosk, --provision <file>, or a provisioning file at the
// default path. The window is full screen with no menu and no devtools and cannot be
// closed from the UI; the join starts by itself from the provisioning file and, on failure,
// starts again after a countdown the window shows.
import type { BrowserWindowConstructorOptions } from 'electron';
import type { KioskState, JoinStatus } from '../agent/contract/index.js';
import type { ProvisionResult } from './provision.js';
import type { JoinSession } from './join-session.js';

export interface KioskOptions {
  enabled: boolean;
  provisionPath: string;
}

/** `--kiosk`, `--provision <file>` / `--provision=<file>`; a file at the default path also turns kiosk on. */
export function kioskOptionsFromArgv(argv: readonly string[], defaultPath: string, exists: (path: string) => boolean): KioskOptions {
  let provisionPath: string | undefined;
  let kiosk = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--kiosk') kiosk = true;
    else if (arg === '--provision' && argv[i + 1] !== undefined) provisionPath = argv[++i];
    else if (arg.startsWith('--provision=')) provisionPath = arg.slice('--provision='.length);
  }
  if (provisionPath !== undefined) return { enabled: true, provisionPath };
  return { enabled: kiosk || exists(defaultPath), provisionPath: defaultPath };
}

/** Window options that make a kiosk: full screen, no frame, no menu, not closable. */
export function kioskWindowOptions(): BrowserWindowConstructorOptions {
  return {
    kiosk: true,
    fullscreen: true,
    frame: false,
    closable: false,
    minimizable: false,
    maximizable: false,
    resizable: false,
    movable: false,
    autoHideMenuBar: true,
  };
}

const MAX_RETRY_DELAY_SECONDS = 300;

/** First retry after `base` seconds, then doubling, at most 5 minutes. */
export function retryDelaySeconds(base: number, attempt: number): number {
  return Math.min(MAX_RETRY_DELAY_SECONDS, Math.round(base * 2 ** Math.max(0, attempt - 1)));
}

export interface KioskDeps {
  provisionPath: string;
  load(path: string): Promise<ProvisionResult>;
  session: Pick<JoinSession, 'start' | 'settled'>;
  notify(state: KioskState): void;
  /** One-second ticks; injected so tests need not wait. */
  sleepSecond(): Promise<void>;
  /** Used when the file cannot be read at all. */
  defaultRetrySeconds: number;
}

export class KioskController {
  private current: KioskState;
  private stopped = false;

  constructor(private readonly deps: KioskDeps) {
    this.current = { phase: 'waiting-for-file', provisionPath: deps.provisionPath };
  }

  state(): KioskState {
    return this.current;
  }

  stop(): void {
    this.stopped = true;
  }

  /** Runs until the join succeeds (or stop()). */
  async run(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      const loaded = await this.deps.load(this.deps.provisionPath);
      let base = this.deps.defaultRetrySeconds;
      if (!loaded.ok) {
        this.set({ phase: loaded.missing ? 'waiting-for-file' : 'invalid-file', problems: loaded.problems });
      } else {
        base = loaded.provision.retryDelaySeconds;
        this.set({ phase: 'joining' });
        let status: JoinStatus;
        try {
          this.deps.session.start(loaded.provision.request);
          status = await this.deps.session.settled();
        } catch {
          status = 'failed';
        }
        if (status === 'succeeded') {
          this.set({ phase: 'joined' });
          return;
        }
      }
      await this.countdown(retryDelaySeconds(base, attempt), attempt + 1, loaded.ok ? 'retry-wait' : this.current.phase);
    }
  }

  private async countdown(seconds: number, nextAttempt: number, phase: KioskState['phase']): Promise<void> {
    const problems = this.current.problems;
    for (let left = seconds; left > 0 && !this.stopped; left--) {
      this.set({ phase, ...(problems ? { problems } : {}), retry: { attempt: nextAttempt, secondsLeft: left } });
      await this.deps.sleepSecond();
    }
  }

  private set(state: Omit<KioskState, 'provisionPath'>): void {
    this.current = { ...state, provisionPath: this.deps.provisionPath };
    this.deps.notify(this.current);
  }
}
