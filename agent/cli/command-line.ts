import type { JoinRequest } from '../contract/index.js';
import { UsageError } from '../errors.js';
import { parseFlagValues } from './command.js';
import { stripLauncher } from './launcher.js';
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

/** kubeadm's control-plane join flags: kubejoin joins nodes, not control planes. */
const CONTROL_PLANE_FLAGS = new Set(['control-plane', 'certificate-key', 'apiserver-advertise-address', 'apiserver-bind-port']);

/**
 * A kubeadm join's words as kubejoin join takes them, for the CLI and the window alike: the
 * kubeadm flags that do not apply to a node credential are dropped with a one-line notice,
 * a control-plane join is refused (exit 2). `pasted`: the window, which cannot read files.
 */
export function kubeadmJoinArgs(words: string[], pasted = false): { argv: string[]; notices: string[] } {
  const notices: string[] = [];
  const argv: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--') {
      argv.push(...words.slice(i));
      break;
    }
    const name = /^--?([^=-][^=]*)(=.*)?$/.exec(w)?.[1];
    const inline = w.includes('=');
    if (name !== undefined && CONTROL_PLANE_FLAGS.has(name)) {
      throw new UsageError(
        `--${name} is for a control-plane join: kubejoin joins nodes (a kubelet credential), not control planes`,
        'Run that line with kubeadm on the new control-plane machine; for a node, leave out --control-plane and --certificate-key.',
      );
    }
    if (name !== undefined && name in IGNORED_KUBEADM_FLAGS) {
      const takesValue = IGNORED_KUBEADM_FLAGS[name]! && !inline && i + 1 < words.length && !words[i + 1]!.startsWith('-');
      notices.push(`notice: ignoring kubeadm's --${name}: it does not apply to a node credential`);
      if (takesValue) i++;
      continue;
    }
    if (pasted && (name === 'token-file' || name === 'config' || name === 'output')) {
      throw new UsageError(`--${name} cannot be used in a pasted command: paste the values themselves`);
    }
    argv.push(w);
  }
  return { argv, notices };
}

export function parseJoinCommand(line: string): ParsedJoinCommand {
  let words: string[];
  try {
    words = shellWords(line.trim());
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
  const launched = stripLauncher(words);
  if (launched.length === words.length || launched[0] !== 'join') {
    return { ok: false, error: 'paste a whole "kubeadm join …" or "kubejoin join …" command line' };
  }
  try {
    const { argv, notices } = kubeadmJoinArgs(launched.slice(1), true);
    return { ok: true, request: parseJoinWords(argv), warnings: notices };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
