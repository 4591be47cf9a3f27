// The one IPC schema between the Electron main process and the renderer (Mullvad's pattern):
// each entry is made by a tiny factory, channel names are derived from the entry's place in
// the schema, and both sides are derived from it: main registers `MainHandlers` and sends
// through `MainNotifiers`; the preload exposes `createRendererApi(ipcRenderer)` as
// `window.kubejoin` and nothing else. Runtime-free: imports only this folder.
import type { DeviceFacts } from './device.js';
import type { DoctorReport, DoctorRequest } from './doctor.js';
import type { JoinEvent } from './events.js';
import type { RotationUpdate } from './lifecycle.js';
import type { JoinRequest } from './options.js';
import { STORE_KINDS } from './options.js';

// ---- what crosses IPC ----------------------------------------------------------------

/** The only shape an invoke answers with: engine errors must already read well for a person. */
export type IpcResult<T> = { type: 'success'; value: T } | { type: 'error'; message: string };

/** A run-time argument check: the renderer is not trusted, so main checks every argument. */
export type Check<T> = (value: unknown) => { ok: true; value: T } | { ok: false; problem: string };

/** The fields the window may send for a join: paths (cert dir, kubeconfig, discovery file) stay in main. */
export type UiJoinRequest = Pick<
  JoinRequest,
  'endpoint' | 'token' | 'tlsBootstrapToken' | 'caCertHashes' | 'unsafeSkipCaVerification' | 'nodeName' | 'store' | 'proxy'
>;

/** What the failure view's "Run checks" sends (the token is sent only after the pin holds). */
export type UiDoctorRequest = Pick<DoctorRequest, 'endpoint' | 'caCertHashes' | 'token' | 'proxy'>;

/** The proxy main's environment gives a join (credentials masked). */
export interface ProxyInUse {
  /** Absent: connections go direct. */
  proxy?: string;
  /** Where it comes from: HTTPS_PROXY or https_proxy. */
  source?: string;
  noProxy?: string;
  /** The environment's proxy setting is unusable (the join would stop with exit 2). */
  problem?: string;
}

/** A pasted `kubeadm join …`/`kubejoin join …` line, parsed by the agent's parser. */
export type ParsedCommandLine = { ok: true; request: UiJoinRequest; warnings: string[] } | { ok: false; error: string };

export type JoinStatus = 'idle' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** Pushed to the window for every engine event and every status change. */
export interface JoinUpdate {
  /** Increases with every join started, so a window can ignore a previous attempt's updates. */
  joinId: number;
  status: JoinStatus;
  event?: JoinEvent;
}

/** The join as it stands, for a window that (re)loads: replay `events` to rebuild the view. */
export interface JoinSnapshot {
  joinId: number;
  status: JoinStatus;
  /** Every started/succeeded/failed/result event, and the latest progress event per phase. */
  events: JoinEvent[];
  /** What the join was started with, without any token. */
  request?: Omit<UiJoinRequest, 'token' | 'tlsBootstrapToken'>;
}

export type KioskPhase = 'off' | 'waiting-for-file' | 'invalid-file' | 'joining' | 'retry-wait' | 'joined';

export interface KioskState {
  phase: KioskPhase;
  /** The provisioning file in use (or looked for). */
  provisionPath?: string;
  /** What is wrong with the provisioning file, one line each. */
  problems?: string[];
  /** Set while waiting before the next attempt. */
  retry?: { attempt: number; secondsLeft: number };
}

// ---- factories -----------------------------------------------------------------------

export interface Invoke<Arg, Result> {
  kind: 'invoke';
  check: Check<Arg>;
  /** Phantom: carries the result type. */
  result?: Result;
}

export interface NotifyRenderer<Event> {
  kind: 'notify';
  /** Phantom: carries the event type. */
  event?: Event;
}

export function invoke<Arg, Result>(check: Check<Arg>): Invoke<Arg, Result> {
  return { kind: 'invoke', check };
}

export function notifyRenderer<Event>(): NotifyRenderer<Event> {
  return { kind: 'notify' };
}

// ---- argument checks (pure) ----------------------------------------------------------

const MAX_TEXT = 4096;

const noArgument: Check<void> = (value) =>
  value === undefined || value === null ? { ok: true, value: undefined } : { ok: false, problem: 'this call takes no argument' };

