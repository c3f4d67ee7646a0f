import { createHash } from 'node:crypto';
import { AdminToken, tokenFingerprint } from './admin-token';

describe('AdminToken', () => {
  const token = new AdminToken('s3cret-admin-token-0123');

  it('accepts exactly its token as a bearer credential', () => {
    expect(token.accepts('Bearer s3cret-admin-token-0123')).toBe(true);
    expect(token.accepts('bearer s3cret-admin-token-0123')).toBe(true);
  });

  it('refuses a missing, malformed, shorter, longer or different credential', () => {
    for (const header of [undefined, '', 'Bearer', 'Bearer ', 's3cret-admin-token-0123', 'Basic s3cret-admin-token-0123', 'Bearer s3cret-admin-token-012', 'Bearer s3cret-admin-token-01234', 'Bearer S3CRET-ADMIN-TOKEN-0123', 'Bearer s3cret-admin-token-0123 extra']) {
      expect({ header, accepted: token.accepts(header) }).toEqual({ header, accepted: false });
    }
  });

  it('is known by the first 12 hex digits of the SHA-256 of the token, never by the token', () => {
    const hex = createHash('sha256').update('s3cret-admin-token-0123').digest('hex');
    expect(token.fingerprint).toBe(`token:${hex.slice(0, 12)}`);
    expect(tokenFingerprint('s3cret-admin-token-0123')).toBe(token.fingerprint);
    expect(token.fingerprint).not.toContain('s3cret');
  });
});
