import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterHandle } from '../harness/index.js';
import { uniqueName } from '../helpers/cli.js';
import { eventually } from '../helpers/poll.js';
import { workdir } from '../helpers/temp.js';
import { faultyFront, type Fault, type Front } from './hostile/front.js';
import { approversOfFile, boundCluster, boundToken, csrsOf, secretExists, startJoin } from './admin/bound-helpers.js';

// docs/protocol.md §10.6 for `cluster approve --watch`: behind a front end of our own that holds
// every watch silent, buffers watch events to 64 KiB, or closes every watch after 2 s, the CSR a
// node makes with its bound token is approved within 20 s of being created, the node joins with
// one CSR, the single-use token is spent, and the front counts no tight loop of requests. The
// approver runs as kubejoin:approver (only the RBAC of `cluster prepare --bound-tokens`); the
// join goes to the cluster directly, so the front sees only the approver.

let c: ClusterHandle;
let approverKc: string;
before(async () => ({ c, approverKc } = await boundCluster()));

const CSRS = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const SECRETS = '/api/v1/namespaces/kube-system/secrets';
const BOUND_MS = 20_000;
const MODES: [string, Fault][] = [
  ['(a) every watch silent after its headers', { kind: 'silent-watch' }],
  ['(b) watch events held until 64 KiB are buffered', { kind: 'buffer-watch', bytes: 64 * 1024 }],
  ['(c) every watch closed after 2 s', { kind: 'close-watch', ms: 2000 }],
];

const approver = approversOfFile();

/** What the approver asked the front in [from, to]: lists of CSRs and of Secrets, watches, everything. */
function asked(front: Front, from: number, to: number): { lists: number; secretLists: number; watches: number; total: number; detail: string } {
  const inWindow = front.log.filter((l) => l.at >= from && l.at <= to);
  return {
    lists: inWindow.filter((l) => l.request === `GET ${CSRS}`).length,
    secretLists: inWindow.filter((l) => l.request === `GET ${SECRETS}`).length,
    watches: inWindow.filter((l) => l.request === `GET ${CSRS} (watch)`).length,
    total: inWindow.length,
    detail: JSON.stringify(inWindow.map((l) => [l.request, l.at - from])),
  };
}

async function createdAt(name: string): Promise<number> {
  const res = await c.request({ path: `${CSRS}/${name}` });
  return Date.parse(res.json<{ metadata: { creationTimestamp: string } }>().metadata.creationTimestamp);
}

describe('cluster approve --watch behind a front that mangles watches', { concurrency: false }, () => {
  for (const [name, fault] of MODES) {
    it(`valid: ${name}: a bound CSR is approved within 20 s of being created, one CSR, token spent, no tight loop, SIGTERM exits 0`, async (t) => {
      const front = await faultyFront(c, (_method, path) => (path.endsWith('?watch') ? fault : undefined), { impersonate: true });
      t.after(() => front.close());
      const dir = await workdir(t);
      const conf = join(dir, 'approver.conf');
      const text = await readFile(approverKc, 'utf8');
      const pointed = text.replace(/server: \S+/, `server: ${front.server}`);
      assert.notEqual(pointed, text);
      await writeFile(conf, pointed, { mode: 0o600 });

      const a = approver(conf);
      // Up (its signal handlers too), and its watch open through the front before the node comes.
      await eventually('the approver up', async () => (a.stderr().includes('approving the requests of bound tokens') ? true : undefined));
      await eventually('the watch through the front', async () => (front.log.some((l) => l.fault === fault.kind) ? true : undefined));

      const node = uniqueName('silentapprove');
      const { token, id } = await boundToken(c, node, ['--single-use']);
      const join1 = startJoin(c, token, node);
      const approved = await eventually(
        `the approval of token ${id}'s CSR`,
        async () => a.lines.find((l) => l.token === id && l.decision === 'approve'),
        60_000,
      );
      const created = await createdAt(approved.csr);
      const ms = approved.seenAt - created;
      assert.ok(ms <= BOUND_MS, `approved ${ms} ms after the CSR was created; approver:\n${a.stderr()}`);
      assert.equal(approved.node, node);
      assert.equal(approved.message, `kubejoin: token ${id} is bound to ${node}`);

      // No tight loop: a pass (a list of CSRs and one of bound token Secrets) per 7.5 s of silence
      // at most, one for each event and for the start; a watch per backoff.
      const w = asked(front, created, approved.seenAt);
      t.diagnostic(`approved ${ms} ms after the CSR was created; meanwhile ${w.lists} + ${w.secretLists} lists, ${w.watches} watches, ${w.total} requests`);
      assert.ok(w.lists <= Math.ceil(ms / 7_500) + 4, `${w.lists} lists of CSRs in ${ms} ms: ${w.detail}`);
      assert.ok(w.secretLists <= w.lists + 1, `${w.secretLists} lists of Secrets in ${ms} ms: ${w.detail}`);
      assert.ok(w.watches <= 12, `${w.watches} watches in ${ms} ms: ${w.detail}`);
      assert.ok(w.total <= 40, `${w.total} requests in ${ms} ms: ${w.detail}`);

      const r = await join1.done;
      assert.equal(r.code, 0, `join failed:\n${r.stdout}\n${r.stderr}`);
      // Spent once issued: the approver sees the certificate through the same front (an event, or the read on silence).
      await eventually(`token ${id} spent`, async () => (a.lines.some((l) => l.token === id && l.decision === 'spent') ? true : undefined), 60_000);
      assert.equal(await secretExists(c, id), false, 'the single-use token was deleted');
      const csrs = await csrsOf(c, id);
      assert.equal(csrs.length, 1, 'exactly one CSR');
      assert.equal(csrs[0]!.metadata.name, approved.csr);
      assert.deepEqual(
        (csrs[0]!.status?.conditions ?? []).map((x) => [x.type, x.reason]),
        [['Approved', 'KubejoinBoundToken']],
      );
      assert.ok(csrs[0]!.status?.certificate, 'the certificate was issued');
      assert.deepEqual(
        a.lines.filter((l) => l.token === id).map((l) => [l.decision, l.csr]),
        [
          ['approve', approved.csr],
          ['spent', approved.csr],
        ],
      );

      a.child.kill('SIGTERM');
      assert.equal(await a.exit, 0, a.stderr());
      const errors = a
        .stderr()
        .split('\n')
        .filter((l) => l.includes('"error"'));
      assert.deepEqual(errors, [], 'no error while the front mangled the watches');
      assert.ok(!(a.stderr() + JSON.stringify(a.lines)).includes(token.split('.')[1]!), 'the token secret is in no output');
    });
  }
});
