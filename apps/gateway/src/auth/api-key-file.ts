/** A key file line: who the key belongs to and the key's SHA-256 digest. */
export interface ApiKeyEntry {
  readonly callerId: string;
  readonly digest: Buffer;
}

/** The parsed key file, by digest (hex). */
export type ApiKeyTable = ReadonlyMap<string, ApiKeyEntry>;

const LINE = /^(\S+)\s+([0-9A-Fa-f]{64})$/;
const CALLER_ID = /^[^\s\x00-\x1f\x7f]{1,256}$/u;

/**
 * Reads FLOWGATE_API_KEYS_FILE: one caller a line, `<caller-id> <sha-256 hex of the key>`; blank
 * lines and `#` comments are skipped. A caller may have several lines (a new key next to the old
 * one while clients move over). Problems name the line, never its content: a line that does not
 * parse may be a key pasted in clear.
 */
export function parseApiKeyFile(text: string): { table: ApiKeyTable; problems: string[] } {
  const table = new Map<string, ApiKeyEntry>();
  const firstLine = new Map<string, number>();
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    const n = index + 1;
    if (line === '' || line.startsWith('#')) return;
    const match = LINE.exec(line);
    if (!match) {
      problems.push(`line ${n}: expected "<caller-id> <sha-256 hex of the key>" (64 hex digits)`);
      return;
    }
    const [, callerId, hex] = match as unknown as [string, string, string];
    if (!CALLER_ID.test(callerId)) {
      problems.push(`line ${n}: a caller id is 1 to 256 characters without spaces or control characters`);
      return;
    }
    const digest = hex.toLowerCase();
    const seen = firstLine.get(digest);
    if (seen !== undefined) {
      problems.push(`line ${n}: the same key as line ${seen}`);
      return;
    }
    firstLine.set(digest, n);
    table.set(digest, { callerId, digest: Buffer.from(digest, 'hex') });
  });
  return { table, problems };
}
