/**
 * Anything shaped like a bootstrap token `<id>.<secret>`, in any case and anywhere in a
 * string: the widest net, so a token pasted into the wrong place is still caught.
 */
export const TOKEN_SHAPE = /([a-z0-9]{6})\.[a-z0-9]{16}/gi;

/** `text` with the secret part of every token-shaped string replaced by `mask` (the id stays). */
export function maskTokenShapes(text: string, mask: string): string {
  return text.replace(TOKEN_SHAPE, (_m, id: string) => `${id}.${mask}`);
}

/**
 * `text` with the credentials of every URL in it (`scheme://user:password@host`) replaced by
 * `***`: proxy URLs may carry them, and they are never printed.
 */
export function maskUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s"']*@/gi, '$1***@');
}
