// Keeps the credential fresh while the app is open (desktop and kiosk): the same rotation
// loop as `kubejoin agent`, started after a successful join or at start-up if this machine
// is already joined. Each schedule and outcome goes to the window (credential.rotation).
import type { RotationUpdate } from '../agent/contract/index.js';
import { backgroundClock, clockFromEnv, locateCredential, proxyConfig, runRotationAgent, type AgentOptions } from '../agent/index.js';

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
  private running = false;

  constructor(private readonly deps: RotationDeps) {}

  /** The kubeconfig the running loop keeps fresh (undefined: the join's default). */
  get kubeconfigPath(): string | undefined {
    return this.kubeconfig;
  }

  /** The last update, for a window that (re)loads. */
  state(): RotationUpdate | null {
    return this.latest ?? null;
  }

  /**
   * Starts the loop, unless it already runs for this kubeconfig (`undefined` = the join's
   * default). A loop that ended (not joined yet) or runs for another kubeconfig is replaced.
   */
  start(kubeconfig?: string, proxy?: string): void {
    if (this.running && this.kubeconfig === kubeconfig) return;
    this.stop();
    const controller = new AbortController();
    this.controller = controller;
    this.kubeconfig = kubeconfig;
    const run = this.deps.run ?? runRotationAgent;
    this.running = true;
    const ended = (code: number): number => {
      if (this.controller === controller) this.running = false;
      return code;
    };
    this.done = run({
      locate: () => locateCredential({ env: this.deps.env, ...(kubeconfig ? { kubeconfig } : {}) }),
      signal: controller.signal,
      // The way the join reached the cluster: its proxy, else HTTPS_PROXY (docs/protocol.md §3.11).
      proxy: safeProxy(this.deps, proxy),
      clock: clockFromEnv(this.deps.env, backgroundClock),
      log: (line) => this.deps.log(`rotation: ${line}`),
      // The cluster's CA rotation is followed as by `kubejoin agent` (docs/operations.md).
      followCa: {},
      onUpdate: (u) => {
        this.latest = u;
        this.deps.notify(u);
      },
    }).then(ended, (err: unknown) => {
      this.deps.log(`rotation: stopped by an internal error: ${(err as Error).message}`);
      return ended(1);
    });
  }

  stop(): void {
    this.controller?.abort(new Error('the app is closing'));
    this.controller = undefined;
    this.running = false;
  }

  /** Resolves with the loop's exit code once it has ended. */
  settled(): Promise<number> {
    return this.done;
  }
}

/** The proxy for rotation; a bad one is logged and rotation goes direct (the join would have refused it). */
function safeProxy(deps: RotationDeps, proxy: string | undefined): ReturnType<typeof proxyConfig> {
  try {
    return proxyConfig(deps.env, proxy ? { value: proxy, source: 'the join' } : undefined);
  } catch (err) {
    deps.log(`rotation: ignoring the proxy: ${(err as Error).message}`);
    return undefined;
  }
}
