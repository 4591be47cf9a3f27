import { stringify } from 'yaml';
import { formatToken } from '../protocol/token.js';
import { formatRfc3339Utc, shortHumanDuration } from '../protocol/go-time.js';
import { maskedToken, type TokenInfo } from './token-secret.js';

// `token list` output: kubeadm's table (its columns, padding and tabwriter settings) and, for
// scripts, a List of kubeadm's output.kubeadm.k8s.io/v1alpha3 BootstrapToken objects. The token
// secret is masked unless the operator asked for it. Pure: the clock is a parameter.

export const LIST_COLUMNS = ['TOKEN', 'TTL', 'EXPIRES', 'USAGES', 'DESCRIPTION', 'EXTRA GROUPS'] as const;
export type ListFormat = 'table' | 'wide' | 'json' | 'yaml';

function tokenText(t: TokenInfo, showSecrets: boolean): string {
  return showSecrets ? formatToken(t) : maskedToken(t.id);
}

const oneLine = (s: string): string => s.replace(/[\r\n\t]+/g, ' ');

/** kubeadm's formatBootstrapToken cells (fixed-width TTL, USAGES and DESCRIPTION). */
export function tableRow(t: TokenInfo, nowMs: number, showSecrets: boolean): string[] {
  const ttl = t.expiresMs === undefined ? '<forever>' : shortHumanDuration(t.expiresMs - nowMs);
  const expires = t.expiresMs === undefined ? '<never>' : formatRfc3339Utc(t.expiresMs);
  const usages = t.usages.length > 0 ? t.usages.join(',') : '<none>';
  const description = t.description !== '' ? oneLine(t.description) : '<none>';
  const groups = t.groups.length > 0 ? t.groups.join(',') : '<none>';
  return [tokenText(t, showSecrets), ttl.padEnd(9), expires, usages.padEnd(22), description.padEnd(56), groups];
}

/** Go's text/tabwriter with kubeadm's settings (minwidth 10, padding 3, pad with spaces). */
export function tabulate(rows: readonly (readonly string[])[]): string {
  const columns = Math.max(0, ...rows.map((r) => r.length - 1));
  const widths: number[] = [];
  for (let c = 0; c < columns; c++) {
    widths.push(Math.max(10, ...rows.map((r) => (c < r.length - 1 ? [...r[c]!].length + 3 : 0))));
  }
  return rows
    .map((r) => r.map((cell, c) => (c < r.length - 1 ? cell + ' '.repeat(widths[c]! - [...cell].length) : cell)).join(''))
    .map((line) => `${line}\n`)
    .join('');
}

/** `-o wide` adds two columns after kubeadm's for bound tokens (docs/enrollment.md); the default table stays kubeadm's. */
export const BOUND_COLUMNS = ['NODE', 'SINGLE-USE'] as const;

export function formatTable(tokens: readonly TokenInfo[], nowMs: number, showSecrets: boolean, wide = false): string {
  if (tokens.length === 0) return '';
  if (!wide) return tabulate([[...LIST_COLUMNS], ...tokens.map((t) => tableRow(t, nowMs, showSecrets))]);
  const bound = (t: TokenInfo): string[] => [t.nodeName ?? '<any>', t.nodeName === undefined ? '-' : t.singleUse ? 'yes' : 'no'];
  return tabulate([[...LIST_COLUMNS, ...BOUND_COLUMNS], ...tokens.map((t) => [...tableRow(t, nowMs, showSecrets), ...bound(t)])]);
}

/** kubeadm's output object for one token (omitempty fields left out). */
export function outputObject(t: TokenInfo, showSecrets: boolean): Record<string, unknown> {
  const o: Record<string, unknown> = { kind: 'BootstrapToken', apiVersion: 'output.kubeadm.k8s.io/v1alpha3', token: tokenText(t, showSecrets) };
  if (t.description !== '') o.description = t.description;
  if (t.expiresMs !== undefined) o.expires = formatRfc3339Utc(t.expiresMs);
  if (t.usages.length > 0) o.usages = t.usages;
  if (t.groups.length > 0) o.groups = t.groups;
  // kubejoin's additions for bound tokens (docs/enrollment.md).
  if (t.nodeName !== undefined) o.nodeName = t.nodeName;
  if (t.singleUse) o.singleUse = true;
  return o;
}

export function formatTokens(format: ListFormat, tokens: readonly TokenInfo[], nowMs: number, showSecrets: boolean): string {
  if (format === 'table' || format === 'wide') return formatTable(tokens, nowMs, showSecrets, format === 'wide');
  const list = { apiVersion: 'v1', kind: 'List', items: tokens.map((t) => outputObject(t, showSecrets)) };
  return format === 'json' ? `${JSON.stringify(list, null, 4)}\n` : stringify(list);
}
