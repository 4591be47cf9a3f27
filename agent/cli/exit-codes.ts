import { CATEGORY_TITLES, EXIT_CODES, type ErrorCategory } from '../contract/index.js';

/** The exit-code table printed by --help (and copied into the README). */
export function exitCodeTable(): string {
  const rows = Object.entries(EXIT_CODES).map(([k, code]) => `  ${code}  ${k === 'ok' ? 'success' : CATEGORY_TITLES[k as ErrorCategory]}`);
  return `Exit codes:\n${rows.join('\n')}\n`;
}
