// A keychain failure in words that say what is wrong and what to do (docs/stores.md §2). On
// Linux the keychain is the Secret Service, reached over the D-Bus session bus, and each way
// that fails has its own remedy: no session bus (over SSH, under sudo, from a service), no
// Secret Service on it, a locked keyring, an unlock prompt dismissed or never answered.
// libsecret's own words (e.g. "Cannot autolaunch D-Bus without X11 $DISPLAY",
// org.freedesktop.DBus.Error.ServiceUnknown) stay in parentheses, as evidence, never alone.

export type KeychainCause = 'no-bus' | 'no-service' | 'locked' | 'dismissed' | 'timeout' | 'other';

/** What the words of a failure (libsecret's, keytar's, the helper's) say went wrong. */
export function keychainCause(detail: string, kind?: string, platform: NodeJS.Platform = process.platform): KeychainCause {
  if (kind === 'timeout' || /did not answer within/.test(detail)) return 'timeout';
  if (/prompt was dismissed/.test(detail)) return 'dismissed';
  // libsecret crashes on a locked collection when no unlock prompt can be shown (keytar-child.ts).
  if (kind === 'crashed' || /\blocked\b/i.test(detail)) return 'locked';
  if (platform !== 'linux') return 'other';
  if (/ServiceUnknown|org\.freedesktop\.secrets|not provided by any \.service/.test(detail)) return 'no-service';
  if (/D-Bus|DBUS|dbus|autolaunch|Could not connect|No such file|Connection refused/.test(detail)) return 'no-bus';
  return 'other';
}

/** Said when the keyring is locked and the unlock prompt gave nothing back (secret-service.ts finds the entry locked). */
export const DISMISSED = "the keychain's collection is locked and its unlock prompt was dismissed (or could not be shown)";

/** What is wrong, in words, with libsecret's own words after it. */
export function keychainProblem(detail: string, env: NodeJS.ProcessEnv, kind?: string): string {
  const address = env.DBUS_SESSION_BUS_ADDRESS;
  switch (keychainCause(detail, kind)) {
    case 'no-bus':
      return address
        ? `no D-Bus session bus is reachable for the Secret Service: nothing answers at DBUS_SESSION_BUS_ADDRESS=${address} (${detail})`
        : `no D-Bus session bus is reachable for the Secret Service: DBUS_SESSION_BUS_ADDRESS is not set (${detail})`;
    case 'no-service':
      return `no Secret Service (gnome-keyring or KWallet) is running on the D-Bus session bus (${detail})`;
    case 'locked':
      return `the keychain's collection is locked (${detail})`;
    case 'dismissed':
    case 'timeout':
    case 'other':
      return detail;
  }
}

/**
 * What to do. `joining`: the join chooses its store, so `--store file` is a way out; after the
 * join the credential is in the keychain and is read only there.
 */
export function keychainRemedy(cause: KeychainCause, joining: boolean, platform: NodeJS.Platform = process.platform): string {
  const end = joining ? ', or use --store file.' : ', then run it again.';
  if (platform !== 'linux') return `Unlock the login keychain${end}`;
  switch (cause) {
    case 'no-bus':
      return (
        'Run it inside the desktop session that holds the keyring (not over SSH or sudo without one), or in a D-Bus session of its own ' +
        `with the keyring started: dbus-run-session -- sh -c 'gnome-keyring-daemon --unlock --components=secrets; kubejoin …'${joining ? ', or use --store file' : ''}.`
      );
    case 'no-service':
      return `Start the keyring in this D-Bus session (log in to the desktop, or run "gnome-keyring-daemon --start --components=secrets")${end}`;
    case 'dismissed':
      return `Unlock the keyring: accept its unlock prompt in the desktop session, or run "gnome-keyring-daemon --unlock" inside the D-Bus session${end}`;
    case 'timeout':
      return `The keyring is probably locked and waiting for its unlock prompt: unlock it (log in to the desktop session)${end}`;
    case 'locked':
    case 'other':
      return `Unlock the keyring (log in to the desktop session, or start it with "gnome-keyring-daemon --unlock" inside a D-Bus session)${end}`;
  }
}
