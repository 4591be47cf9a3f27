import type { JoinEvent, Phase } from '../contract/index.js';
import { toErrorInfo } from '../errors.js';
import { crashPoint } from '../store/crash-point.js';

/** What a phase reports while it runs. */
export type Progress = (message: string, attempt?: number) => void;

/**
 * Runs the join's phases: emits started/progress/succeeded/failed for each, with durations,
 * and holds every phase to the join's one AbortSignal (its deadline and its cancel): when the
 * signal aborts, the phase ends at once with the join's own error, whatever its work was doing.
 */
export class PhaseClock {
  readonly durations: Partial<Record<Phase, number>> = {};
  /** The phase that failed, if one did. */
  failedPhase: Phase | undefined;

  constructor(
    private readonly emit: (event: JoinEvent) => void,
    private readonly startedAt: number,
    private readonly signal: AbortSignal,
    /** The error a phase ends with when the signal aborts (a timeout, or a cancel). */
    private readonly aborted: () => Error,
  ) {}

  at(): number {
    return Math.round(performance.now() - this.startedAt);
  }

  async run<T>(phase: Phase, work: (progress: Progress) => Promise<T>, summary?: (value: T) => string | undefined): Promise<T> {
    const begun = performance.now();
    this.emit({ type: 'started', phase, at: this.at() });
    crashPoint(phase);
    const progress: Progress = (message, attempt) =>
      this.emit({ type: 'progress', phase, message, ...(attempt === undefined ? {} : { attempt }), at: this.at() });
    try {
      const value = await this.bounded(work(progress));
      const durationMs = Math.round(performance.now() - begun);
      this.durations[phase] = durationMs;
      const message = summary?.(value);
      this.emit({ type: 'succeeded', phase, durationMs, ...(message === undefined ? {} : { message }), at: this.at() });
      return value;
    } catch (err) {
      const durationMs = Math.round(performance.now() - begun);
      this.durations[phase] = durationMs;
      this.failedPhase = phase;
      this.emit({ type: 'failed', phase, durationMs, error: toErrorInfo(err), at: this.at() });
      throw err;
    }
  }

  /** The work, or the join's error as soon as the signal aborts. */
  private bounded<T>(work: Promise<T>): Promise<T> {
    const { signal } = this;
    if (signal.aborted) {
      work.catch(() => undefined);
      return Promise.reject(this.aborted());
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(this.aborted());
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(
        (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
        (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(signal.aborted ? this.aborted() : e)),
      );
    });
  }
}
