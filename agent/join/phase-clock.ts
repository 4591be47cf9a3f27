import type { JoinEvent, Phase } from '../contract/index.js';
import { toErrorInfo } from '../errors.js';
import { crashPoint } from '../store/crash-point.js';

/** Emits started/progress/succeeded/failed for each phase, with durations. */
export class PhaseClock {
  readonly durations: Partial<Record<Phase, number>> = {};
  /** The phase that failed, if one did. */
  failedPhase: Phase | undefined;

  constructor(
    private readonly emit: (event: JoinEvent) => void,
    private readonly startedAt: number,
  ) {}

  at(): number {
    return Math.round(performance.now() - this.startedAt);
  }

  async run<T>(
    phase: Phase,
    work: (progress: (message: string, attempt?: number) => void) => Promise<T>,
    summary?: (value: T) => string | undefined,
  ): Promise<T> {
    const begun = performance.now();
    this.emit({ type: 'started', phase, at: this.at() });
    crashPoint(phase);
    const progress = (message: string, attempt?: number): void =>
      this.emit({ type: 'progress', phase, message, ...(attempt === undefined ? {} : { attempt }), at: this.at() });
    try {
      const value = await work(progress);
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
}
