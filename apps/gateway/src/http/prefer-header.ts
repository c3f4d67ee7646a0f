/** What the caller prefers (RFC 7240): an answer later (`respond-async`), and how long to wait first. */
export interface AsyncPreference {
  /** `wait=N` in milliseconds; 0 without `wait`. */
  readonly waitMs: number;
}

export type PreferResult =
  | { readonly ok: true; readonly async?: AsyncPreference }
  | { readonly ok: false; readonly detail: string };

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const WORD = /^(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+|"(?:[^"\\]|\\.)*")$/;

/**
 * Reads the Prefer header(s). `respond-async` (no value) asks for 202 and a status URL; `wait=N`
 * (whole seconds) asks to wait that long for the result first. Other preferences are ignored as
 * RFC 7240 says; a header that does not parse, or a bad value for these two, is refused.
 */
export function parsePrefer(header: string | string[] | undefined): PreferResult {
  if (header === undefined) return { ok: true };
  const preferences = (Array.isArray(header) ? header : [header]).flatMap((value) => splitOutsideQuotes(value));
  let respondAsync = false;
  let waitS: number | undefined;
  for (const preference of preferences) {
    const [head = '', ...params] = splitOutsideQuotes(preference, ';');
    if (head === '' && params.length === 0) continue; // an empty list element, allowed by #rule
    const eq = head.indexOf('=');
    const name = (eq < 0 ? head : head.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : head.slice(eq + 1).trim();
    if (!TOKEN.test(name) || (value !== undefined && !WORD.test(value))) return bad(`"${preference.trim()}" is not a preference`);
    if (name === 'respond-async') {
      if (value !== undefined) return bad('respond-async takes no value');
      respondAsync = true;
    } else if (name === 'wait' && waitS === undefined) {
      if (value === undefined || !/^\d{1,9}$/.test(value)) return bad('wait must be a whole number of seconds');
      waitS = Number(value);
    }
  }
  return respondAsync ? { ok: true, async: { waitMs: (waitS ?? 0) * 1000 } } : { ok: true };
}

function bad(reason: string): PreferResult {
  return { ok: false, detail: `Prefer: ${reason} (RFC 7240, e.g. "respond-async, wait=10")` };
}

/** Splits on `separator` outside double-quoted strings. */
function splitOutsideQuotes(text: string, separator = ','): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '\\') {
      current += c + (text[++i] ?? '');
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === separator && !quoted) {
      parts.push(current.trim());
      current = '';
    } else current += c;
  }
  parts.push(current.trim());
  return parts;
}
