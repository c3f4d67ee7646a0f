import { AccessError, untrustedCertificate } from '@flowgate/config';

/**
 * `error` as an `AccessError` when Kafka refused this client — its SASL credentials, its trust in
 * the broker's certificate, or an ACL — or undefined for anything else (an outage stays an
 * outage: retried as before). `user` is the SASL user name, `doing` what was under way
 * (e.g. "creating topics flowgate.requests, ..."); neither holds a secret.
 */
export function kafkaAccessError(error: unknown, { user, doing }: { user: string | undefined; doing: string }): AccessError | undefined {
  if (!(error instanceof Error)) return undefined;
  const who = user ? `user ${user}` : 'this client (no SASL user)';
  if (error.name === 'KafkaJSSASLAuthenticationError') {
    return new AccessError(`Kafka refused the SASL credentials for ${who} while ${doing}: check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`, { cause: error });
  }
  const tls = untrustedCertificate(error);
  if (tls) return new AccessError(`Kafka's TLS certificate is not trusted while ${doing}: ${tls}; give its CA in NODE_EXTRA_CA_CERTS`, { cause: error });
  const type = authorizationFailure(error);
  if (type) {
    const resource = type.slice(0, -'_AUTHORIZATION_FAILED'.length).toLowerCase().replace(/_/g, ' ');
    return new AccessError(`Kafka denied ${who} access to a ${resource} (${type}) while ${doing}: its ACLs do not allow it`, { cause: error });
  }
  return undefined;
}

/** The `*_AUTHORIZATION_FAILED` error code of a protocol error, or of one in an aggregate (CreateTopics answers per topic). */
function authorizationFailure(error: Error): string | undefined {
  const { errors } = error as { errors?: unknown };
  for (const e of [error, ...(Array.isArray(errors) ? (errors as unknown[]) : [])]) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && type.endsWith('_AUTHORIZATION_FAILED')) return type;
  }
  return undefined;
}
