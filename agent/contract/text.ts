// Text from elsewhere (a server's URL, key ids, certificate subjects, HTTP status messages,
// all from an unauthenticated cluster-info) made safe to show: a terminal obeys control
// characters (ESC ] 0;… BEL retitles the window, ESC [2J clears it, CR overwrites a line),
// and a page's textContent, though safe against markup, still holds them. Every renderer
// (the CLI's text, the window) passes what it shows through `printable`; JSON output needs
// nothing (JSON.stringify escapes every control character).

/** C0 controls, DEL and C1 controls (U+0080-U+009F, which some terminals obey like ESC). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;

const visible = (c: string): string => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/**
 * `text` with every control character replaced by a visible escape (ESC becomes the four
 * characters `\x1b`), so nothing in it can steer a terminal. Newlines stay when
 * `keepNewlines` (a renderer that lays out lines itself); otherwise they become `\x0a`.
 */
export function printable(text: string, keepNewlines = false): string {
  return text.replace(keepNewlines ? CONTROL_BUT_NEWLINE : CONTROL, visible);
}
