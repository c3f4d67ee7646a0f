import type { Server, ServerOptions } from 'node:http';
import { connectionsCheckingIntervalMs, type EnvValues, HTTP_LIMITS_ENV, readEnv } from '@flowgate/config';

/** FLOWGATE_HTTP_* (libs/config http-limits.config.ts). */
export type HttpLimits = EnvValues<typeof HTTP_LIMITS_ENV>;

/** The defaults, for listeners whose app does not read the variables. */
export const DEFAULT_HTTP_LIMITS: HttpLimits = readEnv(HTTP_LIMITS_ENV, {});

/** Options of `http.createServer` for the limits that can only be given there. */
export function serverOptions(limits: HttpLimits): ServerOptions {
  return {
    headersTimeout: limits.FLOWGATE_HTTP_HEADERS_TIMEOUT_MS,
    requestTimeout: limits.FLOWGATE_HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: limits.FLOWGATE_HTTP_KEEPALIVE_TIMEOUT_MS,
    maxHeaderSize: limits.FLOWGATE_HTTP_MAX_HEADER_BYTES,
    connectionsCheckingInterval: connectionsCheckingIntervalMs(limits),
  };
}

/**
 * The limits that are properties of a created server. Fastify sets `requestTimeout` and
 * `keepAliveTimeout` itself after creating the server (to 0 and 72 s unless told), so they are set
 * again here, once the server exists.
 */
export function limitServer(server: Server, limits: HttpLimits, options: { keepAliveTimeoutMs?: number } = {}): void {
  server.headersTimeout = limits.FLOWGATE_HTTP_HEADERS_TIMEOUT_MS;
  server.requestTimeout = limits.FLOWGATE_HTTP_REQUEST_TIMEOUT_MS;
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? limits.FLOWGATE_HTTP_KEEPALIVE_TIMEOUT_MS;
  server.maxConnections = limits.FLOWGATE_HTTP_MAX_CONNECTIONS;
}
