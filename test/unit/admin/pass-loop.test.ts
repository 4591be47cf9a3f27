import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubejoinError } from '../../../agent/errors.js';
import { runPassLoop, type PassLoopOptions } from '../../../agent/admin/pass-loop.js';
import { watchAndSign, type SignResult } from '../../../agent/admin/signer.js';
import type { SecretLike } from '../../../agent/admin/token-secret.js';

// The admin side's one pass loop (agent/admin/pass-loop.ts), which `cluster approve --watch` and
// `cluster sign --watch` share, with scripted watches: what each watch asks for, what pokes a
// pass, a pass that names the next one due, a failed pass retried, and nothing left after a stop.

type Query = Record<string, string | undefined>;
type Script = (n: number, onEvent: (type: string, rv: string | undefined) => void, signal: AbortSignal) => Promise<KubejoinError | undefined>;

/** A watch (AdminClient.watch) run by `script`; every query it was opened with, per path. */
function fakeWatch(script: Script): { watch: PassLoopOptions['watch']; queries: Map<string, Query[]> } {
  const queries = new Map<string, Query[]>();
  const watch: PassLoopOptions['watch'] = (path, query, _op, onEvent, signal) => {
    const list = queries.get(path) ?? [];
    list.push(query);
    queries.set(path, list);
    return script(list.length, onEvent, signal);
  };
  return { watch, queries };
}

/** Silent until the loop stops it (a proxy holding the stream, a hung server). */
const untilAborted = (signal: AbortSignal): Promise<undefined> =>
  new Promise((r) => (signal.aborted ? r(undefined) : signal.addEventListener('abort', () => r(undefined), { once: true })));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const until = async (what: string, ok: () => boolean, ms = 3000): Promise<void> => {
  for (const end = Date.now() + ms; !ok(); await sleep(10)) if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
};

const CSRS = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const csrWatch = { path: CSRS, query: { fieldSelector: 'spec.signerName=x' }, op: { verb: 'watch' as const, resource: 'certificatesigningrequests' } };

describe('the admin pass loop', () => {
  it('valid: every watch asks for bookmarks and a server timeout, resumes from the list or the last event, and its events poke a pass', async () => {
    const stop = new AbortController();
    let passes = 0;
    const { watch, queries } = fakeWatch(async (n, onEvent, signal) => {
      if (n > 1) return untilAborted(signal);
      onEvent('ADDED', '5');
      onEvent('BOOKMARK', '7');
      return undefined; // the server ended it
    });
    const done = runPassLoop({
      signal: stop.signal,
      // The first pass's list was at version 3; the second's gives none (the watch keeps its own).
      pass: async () => (++passes === 1 ? { versions: { [CSRS]: '3' } } : undefined),
      onError: assert.fail,
      watch,
      watches: [csrWatch],
      watchDelayMs: () => 5,
    });
    await until('a second watch and the event pass', () => (queries.get(CSRS)?.length ?? 0) >= 2 && passes >= 2);
    stop.abort();
    await done;
    assert.deepEqual(queries.get(CSRS), [
      { fieldSelector: 'spec.signerName=x', allowWatchBookmarks: 'true', timeoutSeconds: '60', resourceVersion: '3' },
      { fieldSelector: 'spec.signerName=x', allowWatchBookmarks: 'true', timeoutSeconds: '60', resourceVersion: '7' },
    ]);
    assert.equal(passes, 2, 'one pass at start, one for the event (a bookmark pokes none)');
  });

  it('valid: passes never overlap; pokes during a pass run one more after it', async () => {
    const stop = new AbortController();
    let running = 0;
    let most = 0;
    let passes = 0;
    const { watch } = fakeWatch(async (n, onEvent, signal) => {
      for (let i = 0; n === 1 && i < 5; i++) {
        await sleep(15);
        onEvent('MODIFIED', String(i));
      }
      return untilAborted(signal);
    });
    const done = runPassLoop({
      signal: stop.signal,
      debounceMs: 1,
      pass: async () => {
        most = Math.max(most, ++running);
        await sleep(40);
        running--;
        passes++;
      },
      onError: assert.fail,
      watch,
      watches: [csrWatch],
    });
    await sleep(400);
    stop.abort();
    await done;
    assert.equal(most, 1, 'never two passes at once');
    assert.ok(passes >= 2 && passes <= 6, `${passes} passes`);
  });

  it('invalid: a failed pass is reported and tried again; a stop leaves no pass behind', async () => {
    const stop = new AbortController();
    const errors: string[] = [];
    let passes = 0;
    const { watch } = fakeWatch((_n, _e, signal) => untilAborted(signal));
    const done = runPassLoop({
      signal: stop.signal,
      pass: async () => {
        if (++passes === 1) throw new Error('HTTP 503');
      },
      onError: (e) => errors.push(e.message),
      watch,
      watches: [csrWatch],
    });
    await until('the retry', () => passes >= 2);
    stop.abort();
    await done;
    assert.deepEqual(errors, ['HTTP 503']);
    await sleep(1100);
    assert.equal(passes, 2, 'no pass after the stop');
  });
});

