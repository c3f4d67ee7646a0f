import { ConsoleAuth, sessionId } from './console-auth';

describe('ConsoleAuth', () => {
  const auth = new ConsoleAuth('s3cret-token-of-enough-length');

  it('accepts the token as a bearer credential and refuses others', () => {
    expect(auth.allows({ authorization: 'Bearer s3cret-token-of-enough-length' })).toBe(true);
    expect(auth.allows({ authorization: 'Bearer s3cret' })).toBe(false);
    expect(auth.allows({})).toBe(false);
  });

  it('accepts a session it opened until it expires or is closed', () => {
    const now = 1_000_000;
    const id = auth.openSession(now);
    const cookie = `other=1; fg_console=${id}`;
    expect(auth.allows({ cookie }, now + 1000)).toBe(true);
    expect(auth.allows({ cookie: 'fg_console=made-up' }, now)).toBe(false);
    expect(auth.allows({ cookie }, now + 9 * 3600_000)).toBe(false);
    const second = auth.openSession(now);
    auth.closeSession(second);
    expect(auth.allows({ cookie: `fg_console=${second}` }, now)).toBe(false);
  });

  it('writes an HttpOnly, SameSite=Strict cookie', () => {
    expect(auth.cookie('abc', false)).toBe('fg_console=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=28800');
    expect(sessionId('a=b; fg_console=xyz')).toBe('xyz');
  });

  it('lets everyone in without a token (loopback development mode)', () => {
    expect(new ConsoleAuth(undefined).allows({})).toBe(true);
  });
});
