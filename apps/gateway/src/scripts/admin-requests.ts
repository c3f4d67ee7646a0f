import type { ScriptCanary, ScriptManifest } from '@flowgate/contracts';

/**
 * The admin API's requests, parsed: which action a method and path ask for, and each body read
 * into its typed form with every problem named (closed objects: an unknown field is refused, so a
 * typo such as `sahre` cannot silently fall back to a default).
 */

export const ADMIN_PREFIX = '/admin/v1';

export type AdminAction = 'openapi' | 'list' | 'get' | 'upload' | 'delete' | 'version' | 'activate' | 'canary' | 'promote' | 'rollback' | 'audit';

/** The actions that change what `<prefix>scripts` holds. */
export type ChangeAction = 'upload' | 'delete' | 'activate' | 'canary' | 'promote' | 'rollback';

export type AdminRoute =
  | { readonly action: 'openapi' | 'list' | 'audit' }
  | { readonly action: 'get'; readonly name: string }
  | { readonly action: ChangeAction; readonly name: string }
  | { readonly action: 'version'; readonly name: string; readonly version: number };

export type RouteMatch = { readonly route: AdminRoute } | { readonly notFound: true } | { readonly allow: string };

const SCRIPT_ACTIONS = { activate: 'activate', canary: 'canary', promote: 'promote', rollback: 'rollback' } as const;

/** Which action `method path` asks for; 404 for a path the API does not have, 405 (with Allow) for a method it does not take there. */
export function matchAdminRoute(method: string, path: string): RouteMatch {
  const parts = path.slice(ADMIN_PREFIX.length).split('/').slice(1);
  let segments: string[];
  try {
    segments = parts.map((part) => decodeURIComponent(part));
  } catch {
    return { notFound: true }; // a malformed %-escape names nothing this API has
  }
  const on = (allowed: string, route: AdminRoute): RouteMatch => (allowed.split(', ').includes(method === 'HEAD' ? 'GET' : method) ? { route } : { allow: allowed });
  const [collection, name, sub, version, ...rest] = segments;
  if (collection === 'audit' && segments.length === 1) return on('GET', { action: 'audit' });
  if (collection === 'openapi.json' && segments.length === 1) return on('GET', { action: 'openapi' });
  if (collection !== 'scripts' || rest.length > 0) return { notFound: true };
  if (name === undefined || (name === '' && segments.length === 2)) return on('GET', { action: 'list' });
  if (name === '') return { notFound: true };
  if (sub === undefined) {
    const action = ({ GET: 'get', HEAD: 'get', PUT: 'upload', DELETE: 'delete' } as const)[method as 'GET'];
    return action ? { route: { action, name } } : { allow: 'GET, PUT, DELETE' };
  }
  if (sub === 'versions' && version !== undefined && /^[1-9][0-9]{0,8}$/.test(version)) return on('GET', { action: 'version', name, version: Number(version) });
  const action = SCRIPT_ACTIONS[sub as keyof typeof SCRIPT_ACTIONS];
  if (action && version === undefined) return on('POST', { action, name });
  return { notFound: true };
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: string[] };

export interface UploadBody {
  readonly source: string;
  readonly manifest: ScriptManifest;
}

export type CanaryBody = ScriptCanary;

/** Defaults of a canary's automatic rollback: 5 points more errors than stable, judged after 50 calls. */
export const CANARY_DEFAULTS = { rollbackMargin: 0.05, minCalls: 50 } as const;

export const NOT_JSON = 'the body is not JSON';

/** A JSON body; an empty one is `{}` (actions without parameters may be sent bare). */
export function parseJsonBody(body: Buffer): Parsed<Record<string, unknown>> {
  const text = body.toString('utf8');
  if (text.trim() === '') return { ok: true, value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, errors: [`${NOT_JSON}: ${(error as Error).message}`] };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, errors: ['the body must be a JSON object'] };
  return { ok: true, value: value as Record<string, unknown> };
}