describe('cluster sign --watch on the pass loop', () => {
  const KUBECONFIG = 'apiVersion: v1\nclusters: []\n';
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const secret = (id: string, extra: Record<string, string> = {}): SecretLike => ({
    metadata: { name: `bootstrap-token-${id}` },
    type: 'bootstrap.kubernetes.io/token',
    data: Object.fromEntries(
      Object.entries({ 'token-id': id, 'token-secret': 'aaaaaaaaaaaaaaaa', 'usage-bootstrap-signing': 'true', ...extra }).map(([k, v]) => [k, b64(v)]),
    ),
  });

  it('valid: watches the token Secrets and cluster-info, and removes a signature when its token expires (no event comes for that)', async () => {
    const expiresMs = Math.ceil(Date.now() / 1000) * 1000 + 3000;
    const start = Date.now();
    // The clock reads 200 ms before the expiry at start: the pass due at it comes 1.2 s later.
    const now = (): number => expiresMs - 200 + (Date.now() - start);
    const secrets = [secret('aaaaaa'), secret('bbbbbb', { expiration: new Date(expiresMs).toISOString().replace('.000Z', 'Z') })];
    let data: Record<string, string> = { kubeconfig: KUBECONFIG };
    const passes: SignResult[] = [];
    const at: number[] = [];
    const { watch, queries } = fakeWatch((_n, _e, signal) => untilAborted(signal));
    const stop = new AbortController();
    const done = watchAndSign(
      {
        getConfigMap: async () => ({ metadata: { name: 'cluster-info', namespace: 'kube-public', resourceVersion: '1' }, data: { ...data } }),
        listTokenSecrets: async () => Object.assign([...secrets], { resourceVersion: '42' }),
        replaceConfigMap: async (body) => ((data = body.data!), body),
        watch,
      },
      { signal: stop.signal, now, onPass: (r) => (passes.push(r), at.push(now())), onError: assert.fail },
    );
    await until('the pass at the expiry', () => passes.length >= 2);
    stop.abort();
    await done;
    assert.deepEqual(passes[0]!.added, ['aaaaaa', 'bbbbbb']);
    assert.equal(passes[0]!.nextExpiryMs, expiresMs);
    assert.deepEqual(passes[1]!.removed, ['bbbbbb']);
    assert.ok(at[1]! >= expiresMs, 'the second pass came after the expiry');
    assert.equal(passes.length, 2, 'no event, so no other pass');
    assert.deepEqual(Object.keys(data).sort(), ['jws-kubeconfig-aaaaaa', 'kubeconfig']);
    assert.deepEqual([...queries.keys()], ['/api/v1/namespaces/kube-system/secrets', '/api/v1/namespaces/kube-public/configmaps']);
    // The Secrets' watch resumes from their list; cluster-info is read by name (no list version).
    const [secretsQuery, configMapQuery] = [
      queries.get('/api/v1/namespaces/kube-system/secrets')![0]!,
      queries.get('/api/v1/namespaces/kube-public/configmaps')![0]!,
    ];
    assert.deepEqual([secretsQuery.fieldSelector, secretsQuery.resourceVersion], ['type=bootstrap.kubernetes.io/token', '42']);
    assert.deepEqual([configMapQuery.fieldSelector, configMapQuery.resourceVersion], ['metadata.name=cluster-info', undefined]);
  });
});
