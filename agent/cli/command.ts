import { parseArgs } from 'node:util';
import { usageErrorFromParseArgs, UsageError } from '../errors.js';
import { checkDuration, type DurationRule } from '../protocol/duration.js';
import type { CliContext } from './context.js';
import { exitCodeTable } from './exit-codes.js';

// One declaration per command: its flags (with their help), positional rules, description,
// examples and environment. Help text, flag parsing, `--help` and positional checks are
// generated from it here, and usage errors are made in one place (agent/errors.ts), where
// every token-shaped value is masked. A duration flag is checked here too, by one rule
// (agent/protocol/duration.ts), so every command reads `600h` or `-1s` the same way.

/** A flag, as node:util parseArgs wants it plus what help needs. */
export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** The value's placeholder in help: `<name>` style (`<duration>`, `sha256:<hex>`), or the choices (`text|json`). */
  value?: string;
  /** Help text; `\n` starts a continuation line. */
  help: string;
  /** The help section this flag is listed under (default "Flags"). */
  section?: string;
  /** A duration (Go syntax, e.g. `5m`), checked by this rule and given to the command in ms. */
  duration?: DurationRule;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

type FlagValue<S extends FlagSpec> = S['type'] extends 'boolean'
  ? boolean
  : S extends { duration: DurationRule }
    ? number
    : S['multiple'] extends true
      ? string[]
      : string;

/** Parsed flag values: each absent unless given. */
export type FlagValues<F extends FlagSpecs> = { -readonly [K in keyof F]?: FlagValue<F[K]> };

export interface Positionals {
  /** How help shows them, e.g. `<host:port>` or `<id|token>...`. */
  usage: string;
  /** What one is, for errors: "API server endpoint". */
  what: string;
  min?: number;
  /** Default 1; `Infinity` for a list. */
  max?: number;
}

export interface CommandSpec<F extends FlagSpecs> {
  /** What the command does, a paragraph for help. */
  description: string;
  flags: F;
  /** Omitted: the command takes no positional argument. */
  positionals?: Positionals;
  /** Extra help lines after the flags (e.g. the admin kubeconfig flags' shared text). */
  environment?: readonly (readonly [string, string])[];
  examples?: readonly string[];
  /** The exit codes this command can give, for help (omitted: none beyond 0, 1 and 2). */
  exitCodes?: boolean | readonly number[];
  /** Rewrites argv before it is parsed, with notices for stderr (join: a pasted kubeadm line). */
  rewrite?: (argv: string[]) => { argv: string[]; notices: string[] };
  run(input: { flags: FlagValues<F>; positionals: string[] }, ctx: CliContext): Promise<number>;
}

/** A loaded command: the dispatcher knows its name and calls these. */
export interface Command {
  help(name: string): string;
  /** Its flags (a group: none; see `subcommands`), for the help test (test/unit/cli/help.test.ts). */
  readonly flags?: FlagSpecs;
  /** A group's subcommands. */
  readonly subcommands?: Readonly<Record<string, Subcommand>>;
  /** The exit codes its help lists. */
  readonly exitCodes?: readonly number[];
  run(name: string, argv: string[], ctx: CliContext): Promise<number>;
}

const HELP_FLAG = { help: { type: 'boolean', short: 'h', help: 'Show this help' } } as const satisfies FlagSpecs;

const FLAG_COLUMN = 40;

function flagLines(name: string, spec: FlagSpec): string[] {
  const head = `  ${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.value ? ` ${spec.value}` : ''}`;
  const [first = '', ...rest] = spec.help.split('\n');
  const pad = ' '.repeat(FLAG_COLUMN);
  const lines = head.length < FLAG_COLUMN - 1 ? [`${head.padEnd(FLAG_COLUMN)}${first}`] : [head, `${pad}${first}`];
  return [...lines, ...rest.map((l) => `${pad}${l}`)];
}

/** The help text of a command, generated from its declaration. */
export function renderHelp(name: string, spec: CommandSpec<FlagSpecs>): string {
  const usage = [`kubejoin ${name}`, spec.positionals?.usage, Object.keys(spec.flags).length > 0 ? '[flags]' : ''].filter(Boolean).join(' ');
  const out = [`Usage: ${usage}`, '', spec.description.trim(), ''];
  const sections = new Map<string, string[]>();
  let section = 'Flags';
  // --help is listed last, in the section of the flag before it.
  for (const [flag, f] of Object.entries<FlagSpec>({ ...spec.flags, ...HELP_FLAG })) {
    section = f === HELP_FLAG.help ? section : (f.section ?? 'Flags');
    sections.set(section, [...(sections.get(section) ?? []), ...flagLines(flag, f)]);
  }
  for (const [title, lines] of sections) out.push(`${title}:`, ...lines, '');
  if (spec.environment?.length) {
    const width = Math.max(...spec.environment.map(([k]) => k.length)) + 2;
    out.push('Environment:', ...spec.environment.map(([k, v]) => `  ${k.padEnd(width)}${v}`), '');
  }
  if (spec.examples?.length) out.push('Examples:', ...spec.examples.map((e) => `  ${e}`), '');
  if (spec.exitCodes) out.push(exitCodeTable(spec.exitCodes === true ? undefined : spec.exitCodes));
  return `${out.join('\n').trimEnd()}\n`;
}

