import { StringDecoder } from 'node:string_decoder';
import { BodyLimitError } from './errors.js';

// Bounded reading: the cap is checked on every chunk before it is kept, so a server can
// never make us buffer more than the cap (docs/protocol.md §7). UTF-8 is decoded across
// chunk boundaries (a character split between two chunks stays whole).

export const MiB = 1024 * 1024;
/** Caps of what the join path reads from the network. */
export const LIMITS = {
  clusterInfo: MiB,
  object: MiB,
  watchLine: MiB,
  discoveryUrl: MiB,
} as const;

/**
 * Reads `chunks` as UTF-8 text of at most `limit` bytes, decoding across chunk boundaries; past
 * the limit it throws what `tooLarge` makes (a response body, a file, stdin: one reader).
 */
export async function readBounded(chunks: AsyncIterable<Buffer | string>, limit: number, tooLarge: () => Error): Promise<string> {
  const decoder = new StringDecoder('utf8');
  let size = 0;
  let text = '';
  for await (const chunk of chunks) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (size > limit) throw tooLarge();
    text += decoder.write(buf);
  }
  return text + decoder.end();
}

/**
 * Splits a byte stream into lines ('\n', a trailing '\r' dropped, blank lines skipped),
 * each decoded as UTF-8 whole. A line longer than `limit` bytes throws BodyLimitError
 * before more of it is buffered.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingSize = 0;

  constructor(
    private readonly limit: number,
    private readonly what: string,
  ) {}

  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
      this.take(chunk.subarray(start, nl));
      const line = this.flush();
      if (line !== undefined) lines.push(line);
      start = nl + 1;
    }
    if (start < chunk.length) this.take(chunk.subarray(start));
    return lines;
  }

  /** The last line when the stream ended without a newline. */
  end(): string | undefined {
    return this.flush();
  }

  private take(part: Buffer): void {
    this.pendingSize += part.length;
    if (this.pendingSize > this.limit) {
      this.pending = [];
      this.pendingSize = 0;
      throw new BodyLimitError(this.what, this.limit);
    }
    if (part.length > 0) this.pending.push(Buffer.from(part));
  }

  private flush(): string | undefined {
    const line = Buffer.concat(this.pending, this.pendingSize).toString('utf8').trim();
    this.pending = [];
    this.pendingSize = 0;
    return line === '' ? undefined : line;
  }
}
