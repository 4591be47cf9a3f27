import type { JoinRequest } from '../contract/index.js';
import { UsageError } from '../errors.js';
import { parseFlagValues } from './command.js';
import { IGNORED_KUBEADM_FLAGS, JOIN_FLAGS, joinInputOf, joinRequestOf } from './join-flags.js';

// Turns a pasted `kubeadm join …` or `kubejoin join …` line into join options: backslash
// continuations, extra spaces, quotes, a leading `sudo`. Used by the window (through
// agent/index.ts): the words are parsed against join's own flag declarations and built into a
// request by the same builder as the CLI's, so a line means here what it means in a shell.

/** The words after `join`, as `kubejoin join` would parse them (no files read). */
function parseJoinWords(words: string[]): JoinRequest {
  const { flags, positionals } = parseFlagValues(JOIN_FLAGS, words);
  if (positionals.length > 1) throw new UsageError(`expected one API server endpoint, got ${positionals.length}: ${positionals.join(' ')}`);
  return joinRequestOf(joinInputOf(flags, positionals[0]));
}

export type ParsedJoinCommand = { ok: true; request: JoinRequest; warnings: string[] } | { ok: false; error: string };

/** Splits a POSIX-shell-like line into words (quotes, escapes, continuations). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  const text = line.replace(/\\\r?\n/g, ' ');
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) word += text[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`the line has an unclosed ${quote === '"' ? 'double' : 'single'} quote`);
  if (inWord) words.push(word);
  return words;
}

export function parseJoinCommand(line: string): ParsedJoinCommand {
  let words: string[];
  try {
    words = shellWords(line.trim());
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
  while (words[0] === 'sudo' || words[0] === '-E') words.shift();
  const tool = words.shift();
  const verb = words.shift();
  if (!tool || !/(^|\/)(kubeadm|kubejoin)$/.test(tool) || verb !== 'join') {
    return { ok: false, error: 'paste a whole "kubeadm join …" or "kubejoin join …" command line' };
  }
  const warnings: string[] = [];
  const kept: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const m = /^--([^=]+)(=.*)?$/.exec(w);
    const name = m?.[1];
    if (name === 'control-plane' || name === 'certificate-key') {
      return { ok: false, error: 'this is a control-plane join command (--control-plane); kubejoin joins worker nodes only' };
    }
    if (name !== undefined && name in IGNORED_KUBEADM_FLAGS) {
      warnings.push(`ignored kubeadm flag --${name}`);
      if (IGNORED_KUBEADM_FLAGS[name] && m?.[2] === undefined && i + 1 < words.length && !words[i + 1]!.startsWith('-')) i++;
      continue;
    }
    if (name === 'token-file' || name === 'config' || name === 'output') {
      return { ok: false, error: `--${name} cannot be used in a pasted command: paste the values themselves` };
    }
    kept.push(w);
  }
  try {
    return { ok: true, request: parseJoinWords(kept), warnings };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
