import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse, stringify } from 'yaml';
import { readYamlSubset, YamlSubsetError } from '../../../agent/protocol/yaml-subset.js';
import { clusterOf, renderKubeconfig } from '../../../agent/protocol/kubeconfig.js';
import { anyText, fc, RUNS, TIME_LIMIT_MS } from './fuzz.js';

// The kubeconfig reader of the join path against a full YAML 1.2 parser (the `yaml` package,
// which read cluster-info before): whatever the small reader accepts, `yaml` reads the same;
// whatever it refuses, it refuses with its own error. And what kubejoin writes, it reads back.

const opts = { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false };
const tricky = fc.constantFrom(
  ...['', ' ', '-', '- ', ':', ': ', '#', ' #', '"', "'", '\\', '{}', '[]', '{', '[', '&a', '*a', '!t', '|', '>', '%', '@', '`', '~', 'null', 'yes'],
  ...[
    'true',
    'False',
    '0x1f',
    '0o7',
    '1e3',
    '.5',
    '.inf',
    '-.Inf',
    '.nan',
    '007',
    '+1',
    'https://h:6443',
    '\t',
    '\r',
    '\n',
    '\n  ',
    '\n- ',
    'é',
    '\u2028',
    '\u0085',
  ],
);
const scalarText = fc.oneof(
  anyText,
  tricky,
  fc.array(tricky, { maxLength: 4 }).map((a) => a.join('')),
);
const leaf = fc.oneof(scalarText, fc.integer(), fc.boolean(), fc.constant(null));
const key = fc.oneof(fc.constantFrom('apiVersion', 'clusters', 'cluster', 'server', 'name', 'certificate-authority-data', 'users'), scalarText);
const tree = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('list'), tie('map')),
  list: fc.array(tie('node'), { maxLength: 3 }),
  map: fc.dictionary(key, tie('node'), { maxKeys: 4 }),
})).map;

/** client-go's layout: sequences not indented under their key. */
const clientGo = (v: unknown): string => stringify(v, { indentSeq: false });
const mutation = fc.tuple(fc.nat(), fc.nat(3), scalarText);
function mutate(text: string, [at, len, insert]: [number, number, string]): string {
  const i = text.length === 0 ? 0 : at % text.length;
  return text.slice(0, i) + insert + text.slice(i + len);
}

const documents = fc.oneof(
  tree.map((t) => stringify(t)),
  tree.map(clientGo),
  fc.tuple(tree, mutation).map(([t, m]) => mutate(stringify(t), m)),
  fc.tuple(tree, mutation).map(([t, m]) => mutate(clientGo(t), m)),
  fc.tuple(tree, mutation).map(([t, m]) => mutate(JSON.stringify(t), m)),
  anyText,
);

describe('fuzz: the kubeconfig YAML subset against a full YAML parser', () => {
  it('accepted means read exactly as `yaml` reads it; refused means a YamlSubsetError', () => {
    fc.assert(
      fc.property(documents, (text) => {
        let mine: unknown;
        try {
          mine = readYamlSubset(text);
        } catch (err) {
          assert.ok(err instanceof YamlSubsetError, `threw ${(err as Error).name}: ${(err as Error).message}`);
          return;
        }
        let full: unknown;
        try {
          full = parse(text, { prettyErrors: false, logLevel: 'silent' });
        } catch (err) {
          assert.fail(`the subset reader accepted what yaml refuses (${(err as Error).message.split('\n')[0]}): ${JSON.stringify(text)}`);
        }
        assert.deepEqual(mine, full, JSON.stringify(text));
      }),
      // Found by this test: a Unicode space (U+2000) is text to YAML, not whitespace.
      { ...opts, examples: [['clusters:\n  - ":":  \u2000x\n'], ['a: \u00a0b\u3000\n']] },
    );
  });

  it('every kubeconfig kubejoin writes is read back, values intact', () => {
    const value = fc.oneof(
      scalarText.filter((s) => s.length > 0),
      fc.webUrl(),
    );
    fc.assert(
      fc.property(fc.webUrl({ validSchemes: ['https'] }), fc.array(value, { maxLength: 6 }), value, (server, args, command) => {
        const caPem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
        for (const user of [
          { kind: 'exec' as const, command, args },
          { kind: 'files' as const, certFile: command, keyFile: args[0] ?? 'k' },
        ]) {
          const text = renderKubeconfig({ server, caPem }, user);
          assert.deepEqual(readYamlSubset(text), parse(text));
          assert.deepEqual(clusterOf(text, 'x'), { name: 'default-cluster', server, caPem });
        }
      }),
      opts,
    );
  });
});
