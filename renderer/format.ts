export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatBytes(bytes: number): string {
  const gib = bytes / 1024 ** 3;
  return gib >= 1 ? `${gib.toFixed(1)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}

/** "2026-05-01 12:00 UTC (in 364 days)" */
export function formatExpiry(iso: string, now: number = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const days = Math.round((t - now) / 86_400_000);
  const when = new Date(t).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const rel = days > 1 ? `in ${days} days` : days >= 0 ? `in ${Math.max(0, Math.round((t - now) / 3_600_000))} hours` : 'expired';
  return `${when} (${rel})`;
}
