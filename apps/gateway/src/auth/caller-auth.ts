import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayConfig } from '@flowgate/config';
import { problem } from '@flowgate/contracts';
import { sendProblem } from '@flowgate/http';
import type { GatewayMetrics } from '@flowgate/metrics';
import { ApiKeyAuthenticator } from './api-key.authenticator';
import type { AuthVerdict, Authenticator } from './authenticator';
import { JwtAuthenticator } from './jwt.authenticator';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling, as authenticated at the door; undefined with FLOWGATE_AUTH=none. */
    callerId?: string;
  }
}

/** Probes answer without a credential (the kubelet and load balancers have none). */
const OPEN_PATHS = new Set(['/healthz', '/readyz']);

/**
 * The authenticator FLOWGATE_AUTH asks for; undefined for `none`.
 * @throws ConfigError when its key file or key set is unusable.
 */
export async function createAuthenticator(config: GatewayConfig, metrics: GatewayMetrics): Promise<Authenticator | undefined> {
  switch (config.FLOWGATE_AUTH) {
    case 'none':
      return undefined;
    case 'api-key':
      return new ApiKeyAuthenticator({
        file: config.FLOWGATE_API_KEYS_FILE,
        header: config.FLOWGATE_API_KEY_HEADER,
        reloadMs: config.FLOWGATE_API_KEYS_RELOAD_MS,
        metrics,
      });
    case 'jwt':
      return JwtAuthenticator.create(config);
  }
}

/**
 * Every request on the public port but the probes must carry a credential; the check runs in
 * `onRequest`, before the body is read or anything is routed, so a refused request costs the
 * check and a short 401, and never reaches Kafka or Redis. The caller id it yields is the only
 * source of `fg-caller-id`: no client header is ever copied there.
 */
export function requireCredentials(fastify: FastifyInstance, options: { authenticator: Authenticator; metrics: GatewayMetrics }): void {
  const { authenticator, metrics } = options;
  fastify.decorateRequest('callerId', undefined);
  const refuse = (verdict: Extract<AuthVerdict, { ok: false }>, reply: FastifyReply) => {
    metrics.authRefusals.inc({ reason: verdict.reason });
    if (verdict.reason === 'unavailable') {
      sendProblem(reply, problem('authUnavailable', verdict.detail), { 'retry-after': '1' });
      metrics.requests.inc({ route: 'unauthenticated', status: '503' });
    } else {
      sendProblem(reply, problem('unauthorized', verdict.detail), { 'www-authenticate': authenticator.challenge(verdict) });
      metrics.requests.inc({ route: 'unauthenticated', status: '401' });
    }
  };
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    if (OPEN_PATHS.has(pathOf(request.url))) return done();
    const verdict = authenticator.authenticate(request.headers);
    const apply = (v: AuthVerdict) => {
      if (v.ok) {
        request.callerId = v.callerId;
        done();
      } else {
        refuse(v, reply);
      }
    };
    if (verdict instanceof Promise) {
      verdict.then(apply, (error: unknown) => done(error as Error));
    } else {
      apply(verdict);
    }
  });
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