const commandLine: Check<string> = (value) => {
  if (typeof value !== 'string') return { ok: false, problem: 'the command line must be a string' };
  if (value.length > 4 * MAX_TEXT) return { ok: false, problem: 'the command line is too long' };
  return { ok: true, value };
};

const JOIN_FIELDS: Record<keyof UiJoinRequest, (v: unknown) => boolean> = {
  endpoint: isShortString,
  token: isShortString,
  tlsBootstrapToken: isShortString,
  caCertHashes: (v) => Array.isArray(v) && v.length <= 32 && v.every(isShortString),
  unsafeSkipCaVerification: (v) => typeof v === 'boolean',
  nodeName: isShortString,
  store: (v) => typeof v === 'string' && (STORE_KINDS as readonly string[]).includes(v),
  proxy: isShortString,
};

function isShortString(v: unknown): v is string {
  return typeof v === 'string' && v.length <= MAX_TEXT;
}

/** Shape only (the engine's validate phase judges the values); unknown fields are refused. */
export const checkUiJoinRequest: Check<UiJoinRequest> = (value) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: 'the join request must be an object' };
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const fieldOk = Object.hasOwn(JOIN_FIELDS, key) ? JOIN_FIELDS[key as keyof UiJoinRequest] : undefined;
    if (!fieldOk) return { ok: false, problem: `the join request has a field the window may not set: "${key.slice(0, 40)}"` };
    if (!fieldOk(v)) return { ok: false, problem: `the join request's "${key}" has the wrong type or is too long` };
    out[key] = key === 'caCertHashes' ? [...(v as string[])] : v;
  }
  return { ok: true, value: out as UiJoinRequest };
};

const DOCTOR_FIELDS: Record<keyof UiDoctorRequest, (v: unknown) => boolean> = {
  endpoint: isShortString,
  caCertHashes: JOIN_FIELDS.caCertHashes,
  token: isShortString,
  proxy: isShortString,
};

/** Shape only; unknown fields are refused; the endpoint is required. */
export const checkUiDoctorRequest: Check<UiDoctorRequest> = (value) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, problem: 'the check request must be an object' };
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const fieldOk = Object.hasOwn(DOCTOR_FIELDS, key) ? DOCTOR_FIELDS[key as keyof UiDoctorRequest] : undefined;
    if (!fieldOk) return { ok: false, problem: `the check request has a field the window may not set: "${key.slice(0, 40)}"` };
    if (!fieldOk(v)) return { ok: false, problem: `the check request's "${key}" has the wrong type or is too long` };
    out[key] = key === 'caCertHashes' ? [...(v as string[])] : v;
  }
  if (typeof out.endpoint !== 'string') return { ok: false, problem: 'the check request needs an endpoint' };
  return { ok: true, value: out as UiDoctorRequest };
};

// ---- the schema ----------------------------------------------------------------------

export const ipcSchema = {
  join: {
    /** Start a join; refused while one runs. Answers with the new join's snapshot. */
    start: invoke<UiJoinRequest, JoinSnapshot>(checkUiJoinRequest),
    /** Ask the running join to stop; answers at once (the status update follows). */
    cancel: invoke<void, void>(noArgument),
    /** The current (or last) join, for a window that reloads. */
    getState: invoke<void, JoinSnapshot>(noArgument),
    update: notifyRenderer<JoinUpdate>(),
  },
  device: {
    getFacts: invoke<void, DeviceFacts>(noArgument),
  },
  command: {
    parse: invoke<string, ParsedCommandLine>(commandLine),
  },
  doctor: {
    /** Runs the checks of `kubejoin doctor` (docs/protocol.md §8) and answers with the report. */
    run: invoke<UiDoctorRequest, DoctorReport>(checkUiDoctorRequest),
    /** The proxy the environment sets, for the form. */
    proxy: invoke<void, ProxyInUse>(noArgument),
  },
  kiosk: {
    getState: invoke<void, KioskState>(noArgument),
    state: notifyRenderer<KioskState>(),
  },
  credential: {
    /** The rotation loop's latest schedule or outcome (null before it has one). */
    getRotation: invoke<void, RotationUpdate | null>(noArgument),
    rotation: notifyRenderer<RotationUpdate>(),
  },
} as const;

export type IpcSchema = typeof ipcSchema;
type Entry = Invoke<unknown, unknown> | NotifyRenderer<unknown>;
type Group = Record<string, Entry>;

