// What keeps a kiosk a kiosk on Linux, where BrowserWindow's closable/minimizable options do
// nothing: the window refuses to close and comes back when minimised or when it loses focus;
// debugging and sandbox-disabling switches are refused at start, in every spelling Chromium
// accepts; and after repeated renderer crashes a native message with the join's state
// replaces the blank window.
import { PHASE_TITLES, type JoinSnapshot, type KioskState } from '../agent/contract/index.js';
import type { DialogLike, WindowLike } from './electron-api.js';

/** Chromium and Node switches that open the app to a debugger (names without dashes). */
export const DEBUG_SWITCHES = [
  'remote-debugging-port',
  'remote-debugging-pipe',
  'remote-debugging-address',
  'inspect',
  'inspect-brk',
  'inspect-port',
  'inspect-wait',
  'inspect-brk-node',
  'js-flags',
] as const;

/** A switch that turns off Chromium's sandbox: --no-sandbox, --disable-gpu-sandbox, … */
const isSandboxSwitch = (name: string): boolean => name === 'no-sandbox' || (name.startsWith('disable-') && name.includes('sandbox'));

/**
 * A switch's name as Chromium reads it: after "--", "-" or (on Windows) "/", in any case,
 * up to "=". Undefined for an argument that is not a switch.
 */
function switchName(arg: string): string | undefined {
  const m = /^(?:--?|\/)([^=]+)/.exec(arg);
  return m ? m[1]!.toLowerCase() : undefined;
}

/** The first debugging or sandbox-disabling switch in argv, as given (without a value), or undefined. */
export function debugSwitch(argv: readonly string[]): string | undefined {
  for (const arg of argv) {
    const name = switchName(arg);
    if (name !== undefined && ((DEBUG_SWITCHES as readonly string[]).includes(name) || isSandboxSwitch(name))) return arg.split('=')[0]!;
  }
  return undefined;
}

export function debugSwitchMessage(given: string): string {
  return isSandboxSwitch(switchName(given) ?? '')
    ? `refusing to start: ${given} turns off Chromium's sandbox, so a compromised page could take over this kiosk; start it without that switch`
    : `refusing to start: ${given} would let anyone who reaches it control this kiosk; start it without debugging switches`;
}

export interface KioskGuard {
  /** While a native dialog is up, the window must not take the focus back from it. */
  pauseRefocus(paused: boolean): void;
}

/** Close refused (until quitting), minimise undone, focus taken back. */
export function guardKioskWindow(win: WindowLike, quitting: () => boolean): KioskGuard {
  let paused = false;
  const refocus = (): void => {
    if (paused || quitting() || win.isDestroyed()) return;
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };
  win.on('close', (event) => {
    if (!quitting()) event.preventDefault();
  });
  win.on('minimize', () => refocus());
  win.on('blur', () => refocus());
  return { pauseRefocus: (p) => void (paused = p) };
}

/** The join's state in words, for the crash message. */
export function joinStateText(snapshot: JoinSnapshot, kiosk: KioskState): string {
  const lines: string[] = [];
  const result = [...snapshot.events].reverse().find((e) => e.type === 'result');
  if (result?.type === 'result') {
    const r = result.result;
    lines.push(
      r.ok
        ? `Joined as ${r.identity.username}; the certificate is valid until ${r.certificate.notAfter}.`
        : `The join failed${r.phase ? ` at "${PHASE_TITLES[r.phase]}"` : ''}: ${r.error.message}`,
    );
    if (!r.ok && r.error.hint) lines.push(r.error.hint);
  } else if (snapshot.status === 'running') {
    const last = [...snapshot.events].reverse().find((e) => e.type !== 'result');
    lines.push(`A join is running${last && 'phase' in last ? `: ${PHASE_TITLES[last.phase]}` : ''}.`);
  } else {
    lines.push('No join has run yet.');
  }
  if (kiosk.phase !== 'off')
    lines.push(
      `Kiosk: ${kiosk.phase}${kiosk.retry ? `, next attempt (${kiosk.retry.attempt}) in ${kiosk.retry.secondsLeft} s` : ''}; provisioning file ${kiosk.provisionPath ?? ''}.`,
    );
  return lines.join('\n');
}

/** Shows the crash message; resolves when the operator asks to reload. */
export async function showCrashMessage(dialog: DialogLike, win: WindowLike, crashes: number, state: string, guard?: KioskGuard): Promise<void> {
  guard?.pauseRefocus(true);
  try {
    await dialog.showMessageBox(win, {
      type: 'error',
      title: 'kubejoin',
      message: `The kubejoin window crashed ${crashes} times in a minute and is not reloaded automatically any more.`,
      detail: state,
      buttons: ['Reload the window'],
      noLink: true,
    });
  } finally {
    guard?.pauseRefocus(false);
  }
}