function checkPositionals(name: string, rule: Positionals | undefined, given: string[]): void {
  const min = rule?.min ?? 0;
  const max = rule === undefined ? 0 : (rule.max ?? 1);
  if (given.length > max) {
    const hint = `Usage: kubejoin ${name}${rule ? ` ${rule.usage}` : ''} [flags]`;
    if (max === 0) throw new UsageError(`unexpected argument ${JSON.stringify(given[0])}`, hint);
    throw new UsageError(`expected ${max === 1 ? 'one' : `at most ${max}`} ${rule!.what}, got ${given.length}: ${given.join(' ')}`, hint);
  }
  if (given.length < min) throw new UsageError(`missing ${rule!.what}`, `Usage: kubejoin ${name} ${rule!.usage} [flags]`);
}

/**
 * Parses argv against flags (strict): the CLI's commands and the parser of pasted join lines.
 * Duration flags come back in ms. Every mistake is a UsageError.
 */
export function parseFlagValues<F extends FlagSpecs>(flags: F, argv: string[]): { flags: FlagValues<F>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args: shortEquals(flags, argv), options: flags, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageErrorFromParseArgs(err, Object.keys(flags));
  }
  const values: Record<string, unknown> = { ...parsed.values };
  for (const [name, spec] of Object.entries<FlagSpec>(flags)) {
    const text = values[name];
    if (spec.duration === undefined || typeof text !== 'string') continue;
    const checked = checkDuration(text, spec.duration);
    if (checked.problem !== undefined) throw new UsageError(`--${name} ${JSON.stringify(text)} ${checked.problem}`);
    values[name] = checked.ms;
  }
  return { flags: values as FlagValues<F>, positionals: parsed.positionals };
}

/** `-o=json` as `-o json` (kubectl reads it so; parseArgs would take "=json" as the value). */
function shortEquals(flags: FlagSpecs, argv: string[]): string[] {
  const shorts = new Set(Object.values(flags).flatMap((f) => (f.short && f.type === 'string' ? [f.short] : [])));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return [...out, ...argv.slice(i)];
    const m = /^-([A-Za-z])=(.*)$/s.exec(arg);
    if (m && shorts.has(m[1]!)) out.push(`-${m[1]}`, m[2]!);
    else out.push(arg);
  }
  return out;
}

/** Parses argv against a command's flags and --help. */
export function parseCommandLine<F extends FlagSpecs>(flags: F, argv: string[]): { flags: FlagValues<F & typeof HELP_FLAG>; positionals: string[] } {
  return parseFlagValues({ ...flags, ...HELP_FLAG }, argv);
}

/** `-o, --output text|json` (join, doctor). */
export function outputOf(value: string | undefined): 'text' | 'json' {
  const output = value ?? 'text';
  if (output !== 'text' && output !== 'json') throw new UsageError(`--output "${output}" is not supported: use text or json`);
  return output;
}

export function defineCommand<const F extends FlagSpecs>(spec: CommandSpec<F>): Command {
  return {
    help: (name) => renderHelp(name, spec),
    flags: spec.flags,
    ...(Array.isArray(spec.exitCodes) ? { exitCodes: spec.exitCodes } : {}),
    async run(name, given, ctx) {
      const rewritten = spec.rewrite?.(given);
      for (const notice of rewritten?.notices ?? []) ctx.stderr.write(`${notice}\n`);
      const { flags, positionals } = parseCommandLine(spec.flags, rewritten?.argv ?? given);
      if (flags.help) {
        ctx.stdout.write(renderHelp(name, spec));
        return 0;
      }
      checkPositionals(name, spec.positionals, positionals);
      return spec.run({ flags: flags as FlagValues<F>, positionals }, ctx);
    },
  };
}

/** A command made of subcommands (`kubejoin token …`), each loaded only when it runs. */
export interface Subcommand {
  /** One line for the parent's help. */
  summary: string;
  load: () => Promise<{ default: Command }>;
}

export function defineGroup(intro: string, subcommands: Readonly<Record<string, Subcommand>>): Command {
  const help = (name: string): string => {
    const width = Math.max(...Object.keys(subcommands).map((n) => n.length)) + 2;
    const list = Object.entries(subcommands).map(([sub, s]) => `  ${sub.padEnd(width)}${s.summary}`);
    return `Usage: kubejoin ${name} <subcommand> [flags]\n\n${intro.trim()}\n\nSubcommands:\n${list.join('\n')}\n\nRun "kubejoin ${name} <subcommand> --help" for its flags.\n`;
  };
  return {
    help,
    subcommands,
    async run(name, argv, ctx) {
      const [sub, ...rest] = argv;
      if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
        (sub === undefined ? ctx.stderr : ctx.stdout).write(help(name));
        return sub === undefined ? 2 : 0;
      }
      const entry = subcommands[sub];
      if (!entry) throw new UsageError(`unknown subcommand "${name} ${sub}"`, `Subcommands: ${Object.keys(subcommands).join(', ')}.`);
      return (await entry.load()).default.run(`${name} ${sub}`, rest, ctx);
    },
  };
}
