import { randomBytes, X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { AgentObserver } from './agent-loop.js';

// Certificate health for Prometheus (docs/operations.md, "Alerting"): the kubelet's
// certificate-manager metrics under our prefix, in the text exposition format (written here:
// seven series do not need a library at every cold start). Served two ways: a textfile for
// node_exporter's textfile collector, replaced atomically after every check, and /metrics on
// a loopback listener.

type Change = 'ca-added' | 'ca-removed' | 'ca-refused';

export class AgentMetrics implements AgentObserver {
  private notAfterMs: number | undefined;
  private caBundleSize: number | undefined;
  private lastCheckMs: number | undefined;
  private readonly renewals = { success: 0, failure: 0 };
  private readonly changes: Record<'added' | 'removed' | 'refused', number> = { added: 0, removed: 0, refused: 0 };

  constructor(
    private readonly version: string,
    /** Called after every update (the textfile writer). */
    private readonly onUpdate: (text: string) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  checked(sample: { certPem?: string; caBundleSize?: number; at: number }): void {
    if (sample.certPem) {
      try {
        this.notAfterMs = Date.parse(new X509Certificate(sample.certPem).validTo);
      } catch {
        // A certificate we cannot read is reported by the agent itself; the gauge keeps its value.
      }
    }
    if (sample.caBundleSize !== undefined && sample.caBundleSize > 0) this.caBundleSize = sample.caBundleSize;
    this.lastCheckMs = sample.at;
    this.onUpdate(this.render());
  }

  renewal(result: 'success' | 'failure'): void {
    this.renewals[result] += 1;
    this.onUpdate(this.render());
  }

  caChange(change: Change): void {
    this.changes[change === 'ca-added' ? 'added' : change === 'ca-removed' ? 'removed' : 'refused'] += 1;
    this.onUpdate(this.render());
  }

  /** The text exposition format (version 0.0.4). */
  render(): string {
    const out: string[] = [];
    const family = (name: string, type: 'gauge' | 'counter', help: string, samples: [string, number][]): void => {
      if (samples.length === 0) return;
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) out.push(`${name}${labels} ${Number.isInteger(value) ? value : value.toFixed(3)}`);
    };
    const s = (ms: number): number => Math.round(ms / 1000);
    const cert = this.notAfterMs;
    family(
      'kubejoin_client_certificate_ttl_seconds',
      'gauge',
      'Seconds until the node client certificate expires (negative: expired).',
      cert === undefined ? [] : [['', s(cert - this.now())]],
    );
    family(
      'kubejoin_client_certificate_not_after_seconds',
      'gauge',
      'Expiry of the node client certificate, in seconds since the epoch.',
      cert === undefined ? [] : [['', s(cert)]],
    );
    family('kubejoin_renewals_total', 'counter', 'Client certificate renewals by the agent, by result.', [
      ['{result="success"}', this.renewals.success],
      ['{result="failure"}', this.renewals.failure],
    ]);
    family('kubejoin_ca_bundle_changes_total', 'counter', 'Changes of the stored CA bundle (added, removed) and bundles refused.', [
      ['{change="added"}', this.changes.added],
      ['{change="removed"}', this.changes.removed],
      ['{change="refused"}', this.changes.refused],
    ]);
    family('kubejoin_ca_bundle_size', 'gauge', 'CA certificates in the stored bundle.', this.caBundleSize === undefined ? [] : [['', this.caBundleSize]]);
    family(
      'kubejoin_last_check_timestamp_seconds',
      'gauge',
      'When the agent last checked its certificate and the CA bundle, in seconds since the epoch.',
      this.lastCheckMs === undefined ? [] : [['', s(this.lastCheckMs)]],
    );
    family('kubejoin_build_info', 'gauge', 'The kubejoin version.', [[`{version="${escapeLabel(this.version)}"}`, 1]]);
    return `${out.join('\n')}\n`;
  }
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * Replaces `path` with `text` as node_exporter asks: written beside it under a name its
 * collector ignores (not *.prom), then renamed, so it never reads half a file.
 */
export async function writeTextfile(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** A writer that keeps one write in flight and always ends with the latest text. */
export function textfileWriter(path: string, onError: (message: string) => void): (text: string) => void {
  let running = false;
  let pending: string | undefined;
  let reported = false;
  const drain = async (): Promise<void> => {
    running = true;
    while (pending !== undefined) {
      const text = pending;
      pending = undefined;
      await writeTextfile(path, text).then(
        () => (reported = false),
        (err: NodeJS.ErrnoException) => {
          if (!reported) onError(`cannot write the metrics textfile ${path}: ${err.code ?? err.message}`);
          reported = true;
        },
      );
    }
    running = false;
  };
  return (text) => {
    pending = text;
    if (!running) void drain();
  };
}

/** `host:port` (loopback by default); /metrics answers the current exposition. */
export function listenMetrics(address: string, metrics: AgentMetrics): Promise<Server> {
  const m = /^(?:(\[[0-9a-fA-F:]+\]|[^:]+):)?(\d{1,5})$/.exec(address);
  if (!m || Number(m[2]) > 65535) return Promise.reject(new Error(`--metrics-listen must be host:port (e.g. 127.0.0.1:9731), not "${address}"`));
  const host = (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, '');
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(metrics.render());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(m[2]), host, () => resolve(server));
  });
}
