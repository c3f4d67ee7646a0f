import { parseApiKeyFile } from './api-key-file';

const A = 'a'.repeat(64);
const B = 'B'.repeat(64);

describe('parseApiKeyFile', () => {
  it('maps each key digest to its caller; comments, blank lines and several keys per caller are fine', () => {
    const { table, problems } = parseApiKeyFile(`# billing, rotated 2025-11\nbilling ${A}\n\n  billing   ${B}  \nauth0|ada@example.com ${'c'.repeat(64)}\r\n`);
    expect(problems).toEqual([]);
    expect([...table].map(([hex, entry]) => [hex, entry.callerId])).toEqual([[A, 'billing'], ['b'.repeat(64), 'billing'], ['c'.repeat(64), 'auth0|ada@example.com']]);
    expect(table.get(A)!.digest).toEqual(Buffer.alloc(32, 0xaa));
  });

  it('names each bad line without echoing it (it may hold a key in clear)', () => {
    const { table, problems } = parseApiKeyFile(`ok ${A}\nsecret-key-in-clear\nshort abc\nbad\x01id ${B}\nother ${A}\n`);
    expect(problems).toEqual([
      'line 2: expected "<caller-id> <sha-256 hex of the key>" (64 hex digits)',
      'line 3: expected "<caller-id> <sha-256 hex of the key>" (64 hex digits)',
      'line 4: a caller id is 1 to 256 characters without spaces or control characters',
      'line 5: the same key as line 1',
    ]);
    expect(problems.join('\n')).not.toContain('secret-key-in-clear');
    expect(table.size).toBe(1);
  });

  it('reads an empty file as no keys (every caller refused)', () => {
    expect(parseApiKeyFile('')).toEqual({ table: new Map(), problems: [] });
  });
});
