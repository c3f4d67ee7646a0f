import type { HttpResult } from './http';

/** A client of a gateway's script admin API (/admin/v1 on its admin port). */
export class AdminApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  /** Sends `body` as JSON (a string as is); the token as a bearer credential unless `token` is given (null: none). */
  async call(method: string, path: string, body?: unknown, options: { token?: string | null; headers?: Record<string, string> } = {}): Promise<HttpResult> {
    const token = options.token === undefined ? this.token : options.token;
    const started = Date.now();
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...options.headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = undefined; // e.g. a 404 of a path the admin port does not know
    }
    return { status: response.status, headers: response.headers, text, json, ms: Date.now() - started };
  }

  upload(name: string, source: string, manifest: unknown): Promise<HttpResult> {
    return this.call('PUT', `/admin/v1/scripts/${name}`, { source, manifest });
  }

  action(name: string, action: 'activate' | 'canary' | 'promote' | 'rollback', body: unknown = {}): Promise<HttpResult> {
    return this.call('POST', `/admin/v1/scripts/${name}/${action}`, body);
  }
}
