import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fetchSignedClusterInfo, refetchVerified, type PollOptions } from '../../../agent/discovery/token.js';
import { KubejoinError } from '../../../agent/errors.js';
import { sharedAgent } from '../../../agent/transport/http.js';
import { TOKEN_ID } from '../../helpers/fixtures.js';
import { CACHED, FRESH, KUBECONFIG, NOT_FOUND, SIGNATURE, SIGNED, UNSIGNED, configMap, scriptedServer, type Scripted } from './scripted-server.js';

// Discovery's reads from the API server's cache (docs/protocol.md §3.1, §3.6): the first read
// of each fetch asks for any version (resourceVersion=0, no etcd read); what a cache behind
// etcd may lack is asked of etcd at once, before any wait, and a verified copy that differs
// from the first is read again from etcd before it counts as a change.

let server: Scripted;
before(async () => void (server = await scriptedServer()));
after(() => server.close());
beforeEach(() => server.reset());

function options(extra: Partial<PollOptions> = {}): PollOptions & { retries: string[] } {
  const retries: string[] = [];
  return { agent: sharedAgent({ insecure: true }), timeoutMs: 5000, onRetry: (reason) => retries.push(reason), delayMs: () => 20, ...extra, retries };
}

const OTHER = configMap({ kubeconfig: `${KUBECONFIG}# another CA\n`, [`jws-kubeconfig-${TOKEN_ID}`]: SIGNATURE });

describe('discovery reads the API server cache first', () => {
  it('valid: a cache still without our signature: etcd is asked at once and has it, no wait', async () => {
    server.cache = UNSIGNED;
    server.script = [SIGNED];
    const opts = options();
    const info = await fetchSignedClusterInfo(server.endpoint, TOKEN_ID, opts);
    assert.equal(info.signature, SIGNATURE);
    assert.deepEqual(server.paths, [CACHED, FRESH]);
    assert.deepEqual(opts.retries, [], 'no retry, no wait');
  });

  it('valid: a cache that has not seen the ConfigMap yet (404): etcd is asked at once', async () => {
    server.cache = NOT_FOUND;
    server.script = [SIGNED];
    await fetchSignedClusterInfo(server.endpoint, TOKEN_ID, options());
    assert.deepEqual(server.paths, [CACHED, FRESH]);
  });

  it('valid: a transient answer is not repeated at once to etcd; the retry after the wait asks etcd', async () => {
    server.cache = { status: 503 };
    server.script = [SIGNED];
    const opts = options();
    await fetchSignedClusterInfo(server.endpoint, TOKEN_ID, opts);
    assert.deepEqual(server.paths, [CACHED, FRESH]);
    assert.deepEqual(opts.retries, ['the server answered HTTP 503']);
  });

  it('valid: freshOnly never asks the cache', async () => {
    server.script = [SIGNED];
    await fetchSignedClusterInfo(server.endpoint, TOKEN_ID, options({ freshOnly: true }));
    assert.deepEqual(server.paths, [FRESH]);
  });
});

describe('the verified re-fetch against a cache', () => {
  const first = { kubeconfig: KUBECONFIG, signature: SIGNATURE };

  it('valid: the same kubeconfig from the cache: one read', async () => {
    server.script = [SIGNED];
    await refetchVerified(server.endpoint, TOKEN_ID, first, options());
    assert.deepEqual(server.paths, [CACHED]);
  });

  it('valid: a cache still showing an older kubeconfig: etcd decides, and has the same one', async () => {
    server.cache = OTHER;
    server.script = [SIGNED];
    await refetchVerified(server.endpoint, TOKEN_ID, first, options());
    assert.deepEqual(server.paths, [CACHED, FRESH]);
  });

  it('invalid: etcd too has another kubeconfig: changed between the fetches, exit 3', async () => {
    server.script = [OTHER];
    await assert.rejects(refetchVerified(server.endpoint, TOKEN_ID, first, options()), (e: unknown) => {
      assert.ok(e instanceof KubejoinError);
      assert.equal(e.category, 'untrusted-cluster');
      assert.match(e.message, /changed between the unverified and the verified fetch/);
      return true;
    });
    assert.deepEqual(server.paths, [CACHED, FRESH]);
  });
});
