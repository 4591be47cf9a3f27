// The one masking rule for secrets in text, used by the CLI, the engine's messages, the
// desktop app's main process and the renderer. A bootstrap token is `<id>.<secret>`: the id
// is public and stays visible; the secret never does.

const ID = '[a-z0-9]{6}';
const SECRET = '[a-z0-9]{16}';

/** A whole token, exactly (the id and the secret captured). */
export const TOKEN_PATTERN = new RegExp(`^(${ID})\\.(${SECRET})$`);
/** A token id, exactly. */
export const TOKEN_ID_PATTERN = new RegExp(`^${ID}$`);
/**
 * Anything shaped like a token, in any case and anywhere in a string: the widest net, so a
 * token pasted into the wrong place is still caught.
 */
export const TOKEN_SHAPE = new RegExp(`(${ID})\\.${SECRET}`, 'gi');

/** The CLI's mask: as long as a secret, so a masked token still reads as one. */
export const SECRET_MASK = '****************';

/**
 * A secret part: 16 characters after `<id>.`, found even where token shapes overlap
 * ("x1.abcdef.<secret>": matching left to right alone would mask the wrong run and leave
 * the real secret; the look-behind finds both).
 */
const SECRET_AFTER_ID = new RegExp(`(?<=${ID}\\.)${SECRET}`, 'gi');

/** `text` with the secret part of every token-shaped string replaced by `mask` (the id stays). */
export function maskTokenShapes(text: string, mask: string = SECRET_MASK): string {
  return text.replace(SECRET_AFTER_ID, mask);
}

/**
 * The strings to hide for values known to be secret (what was given as a token, whatever its
 * shape): each whole value and, for `<id>.<secret>`, its secret part. Too-short strings are
 * left out (hiding "a" everywhere would garble every message); longest first.
 */
export function secretsOf(...values: readonly (string | undefined)[]): string[] {
  const out = new Set<string>();
  for (const value of values) {
    const v = value?.trim();
    if (!v) continue;
    if (v.length >= 4) out.add(v);
    const secret = v.split('.')[1];
    if (secret !== undefined && secret.length >= 8) out.add(secret);
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/** `text` with every known secret value and every token-shaped string masked. */
export function maskSecrets(text: string, secretValues: readonly string[] = [], mask: string = SECRET_MASK): string {
  let out = text;
  for (const s of secretsOf(...secretValues)) out = out.split(s).join(mask);
  return maskUrlCredentials(maskTokenShapes(out, mask));
}

/**
 * `text` with the credentials of every URL in it (`scheme://user:password@host`) replaced by
 * `***`: proxy URLs may carry them, and they are never printed. In each run of non-space
 * characters holding "://", all from there to its last "@" goes, so a password with an
 * unencoded "/", "@" or quote is hidden whole. One pass over the text, no backtracking: it
 * also runs over long server answers.
 */
export function maskUrlCredentials(text: string): string {
  if (!text.includes('://') || !text.includes('@')) return text;
  return text.replace(/\S+/g, (run) => {
    const sep = run.indexOf('://');
    const at = run.lastIndexOf('@');
    return sep > 0 && at > sep + 3 && /[a-z0-9+.-]/i.test(run[sep - 1]!) ? `${run.slice(0, sep + 3)}***${run.slice(at)}` : run;
  });
}

/**
 * A proxy URL as given (`--proxy`, HTTPS_PROXY, a provisioning file), fit to show: all before
 * its last "@" becomes `***`, whatever it holds (an unencoded "/", "#", "@" or space in the
 * password must not end the mask early), so only the scheme and host:port remain.
 */
export function maskProxyUrl(value: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value)?.[0] ?? '';
  const at = value.lastIndexOf('@');
  return at < scheme.length ? value : `${scheme}***${value.slice(at)}`;
}

/**
 * Why a proxy URL's user or password cannot be decoded (a "%" not followed by two hex
 * digits), or undefined. Checked when the URL is read, so a bad one is a usage error (exit 2)
 * and not a failure in the middle of a connection.
 */
export function proxyCredentialsProblem(url: { username: string; password: string }): string | undefined {
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
    return undefined;
  } catch {
    return 'its user or password is not valid percent-encoding: write "%" as %25';
  }
}

/** A copy of a JSON-like value (an event, a result, a report) with every string masked. */
export function maskDeep<T>(value: T, secretValues: readonly string[] = [], mask: string = SECRET_MASK): T {
  if (typeof value === 'string') return maskSecrets(value, secretValues, mask) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => maskDeep(v, secretValues, mask)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v, secretValues, mask)])) as T;
  }
  return value;
}
