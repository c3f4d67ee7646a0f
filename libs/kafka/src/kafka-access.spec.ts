import { AccessError } from '@flowgate/config';
import { KafkaJSAggregateError, KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSSASLAuthenticationError } from 'kafkajs';
import { kafkaAccessError } from './kafka-access';

// kafkajs builds these from broker error codes; the codes here are Kafka's (29, 30, 53).
const protocolError = (type: string, code: number) => new KafkaJSProtocolError(Object.assign(new Error(`${type} happened`), { type, code, retriable: false }));
// kafkajs's typings leave out this constructor's message.
const SaslError = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
const socketError = (code: string, message: string) => Object.assign(new Error(message), { code });
const context = { user: 'gateway', doing: 'connecting' };

describe('kafkaAccessError', () => {
  it('names the user and the variables to check when SASL authentication fails, and never the password', () => {
    const error = kafkaAccessError(new SaslError('SASL SCRAM SHA512 authentication failed: invalid credentials'), context);
    expect(error).toBeInstanceOf(AccessError);
    expect(error?.message).toBe('Kafka refused the SASL credentials for user gateway while connecting: check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD');
  });

  it('finds an untrusted certificate under kafkajs\'s retry and connection errors', () => {
    const connection = new KafkaJSConnectionError('Connection error: self-signed certificate in certificate chain', { code: 'SELF_SIGNED_CERT_IN_CHAIN' } as never);
    Object.assign(connection, { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    const retries = new KafkaJSNumberOfRetriesExceeded(connection, { retryCount: 3, retryTime: 1000 });
    expect(kafkaAccessError(retries, context)?.message).toBe(
      "Kafka's TLS certificate is not trusted while connecting: self-signed certificate in certificate chain (SELF_SIGNED_CERT_IN_CHAIN); give its CA in NODE_EXTRA_CA_CERTS",
    );
  });

  it('reports an ACL denial, also inside an aggregate of per-topic errors', () => {
    expect(kafkaAccessError(protocolError('GROUP_AUTHORIZATION_FAILED', 30), context)?.message).toBe(
      'Kafka denied user gateway access to a group (GROUP_AUTHORIZATION_FAILED) while connecting: its ACLs do not allow it',
    );
    const aggregate = new KafkaJSAggregateError('Topic creation errors', [protocolError('TOPIC_AUTHORIZATION_FAILED', 29)]);
    expect(kafkaAccessError(aggregate, { user: undefined, doing: 'ensuring topics a' })?.message).toBe(
      'Kafka denied this client (no SASL user) access to a topic (TOPIC_AUTHORIZATION_FAILED) while ensuring topics a: its ACLs do not allow it',
    );
  });

  it('leaves an outage and other errors alone, so they are retried or reported as before', () => {
    const refused = new KafkaJSNumberOfRetriesExceeded(Object.assign(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), { retryCount: 3, retryTime: 1000 });
    expect(kafkaAccessError(refused, context)).toBeUndefined();
    expect(kafkaAccessError(protocolError('UNKNOWN_TOPIC_OR_PARTITION', 3), context)).toBeUndefined();
    expect(kafkaAccessError(socketError('ECONNRESET', 'socket hang up'), context)).toBeUndefined();
    expect(kafkaAccessError('not an error', context)).toBeUndefined();
  });
});
