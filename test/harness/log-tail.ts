// The end of a component's log, for the error when it fails to start.
import { open } from 'node:fs/promises';

/** The last `lines` lines of a log file written after byte offset `from`. */
export async function logTail(file: string, lines = 25, from = 0): Promise<string> {
  try {
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      const start = Math.max(from, size - 64 * 1024);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      return buf.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } finally {
      await fh.close();
    }
  } catch {
    return '(no log)';
  }
}
