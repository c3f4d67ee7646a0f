import { ProtocolError } from './protocol-error';

/**
 * Route names: lower-case letters, digits, `-` and `.`, 1 to 64 characters. They appear in URLs
 * (`/v1/{route}`), Kafka headers, metric labels and catalog keys, so the alphabet stays small.
 */
const ROUTE_NAME = /^[a-z0-9.-]{1,64}$/;
export const ROUTE_NAME_RULE = 'lower-case letters, digits, "-" and ".", 1 to 64 characters';

/** Kafka's own rule for topic names (under the prefix). */
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,200}$/;

/** A JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1). */
export type JsonSchema = { readonly [keyword: string]: unknown } | boolean;

/**
 * A route as the job that serves it declares it. Gateways learn it from the route catalog and
 * serve `POST /v1/{name}` from it: they check the body, pick the partition key, and write the
 * request to the route's topic.
 */
export interface RouteDeclaration {
  readonly name: string;
  /** One line for humans: the OpenAPI summary. */
  readonly summary: string;
  /**
   * Body field whose value becomes the Kafka record key, so every request for one key lands on
   * the same partition and its keyed state stays local. Without one, the request id is the key.
   */
  readonly keyField?: string;
  /**
   * Request topic under the prefix; without one, the shared `requests` topic. A job that keeps
   * keyed state needs a topic of its own, shared by the routes that read and write that state.
   */
  readonly topic?: string;
  /** Body fields that must hold a non-empty string (at most 256 characters) or a finite number. */
  readonly requiredFields?: readonly string[];
  /** The body must match this schema; a body that does not gets 400 with every error listed. */
  readonly bodySchema?: JsonSchema;
  /** What a successful reply holds (documentation: the OpenAPI 200 response). */
  readonly responseSchema?: JsonSchema;
  /** Deadline when the caller sends no `X-Timeout-Ms` (default: the gateway's). */
  readonly defaultTimeoutMs?: number;
  /** Largest `X-Timeout-Ms` a caller may ask for (default: the gateway's). */
  readonly maxTimeoutMs?: number;
  /** Largest body in bytes (default: the gateway's, which also bounds this one). */
  readonly maxBodyBytes?: number;
}

/** A catalog record's value: the route's declaration and the job that serves it. */
export interface CatalogEntry {
  readonly job: string;
  readonly route: RouteDeclaration;
}

export function isValidRouteName(name: string): boolean {
  return ROUTE_NAME.test(name);
}

/** Everything wrong with a declaration, one message per problem; empty when it is sound. */
export function routeDeclarationErrors(route: RouteDeclaration): string[] {
  const errors: string[] = [];
  const name = typeof route?.name === 'string' ? route.name : undefined;
  if (name === undefined || !isValidRouteName(name)) errors.push(`route name ${JSON.stringify(route?.name)} must be ${ROUTE_NAME_RULE}`);
  if (typeof route?.summary !== 'string' || route.summary.length === 0) errors.push('summary must be a non-empty string');
  if (route?.keyField !== undefined && (typeof route.keyField !== 'string' || route.keyField === '')) errors.push('keyField must be a non-empty string');
  if (route?.topic !== undefined && (typeof route.topic !== 'string' || !TOPIC_NAME.test(route.topic))) {
    errors.push(`topic ${JSON.stringify(route.topic)} must be 1 to 200 characters of A-Z a-z 0-9 . _ -`);
  }
  if (route?.requiredFields !== undefined && (!Array.isArray(route.requiredFields) || !route.requiredFields.every((f) => typeof f === 'string' && f !== ''))) {
    errors.push('requiredFields must be a list of field names');
  }
  for (const field of ['bodySchema', 'responseSchema'] as const) {
    const schema = route?.[field];
    if (schema !== undefined && typeof schema !== 'boolean' && (schema === null || typeof schema !== 'object' || Array.isArray(schema))) {
      errors.push(`${field} must be a JSON Schema (an object or a boolean)`);
    }
  }
  for (const field of ['defaultTimeoutMs', 'maxTimeoutMs', 'maxBodyBytes'] as const) {
    const value = route?.[field];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) errors.push(`${field} must be a whole number of at least 1`);
  }
  if (route?.defaultTimeoutMs !== undefined && route.maxTimeoutMs !== undefined && route.defaultTimeoutMs > route.maxTimeoutMs) {
    errors.push('defaultTimeoutMs must not exceed maxTimeoutMs');
  }
  return errors.map((error) => (name ? `route ${name}: ${error}` : error));
}

/** The request topic a route's records are written to. */
export function routeTopic(route: Pick<RouteDeclaration, 'topic'>, prefix: string): string {
  return `${prefix}${route.topic ?? 'requests'}`;
}

/** Whether two catalog entries say the same thing (key order does not matter). */
export function sameCatalogEntry(a: CatalogEntry, b: CatalogEntry): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

export function encodeCatalogEntry(entry: CatalogEntry): string {
  return canonicalJson(entry);
}

/**
 * A catalog record's value; null for a tombstone (the route was retired).
 * @throws ProtocolError when the value is not a sound entry for `key`.
 */
export function decodeCatalogEntry(key: string, value: Buffer | string | null): CatalogEntry | null {
  if (value === null || value.length === 0) return null;
  let entry: CatalogEntry;
  try {
    entry = JSON.parse(value.toString());
  } catch (error) {
    throw new ProtocolError(`catalog record ${key} is not JSON: ${(error as Error).message}`);
  }
  if (typeof entry?.job !== 'string' || entry.job === '') throw new ProtocolError(`catalog record ${key} names no job`);
  const errors = routeDeclarationErrors(entry.route);
  if (errors.length > 0) throw new ProtocolError(`catalog record ${key}: ${errors.join('; ')}`);
  if (entry.route.name !== key) throw new ProtocolError(`catalog record ${key} declares route ${entry.route.name}`);
  return entry;
}

/** JSON with object keys sorted, so equal declarations encode to equal strings. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v,
  );
}
