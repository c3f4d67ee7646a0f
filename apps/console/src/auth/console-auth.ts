import { randomBytes } from 'node:crypto';
import { AdminToken } from '@flowgate/http';

export const SESSION_COOKIE = 'fg_console';
const SESSION_MS = 8 * 3600_000;
/** Sessions held at most; the oldest goes first (a flood of logins cannot grow memory). */
const MAX_SESSIONS = 1_000;

/**
 * Who may use the console: a caller presenting the admin token (`Authorization: Bearer`), or a
 * browser holding a session cookie it got by presenting the token once (`POST /api/session`).
 * Tokens are compared as SHA-256 digests in constant time, so neither the length nor a prefix
 * leaks through timing. Without a token (`FLOWGATE_CONSOLE_AUTH=loopback`) everyone may: the
 * config allows that on 127.0.0.1 only.
 */
export class ConsoleAuth {
  private readonly token: AdminToken | undefined;
  private readonly sessions = new Map<string, number>();

  constructor(token: string | undefined) {
    this.token = token ? new AdminToken(token) : undefined;
  }

  get open(): boolean {
    return this.token === undefined;
  }

  isToken(candidate: string): boolean {
    return this.token?.matches(candidate) ?? false;
  }

  /** A new session for a caller that presented the token; its id goes in the cookie. */
  openSession(now = Date.now()): string {
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, now + SESSION_MS);
    if (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    return id;
  }

  closeSession(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  /** Whether a request with these headers may see the console's data. */
  allows(headers: { authorization?: string; cookie?: string }, now = Date.now()): boolean {
    if (this.open) return true;
    const bearer = /^Bearer (.+)$/i.exec(headers.authorization ?? '')?.[1];
    if (bearer !== undefined) return this.isToken(bearer);
    const session = sessionId(headers.cookie);
    const expires = session ? this.sessions.get(session) : undefined;
    if (expires === undefined) return false;
    if (expires < now) {
      this.sessions.delete(session!);
      return false;
    }
    return true;
  }

  cookie(id: string, secure: boolean): string {
    return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MS / 1000}${secure ? '; Secure' : ''}`;
  }
}

export function sessionId(cookieHeader: string | undefined): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return value.join('=');
  }
  return undefined;
}