/** `{"source": "...", "manifest": {...}}`; the manifest's own content is checked by the sandbox library. */
export function parseUpload(body: Record<string, unknown>): Parsed<UploadBody> {
  const errors = unknownFields(body, ['source', 'manifest']);
  if (typeof body.source !== 'string' || body.source.trim() === '') errors.push('source must be a non-empty string (the script\'s JavaScript module)');
  if (body.manifest === null || typeof body.manifest !== 'object' || Array.isArray(body.manifest)) errors.push('manifest must be an object');
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: { source: body.source as string, manifest: body.manifest as ScriptManifest } };
}

/** `{"version": n}`. */
export function parseActivate(body: Record<string, unknown>): Parsed<{ version: number }> {
  const errors = [...unknownFields(body, ['version']), ...wholeNumber(body, 'version', { min: 1, required: true })];
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: { version: body.version as number } };
}

/** `{}` (drop the canary) or `{"version": n}` (activate n). */
export function parseRollback(body: Record<string, unknown>): Parsed<{ version?: number }> {
  const errors = [...unknownFields(body, ['version']), ...wholeNumber(body, 'version', { min: 1, required: false })];
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: body.version === undefined ? {} : { version: body.version as number } };
}

/** `{}`: promote takes no parameters. */
export function parseEmpty(body: Record<string, unknown>): Parsed<Record<string, never>> {
  const errors = unknownFields(body, []);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: {} };
}

/** `{"version", "share", "rollbackMargin"?, "minCalls"?, "promoteAfter"?}` with the defaults filled in. */
export function parseCanary(body: Record<string, unknown>): Parsed<CanaryBody> {
  const errors = [
    ...unknownFields(body, ['version', 'share', 'rollbackMargin', 'minCalls', 'promoteAfter']),
    ...wholeNumber(body, 'version', { min: 1, required: true }),
    ...wholeNumber(body, 'minCalls', { min: 1, required: false }),
    ...wholeNumber(body, 'promoteAfter', { min: 1, required: false }),
  ];
  if (typeof body.share !== 'number' || !(body.share > 0 && body.share < 1)) errors.push('share must be a number between 0 and 1 (exclusive): the part of keys sent to the canary');
  if (body.rollbackMargin !== undefined && (typeof body.rollbackMargin !== 'number' || !(body.rollbackMargin >= 0 && body.rollbackMargin <= 1))) {
    errors.push('rollbackMargin must be a number from 0 to 1 (0.05: roll back at 5 points more errors than the stable version)');
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      version: body.version as number,
      share: body.share as number,
      rollbackMargin: (body.rollbackMargin as number | undefined) ?? CANARY_DEFAULTS.rollbackMargin,
      minCalls: (body.minCalls as number | undefined) ?? CANARY_DEFAULTS.minCalls,
      ...(body.promoteAfter === undefined ? {} : { promoteAfter: body.promoteAfter as number }),
    },
  };
}

/** `?script=<name>&limit=<n>` of GET /admin/v1/audit (limit 1…1000, default 100). */
export function parseAuditQuery(query: URLSearchParams): Parsed<{ script?: string; limit: number }> {
  const errors = [...query.keys()].filter((key) => key !== 'script' && key !== 'limit').map((key) => `unknown query parameter ${key}`);
  const limit = query.get('limit') ?? '100';
  if (!/^[1-9][0-9]{0,3}$/.test(limit) || Number(limit) > 1_000) errors.push('limit must be a whole number from 1 to 1000');
  const script = query.get('script') ?? undefined;
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: { ...(script === undefined ? {} : { script }), limit: Number(limit) } };
}

function unknownFields(body: Record<string, unknown>, known: readonly string[]): string[] {
  return Object.keys(body).filter((key) => !known.includes(key)).map((key) => `unknown field ${JSON.stringify(key)} (expected ${known.length > 0 ? known.join(', ') : 'no fields'})`);
}

function wholeNumber(body: Record<string, unknown>, field: string, { min, required }: { min: number; required: boolean }): string[] {
  const value = body[field];
  if (value === undefined) return required ? [`${field} is required`] : [];
  return Number.isSafeInteger(value) && (value as number) >= min ? [] : [`${field} must be a whole number of at least ${min}`];
}
