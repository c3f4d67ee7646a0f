import { int } from './env-reader';

/**
 * Limits of every app's HTTP listeners (the gateway's public and admin ports, the processor's,
 * the sweeper's and the console's) against slow,
 * oversized or idle callers. Node's and Fastify's own defaults leave a slow body unbounded
 * (Fastify turns Node's requestTimeout off), check the headers deadline only every 30 s and take
 * any number of connections; these are explicit, and documented in README "Hostile input".
 */
export const HTTP_LIMITS_ENV = {
  FLOWGATE_HTTP_HEADERS_TIMEOUT_MS: int({
    default: 10_000, min: 100, max: 600_000,
    description: 'Time a caller has to send a request\'s headers (slowloris); past it the connection is closed (408 if nothing was answered on it yet).',
  }),
  FLOWGATE_HTTP_REQUEST_TIMEOUT_MS: int({
    default: 30_000, min: 100, max: 3_600_000,
    description: 'Time a caller has to send a whole request, headers and body (a slow body); past it the answer is 408 and the connection closes. At least FLOWGATE_HTTP_HEADERS_TIMEOUT_MS. The wait for the reply is not counted.',
  }),
  FLOWGATE_HTTP_KEEPALIVE_TIMEOUT_MS: int({
    default: 72_000, min: 100, max: 3_600_000,
    description: 'How long an idle keep-alive connection stays open between requests; keep it above the idle timeout of the load balancer in front.',
  }),
  FLOWGATE_HTTP_MAX_HEADER_BYTES: int({
    default: 16_384, min: 1_024, max: 1_048_576,
    description: 'Largest request line and headers together; larger ones get 431 and the connection closes.',
  }),
  FLOWGATE_HTTP_MAX_CONNECTIONS: int({
    default: 10_000, min: 1, max: 1_000_000,
    description: 'Open connections one listener (public or admin port) holds at most; a connection beyond it is closed at once.',
  }),
} as const;

/** How often Node looks for connections past the headers or request deadline: often enough that a limit is kept within a quarter of itself. */
export function connectionsCheckingIntervalMs(limits: { FLOWGATE_HTTP_HEADERS_TIMEOUT_MS: number }): number {
  return Math.max(50, Math.min(1_000, Math.floor(limits.FLOWGATE_HTTP_HEADERS_TIMEOUT_MS / 4)));
}

/** Cross-variable problems of the HTTP limits (none: []). */
export function httpLimitsProblems(config: { FLOWGATE_HTTP_REQUEST_TIMEOUT_MS: number; FLOWGATE_HTTP_HEADERS_TIMEOUT_MS: number }): string[] {
  if (config.FLOWGATE_HTTP_REQUEST_TIMEOUT_MS >= config.FLOWGATE_HTTP_HEADERS_TIMEOUT_MS) return [];
  return [`FLOWGATE_HTTP_REQUEST_TIMEOUT_MS=${config.FLOWGATE_HTTP_REQUEST_TIMEOUT_MS} is below FLOWGATE_HTTP_HEADERS_TIMEOUT_MS=${config.FLOWGATE_HTTP_HEADERS_TIMEOUT_MS}: the headers are part of the request`];
}
