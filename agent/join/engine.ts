import { DEFAULT_JOIN_TIMEOUT_MS, maskDeep, type DeviceFacts, type JoinEvent, type JoinRequest, type JoinResult } from '../contract/index.js';
import { Channel } from './channel.js';
import { joinDeviceFacts } from './device-facts.js';
import { KubejoinError, toErrorInfo } from '../errors.js';
import { PhaseClock } from './phase-clock.js';
import { approvalPhase, discoveryPhases, requestPhase, storePhase, validatePhase, verifyPhase, type JoinContext } from './phases.js';
import { alreadyJoinedResult } from './already-joined.js';

export interface JoinOptions {
  /** Cancels the join (the CLI's SIGINT, the UI's cancel button). */
  signal?: AbortSignal;
  /** Environment for store defaults (XDG paths, keychain service). Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** What kubectl runs for the keychain store's exec plugin (default: `kubejoin`). */
  credentialCommand?: { command: string; args: string[] };
  /**
   * Add device facts to the result (default true). Read from node:os and two small files while
   * the join runs, bounded, no subprocess (join/device-facts.ts): they never slow the join.
   */
  deviceFacts?: boolean;
  /** Delay before discovery attempt n (tests shorten it). */
  discoveryDelayMs?: (attempt: number) => number;
  /** Delay before retry n of a transient failure after discovery (tests shorten it). */
  retryDelayMs?: (attempt: number) => number;
}

/**
 * Joins this machine: yields started/progress/succeeded/failed for each phase (see
 * PHASES), then one `result` event, which is also the generator's return value.
 * Never throws for a join failure: the result says what went wrong.
 */
export async function* join(request: JoinRequest, options: JoinOptions = {}): AsyncGenerator<JoinEvent, JoinResult, void> {
  const channel = new Channel<JoinEvent>();
  const secrets = [request.token, request.tlsBootstrapToken].filter((t): t is string => typeof t === 'string');
  const running = runJoin(request, options, (e) => channel.push(maskDeep(e, secrets)))
    .then((r) => maskDeep(r, secrets))
    .finally(() => channel.close());
  for await (const event of channel) yield event;
  return running;
}

/** The one signal of a join: the caller's cancel and the --timeout deadline; and the error each means. */
function joinSignal(req: JoinRequest, cancel: AbortSignal | undefined): { signal: AbortSignal; aborted: () => Error } {
  const timeoutMs = req.timeoutMs ?? DEFAULT_JOIN_TIMEOUT_MS;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = cancel ? AbortSignal.any([cancel, deadline]) : deadline;
  const aborted = (): Error =>
    cancel?.aborted
      ? new KubejoinError('internal', 'the join was cancelled')
      : new KubejoinError('timeout', `the join did not finish within ${Math.round(timeoutMs / 1000)} s (--timeout)`, {
          hint: 'If the certificate is waiting for approval, approve it ("kubectl certificate approve <name>") and join again: the request is reused.',
        });
  return { signal, aborted };
}

async function runJoin(req: JoinRequest, options: JoinOptions, emit: (e: JoinEvent) => void): Promise<JoinResult> {
  const startedAt = performance.now();
  const { signal, aborted } = joinSignal(req, options.signal);
  const phases = new PhaseClock(emit, startedAt, signal, aborted);
  const ctx: JoinContext = { req, options, env: options.env ?? process.env, signal, phases };
  const device = options.deviceFacts === false ? undefined : joinDeviceFacts();
  const finish = async (result: JoinResult): Promise<JoinResult> => {
    // The run lock is released before the result is told (the failure path's clean-up ran under it).
    await ctx.unlock?.().catch(() => undefined);
    ctx.unlock = undefined;
    const facts: DeviceFacts | undefined = await device?.facts();
    const withDevice = facts ? { ...result, device: facts } : result;
    emit({ type: 'result', result: withDevice, at: phases.at() });
    return withDevice;
  };
  const elapsed = (): { durationMs: number; phaseDurationsMs: JoinResult['phaseDurationsMs'] } => ({
    durationMs: Math.round(performance.now() - startedAt),
    phaseDurationsMs: phases.durations,
  });
  try {
    const input = await validatePhase(ctx);
    const cluster = await discoveryPhases(ctx, input);
    const requested = await requestPhase(ctx, input, cluster);
    if (requested.kind === 'already') {
      return await finish(
        await alreadyJoinedResult(requested.already, { nodeName: input.nodeName, cluster, clock: phases, startedAt, verify: requested.verify }),
      );
    }
    const issued = await approvalPhase(ctx, input, requested, cluster);
    const staged = await storePhase(ctx, input, requested, issued, cluster);
    const { identity, stored } = await verifyPhase(ctx, staged);
    return await finish({
      ok: true,
      nodeName: input.nodeName,
      server: cluster.server,
      identity,
      certificate: issued.info,
      store: stored,
      csrName: requested.csr.name,
      ...elapsed(),
    });
  } catch (err) {
    const info = toErrorInfo(err);
    await ctx.staged?.abort().catch(() => undefined);
    // Keep the pending key wherever its CSR may still be approved (timeout, cancel, a store
    // or disk failure): after a refusal or denial it is useless.
    if (ctx.store && (info.category === 'token-refused' || info.category === 'certificate-denied')) await ctx.store.discardPending().catch(() => undefined);
    return finish({ ok: false, ...(phases.failedPhase ? { phase: phases.failedPhase } : {}), error: info, ...elapsed() });
  }
}
