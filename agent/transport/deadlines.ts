import type { Stage } from './errors.js';

// Each stage of a request has its own bound (docs/protocol.md §7); a request also has a
// total deadline (its timeoutMs) and is aborted with its caller's signal (the discovery or
// join deadline). Whichever comes first ends it, naming the stage it was in.

export type StageDeadlines = Readonly<Record<Stage, number>>;

export const DEFAULT_DEADLINES: StageDeadlines = {
  dns: 5_000,
  connect: 10_000,
  handshake: 10_000,
  headers: 30_000,
  body: 30_000,
};

/** What a request shares with the connection it waits for: the stage it is in, and its end. */
export interface Progress {
  stage: Stage;
}

/** One timer that is re-armed for each stage; `fire` gets the stage that ran out. */
export class StageTimer {
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly progress: Progress,
    private readonly fire: (stage: Stage, ms: number) => void,
  ) {}

  enter(stage: Stage, ms: number | undefined): void {
    this.progress.stage = stage;
    this.clear();
    if (ms === undefined || !Number.isFinite(ms)) return;
    this.timer = setTimeout(() => this.fire(stage, ms), ms);
    this.timer.unref?.();
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
