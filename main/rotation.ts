// Keeps the credential fresh while the app is open (desktop and kiosk): the same rotation
// loop as `kubejoin agent`, started after a successful join or at start-up if this machine
// is already joined. Each schedule and outcome goes to the window (credential.rotation).
import type { RotationUpdate } from '../agent/contract/index.js';
import { runRotationAgent, type AgentOptions } from '../agent/lifecycle/agent-loop.js';
import { backgroundClock, clockFromEnv } from '../agent/lifecycle/clock.js';
import { locateCredential } from '../agent/store/installed.js';

export interface RotationDeps {
  env: NodeJS.ProcessEnv;
  notify(update: RotationUpdate): void;
  log(line: string): void;
  /** Injected by tests; default: the agent loop. */
  run?: (opts: AgentOptions) => Promise<number>;
}

export class RotationKeeper {
  private controller: AbortController | undefined;
  private kubeconfig: string | undefined;
  private latest: RotationUpdate | undefined;
  private done: Promise<number> = Promise.resolve(0);

  constructor(private readonly deps: RotationDeps) {}

  /** The kubeconfig the running loop keeps fresh (undefined: the join's default). */
  get kubeconfigPath(): string | undefined {
    return this.kubeconfig;
  }

  /** The last update, for a window that (re)loads. */
  state(): RotationUpdate | null {
    return this.latest ?? null;
  }

  /** Starts (or restarts, for another kubeconfig) the loop; `kubeconfig` undefined = the join's default. */
  start(kubeconfig?: string): void {
    if (this.controller && !this.controller.signal.aborted && this.kubeconfig === kubeconfig) return;
    this.stop();
    const controller = new AbortController();
    this.controller = controller;
    this.kubeconfig = kubeconfig;
    const run = this.deps.run ?? runRotationAgent;
    this.done = run({
      locate: () => locateCredential({ env: this.deps.env, ...(kubeconfig ? { kubeconfig } : {}) }),
      signal: controller.signal,
      clock: clockFromEnv(this.deps.env, backgroundClock),
      log: (line) => this.deps.log(`rotation: ${line}`),
      onUpdate: (u) => {
        this.latest = u;
        this.deps.notify(u);
      },
    }).catch((err: unknown) => {
      this.deps.log(`rotation: stopped by an internal error: ${(err as Error).message}`);
      return 1;
    });
  }

  stop(): void {
    this.controller?.abort(new Error('the app is closing'));
    this.controller = undefined;
  }

  /** Resolves with the loop's exit code once it has ended. */
  settled(): Promise<number> {
    return this.done;
  }
}
