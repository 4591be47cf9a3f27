// One join at a time, run through the agent's entry point (the CLI's too). Keeps what a
// reloading window needs to show the join again, and pushes every event to the window.
import {
  EXIT_CODES,
  maskProxyUrl,
  type JoinEvent,
  type JoinRequest,
  type JoinResult,
  type JoinSnapshot,
  type JoinStatus,
  type JoinUpdate,
  type UiJoinRequest,
} from '../agent/contract/index.js';
import { redactDeep, secretsOf } from './redact.js';

export type JoinFn = (
  request: JoinRequest,
  options: { signal: AbortSignal; credentialCommand?: { command: string; args: string[] } },
) => AsyncGenerator<JoinEvent, JoinResult, void>;

export class JoinSession {
  private joinId = 0;
  private status: JoinStatus = 'idle';
  private events: JoinEvent[] = [];
  private shownRequest: JoinSnapshot['request'];
  private controller: AbortController | undefined;
  private lastProxy: string | undefined;
  private finished: Promise<JoinStatus> = Promise.resolve('idle');

  constructor(
    private readonly join: JoinFn,
    private readonly onUpdate: (update: JoinUpdate) => void,
    /** Fields main adds to every request (paths the window may not choose). */
    private readonly defaults: Partial<JoinRequest> = {},
    /** The exec-plugin command keychain kubeconfigs name (main/credential-command.ts). */
    private readonly credentialCommand?: { command: string; args: string[] },
  ) {}

  /** The proxy the current (or last) join was given, for the rotation that follows it. */
  get proxy(): string | undefined {
    return this.lastProxy;
  }

  get running(): boolean {
    return this.status === 'running';
  }

  snapshot(): JoinSnapshot {
    const snap: JoinSnapshot = { joinId: this.joinId, status: this.status, events: [...this.events] };
    if (this.shownRequest) snap.request = this.shownRequest;
    return snap;
  }

  /** Starts a join; throws if one is running. `settled()` resolves when it ends. */
  start(request: UiJoinRequest | JoinRequest): JoinSnapshot {
    if (this.running) throw new Error('a join is already running: cancel it first');
    const { token, tlsBootstrapToken, ...shown } = request;
    const secrets = secretsOf(token, tlsBootstrapToken);
    this.joinId += 1;
    this.status = 'running';
    this.events = [];
    this.shownRequest = redactDeep(pickShown(shown), secrets);
    this.controller = new AbortController();
    this.lastProxy = ({ ...this.defaults, ...request } as JoinRequest).proxy;
    this.finished = this.run(this.joinId, { ...this.defaults, ...request }, this.controller, secrets);
    this.emit({ joinId: this.joinId, status: 'running' });
    return this.snapshot();
  }

  cancel(): void {
    if (this.running) this.controller?.abort(new Error('cancelled by the operator'));
  }

  /** The status the current (or last) join ended with. */
  settled(): Promise<JoinStatus> {
    return this.finished;
  }

  private async run(joinId: number, request: JoinRequest, controller: AbortController, secrets: string[]): Promise<JoinStatus> {
    const startedAt = Date.now();
    let ok = false;
    try {
      const events = this.join(request, { signal: controller.signal, ...(this.credentialCommand ? { credentialCommand: this.credentialCommand } : {}) });
      for (;;) {
        const next = await events.next();
        if (next.done) {
          if (!this.events.some((e) => e.type === 'result')) this.record(joinId, { type: 'result', result: next.value, at: Date.now() - startedAt }, secrets);
          ok = next.value.ok;
          break;
        }
        this.record(joinId, next.value, secrets);
        if (next.value.type === 'result') ok = next.value.result.ok;
      }
    } catch (err) {
      if (!controller.signal.aborted) this.record(joinId, internalFailure(err, Date.now() - startedAt), secrets);
    }
    this.status = controller.signal.aborted && !ok ? 'cancelled' : ok ? 'succeeded' : 'failed';
    this.emit({ joinId, status: this.status });
    return this.status;
  }

  private record(joinId: number, raw: JoinEvent, secrets: string[]): void {
    const event = redactDeep(raw, secrets);
    if (event.type === 'progress') {
      // Keep only the latest progress message per phase: a long wait stays small.
      this.events = this.events.filter((e) => !(e.type === 'progress' && e.phase === event.phase));
    }
    this.events.push(event);
    this.emit({ joinId, status: this.status, event });
  }

  private emit(update: JoinUpdate): void {
    try {
      this.onUpdate(update);
    } catch {
      // A window that went away must not stop the join.
    }
  }
}

function pickShown(req: Omit<JoinRequest, 'token' | 'tlsBootstrapToken'>): JoinSnapshot['request'] {
  const shown: NonNullable<JoinSnapshot['request']> = {};
  if (req.endpoint !== undefined) shown.endpoint = req.endpoint;
  if (req.caCertHashes !== undefined) shown.caCertHashes = [...req.caCertHashes];
  if (req.unsafeSkipCaVerification !== undefined) shown.unsafeSkipCaVerification = req.unsafeSkipCaVerification;
  if (req.nodeName !== undefined) shown.nodeName = req.nodeName;
  if (req.store !== undefined) shown.store = req.store;
  if (req.proxy !== undefined) shown.proxy = maskProxyUrl(req.proxy);
  return shown;
}

function internalFailure(err: unknown, at: number): JoinEvent {
  const message = err instanceof Error ? err.message : String(err);
  return {
    type: 'result',
    at,
    result: {
      ok: false,
      error: { category: 'internal', exitCode: EXIT_CODES.internal, message: `internal error: ${message}` },
      durationMs: at,
      phaseDurationsMs: {},
    },
  };
}
