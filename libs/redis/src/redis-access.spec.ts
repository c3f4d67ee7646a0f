import { AccessError } from '@flowgate/config';
import { redisAccessError } from './redis-access';

const replyError = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });

describe('redisAccessError', () => {
  it('names the user of REDIS_URL when Redis refuses its password', () => {
    const error = redisAccessError(replyError('WRONGPASS invalid username-password pair or user is disabled.'), 'sweeper');
    expect(error).toBeInstanceOf(AccessError);
    expect(error?.message).toBe('Redis refused the credentials for user sweeper: check the user and password in REDIS_URL');
    expect(redisAccessError(replyError('NOAUTH Authentication required.'), 'default')?.message).toContain('user default');
  });

  it('reports an untrusted certificate and an ACL denial', () => {
    const tls = Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    expect(redisAccessError(tls, 'gateway')?.message).toBe(
      "Redis's TLS certificate is not trusted: self-signed certificate in certificate chain (SELF_SIGNED_CERT_IN_CHAIN); give its CA in NODE_EXTRA_CA_CERTS",
    );
    expect(redisAccessError(replyError("NOPERM this user has no permissions to run the 'info' command"), 'gateway')?.message).toBe(
      "Redis denied user gateway: this user has no permissions to run the 'info' command (its ACL does not allow it)",
    );
  });

  it('leaves an outage alone: the client keeps reconnecting', () => {
    expect(redisAccessError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }), 'gateway')).toBeUndefined();
    expect(redisAccessError(replyError('LOADING Redis is loading the dataset in memory'), 'gateway')).toBeUndefined();
  });
});
