import { AccessError, untrustedCertificate } from '@flowgate/config';

/**
 * `error` (an error ioredis emitted) as an `AccessError` when Redis refused this client — its
 * password or user, its trust in the server's certificate, or an ACL — or undefined for anything
 * else. `user` is the user name of REDIS_URL (`default` without one); never the password.
 */
export function redisAccessError(error: Error, user: string): AccessError | undefined {
  if (/^(WRONGPASS|NOAUTH)/.test(error.message)) {
    return new AccessError(`Redis refused the credentials for user ${user}: check the user and password in REDIS_URL`, { cause: error });
  }
  const tls = untrustedCertificate(error);
  if (tls) return new AccessError(`Redis's TLS certificate is not trusted: ${tls}; give its CA in NODE_EXTRA_CA_CERTS`, { cause: error });
  if (error.message.startsWith('NOPERM')) {
    return new AccessError(`Redis denied user ${user}: ${error.message.slice('NOPERM '.length)} (its ACL does not allow it)`, { cause: error });
  }
  return undefined;
}
