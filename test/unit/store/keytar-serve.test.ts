// The helper's side (agent/store/keytar-serve.ts): the script `node -e` runs is assembled from
// source text, so it is run here for real, in a child Node, over a keytar of our own (a module
// file) that keeps entries in memory, answers slowly, refuses, or crashes like libsecret.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { runKeytar, setKeychainHelperLauncher, stdioLauncher } from '../../../agent/store/keytar-child.js';
import { NODE_HELPER_SCRIPT, answerInOrder, runOps, type HelperReply, type HelperRequest } from '../../../agent/store/keytar-serve.js';
import type { Keytar } from '../../../agent/store/keytar-loader.js';
import { workdir } from '../../helpers/temp.js';

const FAKE_KEYTAR = `
const entries = new Map();
const later = (v, ms = 0) => new Promise((r) => setTimeout(() => r(v), ms));
module.exports = {
  async getPassword(s, a) { if (a === 'crash') process.kill(process.pid, 'SIGSEGV'); return later(entries.get(s + '/' + a) ?? null, a === 'slow' ? 50 : 0); },
  async setPassword(s, a, p) { if (a === 'locked') throw new Error('Cannot create an item in a locked collection\\nmore'); entries.set(s + '/' + a, p); },
  async deletePassword(s, a) { return entries.delete(s + '/' + a); },
  async findCredentials(s) { return [...entries].filter(([k]) => k.startsWith(s + '/')).map(([k, password]) => ({ account: k.slice(s.length + 1), password })); },
};`;

describe('the node -e helper script, run for real', () => {
  afterEach(() => setKeychainHelperLauncher(undefined));

  async function useFake(t: Parameters<typeof workdir>[0]): Promise<void> {
    const path = join(await workdir(t), 'fake-keytar.cjs');
    await writeFile(path, FAKE_KEYTAR);
    setKeychainHelperLauncher(stdioLauncher(process.execPath, ['-e', NODE_HELPER_SCRIPT, path]));
  }

  it('valid: set, get, find (accounts only, never secrets), delete', async (t) => {
    await useFake(t);
    const answers = await runKeytar(
      [
        { op: 'set', service: 's', account: 'a', password: 'p' },
        { op: 'get', service: 's', account: 'a' },
        { op: 'find', service: 's' },
        { op: 'delete', service: 's', account: 'a' },
        { op: 'get', service: 's', account: 'a' },
      ],
      { env: process.env },
    );
    assert.deepEqual(answers, [true, 'p', ['a'], true, null]);
  });

  it("invalid: keytar's refusal comes back as its first line", async (t) => {
    await useFake(t);
    await assert.rejects(
      runKeytar([{ op: 'set', service: 's', account: 'locked', password: 'p' }], { env: process.env }),
      (err: Error & { kind?: string }) => err.kind === 'refused' && err.message === 'Cannot create an item in a locked collection',
    );
  });

  it('invalid: a crash in keytar ends the helper as "crashed (SIGSEGV)", not this process', async (t) => {
    await useFake(t);
    await assert.rejects(
      runKeytar([{ op: 'get', service: 's', account: 'crash' }], { env: process.env }),
      (err: Error & { kind?: string }) => err.kind === 'crashed' && /crashed \(SIGSEGV\)/.test(err.message),
    );
  });
});

describe('answerInOrder', () => {
  it('valid: answers in arrival order even when a later request would finish first', async () => {
    const keytar = {
      getPassword: (_s: string, a: string) => new Promise<string>((r) => setTimeout(() => r(a), a === 'slow' ? 30 : 0)),
    } as unknown as Keytar;
    const replies: HelperReply[] = [];
    let push: (req: HelperRequest) => void = () => undefined;
    const drained = answerInOrder(
      keytar,
      runOps,
      (on) => (push = on),
      (msg) => replies.push(msg),
    );
    push({ id: 1, ops: [{ op: 'get', service: 's', account: 'slow' }] });
    push({ id: 2, ops: [{ op: 'get', service: 's', account: 'fast' }] });
    await drained();
    assert.deepEqual(replies, [
      { id: 1, ok: ['slow'] },
      { id: 2, ok: ['fast'] },
    ]);
  });
});
