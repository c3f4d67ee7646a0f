import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The admin surface's bearer token (FLOWGATE_ADMIN_TOKEN): the gateway's script admin API and the console. Callers are compared by the SHA-256 of what
 * they send against the token's, with `timingSafeEqual`: both digests have one length whatever
 * the caller sends, so neither the comparison's time nor an early length check tells an attacker
 * how much of a guess was right.
 */
export class AdminToken {
  private readonly digest: Buffer;
  /** Who the holder of the token is in logs and audit records: `token:<first 12 hex of its SHA-256>`; never the token itself. */
  readonly fingerprint: string;

  constructor(token: string) {
    if (token === '') throw new Error('the admin token must not be empty');
    this.digest = sha256(token);
    this.fingerprint = tokenFingerprint(token);
  }

  /** Whether an `Authorization` header carries this token as `Bearer <token>` (scheme case-insensitive, RFC 9110). */
  accepts(authorization: string | undefined): boolean {
    const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
    // Compared even without a credential, so a missing header costs the same time as a wrong one.
    return this.matches(match?.[1] ?? '') && match !== null;
  }

  /** Whether `candidate` is the token (e.g. typed into a sign-in form). */
  matches(candidate: string): boolean {
    return timingSafeEqual(sha256(candidate), this.digest);
  }
}

export function tokenFingerprint(token: string): string {
  return `token:${sha256(token).toString('hex').slice(0, 12)}`;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
