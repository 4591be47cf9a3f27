import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { UsageError } from '../errors.js';
import { readBounded } from './body.js';

// Every file (and stdin) the join reads is capped before it is buffered: a token file, a
// --config, a provisioning file or a discovery file is a few hundred bytes, so a wrong path
// (/dev/zero, a disk image) ends with a clear message instead of filling memory.

export const FILE_LIMIT = 64 * 1024;

const CHUNK = 16 * 1024;

function tooLarge(what: string, limit: number): UsageError {
  return new UsageError(`${what} is larger than the limit of ${limit / 1024} KiB: is it the right file?`);
}

/** Reads `path` as UTF-8, at most `limit` bytes; UsageError past it. fs errors are thrown as they are. */
export async function readBoundedFile(path: string, what: string, limit = FILE_LIMIT): Promise<string> {
  const handle = await open(path, 'r');
  try {
    return await readBoundedStream(chunksOf(handle), what, limit);
  } finally {
    await handle.close();
  }
}

async function* chunksOf(handle: Awaited<ReturnType<typeof open>>): AsyncGenerator<Buffer> {
  for (;;) {
    const buf = Buffer.alloc(CHUNK);
    const { bytesRead } = await handle.read(buf, 0, CHUNK, null);
    if (bytesRead === 0) return;
    yield buf.subarray(0, bytesRead);
  }
}

/** Reads a stream (stdin) as UTF-8, at most `limit` bytes, decoding across chunk boundaries. */
export function readBoundedStream(chunks: AsyncIterable<Buffer | string>, what: string, limit = FILE_LIMIT): Promise<string> {
  return readBounded(chunks, limit, () => tooLarge(what, limit));
}

/** The synchronous twin (a CA file named inside a kubeconfig). */
export function readBoundedFileSync(path: string, what: string, limit = FILE_LIMIT): string {
  const fd = openSync(path, 'r');
  try {
    const decoder = new StringDecoder('utf8');
    const buf = Buffer.alloc(CHUNK);
    let size = 0;
    let text = '';
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) return text + decoder.end();
      size += n;
      if (size > limit) throw tooLarge(what, limit);
      text += decoder.write(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
}