// ---- derived types -------------------------------------------------------------------

type ArgOf<E> = E extends Invoke<infer A, unknown> ? A : never;
type ResultOf<E> = E extends Invoke<unknown, infer R> ? R : never;
type EventOf<E> = E extends NotifyRenderer<infer V> ? V : never;
type InvokeKeys<G> = { [K in keyof G]: G[K] extends Invoke<unknown, unknown> ? K : never }[keyof G];
type NotifyKeys<G> = { [K in keyof G]: G[K] extends NotifyRenderer<unknown> ? K : never }[keyof G];
type Call<A, R> = [A] extends [void] ? () => Promise<R> : (arg: A) => Promise<R>;

/** Main side: one handler per invoke entry (it gets an argument that passed its check). */
export type MainHandlers<S = IpcSchema> = {
  [G in keyof S]: { [K in InvokeKeys<S[G]>]: (arg: ArgOf<S[G][K]>) => ResultOf<S[G][K]> | Promise<ResultOf<S[G][K]>> };
};

/** Main side: one sender per notify entry. */
export type MainNotifiers<S = IpcSchema> = {
  [G in keyof S]: { [K in NotifyKeys<S[G]>]: (value: EventOf<S[G][K]>) => void };
};

/** Renderer side (`window.kubejoin`): invoke entries are async calls, notify entries `listenX`. */
export type RendererApi<S = IpcSchema> = {
  [G in keyof S]: { [K in InvokeKeys<S[G]>]: Call<ArgOf<S[G][K]>, ResultOf<S[G][K]>> } & {
    [K in NotifyKeys<S[G]> & string as `listen${Capitalize<K>}`]: (listener: (value: EventOf<S[G][K]>) => void) => () => void;
  };
};

// ---- derivation ----------------------------------------------------------------------

/** The channel of an entry: derived, never typed by hand. */
export function channelOf(group: string, key: string): string {
  return `kubejoin:${group}.${key}`;
}

export interface SchemaEntry {
  group: string;
  key: string;
  channel: string;
  entry: Invoke<unknown, unknown> | NotifyRenderer<unknown>;
}

export function schemaEntries(schema: Record<string, Group> = ipcSchema): SchemaEntry[] {
  return Object.entries(schema).flatMap(([group, entries]) =>
    Object.entries(entries).map(([key, entry]) => ({
      group,
      key,
      channel: channelOf(group, key),
      entry: entry as Invoke<unknown, unknown> | NotifyRenderer<unknown>,
    })),
  );
}

/** The part of Electron's ipcRenderer the bridge uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, value: unknown) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, value: unknown) => void): unknown;
}

function unwrap(result: unknown): unknown {
  const r = result as IpcResult<unknown> | undefined;
  if (r?.type === 'success') return r.value;
  throw new Error(r?.type === 'error' ? r.message : 'unexpected answer from the kubejoin main process');
}

/** The object the preload exposes as `window.kubejoin`. */
export function createRendererApi(ipc: IpcRendererLike, schema: Record<string, Group> = ipcSchema): RendererApi {
  const api: Record<string, Record<string, unknown>> = {};
  for (const { group, key, channel, entry } of schemaEntries(schema)) {
    const target = (api[group] ??= {});
    if (entry.kind === 'invoke') {
      target[key] = async (arg?: unknown) => unwrap(await ipc.invoke(channel, arg));
    } else {
      target[`listen${key[0]!.toUpperCase()}${key.slice(1)}`] = (listener: (value: unknown) => void) => {
        const forward = (_event: unknown, value: unknown): void => listener(value);
        ipc.on(channel, forward);
        return () => void ipc.removeListener(channel, forward);
      };
    }
  }
  return api as RendererApi;
}

/** Main side: senders for every notify entry, through one `send(channel, value)`. */
export function createMainNotifiers(send: (channel: string, value: unknown) => void, schema: Record<string, Group> = ipcSchema): MainNotifiers {
  const notifiers: Record<string, Record<string, (value: unknown) => void>> = {};
  for (const { group, key, channel, entry } of schemaEntries(schema)) {
    if (entry.kind === 'notify') (notifiers[group] ??= {})[key] = (value) => send(channel, value);
  }
  return notifiers as MainNotifiers;
}
